// dirql_sim_top -- simulation only: the one module the Rust harness (sim/)
// drives. The port list is fixed by docs/sim-interface.md; any PCI device can
// be put behind this port list.
//
// Structure (instance names are part of the VCD contract):
//   host      : dirql_host_probe -- registers every h_* input on the rising edge
//   pci       : dirql_pci_bus    -- resolves the wires from host and device drives
//   pin_fault : dirql_pin_fault  -- between the device's drives and pci: target
//                                   abort, retry and broken-RTL variants on
//                                   command (host.fault); transparent when 0
//   dut       : `DIRQL_DUT       -- the device, fed from the *resolved* bus so it
//                                   sees exactly what is on the wire (except
//                                   IRDY# while pin_fault answers in its place)
//   host1, slot1                  -- two-slot models only (`DIRQL_SLOT1, built by
//                                   sim/build.rs for a device that names a partner):
//                                   a second device on the same bus and the same
//                                   INTA# line, with its own IDSEL, REQ#/GNT# and
//                                   probes; its drives are wired to slot 0's before
//                                   pci resolves them (docs/sim-interface.md)
//
// The wrapper knows no device. The device's folder supplies two files on the include
// path: dirql_device.vh (`define DIRQL_DUT <its top module>) and dirql_probes.vh
// (included in this module's body: the assigns of dev_probe0_o..dev_probe7_o and of
// dev_read_claim, by hierarchical reference into `dut`).
// No combinational loop exists through pci because every dut output is a
// flop or combinational from flops only, and so is every pin_fault output.
`default_nettype none

`include "dirql_device.vh"

module dirql_sim_top (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Host bridge as master
  input  wire        h_frame_ni,
  input  wire        h_irdy_ni,
  input  wire [3:0]  h_cbe_ni,
  input  wire [31:0] h_ad_i,
  input  wire        h_ad_oe_i,
  input  wire        h_par_i,
  input  wire        h_par_oe_i,
  input  wire        h_idsel_i,

  // Host bridge as target
  input  wire        h_trdy_ni,
  input  wire        h_devsel_ni,
  input  wire        h_stop_ni,

  // Arbiter and second INTA# agent
  input  wire        h_gnt_ni,
  input  wire        h_inta2_ni,

  // Pin-fault stage: [3] arm, [2:0] mode (docs/sim-interface.md)
  input  wire [3:0]  h_fault_i,

  // OS model state (waveform probes)
  input  wire [4:0]  h_cpu0_irql_i,
  input  wire [4:0]  h_cpu1_irql_i,
  input  wire [3:0]  h_cpu0_routine_i,
  input  wire [3:0]  h_cpu1_routine_i,
  input  wire [7:0]  h_cpu0_op_i,
  input  wire [7:0]  h_cpu1_op_i,
  input  wire [3:0]  h_isr_ret_i,
  input  wire [1:0]  h_lock_owner_i,
  input  wire [3:0]  h_pic_i,
  input  wire [1:0]  h_bus_cpu_i,
  input  wire [15:0] h_bus_issuer_i,  // who issued the bus transaction: [3:0] routine, [4] held the interrupt lock, [12:8] IRQL
  input  wire [3:0]  h_posted_i,
  input  wire [31:0] h_cpu0_note_i,   // driver annotation (e.g. an intended register write)
  input  wire [31:0] h_cpu1_note_i,
  input  wire [15:0] h_msi_i,         // MSI taken: byte N = x86 vector CPU N took (0 = none)
  input  wire [1:0]  h_exclusive_i,   // bit N: CPU N runs a routine its caller synchronized with the ISR expecting exclusion
`ifdef DIRQL_SLOT1
  // Slot 1 (two-slot models only)
  input  wire        h_idsel1_i,
  input  wire        h_gnt1_ni,
  input  wire [3:0]  h_isr_ret1_i,
  input  wire [1:0]  h_lock_owner1_i,
  input  wire [1:0]  h_cpu_slot_i,
  output wire        req1_no,
  output wire        dev1_inta_no,
  output wire [1:0]  slot_ad_oe_o,    // bit N: slot N drives AD
  output wire [31:0] dev1_probe0_o,
  output wire [31:0] dev1_probe1_o,
  output wire [31:0] dev1_probe2_o,
  output wire [31:0] dev1_probe3_o,
  output wire [31:0] dev1_probe4_o,
  output wire [31:0] dev1_probe5_o,
  output wire [31:0] dev1_probe6_o,
  output wire [31:0] dev1_probe7_o,
`endif
  input  wire [31:0] h_cpu0_ram_read_i, // host-RAM dword CPU0 read without the bus this cycle | 1 (0 = none)
  input  wire [31:0] h_cpu1_ram_read_i,
  input  wire [15:0] h_dma_landed_i,    // device DMA writes that reached host RAM since reset, wrapping

  // Resolved bus
  output wire        frame_no,
  output wire        irdy_no,
  output wire        trdy_no,
  output wire        devsel_no,
  output wire        stop_no,
  output wire [3:0]  cbe_no,
  output wire [31:0] ad_o,
  output wire        par_o,
  output wire [1:0]  ad_drivers_o,
  output wire        req_no,
  output wire        perr_no,
  output wire        serr_no,
  output wire        inta_no,
  output wire        dev_inta_no,
  // Device state the checkers read (assignment per device: docs/sim-interface.md)
  output wire [31:0] dev_probe0_o,
  output wire [31:0] dev_probe1_o,
  output wire [31:0] dev_probe2_o,
  output wire [31:0] dev_probe3_o,
  output wire [31:0] dev_probe4_o,
  output wire [31:0] dev_probe5_o,
  output wire [31:0] dev_probe6_o,
  output wire [31:0] dev_probe7_o
);

  // Registered host drives
  wire        host_frame_n;
  wire        host_irdy_n;
  wire [3:0]  host_cbe_n;
  wire [31:0] host_ad;
  wire        host_ad_oe;
  wire        host_par;
  wire        host_par_oe;
  wire        host_idsel;
  wire        host_trdy_n;
  wire        host_devsel_n;
  wire        host_stop_n;
  wire        host_gnt_n;
  wire        host_inta2_n;
  wire [3:0]  host_fault;

  // Device drives
  wire [31:0] dev_ad;
  wire        dev_ad_oe;
  wire        dev_par;
  wire        dev_par_oe;
  wire        dev_trdy_n;
  wire        dev_devsel_n;
  wire        dev_stop_n;
  wire        dev_ctl_oe;
  wire        dev_perr_n;
  wire        dev_serr_n;
  wire        dev_req_n;
  wire        dev_inta_n;
  wire        dev_frame_n;
  wire        dev_irdy_n;
  wire [3:0]  dev_cbe_n;
  wire        dev_mst_oe;
  wire        dev_irdy_in_n;    // IRDY# as the device sees it (pin_fault)

  // Device drives after the pin-fault stage
  wire [31:0] pf_ad;
  wire        pf_ad_oe;
  wire        pf_par;
  wire        pf_par_oe;
  wire        pf_trdy_n;
  wire        pf_devsel_n;
  wire        pf_stop_n;
  wire        pf_ctl_oe;

  // Resolved bus
  wire        bus_frame_n;
  wire        bus_irdy_n;
  wire        bus_trdy_n;
  wire        bus_devsel_n;
  wire        bus_stop_n;
  wire [3:0]  bus_cbe_n;
  wire [31:0] bus_ad;
  wire        bus_par;
  wire        bus_idsel;
  wire        bus_inta_n;
  wire        bus_dev_inta_n;
  wire        bus_perr_n;
  wire        bus_serr_n;
  wire        bus_req_n;
  wire        bus_gnt_n;
  wire [1:0]  bus_ad_drivers;

  dirql_host_probe host (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .h_frame_ni       (h_frame_ni),
    .h_irdy_ni        (h_irdy_ni),
    .h_cbe_ni         (h_cbe_ni),
    .h_ad_i           (h_ad_i),
    .h_ad_oe_i        (h_ad_oe_i),
    .h_par_i          (h_par_i),
    .h_par_oe_i       (h_par_oe_i),
    .h_idsel_i        (h_idsel_i),
    .h_trdy_ni        (h_trdy_ni),
    .h_devsel_ni      (h_devsel_ni),
    .h_stop_ni        (h_stop_ni),
    .h_gnt_ni         (h_gnt_ni),
    .h_inta2_ni       (h_inta2_ni),
    .h_fault_i        (h_fault_i),
    .h_cpu0_irql_i    (h_cpu0_irql_i),
    .h_cpu1_irql_i    (h_cpu1_irql_i),
    .h_cpu0_routine_i (h_cpu0_routine_i),
    .h_cpu1_routine_i (h_cpu1_routine_i),
    .h_cpu0_op_i      (h_cpu0_op_i),
    .h_cpu1_op_i      (h_cpu1_op_i),
    .h_isr_ret_i      (h_isr_ret_i),
    .h_lock_owner_i   (h_lock_owner_i),
    .h_pic_i          (h_pic_i),
    .h_bus_cpu_i      (h_bus_cpu_i),
    .h_bus_issuer_i   (h_bus_issuer_i),
    .h_posted_i       (h_posted_i),
    .h_cpu0_note_i    (h_cpu0_note_i),
    .h_cpu1_note_i    (h_cpu1_note_i),
    .h_msi_i          (h_msi_i),
    .h_exclusive_i    (h_exclusive_i),
    .h_cpu0_ram_read_i (h_cpu0_ram_read_i),
    .h_cpu1_ram_read_i (h_cpu1_ram_read_i),
    .h_dma_landed_i   (h_dma_landed_i),
    .frame_n          (host_frame_n),
    .irdy_n           (host_irdy_n),
    .cbe_n            (host_cbe_n),
    .ad               (host_ad),
    .ad_oe            (host_ad_oe),
    .par              (host_par),
    .par_oe           (host_par_oe),
    .idsel            (host_idsel),
    .trdy_n           (host_trdy_n),
    .devsel_n         (host_devsel_n),
    .stop_n           (host_stop_n),
    .gnt_n            (host_gnt_n),
    .inta2_n          (host_inta2_n),
    .fault            (host_fault)
  );

  // The device has claimed a read and turns AD on at the next edge (dirql_probes.vh):
  // what the pin-fault stage's no-turnaround twin needs.
  wire dev_read_claim;

  wire        pf_inta_n;
  dirql_pin_fault pin_fault (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .fault_i          (host_fault),
    .frame_ni         (bus_frame_n),
    .irdy_ni          (bus_irdy_n),
    .cbe_ni           (bus_cbe_n),
    .dev_ad_i         (dev_ad),
    .dev_ad_oe_i      (dev_ad_oe),
    .dev_par_i        (dev_par),
    .dev_par_oe_i     (dev_par_oe),
    .dev_trdy_ni      (dev_trdy_n),
    .dev_devsel_ni    (dev_devsel_n),
    .dev_stop_ni      (dev_stop_n),
    .dev_ctl_oe_i     (dev_ctl_oe),
    .dev_read_claim_i (dev_read_claim),
    .dev_inta_ni      (dev_inta_n),
    .ad_o             (pf_ad),
    .ad_oe_o          (pf_ad_oe),
    .par_o            (pf_par),
    .par_oe_o         (pf_par_oe),
    .trdy_no          (pf_trdy_n),
    .devsel_no        (pf_devsel_n),
    .stop_no          (pf_stop_n),
    .ctl_oe_o         (pf_ctl_oe),
    .dev_irdy_no      (dev_irdy_in_n),
    .inta_no          (pf_inta_n)
  );

  // The device drives pci resolves: slot 0's alone, or (two slots) wired with slot 1's
  // the way the board wires two agents' drives: active-low signals ANDed where each
  // drives them, AD and PAR ORed; slot 1's INTA# joins the other agents on the line.
  wire [31:0] j_ad;
  wire        j_ad_oe;
  wire        j_par;
  wire        j_par_oe;
  wire        j_trdy_n;
  wire        j_devsel_n;
  wire        j_stop_n;
  wire        j_ctl_oe;
  wire        j_perr_n;
  wire        j_serr_n;
  wire        j_frame_n;
  wire        j_irdy_n;
  wire [3:0]  j_cbe_n;
  wire        j_mst_oe;
  wire        j_inta2_n;
`ifdef DIRQL_SLOT1
  wire        host1_idsel;
  wire        host1_gnt_n;
  dirql_host1_probe host1 (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .h_idsel1_i      (h_idsel1_i),
    .h_gnt1_ni       (h_gnt1_ni),
    .h_isr_ret1_i    (h_isr_ret1_i),
    .h_lock_owner1_i (h_lock_owner1_i),
    .h_cpu_slot_i    (h_cpu_slot_i),
    .idsel           (host1_idsel),
    .gnt_n           (host1_gnt_n)
  );

  wire [31:0] s1_ad;
  wire        s1_ad_oe;
  wire        s1_par;
  wire        s1_par_oe;
  wire        s1_trdy_n;
  wire        s1_devsel_n;
  wire        s1_stop_n;
  wire        s1_ctl_oe;
  wire        s1_perr_n;
  wire        s1_serr_n;
  wire        s1_req_n;
  wire        s1_inta_n;
  wire        s1_frame_n;
  wire        s1_irdy_n;
  wire [3:0]  s1_cbe_n;
  wire        s1_mst_oe;
  dirql_slot1 slot1 (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .ad_i         (bus_ad),
    .ad_o         (s1_ad),
    .ad_oe_o      (s1_ad_oe),
    .cbe_ni       (bus_cbe_n),
    .cbe_no       (s1_cbe_n),
    .par_i        (bus_par),
    .par_o        (s1_par),
    .par_oe_o     (s1_par_oe),
    .frame_ni     (bus_frame_n),
    .irdy_ni      (bus_irdy_n),
    .trdy_ni      (bus_trdy_n),
    .devsel_ni    (bus_devsel_n),
    .stop_ni      (bus_stop_n),
    .idsel_i      (host1_idsel),
    .trdy_no      (s1_trdy_n),
    .devsel_no    (s1_devsel_n),
    .stop_no      (s1_stop_n),
    .ctl_oe_o     (s1_ctl_oe),
    .frame_no     (s1_frame_n),
    .irdy_no      (s1_irdy_n),
    .mst_oe_o     (s1_mst_oe),
    .perr_no      (s1_perr_n),
    .serr_no      (s1_serr_n),
    .req_no       (s1_req_n),
    .gnt_ni       (host1_gnt_n),
    .inta_no      (s1_inta_n),
    .dev_probe0_o (dev1_probe0_o),
    .dev_probe1_o (dev1_probe1_o),
    .dev_probe2_o (dev1_probe2_o),
    .dev_probe3_o (dev1_probe3_o),
    .dev_probe4_o (dev1_probe4_o),
    .dev_probe5_o (dev1_probe5_o),
    .dev_probe6_o (dev1_probe6_o),
    .dev_probe7_o (dev1_probe7_o)
  );
  assign j_ad       = (pf_ad_oe ? pf_ad : 32'h0000_0000) | (s1_ad_oe ? s1_ad : 32'h0000_0000);
  assign j_ad_oe    = pf_ad_oe | s1_ad_oe;
  assign j_par      = (pf_par_oe & pf_par) | (s1_par_oe & s1_par);
  assign j_par_oe   = pf_par_oe | s1_par_oe;
  assign j_trdy_n   = (pf_ctl_oe ? pf_trdy_n : 1'b1) & (s1_ctl_oe ? s1_trdy_n : 1'b1);
  assign j_devsel_n = (pf_ctl_oe ? pf_devsel_n : 1'b1) & (s1_ctl_oe ? s1_devsel_n : 1'b1);
  assign j_stop_n   = (pf_ctl_oe ? pf_stop_n : 1'b1) & (s1_ctl_oe ? s1_stop_n : 1'b1);
  assign j_ctl_oe   = pf_ctl_oe | s1_ctl_oe;
  assign j_perr_n   = dev_perr_n & s1_perr_n;
  assign j_serr_n   = dev_serr_n & s1_serr_n;
  assign j_frame_n  = (dev_mst_oe ? dev_frame_n : 1'b1) & (s1_mst_oe ? s1_frame_n : 1'b1);
  assign j_irdy_n   = (dev_mst_oe ? dev_irdy_n : 1'b1) & (s1_mst_oe ? s1_irdy_n : 1'b1);
  assign j_cbe_n    = (dev_mst_oe ? dev_cbe_n : 4'hF) & (s1_mst_oe ? s1_cbe_n : 4'hF);
  assign j_mst_oe   = dev_mst_oe | s1_mst_oe;
  assign j_inta2_n  = host_inta2_n & s1_inta_n;
  assign req1_no      = s1_req_n;
  assign dev1_inta_no = s1_inta_n;
  assign slot_ad_oe_o = {s1_ad_oe, pf_ad_oe};
`else
  assign j_ad       = pf_ad;
  assign j_ad_oe    = pf_ad_oe;
  assign j_par      = pf_par;
  assign j_par_oe   = pf_par_oe;
  assign j_trdy_n   = pf_trdy_n;
  assign j_devsel_n = pf_devsel_n;
  assign j_stop_n   = pf_stop_n;
  assign j_ctl_oe   = pf_ctl_oe;
  assign j_perr_n   = dev_perr_n;
  assign j_serr_n   = dev_serr_n;
  assign j_frame_n  = dev_frame_n;
  assign j_irdy_n   = dev_irdy_n;
  assign j_cbe_n    = dev_cbe_n;
  assign j_mst_oe   = dev_mst_oe;
  assign j_inta2_n  = host_inta2_n;
`endif

  dirql_pci_bus pci (
    .h_frame_n  (host_frame_n),
    .h_irdy_n   (host_irdy_n),
    .h_cbe_n    (host_cbe_n),
    .h_ad       (host_ad),
    .h_ad_oe    (host_ad_oe),
    .h_par      (host_par),
    .h_par_oe   (host_par_oe),
    .h_idsel    (host_idsel),
    .h_trdy_n   (host_trdy_n),
    .h_devsel_n (host_devsel_n),
    .h_stop_n   (host_stop_n),
    .h_gnt_n    (host_gnt_n),
    .h_inta2_n  (j_inta2_n),
    .d_ad       (j_ad),
    .d_ad_oe    (j_ad_oe),
    .d_par      (j_par),
    .d_par_oe   (j_par_oe),
    .d_trdy_n   (j_trdy_n),
    .d_devsel_n (j_devsel_n),
    .d_stop_n   (j_stop_n),
    .d_ctl_oe   (j_ctl_oe),
    .d_perr_n   (j_perr_n),
    .d_serr_n   (j_serr_n),
    .d_req_n    (dev_req_n),
    .d_inta_n   (pf_inta_n),
    .d_frame_n  (j_frame_n),
    .d_irdy_n   (j_irdy_n),
    .d_cbe_n    (j_cbe_n),
    .d_mst_oe   (j_mst_oe),
    .frame_n    (bus_frame_n),
    .irdy_n     (bus_irdy_n),
    .trdy_n     (bus_trdy_n),
    .devsel_n   (bus_devsel_n),
    .stop_n     (bus_stop_n),
    .cbe_n      (bus_cbe_n),
    .ad         (bus_ad),
    .par        (bus_par),
    .idsel      (bus_idsel),
    .inta_n     (bus_inta_n),
    .dev_inta_n (bus_dev_inta_n),
    .perr_n     (bus_perr_n),
    .serr_n     (bus_serr_n),
    .req_n      (bus_req_n),
    .gnt_n      (bus_gnt_n),
    .ad_drivers (bus_ad_drivers)
  );

  `DIRQL_DUT dut (
    .clk_i     (clk_i),
    .rst_ni    (rst_ni),
    .ad_i      (bus_ad),
    .ad_o      (dev_ad),
    .ad_oe_o   (dev_ad_oe),
    .cbe_ni    (bus_cbe_n),
    .cbe_no    (dev_cbe_n),
    .par_i     (bus_par),
    .par_o     (dev_par),
    .par_oe_o  (dev_par_oe),
    .frame_ni  (bus_frame_n),
    .irdy_ni   (dev_irdy_in_n),
    .trdy_ni   (bus_trdy_n),
    .devsel_ni (bus_devsel_n),
    .stop_ni   (bus_stop_n),
    .idsel_i   (bus_idsel),
    .trdy_no   (dev_trdy_n),
    .devsel_no (dev_devsel_n),
    .stop_no   (dev_stop_n),
    .ctl_oe_o  (dev_ctl_oe),
    .frame_no  (dev_frame_n),
    .irdy_no   (dev_irdy_n),
    .mst_oe_o  (dev_mst_oe),
    .perr_no   (dev_perr_n),
    .serr_no   (dev_serr_n),
    .req_no    (dev_req_n),
    .gnt_ni    (bus_gnt_n),
    .inta_no   (dev_inta_n)
  );

  assign frame_no     = bus_frame_n;
  assign irdy_no      = bus_irdy_n;
  assign trdy_no      = bus_trdy_n;
  assign devsel_no    = bus_devsel_n;
  assign stop_no      = bus_stop_n;
  assign cbe_no       = bus_cbe_n;
  assign ad_o         = bus_ad;
  assign par_o        = bus_par;
  assign ad_drivers_o = bus_ad_drivers;
  assign req_no       = bus_req_n;
  assign perr_no      = bus_perr_n;
  assign serr_no      = bus_serr_n;
  assign inta_no      = bus_inta_n;
  assign dev_inta_no  = bus_dev_inta_n;

  // Device probes and the read claim, as the device defines them.
  `include "dirql_probes.vh"

endmodule

`default_nettype wire
