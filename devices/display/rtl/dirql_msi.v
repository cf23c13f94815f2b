// dirql_msi -- MSI message writer of the dirql adapter (PCI 3.0 6.8.3).
//
// With MSI Enable set, every source that becomes pending and enabled (a
// rising edge of dirql_irq's pending_o bit) queues one message. With Bus
// Master set, the writer requests the bus (REQ#), and once GNT# is sampled
// asserted on an idle bus it masters a single-dword Memory Write: address
// phase with the Message Address, one data phase with the Message Data whose
// low MME bits carry the vector (the source's bit number, limited to the
// vectors allocated; 6.8.3.4). Lowest source first.
//
// No REQ# while hold_i is set (the adapter's timed programming window is
// open): the adapter never masters its own message into the middle of the
// register sequence it is timing. A request already made is withdrawn if it
// was not granted yet; the message waits at most the window's length.
//
// Termination as a master (3.3.3): TRDY# completes the message; STOP#
// without TRDY# (retry/disconnect) ends the attempt and the message is tried
// again; no DEVSEL# by the fifth clock after the address is Master-Abort: the
// message is dropped and Status[13] set (master_abort_o).
//
// Bus outputs are flops (3.10); PAR follows every clock we drove AD (3.7.1).
`default_nettype none

module dirql_msi (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Configuration
  input  wire        msi_en_i,
  input  wire [2:0]  mme_i,
  input  wire [31:0] msi_addr_i,
  input  wire [15:0] msi_data_i,
  input  wire        bus_master_en_i,
  input  wire        hold_i,           // do not request the bus (timed window open)

  // Sources (pending & enabled, per bit)
  input  wire [4:0]  pending_i,

  // Resolved bus
  input  wire        frame_ni,
  input  wire        irdy_ni,
  input  wire        trdy_ni,
  input  wire        devsel_ni,
  input  wire        stop_ni,
  input  wire        gnt_ni,

  // Master drives
  output wire        req_no,
  output wire        mst_oe_o,     // drive FRAME#/IRDY#/C/BE#
  output wire        frame_no,
  output wire        irdy_no,
  output wire [3:0]  cbe_no,
  output wire [31:0] ad_o,
  output wire        ad_oe_o,
  output wire        par_o,
  output wire        par_oe_o,

  // Events
  output wire        master_abort_o,  // one clock
  output wire        sent_o,          // one clock: a message completed
  output wire [4:0]  queued_o         // messages waiting, one bit per source
);

  localparam [3:0] CMD_MEM_WRITE = 4'b0111;  // 3.1.1

  localparam [2:0] M_IDLE = 3'd0;
  localparam [2:0] M_REQ  = 3'd1;  // REQ# asserted, waiting for GNT# and an idle bus
  localparam [2:0] M_ADDR = 3'd2;  // address phase on the bus
  localparam [2:0] M_DATA = 3'd3;  // IRDY# asserted, waiting for the target
  localparam [2:0] M_TURN = 3'd4;  // IRDY# driven high one clock, then released

  reg [2:0]  state_d,  state_q;
  reg [4:0]  queue_d,  queue_q;
  reg [4:0]  prev_d,   prev_q;     // pending_i of the previous clock
  reg        req_d,    req_q;
  reg        oe_d,     oe_q;
  reg        frame_d,  frame_q;    // active high internally
  reg        irdy_d,   irdy_q;
  reg [3:0]  cbe_d,    cbe_q;      // the C/BE# value (active low on the bus)
  reg [31:0] ad_d,     ad_q;
  reg        ad_oe_d,  ad_oe_q;
  reg        par_d,    par_q;
  reg        par_oe_d, par_oe_q;
  reg [2:0]  cnt_d,    cnt_q;      // clocks since the address phase, minus one
  reg [2:0]  vec_d,    vec_q;      // source of the message on the bus
  reg        mabort;
  reg        sent;

  // Lowest queued source.
  reg [2:0] first;
  always @* begin
    first = 3'd0;
    if      (queue_q[0]) first = 3'd0;
    else if (queue_q[1]) first = 3'd1;
    else if (queue_q[2]) first = 3'd2;
    else if (queue_q[3]) first = 3'd3;
    else if (queue_q[4]) first = 3'd4;
  end

  // Vector = source number, limited to 2^MME - 1; it replaces the low MME
  // bits of the Message Data.
  wire [15:0] vmask  = ~(16'hFFFF << mme_i);
  wire [15:0] vec16  = ({13'd0, vec_q} > vmask) ? vmask : {13'd0, vec_q};
  wire [31:0] msg    = {16'h0000, (msi_data_i & ~vmask) | vec16};
  wire [4:0]  vec_bit = 5'b00001 << vec_q;

  always @* begin
    state_d  = state_q;
    queue_d  = queue_q | (pending_i & ~prev_q);
    prev_d   = pending_i;
    req_d    = req_q;
    oe_d     = oe_q;
    frame_d  = frame_q;
    irdy_d   = irdy_q;
    cbe_d    = cbe_q;
    ad_d     = ad_q;
    ad_oe_d  = ad_oe_q;
    cnt_d    = cnt_q;
    vec_d    = vec_q;
    mabort   = 1'b0;
    sent     = 1'b0;
    par_d    = ^{ad_q, cbe_q};
    par_oe_d = ad_oe_q;

    case (state_q)
      M_IDLE: begin
        if ((queue_q != 5'd0) && bus_master_en_i && !hold_i) begin
          state_d = M_REQ;
          req_d   = 1'b1;
        end
      end

      M_REQ: begin
        if (queue_q == 5'd0 || !bus_master_en_i || hold_i) begin
          state_d = M_IDLE;
          req_d   = 1'b0;
        end else if (!gnt_ni && frame_ni && irdy_ni) begin
          // Granted on an idle bus (3.4.1): address phase next interval.
          state_d = M_ADDR;
          req_d   = 1'b0;   // one transaction only
          oe_d    = 1'b1;
          frame_d = 1'b1;
          cbe_d   = CMD_MEM_WRITE;
          ad_d    = msi_addr_i;
          ad_oe_d = 1'b1;
          vec_d   = first;
        end
      end

      M_ADDR: begin
        // Single data phase: FRAME# deasserted with IRDY# asserted.
        state_d = M_DATA;
        frame_d = 1'b0;
        irdy_d  = 1'b1;
        cbe_d   = 4'b0000;  // all four bytes (6.8.3.4: DWORD write)
        ad_d    = msg;
        cnt_d   = 3'd0;
      end

      M_DATA: begin
        cnt_d = cnt_q + 3'd1;
        if (!trdy_ni) begin
          sent    = 1'b1;
          queue_d = (queue_q & ~vec_bit) | (pending_i & ~prev_q);
          state_d = M_TURN;
          irdy_d  = 1'b0;
          ad_oe_d = 1'b0;
          cbe_d   = 4'b1111;
        end else if (!stop_ni) begin
          // Retry / disconnect without data: try the same message again.
          state_d = M_TURN;
          irdy_d  = 1'b0;
          ad_oe_d = 1'b0;
          cbe_d   = 4'b1111;
        end else if (devsel_ni && (cnt_q == 3'd3)) begin
          // No DEVSEL# in a+1..a+4 (3.3.3.1): Master-Abort, drop it.
          mabort  = 1'b1;
          queue_d = (queue_q & ~vec_bit) | (pending_i & ~prev_q);
          state_d = M_TURN;
          irdy_d  = 1'b0;
          ad_oe_d = 1'b0;
          cbe_d   = 4'b1111;
        end
      end

      M_TURN: begin
        state_d = M_IDLE;
        oe_d    = 1'b0;
      end

      default: begin
        state_d = M_IDLE;
        oe_d    = 1'b0;
        req_d   = 1'b0;
      end
    endcase

    // MSI disabled: nothing is queued (INTA# is used instead).
    if (!msi_en_i) queue_d = 5'd0;
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q  <= M_IDLE;
      queue_q  <= 5'd0;
      prev_q   <= 5'd0;
      req_q    <= 1'b0;
      oe_q     <= 1'b0;
      frame_q  <= 1'b0;
      irdy_q   <= 1'b0;
      cbe_q    <= 4'b1111;
      ad_q     <= 32'h0;
      ad_oe_q  <= 1'b0;
      par_q    <= 1'b0;
      par_oe_q <= 1'b0;
      cnt_q    <= 3'd0;
      vec_q    <= 3'd0;
    end else begin
      prev_q   <= prev_d;
      // Idle with nothing queued and no new rising edge of a source: every
      // other _d equals its _q (M_IDLE holds them), so the copy is skipped.
      // PAR and its enable too: ad_q, cbe_q and ad_oe_q change only on
      // leaving M_REQ, M_ADDR or M_DATA, so in M_IDLE the parity flops have
      // followed them for at least one clock already.
      if ((state_q != M_IDLE) || (queue_q != 5'd0) || ((pending_i & ~prev_q) != 5'd0)) begin
        par_q    <= par_d;
        par_oe_q <= par_oe_d;
        state_q  <= state_d;
        queue_q  <= queue_d;
        req_q    <= req_d;
        oe_q     <= oe_d;
        frame_q  <= frame_d;
        irdy_q   <= irdy_d;
        cbe_q    <= cbe_d;
        ad_q     <= ad_d;
        ad_oe_q  <= ad_oe_d;
        cnt_q    <= cnt_d;
        vec_q    <= vec_d;
      end
    end
  end

  assign req_no         = !req_q;
  assign mst_oe_o       = oe_q;
  assign frame_no       = !frame_q;
  assign irdy_no        = !irdy_q;
  assign cbe_no         = cbe_q;
  assign ad_o           = ad_oe_q ? ad_q : 32'h0000_0000;
  assign ad_oe_o        = ad_oe_q;
  assign par_o          = par_q;
  assign par_oe_o       = par_oe_q;
  assign master_abort_o = mabort;
  assign sent_o         = sent;
  assign queued_o       = queue_q;

endmodule

`default_nettype wire
