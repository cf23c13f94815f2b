// vga_timing -- v0 frame timing generator of the dirql adapter.
//
// Not a real raster yet: a free-running cycle counter whose period is
// REG_FRAME_PERIOD. What matters for the interrupt path is that the adapter
// has a periodic, free-running event source (vertical retrace) that is not
// synchronized with anything the driver does.
`default_nettype none

module vga_timing (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Configuration (REG_FRAME_PERIOD, already clamped to >= 16 by dirql_regs)
  input  wire [31:0] frame_period_i,

  // Timing outputs
  output wire        vretrace_pulse_o,  // one clock: the last cycle of a frame
  output wire        vretrace_o,        // level: the last 8 cycles of a frame
  output wire [31:0] frame_count_o      // frames completed since reset
);

  reg [31:0] cycle_d,       cycle_q;        // cycle within the current frame
  reg [31:0] frame_count_d, frame_count_q;

  wire [31:0] last_cycle = frame_period_i - 32'd1;
  // ">=" rather than "==" so that shrinking the period below the current
  // position ends the frame at once instead of counting through 2^32.
  wire frame_end = (cycle_q >= last_cycle);

  always @* begin
    cycle_d       = cycle_q + 32'd1;
    frame_count_d = frame_count_q;
    if (frame_end) begin
      cycle_d       = 32'd0;
      frame_count_d = frame_count_q + 32'd1;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cycle_q       <= 32'd0;
      frame_count_q <= 32'd0;
    end else begin
      cycle_q       <= cycle_d;
      frame_count_q <= frame_count_d;
    end
  end

  // Combinational from flops: the pulse is high during the last cycle of the
  // frame, so INT_RAW[VBLANK] and FRAME_COUNT both change at the edge that
  // ends that cycle.
  assign vretrace_pulse_o = frame_end;
  assign vretrace_o       = (cycle_q >= (frame_period_i - 32'd8));
  assign frame_count_o    = frame_count_q;

endmodule

`default_nettype wire
