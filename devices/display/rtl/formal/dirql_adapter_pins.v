// dirql_adapter_pins -- the dirql adapter cut down to the PCI target pin
// contract that rtl/formal/pci_target_props.sv checks (docs/bring-your-own-
// device.md). Formal only.
//
// The adapter's bus-master side (MSI) is parked: GNT# is never given, and
// the target-side inputs of the master (TRDY#, DEVSEL#, STOP# as seen by
// it) are released, so every drive on the bus comes from the target.
`default_nettype none

module dirql_adapter_pins #(
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

  /* verilator lint_off PINCONNECTEMPTY */
  dirql_adapter #(.DEVSEL_TIMING(DEVSEL_TIMING)) u_adapter (
    .clk_i, .rst_ni, .ad_i, .ad_o, .ad_oe_o, .cbe_ni, .cbe_no(), .par_i, .par_o,
    .par_oe_o, .frame_ni, .irdy_ni, .trdy_ni(1'b1), .devsel_ni(1'b1),
    .stop_ni(1'b1), .idsel_i, .trdy_no, .devsel_no, .stop_no, .ctl_oe_o,
    .frame_no(), .irdy_no(), .mst_oe_o(), .perr_no(), .serr_no(), .req_no(),
    .gnt_ni(1'b1), .inta_no()
  );
  /* verilator lint_on PINCONNECTEMPTY */

endmodule

`default_nettype wire
