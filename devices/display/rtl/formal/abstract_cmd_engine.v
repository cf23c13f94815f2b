// dirql_cmd_engine (formal abstraction) -- replaces rtl/dirql_cmd_engine.v in
// the formal runs only (scripts/formal.sh reads this file instead of it).
//
// Why: the engine holds a 16 x 32 FIFO and FILL/COPY counters that no
// interrupt or PCI protocol property depends on. Here every output is a
// free flop (a new unconstrained value each clock, never a function of the
// bus inputs of the same clock, as the real engine's outputs are flops or
// functions of flops), so:
//   * FIFO room is arbitrary, and target retry / disconnect on the
//     CMD_FIFO window is reachable in a few clocks instead of after 16
//     pushes, so the retry properties are exercised, not vacuous;
//   * CMD_DONE, CMD_ERROR and FIFO_LOW events arrive at any clock.
// A property proven with this engine holds for the real one, whose
// behaviour is one of the behaviours allowed here.
`default_nettype none

module dirql_cmd_engine (
  input  wire        clk_i,
  input  wire        rst_ni,

  input  wire        push_i,
  input  wire [31:0] push_data_i,
  input  wire        reset_i,
  input  wire [7:0]  low_wm_i,

  input  wire        fb_busy_i,
  output wire        fb_we_o,
  output wire [9:0]  fb_waddr_o,
  output wire [31:0] fb_wdata_o,
  output wire [9:0]  fb_raddr_o,
  input  wire [31:0] fb_rdata_i,

  output wire [7:0]  level_o,
  output wire [7:0]  room_o,
  output wire        busy_o,
  output wire        stopped_o,
  output wire [31:0] fence_value_o,
  output wire        done_o,
  output wire        error_o,
  output wire        fifo_low_o
);

  reg [7:0]  level_q, room_q;
  reg        busy_q, stopped_q, done_q, error_q, fifo_low_q, fb_we_q;
  reg [9:0]  fb_waddr_q, fb_raddr_q;
  reg [31:0] fb_wdata_q, fence_q;
  always @(posedge clk_i) begin
    level_q    <= $anyseq;
    room_q     <= $anyseq;
    busy_q     <= $anyseq;
    stopped_q  <= $anyseq;
    done_q     <= $anyseq;
    error_q    <= $anyseq;
    fifo_low_q <= $anyseq;
    fb_we_q    <= $anyseq;
    fb_waddr_q <= $anyseq;
    fb_raddr_q <= $anyseq;
    fb_wdata_q <= $anyseq;
    fence_q    <= $anyseq;
  end

  assign level_o       = level_q;
  assign room_o        = room_q;
  assign busy_o        = busy_q;
  assign stopped_o     = stopped_q;
  assign fence_value_o = fence_q;
  assign done_o        = done_q;
  assign error_o       = error_q;
  assign fifo_low_o    = fifo_low_q;
  assign fb_we_o       = fb_we_q;
  assign fb_waddr_o    = fb_waddr_q;
  assign fb_wdata_o    = fb_wdata_q;
  assign fb_raddr_o    = fb_raddr_q;

  wire unused_ok = &{1'b0, rst_ni, push_i, push_data_i, reset_i, low_wm_i, fb_busy_i, fb_rdata_i};

endmodule

`default_nettype wire
