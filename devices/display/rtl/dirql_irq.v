// dirql_irq -- interrupt block of the dirql adapter: INT_RAW, INT_ENABLE,
// INT_STATUS over the five sources, the VGA vertical interrupt latch, and the
// level that drives INTA# (PCI 3.0 2.2.6) or, with MSI enabled, the MSI
// master's request edges (6.8.3.5).
//
// INT_RAW[VBLANK] is the VGA vertical interrupt latch (semantics.md 4): it
// latches at the start of vertical retrace while CR11[4] = 1, is held clear
// while CR11[4] = 0, and (parameter VINT_W1C = 1) is also cleared by a W1C of
// INT_STATUS[0]. It reaches INTA# only with CR11[5] = 0 and INT_ENABLE[0] = 1.
// The other bits latch on their event and are cleared by W1C; an event in
// the same clock as its W1C wins, so it is never lost.
//
// Dismissal latency (fixed by construction): INT_RAW, INT_ENABLE, CR11 and
// Command[10] are flops and the pending level is combinational from them, so
// INTA# rises in the interval right after the edge at which the
// acknowledging data phase (W1C of INT_STATUS, INT_ENABLE write, CR11 write
// through 3D5h, or Interrupt Disable) completed: DISMISS_LATENCY_CYCLES = 1.
`default_nettype none

module dirql_irq #(
  parameter integer VINT_W1C = 1  // 1: W1C of INT_STATUS[0] also clears the vertical latch
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Register writes (decoded by dirql_regs, byte lane 0 only)
  input  wire        status_w1c_i,      // write to INT_STATUS with lane 0 enabled
  input  wire        enable_wr_i,       // write to INT_ENABLE with lane 0 enabled
  input  wire [4:0]  wdata_i,

  // Sources
  input  wire        vretrace_start_i,  // raster enters the first retrace line
  input  wire [7:0]  cr11_i,
  input  wire        cmd_done_i,
  input  wire        cmd_error_i,
  input  wire        fifo_low_i,
  input  wire        seq_error_i,

  // State
  output wire [4:0]  int_raw_o,
  output wire [4:0]  int_enable_o,
  output wire [4:0]  int_status_o,      // INT_RAW & INT_ENABLE (register view)
  output wire [4:0]  pending_o,         // what may interrupt: status, VBLANK also needs CR11[5] = 0
  output wire        vint_pending_o     // Input Status 0 [7]
);

  `include "dirql_regs.vh"

  reg [INT_NUM_BITS-1:0] int_raw_d,    int_raw_q;
  reg [INT_NUM_BITS-1:0] int_enable_d, int_enable_q;

  wire [INT_NUM_BITS-1:0] clear = status_w1c_i ? wdata_i : {INT_NUM_BITS{1'b0}};
  wire [INT_NUM_BITS-1:0] event_set;
  assign event_set[INT_VBLANK_BIT]    = vretrace_start_i && cr11_i[CR11_REARM_BIT];
  assign event_set[INT_CMD_DONE_BIT]  = cmd_done_i;
  assign event_set[INT_CMD_ERROR_BIT] = cmd_error_i;
  assign event_set[INT_FIFO_LOW_BIT]  = fifo_low_i;
  assign event_set[INT_SEQ_ERROR_BIT] = seq_error_i;

  // Bits that a W1C may clear: all but VBLANK unless VINT_W1C.
  localparam [INT_NUM_BITS-1:0] W1C_MASK =
      (VINT_W1C != 0) ? {INT_NUM_BITS{1'b1}} : ~({{(INT_NUM_BITS-1){1'b0}}, 1'b1} << INT_VBLANK_BIT);

  always @* begin
    int_raw_d    = (int_raw_q & ~(clear & W1C_MASK)) | event_set;
    int_enable_d = int_enable_q;
    // CR11[4] = 0 holds the vertical latch clear (VGA).
    if (!cr11_i[CR11_REARM_BIT]) int_raw_d[INT_VBLANK_BIT] = 1'b0;
    if (enable_wr_i) int_enable_d = wdata_i;
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      int_raw_q    <= {INT_NUM_BITS{1'b0}};
      int_enable_q <= {INT_NUM_BITS{1'b0}};
    end else begin
      int_raw_q    <= int_raw_d;
      int_enable_q <= int_enable_d;
    end
  end

  // CR11[4] = 0 clears the latch at once: the flop follows one clock later,
  // but every view of it is gated here so that a CR11 write has the same
  // one-clock dismissal latency as a W1C.
  wire [INT_NUM_BITS-1:0] raw_gate =
      ~({{(INT_NUM_BITS-1){1'b0}}, !cr11_i[CR11_REARM_BIT]} << INT_VBLANK_BIT);
  wire [INT_NUM_BITS-1:0] raw    = int_raw_q & raw_gate;
  wire [INT_NUM_BITS-1:0] status = raw & int_enable_q;
  wire [INT_NUM_BITS-1:0] vint_gate =
      ~({{(INT_NUM_BITS-1){1'b0}}, cr11_i[CR11_DISABLE_BIT]} << INT_VBLANK_BIT);

  assign int_raw_o      = raw;
  assign int_enable_o   = int_enable_q;
  assign int_status_o   = status;
  assign pending_o      = status & vint_gate;
  assign vint_pending_o = raw[INT_VBLANK_BIT];

endmodule

`default_nettype wire
