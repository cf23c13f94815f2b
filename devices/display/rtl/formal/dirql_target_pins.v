// dirql_target_pins -- the adapter's PCI target (rtl/pci_target.v) alone,
// cut to the pin contract of rtl/formal/pci_target_props.sv. Formal only.
//
// Why not the whole adapter: with the register blocks, the CRTC, the
// palette RAM and the raster counters behind it, z3 (Debian 12's; Debian's
// boolector does not talk to this yosys-smtbmc) needs minutes per step
// (docs/formal.md, "Abstractions"). The protocol lives in pci_target; what
// the rest of the adapter feeds it is left free here, which covers every
// value the real blocks can produce:
//   * BAR bases, Command[0]/[1]/[6]: free constants chosen by the solver
//     (software programs them before it uses the BARs);
//   * FIFO room: free in every clock (the command engine's level);
//   * read data of every space: free in every clock.
`default_nettype none

module dirql_target_pins #(
  parameter integer DEVSEL_TIMING = 1   // the declared decode speed: 0 fast, 1 medium
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Master's drives (resolved bus)
  input  wire        frame_ni,
  input  wire        irdy_ni,
  input  wire [3:0]  cbe_ni,
  input  wire [31:0] ad_i,
  input  wire        par_i,
  input  wire        idsel_i,

  // Target drives
  output wire [31:0] ad_o,
  output wire        ad_oe_o,
  output wire        par_o,
  output wire        par_oe_o,
  output wire        trdy_no,
  output wire        devsel_no,
  output wire        stop_no,
  output wire        ctl_oe_o
);

  (* anyconst *) reg [19:0] bar0_base;
  (* anyconst *) reg [26:0] bar1_base;
  (* anyconst *) reg [19:0] bar2_base;
  (* anyconst *) reg [2:0]  cmd_bits;     // Command[0] I/O, [1] Memory, [6] parity response
  reg [7:0]  room_q;
  reg [31:0] cfg_q, bar0_q, bar1_q, bar2_q;
  always @(posedge clk_i) begin
    room_q <= $anyseq;
    cfg_q  <= $anyseq;
    bar0_q <= $anyseq;
    bar1_q <= $anyseq;
    bar2_q <= $anyseq;
  end

  /* verilator lint_off PINCONNECTEMPTY */
  pci_target #(.DEVSEL_TIMING(DEVSEL_TIMING)) u_target (
    .clk_i, .rst_ni, .frame_ni, .irdy_ni, .cbe_ni, .ad_i, .par_i, .idsel_i,
    .ad_o, .ad_oe_o, .par_o, .par_oe_o, .trdy_no, .devsel_no, .stop_no, .ctl_oe_o,
    .perr_no(), .bar0_base_i(bar0_base), .bar1_base_i(bar1_base), .bar2_base_i(bar2_base),
    .io_space_en_i(cmd_bits[0]), .mem_space_en_i(cmd_bits[1]),
    .parity_err_resp_i(cmd_bits[2]), .parity_err_det_o(), .fifo_room_i(room_q),
    .acc_space_o(), .acc_addr_o(), .acc_wr_o(), .acc_rd_o(), .acc_be_o(), .acc_wdata_o(),
    .cfg_rdata_i(cfg_q), .bar0_rdata_i(bar0_q), .bar1_rdata_i(bar1_q), .bar2_rdata_i(bar2_q)
  );
  /* verilator lint_on PINCONNECTEMPTY */

endmodule

`default_nettype wire
