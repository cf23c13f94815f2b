// nic_pci_target -- conventional 32-bit PCI target of the dirql network
// adapter (PCI Local Bus Spec 3.0, ch. 3): type-0 configuration (function 0)
// and one 4 KiB memory BAR. Every completed data phase becomes a one-clock
// access on the register interface (acc_*), tagged configuration or BAR0.
//
// Same conventions as rtl/pci_target.v of the display adapter, without its
// I/O BAR, framebuffer BAR and command-FIFO flow control (which is why this is
// a separate file rather than an instance of that one).
//
// Timing (interval a = the clock in which FRAME# is first asserted with the
// address; interval k is sampled by every agent at rising edge k+1):
//
//   DEVSEL_TIMING   | DEVSEL# asserted | TRDY#, write | TRDY# + AD, read
//   0 (fast)        | a+1              | a+1          | a+2 (a+1 = turnaround)
//   1 (medium)      | a+2              | a+2          | a+2
//
// No wait states after that. Disconnect with data (STOP# with TRDY#) on a
// configuration access, on the last dword of BAR0 and on a memory burst with
// AD[1:0] != 00 (3.2.2.2). The target never retries and never target-aborts.
//
// All bus outputs are flops or combinational from flops only (3.10), never
// from bus inputs: the device sees the resolved bus that includes its own
// drive.
//
// Register interface: read data must be a combinational function of
// acc_addr_o and flops; writes (acc_wr_o) are one-clock strobes valid on the
// edge at which the data phase completes (IRDY# and TRDY# both asserted).
`default_nettype none

module nic_pci_target #(
  parameter integer DEVSEL_TIMING = 1   // 0 = fast, 1 = medium (3.6.1)
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // PCI bus inputs (resolved)
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
  output wire        ctl_oe_o,
  output wire        perr_no,

  // Configuration
  input  wire [19:0] bar0_base_i,       // BAR0 address bits [31:12]
  input  wire        mem_space_en_i,    // Command[1]
  input  wire        parity_err_resp_i, // Command[6]
  output wire        parity_err_det_o,  // pulse: sets Status[15]

  // Register interface
  output wire        acc_cfg_o,    // 1 = configuration space, 0 = BAR0
  output wire [9:0]  acc_addr_o,   // dword offset
  output wire        acc_wr_o,
  output wire [3:0]  acc_be_o,     // active high
  output wire [31:0] acc_wdata_o,
  input  wire [31:0] cfg_rdata_i,
  input  wire [31:0] bar0_rdata_i
);

  // Bus commands (3.1.1, Table 3-1).
  localparam [3:0] CMD_MEM_READ      = 4'b0110;
  localparam [3:0] CMD_MEM_WRITE     = 4'b0111;
  localparam [3:0] CMD_CFG_READ      = 4'b1010;
  localparam [3:0] CMD_CFG_WRITE     = 4'b1011;
  localparam [3:0] CMD_MEM_READ_MULT = 4'b1100;
  localparam [3:0] CMD_MEM_READ_LINE = 4'b1110;
  localparam [3:0] CMD_MEM_WRITE_INV = 4'b1111;

  localparam [9:0] LAST_DWORD = 10'h3FF;

  localparam [2:0] ST_IDLE  = 3'd0;  // released
  localparam [2:0] ST_CLAIM = 3'd1;  // decoded, before the first data clock
  localparam [2:0] ST_DATA  = 3'd2;  // DEVSEL# and TRDY# asserted
  localparam [2:0] ST_STOP  = 3'd3;  // STOP# without TRDY# until FRAME# is deasserted
  localparam [2:0] ST_TURN  = 3'd4;  // s/t/s driven high one clock

  localparam DEVSEL_FAST = (DEVSEL_TIMING == 0);

  // -------------------------------------------------------------------------
  // Address phase decode
  // -------------------------------------------------------------------------
  reg  frame_prev_q;
  wire addr_phase = !frame_ni && frame_prev_q;

  wire [3:0] cmd = cbe_ni;
  wire cmd_is_mem_rd = (cmd == CMD_MEM_READ) || (cmd == CMD_MEM_READ_MULT) ||
                       (cmd == CMD_MEM_READ_LINE);
  wire cmd_is_mem_wr = (cmd == CMD_MEM_WRITE) || (cmd == CMD_MEM_WRITE_INV);
  wire cmd_is_cfg    = (cmd == CMD_CFG_READ) || (cmd == CMD_CFG_WRITE);
  wire cmd_is_write  = cmd_is_mem_wr || (cmd == CMD_CFG_WRITE);

  // Type 0 configuration (3.2.2.3.1), function 0 only.
  wire cfg_hit  = cmd_is_cfg && idsel_i && (ad_i[1:0] == 2'b00) && (ad_i[10:8] == 3'b000);
  wire bar0_hit = (cmd_is_mem_rd || cmd_is_mem_wr) && mem_space_en_i &&
                  (ad_i[31:12] == bar0_base_i);
  wire claim    = addr_phase && (cfg_hit || bar0_hit);
  wire [9:0] claim_addr = cfg_hit ? {4'b0000, ad_i[7:2]} : ad_i[11:2];
  wire claim_last = cfg_hit || (ad_i[1:0] != 2'b00) || (claim_addr == LAST_DWORD);

  // -------------------------------------------------------------------------
  // Transaction state
  // -------------------------------------------------------------------------
  reg [2:0] state_d,    state_q;
  reg       devsel_d,   devsel_q;
  reg       trdy_d,     trdy_q;
  reg       stop_d,     stop_q;
  reg       ctl_oe_d,   ctl_oe_q;
  reg       ad_oe_d,    ad_oe_q;
  reg [9:0] addr_d,     addr_q;
  reg       cfg_d,      cfg_q;
  reg       is_write_d, is_write_q;
  reg       single_d,   single_q;

  wire phase_done = trdy_q && !irdy_ni;
  wire [9:0] next_addr = addr_q + 10'd1;
  wire first_last = single_q || (addr_q == LAST_DWORD);
  wire next_last  = single_q || (next_addr == LAST_DWORD);

  always @* begin
    state_d    = state_q;
    devsel_d   = devsel_q;
    trdy_d     = trdy_q;
    stop_d     = stop_q;
    ctl_oe_d   = ctl_oe_q;
    ad_oe_d    = ad_oe_q;
    addr_d     = addr_q;
    cfg_d      = cfg_q;
    is_write_d = is_write_q;
    single_d   = single_q;

    case (state_q)
      // A fast back-to-back transaction may start in the turnaround clock.
      ST_IDLE, ST_TURN: begin
        state_d  = ST_IDLE;
        devsel_d = 1'b0;
        trdy_d   = 1'b0;
        stop_d   = 1'b0;
        ctl_oe_d = 1'b0;
        ad_oe_d  = 1'b0;
        if (claim) begin
          state_d    = ST_CLAIM;
          cfg_d      = cfg_hit;
          is_write_d = cmd_is_write;
          single_d   = cfg_hit || (ad_i[1:0] != 2'b00);
          addr_d     = claim_addr;
          if (DEVSEL_FAST) begin
            devsel_d = 1'b1;
            ctl_oe_d = 1'b1;
            if (cmd_is_write) begin
              // No turnaround on a write: accept data in a+1.
              state_d = ST_DATA;
              trdy_d  = 1'b1;
              stop_d  = claim_last;
            end
          end
        end
      end

      // Interval a+1 (the AD turnaround of a read, 3.3.1).
      ST_CLAIM: begin
        if (frame_ni && irdy_ni) begin
          // Bus idle before any data phase: master protocol violation.
          state_d  = ST_TURN;
          devsel_d = 1'b0;
          ctl_oe_d = devsel_q;
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
            state_d  = ST_TURN;
            devsel_d = 1'b0;
            trdy_d   = 1'b0;
            stop_d   = 1'b0;
            ad_oe_d  = 1'b0;
          end else if (stop_q) begin
            // Disconnect with data: STOP# until FRAME# goes (3.3.3.2.1).
            state_d = ST_STOP;
            trdy_d  = 1'b0;
          end else begin
            addr_d = next_addr;
            stop_d = next_last;
          end
        end else if (frame_ni && irdy_ni) begin
          state_d  = ST_TURN;
          devsel_d = 1'b0;
          trdy_d   = 1'b0;
          stop_d   = 1'b0;
          ad_oe_d  = 1'b0;
        end
      end

      ST_STOP: begin
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
  // Parity (3.7.1, 3.7.4): PAR one clock after every clock we drove AD; PERR#
  // two clocks after a write data phase with bad parity.
  // -------------------------------------------------------------------------
  reg par_q, par_oe_q, perr_chk_q, perr_exp_q, perr_q;
  wire write_par_err = perr_chk_q && (par_i != perr_exp_q);

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
      cfg_q        <= 1'b0;
      is_write_q   <= 1'b0;
      single_q     <= 1'b0;
      par_q        <= 1'b0;
      par_oe_q     <= 1'b0;
      perr_chk_q   <= 1'b0;
      perr_exp_q   <= 1'b0;
      perr_q       <= 1'b0;
    end else begin
      frame_prev_q <= frame_ni;
      state_q      <= state_d;
      devsel_q     <= devsel_d;
      trdy_q       <= trdy_d;
      stop_q       <= stop_d;
      ctl_oe_q     <= ctl_oe_d;
      ad_oe_q      <= ad_oe_d;
      addr_q       <= addr_d;
      cfg_q        <= cfg_d;
      is_write_q   <= is_write_d;
      single_q     <= single_d;
      par_q        <= ^{ad_o, cbe_ni};
      par_oe_q     <= ad_oe_q;
      perr_chk_q   <= (state_q == ST_DATA) && phase_done && is_write_q;
      perr_exp_q   <= ^{ad_i, cbe_ni};
      perr_q       <= write_par_err && parity_err_resp_i;
    end
  end

  // -------------------------------------------------------------------------
  // Outputs
  // -------------------------------------------------------------------------
  wire [31:0] rdata = cfg_q ? cfg_rdata_i : bar0_rdata_i;
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

  assign acc_cfg_o   = cfg_q;
  assign acc_addr_o  = addr_q;
  assign acc_wr_o    = (state_q == ST_DATA) && phase_done && is_write_q;
  assign acc_be_o    = ~cbe_ni;
  assign acc_wdata_o = ad_i;

endmodule

`default_nettype wire
