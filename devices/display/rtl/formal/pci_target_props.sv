// pci_target_props -- generic PCI target properties (PCI Local Bus Spec 3.0,
// chapter 3) for any device that meets the pin contract of
// rtl/formal/dirql_adapter_pins.v (docs/bring-your-own-device.md).
//
// The device is the macro PCI_DUT (scripts/formal.sh: DUT=module), with a
// parameter DEVSEL_TIMING (its declared decode speed). Between the device and
// the bus sits the simulation's pin-fault stage (rtl/sim/dirql_pin_fault.v),
// armed with the constant FAULT = {arm, mode}: 0 for the reference, the
// late-devsel / read-par-no-cbe / no-turnaround modes for the broken twins.
//
// The master side is free except for the assumptions A1..A6 (a legal
// initiator, no fast back-to-back, no bus parking by the device):
//   A1 RST# asserted in the first clock only; FRAME# and IRDY# released
//      during reset (4.3.2).
//   A2 IRDY# is asserted only in a transaction: in the clock after the
//      address phase or later (3.3.1).
//   A3 A new address phase (FRAME# falling) only after an idle clock (FRAME#
//      and IRDY# released) -- no fast back-to-back (3.4.2 makes it optional).
//   A4 FRAME# is deasserted only while IRDY# is asserted (3.3.3.1).
//   A5 Once IRDY# is asserted, IRDY# and FRAME# stay until the data phase
//      completes (TRDY# or STOP# sampled asserted, 3.3.1).
//   A6 After the final data phase completes, IRDY# is released (3.3.1).
// AD, C/BE#, PAR and IDSEL from the master are free in every clock.
`default_nettype none

`ifndef PCI_DUT
`define PCI_DUT dirql_adapter_pins
`endif

module pci_target_formal #(
  parameter integer DEVSEL_TIMING = 1,           // 0 fast (a+1), 1 medium (a+2)
  parameter [3:0]   FAULT         = 4'h0,        // pin-fault stage: {arm, mode}
  parameter [31:0]  PROPS         = 32'hFFFF_FFFF
) (
  input  wire        clk_i,
  input  wire        rst_ni,
  // The master's drives
  input  wire        m_frame_ni,
  input  wire        m_irdy_ni,
  input  wire [3:0]  m_cbe_ni,
  input  wire [31:0] m_ad_i,
  input  wire        m_par_i,
  input  wire        m_idsel_i
);

  // Device drives, pin-fault stage drives (= the device as the bus sees it).
  wire [31:0] d_ad;   wire d_ad_oe, d_par, d_par_oe, d_trdy_n, d_devsel_n, d_stop_n, d_ctl_oe;
  wire [31:0] t_ad;   wire t_ad_oe, t_par, t_par_oe, t_trdy_n, t_devsel_n, t_stop_n, t_ctl_oe;
  wire        dev_irdy_n;

  // Resolved bus (pull-ups when nobody drives).
  wire [31:0] ad     = t_ad_oe ? t_ad : m_ad_i;
  wire        par    = t_par_oe ? t_par : m_par_i;
  wire        frame_n  = m_frame_ni;
  wire        irdy_n   = m_irdy_ni;
  wire [3:0]  cbe_n    = m_cbe_ni;
  wire        trdy_n   = t_ctl_oe ? t_trdy_n   : 1'b1;
  wire        devsel_n = t_ctl_oe ? t_devsel_n : 1'b1;
  wire        stop_n   = t_ctl_oe ? t_stop_n   : 1'b1;

  `PCI_DUT #(.DEVSEL_TIMING(DEVSEL_TIMING)) dut (
    .clk_i, .rst_ni, .frame_ni(frame_n), .irdy_ni(dev_irdy_n), .cbe_ni(cbe_n),
    .ad_i(ad), .par_i(par), .idsel_i(m_idsel_i),
    .ad_o(d_ad), .ad_oe_o(d_ad_oe), .par_o(d_par), .par_oe_o(d_par_oe),
    .trdy_no(d_trdy_n), .devsel_no(d_devsel_n), .stop_no(d_stop_n), .ctl_oe_o(d_ctl_oe)
  );

  // ---- transaction tracking (the checker's own view of the bus) ----------
  reg        init_q = 1'b1;
  reg        frame_q, irdy_q, trdy_q, stop_q, devsel_q;
  reg        in_txn_q, claimed_q, nodata_q, read_q;
  reg  [2:0] cnt_q;
  reg        ad_oe_q;
  reg [31:0] ad_q;
  reg  [3:0] cbe_q;
  reg        v_q;

  wire addr_phase = !frame_n && frame_q;
  // Reads: I/O, Memory, Configuration Read, Memory Read Multiple / Line:
  // C/BE#[0] = 0 (Table 3-1; Interrupt Acknowledge and Special Cycle are
  // never claimed by a target of this contract).
  wire is_read    = addr_phase ? !cbe_n[0] : read_q;
  wire [2:0] cnt  = addr_phase ? 3'd0 : cnt_q;
  wire in_txn     = addr_phase || (in_txn_q && !(frame_q && irdy_q));
  wire claimed_before = !addr_phase && claimed_q;  // DEVSEL# seen earlier in this transaction
  wire nodata_before  = !addr_phase && nodata_q;   // STOP# without TRDY# seen earlier

  always @(posedge clk_i) begin
    init_q    <= 1'b0;
    v_q       <= rst_ni && !init_q;
    frame_q   <= rst_ni ? frame_n : 1'b1;
    irdy_q    <= rst_ni ? irdy_n  : 1'b1;
    trdy_q    <= trdy_n;
    stop_q    <= stop_n;
    devsel_q  <= devsel_n;
    in_txn_q  <= rst_ni && in_txn && !(frame_n && irdy_n);
    claimed_q <= claimed_before || !devsel_n;
    nodata_q  <= nodata_before || (!stop_n && trdy_n);
    read_q    <= is_read;
    cnt_q     <= (cnt == 3'd7) ? 3'd7 : cnt + 3'd1;
    ad_oe_q   <= t_ad_oe;
    ad_q      <= ad;
    cbe_q     <= cbe_n;
  end

  // The no-turnaround mutant drives AD in the clock after the address phase
  // of a read (the simulation wrapper reads the target's state flop; here,
  // without hierarchical references, it is derived from the pins).
  wire dev_read_claim = in_txn && is_read && (cnt == 3'd1);

  dirql_pin_fault u_fault (
    .clk_i, .rst_ni, .fault_i(FAULT),
    .frame_ni(frame_n), .irdy_ni(irdy_n), .cbe_ni(cbe_n),
    .dev_ad_i(d_ad), .dev_ad_oe_i(d_ad_oe), .dev_par_i(d_par), .dev_par_oe_i(d_par_oe),
    .dev_trdy_ni(d_trdy_n), .dev_devsel_ni(d_devsel_n), .dev_stop_ni(d_stop_n),
    .dev_ctl_oe_i(d_ctl_oe), .dev_read_claim_i(dev_read_claim),
    .ad_o(t_ad), .ad_oe_o(t_ad_oe), .par_o(t_par), .par_oe_o(t_par_oe),
    .trdy_no(t_trdy_n), .devsel_no(t_devsel_n), .stop_no(t_stop_n), .ctl_oe_o(t_ctl_oe),
    .dev_irdy_no(dev_irdy_n)
  );

  // ---- assumptions: a legal initiator ------------------------------------
  always @* begin
    // A1
    assume (rst_ni == !init_q);
    if (!rst_ni) assume (frame_n && irdy_n);
    if (v_q) begin
      // A2: IRDY# only after an address phase of a transaction in progress.
      if (!irdy_n) assume (in_txn && !addr_phase);
      // A3: no fast back-to-back.
      if (addr_phase) assume (irdy_q);
      // A4
      if (!frame_q && frame_n) assume (!irdy_n);
      // A5
      if (!irdy_q && trdy_q && stop_q) assume (!irdy_n && frame_n == frame_q);
      // A6
      if (frame_q && !irdy_q && (!trdy_q || !stop_q)) assume (irdy_n);
    end
  end

  // ---- properties ---------------------------------------------------------
  wire live = v_q && rst_ni;
  localparam [2:0] DEVSEL_CLK = (DEVSEL_TIMING == 0) ? 3'd1 : 3'd2;

  always @* if (live) begin
    // 0 devsel_decode_speed: DEVSEL# is first asserted in a transaction
    //   exactly at the declared decode clock (a+1 fast, a+2 medium; 3.6.1)
    //   or not at all; and only while the bus is busy (FRAME# or IRDY#
    //   asserted): it is released after the final data phase.
    if (PROPS[0]) assert (devsel_n || ((!frame_n || !irdy_n) &&
                                       (claimed_before || (in_txn && cnt == DEVSEL_CLK))));
    // 1 trdy_stop_with_devsel: TRDY# only with DEVSEL#; STOP# only with
    //   DEVSEL#, or without it and without TRDY# after DEVSEL# was asserted
    //   in this transaction (Target-Abort, 3.3.3.2.1).
    if (PROPS[1]) assert ((trdy_n || !devsel_n) &&
                          (stop_n || !devsel_n || (claimed_before && trdy_n)));
    // 2 nothing_before_claim: before DEVSEL# in a transaction, and outside
    //   transactions, the target asserts no TRDY#/STOP# and drives no AD.
    if (PROPS[2]) assert (!devsel_n || claimed_before || (trdy_n && stop_n && !t_ad_oe));
    // 3 ad_read_after_turnaround: AD is driven by the target only in a read
    //   it claims (DEVSEL# asserted), from a+2 on: a+1 is the turnaround
    //   clock (3.3.1).
    if (PROPS[3]) assert (!t_ad_oe || (in_txn && is_read && cnt >= 3'd2 && !devsel_n));
    // 4 par_after_ad: PAR is driven exactly in the clock after the target
    //   drove AD and is even parity over that clock's AD[31:0] and
    //   C/BE#[3:0] (3.7.1).
    if (PROPS[4]) assert (t_par_oe == ad_oe_q && (!ad_oe_q || t_par == ^{ad_q, cbe_q}));
    // 5 stop_held: once asserted, STOP# stays asserted until the edge that
    //   samples FRAME# deasserted (3.3.3.2).
    if (PROPS[5]) assert (stop_q || frame_q || !stop_n);
    // 6 retry_no_data: after STOP# without TRDY# (retry, or disconnect
    //   without data) no TRDY# for the rest of the transaction, so no data
    //   phase completes (3.3.3.2.2).
    if (PROPS[6]) assert (!nodata_before || trdy_n);
  end

endmodule

`default_nettype wire
