// vga_timing -- raster timing generator of the dirql adapter, driven by the
// CRTC registers (dirql_vga_io). One character = one PCI clock.
//
// A horizontal counter runs 0 .. htotal-1, a line counter 0 .. vtotal-1.
// Lines vss .. vss+n-1 are the vertical retrace, where n = (vse - vss) mod 16
// (0 means 16), the VGA rule that vertical sync end is compared on 4 bits.
// The vertical interrupt event is the clock that enters line vss (its pulse
// is high in the last clock before it), which is also when FRAME_COUNT
// increments.
//
// Reset puts the raster at the start of line DEF_VSS without an event, so
// the first retrace event comes one whole default frame (2000 clocks) after
// reset, exactly as in v0 (the vblank scenario relies on it).
`default_nettype none

module vga_timing (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // CRTC timing (registers of dirql_vga_io)
  input  wire [7:0]  htotal_i,
  input  wire [7:0]  hdisp_i,
  input  wire [7:0]  vtotal_i,
  input  wire [7:0]  vdisp_i,
  input  wire [7:0]  vss_i,
  input  wire [3:0]  vse_i,

  // Timing outputs
  output wire        vretrace_pulse_o,  // one clock: the last clock before retrace starts
  output wire        vretrace_o,        // level: inside the vertical retrace lines
  output wire        display_off_o,     // level: horizontal or vertical blanking
  output wire [15:0] frame_cycles_o,    // htotal * vtotal as programmed (after clamping)
  output wire [31:0] frame_count_o      // retraces since reset
);

  `include "dirql_regs.vh"

  // Totals below 2 would make the counters degenerate; count them as 2.
  wire [7:0] htot = (htotal_i < 8'd2) ? 8'd2 : htotal_i;
  wire [7:0] vtot = (vtotal_i < 8'd2) ? 8'd2 : vtotal_i;

  reg [7:0]  h_d,           h_q;
  reg [7:0]  v_d,           v_q;
  reg [31:0] frame_count_d, frame_count_q;

  // ">=" rather than "==" so that shrinking a total below the current
  // position ends the line/frame at once instead of counting through 255.
  wire line_end  = (h_q >= htot - 8'd1);
  wire frame_end = (v_q >= vtot - 8'd1);
  wire [7:0] v_next = frame_end ? 8'd0 : v_q + 8'd1;
  wire retrace_start = line_end && (v_next == vss_i);

  always @* begin
    h_d           = h_q + 8'd1;
    v_d           = v_q;
    frame_count_d = frame_count_q;
    if (line_end) begin
      h_d = 8'd0;
      v_d = v_next;
    end
    if (retrace_start) frame_count_d = frame_count_q + 32'd1;
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      h_q           <= 8'd0;
      v_q           <= DEF_VSS;
      frame_count_q <= 32'd0;
    end else begin
      h_q           <= h_d;
      v_q           <= v_d;
      frame_count_q <= frame_count_d;
    end
  end

  // Retrace length on 4 bits (VGA): lines since vss below (vse - vss) mod 16.
  wire [7:0] since_vss = v_q - vss_i;
  wire [3:0] vs_len    = vse_i - vss_i[3:0];
  wire       in_vs     = (v_q >= vss_i) &&
                         ((vs_len == 4'd0) ? (since_vss < 8'd16) : (since_vss < {4'd0, vs_len}));

  assign vretrace_pulse_o = retrace_start;
  assign vretrace_o       = in_vs;
  assign display_off_o    = (h_q >= hdisp_i) || (v_q >= vdisp_i);
  assign frame_cycles_o   = {8'd0, htot} * {8'd0, vtot};
  assign frame_count_o    = frame_count_q;

endmodule

`default_nettype wire
