// pci_target -- conventional 32-bit PCI target (PCI Local Bus Spec 3.0, ch. 3).
//
// Claims type-0 configuration transactions (function 0), memory transactions
// that hit BAR0 (control registers) or BAR2 (framebuffer), and I/O
// transactions that hit BAR1 (VGA ports), and turns every completed data
// phase into a one-clock access on one register interface (acc_*), tagged
// with the space it belongs to.
//
// Timing (interval a = the clock in which FRAME# is first asserted with the
// address; interval k is sampled by every agent at rising edge k+1):
//
//   DEVSEL_TIMING   | DEVSEL# asserted | TRDY#, write | TRDY# + AD, read
//   0 (fast)        | a+1              | a+1          | a+2 (a+1 = turnaround)
//   1 (medium)      | a+2              | a+2          | a+2
//
// The target adds no wait states after that; bursts run at one dword per
// clock while IRDY# stays asserted.
//
// Termination (3.3.3.2):
//   * Retry (STOP# with DEVSEL#, without TRDY#, in the first data phase)
//     for a write into the BAR0 CMD_FIFO window while the FIFO has no room.
//   * Disconnect with data (STOP# with TRDY#) on the last dword of a BAR,
//     on a configuration or I/O access (single data phase), on a memory
//     burst with AD[1:0] != 00, and on the last FIFO word that still fits.
//   * Disconnect without data (STOP# without TRDY#) in a later data phase
//     of a FIFO burst when the FIFO filled up meanwhile.
//
// All bus outputs are flops or combinational from flops only (never from bus
// inputs), as 3.10 / 4.2.3 timing requires; the simulation wrapper relies on
// this too, because the device sees the resolved bus that includes its own
// drive.
//
// Register interface: read data (*_rdata_i) must be a combinational function
// of acc_addr_o and flops; it is driven onto AD during every clock of the data
// phase. Writes (acc_wr_o) and completed reads (acc_rd_o, for the few read
// side effects such as the DAC auto-increment) are one-clock strobes valid on
// the edge at which the data phase completes (IRDY# and TRDY# both sampled
// asserted).
`default_nettype none

module pci_target #(
  parameter integer DEVSEL_TIMING = 1   // 0 = fast, 1 = medium (3.6.1)
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // PCI bus inputs (the resolved wire values)
  input  wire        frame_ni,
  input  wire        irdy_ni,
  input  wire [3:0]  cbe_ni,
  input  wire [31:0] ad_i,
  input  wire        par_i,
  input  wire        idsel_i,

  // PCI bus outputs
  output wire [31:0] ad_o,
  output wire        ad_oe_o,
  output wire        par_o,
  output wire        par_oe_o,
  output wire        trdy_no,
  output wire        devsel_no,
  output wire        stop_no,
  output wire        ctl_oe_o,     // drive TRDY#/DEVSEL#/STOP#; 0 = tri-state (pulled up)
  output wire        perr_no,

  // Configuration (from pci_config)
  input  wire [19:0] bar0_base_i,       // BAR0 address bits [31:12]
  input  wire [26:0] bar1_base_i,       // BAR1 address bits [31:5]
  input  wire [19:0] bar2_base_i,       // BAR2 address bits [31:12]
  input  wire        io_space_en_i,     // Command[0]
  input  wire        mem_space_en_i,    // Command[1]
  input  wire        parity_err_resp_i, // Command[6]
  output wire        parity_err_det_o,  // pulse: sets Status[15]

  // Flow control of the command FIFO window
  input  wire [7:0]  fifo_room_i,       // free FIFO slots (combinational from flops)

  // Register interface, all spaces
  output wire [1:0]  acc_space_o,  // SPACE_CFG / SPACE_BAR0 / SPACE_BAR1 / SPACE_BAR2
  output wire [9:0]  acc_addr_o,   // dword offset within the space
  output wire        acc_wr_o,
  output wire        acc_rd_o,
  output wire [3:0]  acc_be_o,     // active high
  output wire [31:0] acc_wdata_o,
  input  wire [31:0] cfg_rdata_i,
  input  wire [31:0] bar0_rdata_i,
  input  wire [31:0] bar1_rdata_i,
  input  wire [31:0] bar2_rdata_i
);

  `include "dirql_regs.vh"

  localparam [1:0] SPACE_CFG  = 2'd0;
  localparam [1:0] SPACE_BAR0 = 2'd1;
  localparam [1:0] SPACE_BAR1 = 2'd2;
  localparam [1:0] SPACE_BAR2 = 2'd3;

  // Bus commands, C/BE#[3:0] in the address phase (3.1.1, Table 3-1).
  localparam [3:0] CMD_IO_READ       = 4'b0010;
  localparam [3:0] CMD_IO_WRITE      = 4'b0011;
  localparam [3:0] CMD_MEM_READ      = 4'b0110;
  localparam [3:0] CMD_MEM_WRITE     = 4'b0111;
  localparam [3:0] CMD_CFG_READ      = 4'b1010;
  localparam [3:0] CMD_CFG_WRITE     = 4'b1011;
  localparam [3:0] CMD_MEM_READ_MULT = 4'b1100;
  localparam [3:0] CMD_MEM_READ_LINE = 4'b1110;
  localparam [3:0] CMD_MEM_WRITE_INV = 4'b1111;

  localparam [9:0] LAST_DWORD = 10'h3FF;  // last dword of the 4 KiB BAR0 and BAR2
  // CMD_FIFO window as dword addresses in BAR0.
  localparam [9:0] FIFO_FIRST = REG_CMD_FIFO[11:2];
  localparam [9:0] FIFO_LAST  = REG_CMD_FIFO_END[11:2];

  // Target state machine.
  localparam [2:0] ST_IDLE  = 3'd0;  // not in a transaction of ours; outputs released
  localparam [2:0] ST_CLAIM = 3'd1;  // decoded, before the first data transfer clock
  localparam [2:0] ST_DATA  = 3'd2;  // DEVSEL# and TRDY# asserted, transferring data
  localparam [2:0] ST_STOP  = 3'd3;  // STOP# without TRDY# until FRAME# is deasserted
  localparam [2:0] ST_TURN  = 3'd4;  // drive DEVSEL#/TRDY#/STOP# high one clock (s/t/s)

  localparam DEVSEL_FAST = (DEVSEL_TIMING == 0);

  // -------------------------------------------------------------------------
  // Address phase decode
  // -------------------------------------------------------------------------
  // FRAME# as sampled on the previous edge. The address phase is the first
  // clock FRAME# is asserted after it was deasserted (3.3.1). IRDY# is not
  // checked so that fast back-to-back transactions are recognized (3.4.2).
  reg frame_prev_q;
  wire addr_phase = !frame_ni && frame_prev_q;

  wire [3:0] cmd = cbe_ni;
  wire cmd_is_mem_rd  = (cmd == CMD_MEM_READ) || (cmd == CMD_MEM_READ_MULT) ||
                        (cmd == CMD_MEM_READ_LINE);
  // Memory Write and Invalidate is a memory write to a target (3.1.1).
  wire cmd_is_mem_wr  = (cmd == CMD_MEM_WRITE) || (cmd == CMD_MEM_WRITE_INV);
  wire cmd_is_io      = (cmd == CMD_IO_READ) || (cmd == CMD_IO_WRITE);
  wire cmd_is_cfg     = (cmd == CMD_CFG_READ) || (cmd == CMD_CFG_WRITE);
  wire cmd_is_write   = cmd_is_mem_wr || (cmd == CMD_IO_WRITE) || (cmd == CMD_CFG_WRITE);

  // Type 0 configuration (3.2.2.3.1): IDSEL asserted and AD[1:0] = 00.
  // AD[10:8] is the function number; as a single-function device we claim
  // function 0 only, so enumeration of functions 1..7 ends in Master-Abort.
  wire cfg_hit  = cmd_is_cfg && idsel_i && (ad_i[1:0] == 2'b00) && (ad_i[10:8] == 3'b000);
  // Memory decode (3.2.2.2, 6.2.5.1): only while Command.Memory Space is set.
  wire mem_cmd  = (cmd_is_mem_rd || cmd_is_mem_wr) && mem_space_en_i;
  wire bar0_hit = mem_cmd && (ad_i[31:12] == bar0_base_i);
  wire bar2_hit = mem_cmd && (ad_i[31:12] == bar2_base_i);
  // I/O decode (3.2.2.1): all 32 address bits are decoded; AD[1:0] name the
  // byte and must agree with the byte enables, which the VGA block decodes.
  wire bar1_hit = cmd_is_io && io_space_en_i && (ad_i[31:5] == bar1_base_i);
  wire claim    = addr_phase && (cfg_hit || bar0_hit || bar1_hit || bar2_hit);

  wire [1:0] claim_space = cfg_hit  ? SPACE_CFG  :
                           bar1_hit ? SPACE_BAR1 :
                           bar0_hit ? SPACE_BAR0 : SPACE_BAR2;
  wire [9:0] claim_addr  = cfg_hit  ? {4'b0000, ad_i[7:2]} :
                           bar1_hit ? {7'b0000000, ad_i[4:2]} : ad_i[11:2];

  // -------------------------------------------------------------------------
  // Transaction state
  // -------------------------------------------------------------------------
  reg [2:0] state_d,     state_q;
  reg       devsel_d,    devsel_q;    // active high internally; pins are _no
  reg       trdy_d,      trdy_q;
  reg       stop_d,      stop_q;
  reg       ctl_oe_d,    ctl_oe_q;
  reg       ad_oe_d,     ad_oe_q;
  reg [9:0] addr_d,      addr_q;      // dword address of the current data phase
  reg [1:0] space_d,     space_q;
  reg       is_write_d,  is_write_q;
  reg       single_d,    single_q;    // at most one data phase (config, I/O, odd burst order)

  // A data phase completes on the edge where IRDY# and TRDY# were both
  // asserted (3.3.1). trdy_q is only set in ST_DATA.
  wire phase_done = trdy_q && !irdy_ni;

  // FIFO window writes: is the given dword of BAR0 in it? (Written out at each use
  // rather than as a function: Verilator gives a function's arguments and result
  // temporaries that it sets up on every clock.)
  // First data phase of the claimed transaction (address in addr_q).
  wire first_fifo  = is_write_q && (space_q == SPACE_BAR0) && (addr_q >= FIFO_FIRST) &&
                     (addr_q <= FIFO_LAST);
  wire first_retry = first_fifo && (fifo_room_i == 8'd0);
  wire first_last  = single_q || (addr_q == LAST_DWORD) ||
                     (first_fifo && (fifo_room_i == 8'd1));
  // Fast write claim: same decisions from the address on AD.
  wire claim_fifo  = cmd_is_write && (claim_space == SPACE_BAR0) && (claim_addr >= FIFO_FIRST) &&
                     (claim_addr <= FIFO_LAST);
  wire claim_retry = claim_fifo && (fifo_room_i == 8'd0);
  wire claim_last  = cfg_hit || bar1_hit || (ad_i[1:0] != 2'b00) ||
                     (claim_addr == LAST_DWORD) || (claim_fifo && (fifo_room_i == 8'd1));
  // Burst continuation: the phase completing now takes one slot (the engine
  // can only free more), so the next phase fits if room > 1 and is the last
  // that fits if room == 2.
  wire [9:0] next_addr  = addr_q + 10'd1;
  wire next_fifo  = is_write_q && (space_q == SPACE_BAR0) && (next_addr >= FIFO_FIRST) &&
                    (next_addr <= FIFO_LAST);
  wire cur_fifo   = first_fifo;
  wire [7:0] room_next = fifo_room_i - (cur_fifo ? 8'd1 : 8'd0);
  wire next_nodata = next_fifo && (room_next == 8'd0);
  wire next_last   = single_q || (next_addr == LAST_DWORD) ||
                     (next_fifo && (room_next == 8'd1));

  always @* begin
    state_d    = state_q;
    devsel_d   = devsel_q;
    trdy_d     = trdy_q;
    stop_d     = stop_q;
    ctl_oe_d   = ctl_oe_q;
    ad_oe_d    = ad_oe_q;
    addr_d     = addr_q;
    space_d    = space_q;
    is_write_d = is_write_q;
    single_d   = single_q;

    case (state_q)
      // ST_TURN accepts a new address phase just like ST_IDLE, because a
      // fast back-to-back transaction may start in the turnaround clock.
      ST_IDLE, ST_TURN: begin
        state_d  = ST_IDLE;
        devsel_d = 1'b0;
        trdy_d   = 1'b0;
        stop_d   = 1'b0;
        ctl_oe_d = 1'b0;  // sustained tri-state after the one high clock
        ad_oe_d  = 1'b0;
        if (claim) begin
          state_d    = ST_CLAIM;
          space_d    = claim_space;
          is_write_d = cmd_is_write;
          // Configuration and I/O: one data phase. Memory burst order
          // AD[1:0] != 00 (cache line wrap, reserved) is not supported:
          // disconnect after the first data phase (3.2.2.2).
          single_d   = cfg_hit || bar1_hit || (ad_i[1:0] != 2'b00);
          addr_d     = claim_addr;
          if (DEVSEL_FAST) begin
            // Fast decode: DEVSEL# in a+1 (3.6.1).
            devsel_d = 1'b1;
            ctl_oe_d = 1'b1;
            if (cmd_is_write) begin
              // A write needs no turnaround: accept data right away (or
              // retry it). FRAME# is asserted in the address phase, so a
              // single-phase transaction gets STOP# with TRDY# here.
              if (claim_retry) begin
                state_d = ST_STOP;
                stop_d  = 1'b1;
              end else begin
                state_d = ST_DATA;
                trdy_d  = 1'b1;
                stop_d  = claim_last;
              end
            end
          end
        end
      end

      // Interval a+1. For reads it is the AD turnaround clock (3.3.1), so the
      // first data can be driven in a+2 at the earliest, for both timings.
      ST_CLAIM: begin
        if (frame_ni && irdy_ni) begin
          // Bus Idle (FRAME# and IRDY# deasserted, 3.3) before any data
          // phase: a master protocol violation. Give up rather than drive
          // TRDY#/AD on an idle bus.
          state_d  = ST_TURN;
          devsel_d = 1'b0;
          ctl_oe_d = devsel_q;  // drive high only if DEVSEL# was driven low
        end else if (first_retry) begin
          // Target retry (3.3.3.2.2): STOP# with DEVSEL#, no TRDY#, no data.
          state_d  = ST_STOP;
          devsel_d = 1'b1;
          stop_d   = 1'b1;
          ctl_oe_d = 1'b1;
        end else begin
          state_d  = ST_DATA;
          devsel_d = 1'b1;
          trdy_d   = 1'b1;
          ctl_oe_d = 1'b1;
          ad_oe_d  = !is_write_q;
          stop_d   = !frame_ni && first_last;
        end
      end

      ST_DATA: begin
        if (phase_done) begin
          if (frame_ni) begin
            // Final data phase done (FRAME# was deasserted): drive the
            // s/t/s signals high for one clock, release AD (turnaround).
            state_d  = ST_TURN;
            devsel_d = 1'b0;
            trdy_d   = 1'b0;
            stop_d   = 1'b0;
            ad_oe_d  = 1'b0;
          end else if (stop_q) begin
            // Disconnect with data: that was the last transfer. Keep STOP#
            // asserted until FRAME# goes away (3.3.3.2.1); keep driving AD on
            // a read until the end of the transaction (3.3.1).
            state_d = ST_STOP;
            trdy_d  = 1'b0;
          end else if (next_nodata) begin
            // The FIFO filled up under a burst: disconnect without data.
            state_d = ST_STOP;
            trdy_d  = 1'b0;
            stop_d  = 1'b1;
          end else begin
            // Linear burst: the next phase is the next dword (3.2.2.2).
            addr_d = next_addr;
            stop_d = next_last;
          end
        end else if (frame_ni && irdy_ni) begin
          // Bus Idle in the middle of a data phase: only a master that
          // violates 3.3.3.1 gets here; end cleanly instead of hanging.
          state_d  = ST_TURN;
          devsel_d = 1'b0;
          trdy_d   = 1'b0;
          stop_d   = 1'b0;
          ad_oe_d  = 1'b0;
        end
      end

      ST_STOP: begin
        // FRAME# deasserted (with IRDY# asserted): the final data phase
        // completes with STOP# at this edge and no data.
        if (frame_ni) begin
          state_d  = ST_TURN;
          devsel_d = 1'b0;
          stop_d   = 1'b0;
          ad_oe_d  = 1'b0;
        end
      end

      default: begin
        state_d  = ST_IDLE;
        devsel_d = 1'b0;
        trdy_d   = 1'b0;
        stop_d   = 1'b0;
        ctl_oe_d = 1'b0;
        ad_oe_d  = 1'b0;
      end
    endcase
  end

  // -------------------------------------------------------------------------
  // Parity (3.7.1, 3.7.4)
  // -------------------------------------------------------------------------
  // PAR is driven one clock after each clock in which we drove AD, and covers
  // AD[31:0] and C/BE#[3:0] of that clock: even parity, so the XOR of all 37
  // lines is 0.
  reg  par_d,       par_q;
  reg  par_oe_d,    par_oe_q;
  // Write data parity check: remember the expected parity of each completed
  // write data phase, compare with PAR one clock later, and assert PERR# one
  // clock after that, i.e. two clocks after the data phase (3.7.4.1).
  reg  perr_chk_d,  perr_chk_q;
  reg  perr_exp_d,  perr_exp_q;
  reg  perr_d,      perr_q;

  wire write_par_err = perr_chk_q && (par_i != perr_exp_q);

  always @* begin
    par_d      = ^{ad_o, cbe_ni};
    par_oe_d   = ad_oe_q;
    perr_chk_d = (state_q == ST_DATA) && phase_done && is_write_q;
    perr_exp_d = ^{ad_i, cbe_ni};
    // Status[15] is set regardless of Command[6]; PERR# only with it set.
    perr_d     = write_par_err && parity_err_resp_i;
  end

  // Async reset: RST# is asynchronous and must float all outputs (4.3.2).
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      frame_prev_q <= 1'b1;
      state_q      <= ST_IDLE;
      devsel_q     <= 1'b0;
      trdy_q       <= 1'b0;
      stop_q       <= 1'b0;
      ctl_oe_q     <= 1'b0;
      ad_oe_q      <= 1'b0;
      addr_q       <= 10'd0;
      space_q      <= SPACE_CFG;
      is_write_q   <= 1'b0;
      single_q     <= 1'b0;
      par_q        <= 1'b0;
      par_oe_q     <= 1'b0;
      perr_chk_q   <= 1'b0;
      perr_exp_q   <= 1'b0;
      perr_q       <= 1'b0;
    end else begin
      frame_prev_q <= frame_ni;
      // Idle and not claiming: every _d of the state machine equals its _q (ST_IDLE is
      // entered from ST_TURN, which releases everything, or from reset), so the copy is
      // skipped.
      if ((state_q != ST_IDLE) || claim) begin
        state_q      <= state_d;
        devsel_q     <= devsel_d;
        trdy_q       <= trdy_d;
        stop_q       <= stop_d;
        ctl_oe_q     <= ctl_oe_d;
        ad_oe_q      <= ad_oe_d;
        addr_q       <= addr_d;
        space_q      <= space_d;
        is_write_q   <= is_write_d;
        single_q     <= single_d;
      end
      par_q        <= par_d;
      par_oe_q     <= par_oe_d;
      perr_chk_q   <= perr_chk_d;
      perr_exp_q   <= perr_exp_d;
      perr_q       <= perr_d;
    end
  end

  // -------------------------------------------------------------------------
  // Outputs
  // -------------------------------------------------------------------------
  // AD carries read data only while we drive it, so a waveform of ad_o is
  // not mistaken for bus data.
  reg [31:0] rdata;
  always @* begin
    case (space_q)
      SPACE_CFG:  rdata = cfg_rdata_i;
      SPACE_BAR0: rdata = bar0_rdata_i;
      SPACE_BAR1: rdata = bar1_rdata_i;
      default:    rdata = bar2_rdata_i;
    endcase
  end
  assign ad_o      = ad_oe_q ? rdata : 32'h0000_0000;
  assign ad_oe_o   = ad_oe_q;
  assign par_o     = par_q;
  assign par_oe_o  = par_oe_q;
  assign trdy_no   = !trdy_q;
  assign devsel_no = !devsel_q;
  assign stop_no   = !stop_q;
  assign ctl_oe_o  = ctl_oe_q;
  assign perr_no   = !perr_q;

  assign parity_err_det_o = write_par_err;

  // Accesses: byte enables of the completing phase (C/BE# is valid in every
  // data phase, 3.2.2); only enabled bytes are written.
  wire done_phase = (state_q == ST_DATA) && phase_done;

  assign acc_space_o = space_q;
  assign acc_addr_o  = addr_q;
  assign acc_wr_o    = done_phase && is_write_q;
  assign acc_rd_o    = done_phase && !is_write_q;
  assign acc_be_o    = ~cbe_ni;
  assign acc_wdata_o = ad_i;

endmodule

`default_nettype wire
