// peer_top -- simulation only: the dirql adapter (devices/display/rtl/dirql_adapter.v, unchanged)
// behind a conventional PCI bus driven by the cocotb testbench in peers/ (the peer
// that `make bench-peers` measures dirql against). The testbench drives the master
// side (m_*); this wrapper resolves the shared wires the way rtl/sim/dirql_pci_bus.v
// does: AD/PAR from whichever agent enables them, TRDY#/DEVSEL#/STOP# pulled up
// when the adapter releases them.
//
// HDL_CLOCK: the 33 MHz PCI clock (30 ns) is generated here instead of by cocotb,
// so that idle clocks cost the simulator only (Verilator --timing, Icarus).
`default_nettype none
`timescale 1ns/1ps

module peer_top (
`ifndef HDL_CLOCK
  input  wire        clk,
`endif
  input  wire        rst_n,
  input  wire        m_frame_n,
  input  wire        m_irdy_n,
  input  wire [3:0]  m_cbe_n,
  input  wire [31:0] m_ad,
  input  wire        m_ad_oe,
  input  wire        m_par,
  input  wire        m_par_oe,
  input  wire        m_idsel,
  output wire [31:0] ad,
  output wire        trdy_n,
  output wire        devsel_n,
  output wire        stop_n,
  output wire        inta_n
);

`ifdef HDL_CLOCK
  reg clk = 1'b0;
  always #15 clk = ~clk;
`endif

  wire [31:0] d_ad;
  wire        d_ad_oe, d_par, d_par_oe, d_trdy_n, d_devsel_n, d_stop_n, d_ctl_oe;
  wire [3:0]  d_cbe_n;
  wire        d_frame_n, d_irdy_n, d_mst_oe, d_perr_n, d_serr_n, d_req_n;

  assign ad       = d_ad_oe ? d_ad : (m_ad_oe ? m_ad : 32'h0000_0000);
  wire   par      = d_par_oe ? d_par : (m_par_oe ? m_par : 1'b0);
  assign trdy_n   = d_ctl_oe ? d_trdy_n : 1'b1;
  assign devsel_n = d_ctl_oe ? d_devsel_n : 1'b1;
  assign stop_n   = d_ctl_oe ? d_stop_n : 1'b1;

  dirql_adapter dut (
    .clk_i     (clk),
    .rst_ni    (rst_n),
    .ad_i      (ad),
    .ad_o      (d_ad),
    .ad_oe_o   (d_ad_oe),
    .cbe_ni    (m_cbe_n),
    .cbe_no    (d_cbe_n),
    .par_i     (par),
    .par_o     (d_par),
    .par_oe_o  (d_par_oe),
    .frame_ni  (m_frame_n),
    .irdy_ni   (m_irdy_n),
    .trdy_ni   (trdy_n),
    .devsel_ni (devsel_n),
    .stop_ni   (stop_n),
    .idsel_i   (m_idsel),
    .trdy_no   (d_trdy_n),
    .devsel_no (d_devsel_n),
    .stop_no   (d_stop_n),
    .ctl_oe_o  (d_ctl_oe),
    .frame_no  (d_frame_n),
    .irdy_no   (d_irdy_n),
    .mst_oe_o  (d_mst_oe),
    .perr_no   (d_perr_n),
    .serr_no   (d_serr_n),
    .req_no    (d_req_n),
    .gnt_ni    (1'b1),          // no grant: MSI stays off in these workloads
    .inta_no   (inta_n)
  );

endmodule

`default_nettype wire
