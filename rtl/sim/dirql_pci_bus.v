// dirql_pci_bus -- simulation only: resolves the shared PCI wires from the
// host bridge's (registered) drives and the device's drives.
//
// Tri-state nets do not cross the C++ boundary of a Verilated model, so each
// agent drives a value plus an enable and this module models the board:
//  * sustained tri-state / open-drain active-low signals: AND of the values
//    of the agents that drive them, 1 when nobody drives (pull-ups, PCI 3.0
//    4.3.3);
//  * AD and PAR: OR of the enabled drivers, 0 when floating; contention is
//    visible as ad_drivers = 2'b11.
//
// Port names are part of the VCD contract (TOP.dirql_sim_top.pci.frame_n,
// docs/sim-interface.md), hence no _i/_o suffixes on the resolved outputs.
`default_nettype none

module dirql_pci_bus (
  // Host bridge drives (from dirql_host_probe)
  input  wire        h_frame_n,
  input  wire        h_irdy_n,
  input  wire [3:0]  h_cbe_n,
  input  wire [31:0] h_ad,
  input  wire        h_ad_oe,
  input  wire        h_par,
  input  wire        h_par_oe,
  input  wire        h_idsel,
  input  wire        h_trdy_n,
  input  wire        h_devsel_n,
  input  wire        h_stop_n,
  input  wire        h_gnt_n,
  input  wire        h_inta2_n,

  // Device drives (from the device under test)
  input  wire [31:0] d_ad,
  input  wire        d_ad_oe,
  input  wire        d_par,
  input  wire        d_par_oe,
  input  wire        d_trdy_n,
  input  wire        d_devsel_n,
  input  wire        d_stop_n,
  input  wire        d_ctl_oe,
  input  wire        d_perr_n,
  input  wire        d_serr_n,
  input  wire        d_req_n,
  input  wire        d_inta_n,
  input  wire        d_frame_n,    // device as bus master (MSI writes)
  input  wire        d_irdy_n,
  input  wire [3:0]  d_cbe_n,
  input  wire        d_mst_oe,

  // Resolved bus
  output wire        frame_n,
  output wire        irdy_n,
  output wire        trdy_n,
  output wire        devsel_n,
  output wire        stop_n,
  output wire [3:0]  cbe_n,
  output wire [31:0] ad,
  output wire        par,
  output wire        idsel,
  output wire        inta_n,
  output wire        dev_inta_n,
  output wire        perr_n,
  output wire        serr_n,
  output wire        req_n,
  output wire        gnt_n,
  output wire [1:0]  ad_drivers    // {device drives AD, host drives AD}
);

  // Master-driven signals: the host bridge (its h_* values are already 1 when
  // released) and the device while it masters an MSI write (d_mst_oe). Wired
  // AND, so two masters at once show up as a corrupted bus, not a silent win.
  assign frame_n  = h_frame_n & (d_mst_oe ? d_frame_n : 1'b1);
  assign irdy_n   = h_irdy_n  & (d_mst_oe ? d_irdy_n  : 1'b1);
  assign cbe_n    = h_cbe_n   & (d_mst_oe ? d_cbe_n   : 4'hF);
  assign idsel    = h_idsel;

  // Target-driven s/t/s signals: the host drives them only as a target (MSI
  // writes), the device only while ctl_oe is set.
  assign trdy_n   = h_trdy_n   & (d_ctl_oe ? d_trdy_n   : 1'b1);
  assign devsel_n = h_devsel_n & (d_ctl_oe ? d_devsel_n : 1'b1);
  assign stop_n   = h_stop_n   & (d_ctl_oe ? d_stop_n   : 1'b1);

  assign ad         = (h_ad_oe ? h_ad : 32'h0000_0000) | (d_ad_oe ? d_ad : 32'h0000_0000);
  assign par        = (h_par_oe & h_par) | (d_par_oe & d_par);
  assign ad_drivers = {d_ad_oe, h_ad_oe};

  // INTA# is shared and open drain (2.2.6): low if any agent pulls it low.
  assign dev_inta_n = d_inta_n;
  assign inta_n     = d_inta_n & h_inta2_n;

  assign perr_n   = d_perr_n;
  assign serr_n   = d_serr_n;
  assign req_n    = d_req_n;
  assign gnt_n    = h_gnt_n;

endmodule

`default_nettype wire
