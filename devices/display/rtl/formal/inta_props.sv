// inta_props -- INTA# of the whole adapter (rtl/dirql_adapter.v, PCI 3.0
// 2.2.6, 6.2.2, 6.8.1.3): asserted iff some source is pending and enabled
// (VBLANK also needs CR11[5] = 0), Command[10] Interrupt Disable is clear and
// MSI Enable is clear -- in the same clock as the register state, i.e. in the
// clock after the edge that latched the event (assertion latency 1 from the
// event, 0 from INT_RAW) and released in the clock after the acknowledging
// edge (dismissal latency 1, irq_dismiss_1clk).
//
// Every adapter input is free (any bus activity, legal or not): the INTA#
// equation must hold whatever the bus does. The framebuffer RAM and the
// command engine are the abstractions in rtl/formal/abstract_*.v.
//
// The register state is read from documented module ports inside the
// adapter (dirql_irq.int_raw_o / int_enable_o, dirql_vga_io.cr11_o,
// pci_config.intx_disable_o / msi_enable_o): Yosys 0.23 has no hierarchical
// references and ignores `bind`, so scripts/formal.sh connects the obs_*
// wires below to them after `flatten` (connect -set).
`default_nettype none

module inta_formal #(
  parameter [31:0] PROPS = 32'hFFFF_FFFF
) (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire [31:0] ad_i,
  input  wire [3:0]  cbe_ni,
  input  wire        par_i,
  input  wire        frame_ni,
  input  wire        irdy_ni,
  input  wire        trdy_ni,
  input  wire        devsel_ni,
  input  wire        stop_ni,
  input  wire        idsel_i,
  input  wire        gnt_ni
);

  wire inta_no;
  /* verilator lint_off PINCONNECTEMPTY */
  dirql_adapter dut (
    .clk_i, .rst_ni, .ad_i, .ad_o(), .ad_oe_o(), .cbe_ni, .cbe_no(), .par_i,
    .par_o(), .par_oe_o(), .frame_ni, .irdy_ni, .trdy_ni, .devsel_ni, .stop_ni,
    .idsel_i, .trdy_no(), .devsel_no(), .stop_no(), .ctl_oe_o(), .frame_no(),
    .irdy_no(), .mst_oe_o(), .perr_no(), .serr_no(), .req_no(), .gnt_ni,
    .inta_no
  );

  // Connected by scripts/formal.sh (connect -set) after flatten.
  (* keep *) wire [4:0] obs_int_raw;
  (* keep *) wire [4:0] obs_int_enable;
  (* keep *) wire [7:0] obs_cr11;
  (* keep *) wire       obs_intx_disable;
  (* keep *) wire       obs_msi_enable;

  reg init_q = 1'b1;
  always @(posedge clk_i) init_q <= 1'b0;
  always @* if (init_q) assume (!rst_ni);

  wire [4:0] pending_enabled = obs_int_raw & obs_int_enable & {4'b1111, !obs_cr11[5]};

  always @* if (rst_ni && !init_q) begin
    // 0 inta_level
    if (PROPS[0]) assert (inta_no == !((|pending_enabled) && !obs_intx_disable && !obs_msi_enable));
  end

endmodule

`default_nettype wire
