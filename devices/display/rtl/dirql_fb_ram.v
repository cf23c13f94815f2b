// dirql_fb_ram -- the framebuffer of the dirql adapter: 4 KiB of on-chip RAM
// behind BAR2, 1024 dwords, one write port with byte enables and two
// asynchronous read ports (the PCI target reads through one while the
// command engine reads COPY sources through the other).
//
// Asynchronous read keeps the PCI target free of wait states (it drives read
// data combinationally during the data phase). A memory: written in its own
// clocked block with an enable and not reset (6.2.5.1 lets prefetchable
// memory read any value after reset).
`default_nettype none

module dirql_fb_ram (
  input  wire        clk_i,

  // Write port
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

  reg [31:0] mem_q [0:1023];

  always @(posedge clk_i) begin
    if (we_i && wbe_i[0]) mem_q[waddr_i][7:0]   <= wdata_i[7:0];
    if (we_i && wbe_i[1]) mem_q[waddr_i][15:8]  <= wdata_i[15:8];
    if (we_i && wbe_i[2]) mem_q[waddr_i][23:16] <= wdata_i[23:16];
    if (we_i && wbe_i[3]) mem_q[waddr_i][31:24] <= wdata_i[31:24];
  end

  assign rdata_a_o = mem_q[raddr_a_i];
  assign rdata_b_o = mem_q[raddr_b_i];

endmodule

`default_nettype wire
