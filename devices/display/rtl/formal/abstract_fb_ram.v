// dirql_fb_ram (formal abstraction) -- replaces rtl/dirql_fb_ram.v in the
// formal runs only (scripts/formal.sh reads this file instead of it).
//
// Why: the 1024 x 32 RAM is 32 Kib of state that no interrupt or PCI
// protocol property depends on, and it makes every solver step slower.
// Every read port returns a fresh unconstrained value each clock, so the
// proofs hold for any framebuffer contents (an over-approximation: a
// property proven here holds for the real RAM). The PCI target drives
// BAR2 read data from port A; PAR is checked against whatever AD carries.
`default_nettype none

module dirql_fb_ram (
  input  wire        clk_i,

  // Write port (ignored: the contents are free)
  input  wire        we_i,
  input  wire [9:0]  waddr_i,
  input  wire [3:0]  wbe_i,
  input  wire [31:0] wdata_i,

  // Read ports
  input  wire [9:0]  raddr_a_i,
  output wire [31:0] rdata_a_o,
  input  wire [9:0]  raddr_b_i,
  output wire [31:0] rdata_b_o
);

  // Free values, changing at most once per clock like the real RAM's output
  // for a fixed address after a write.
  reg [31:0] rdata_a_q;
  reg [31:0] rdata_b_q;
  always @(posedge clk_i) begin
    rdata_a_q <= $anyseq;
    rdata_b_q <= $anyseq;
  end

  assign rdata_a_o = rdata_a_q;
  assign rdata_b_o = rdata_b_q;

  wire unused_ok = &{1'b0, we_i, waddr_i, wbe_i, wdata_i, raddr_a_i, raddr_b_i};

endmodule

`default_nettype wire
