// dirql_nic_dev -- simulation only: dirql_nic (instance u_nic) with the same
// PCI ports plus eight 32-bit probes of device state for the checkers, read
// by hierarchical reference so that the synthesizable top carries no debug
// ports. Assignment (devices/nic/README.md, "Probes"):
//
//   probe0  INT_STATUS, raw latched causes            [4:0]
//   probe1  INT_ENABLE                                [4:0]
//   probe2  [31:16] moderation counter, [12:8] MSI queue, [0] INTA# asserted
//   probe3  [31:24] RX_TAIL [23:16] RX_HEAD [15:8] TX_TAIL [7:0] TX_HEAD
//   probe4  bus master: address of the current / next data phase
//   probe5  [22:16] master dword index, [10:8] receive queue level,
//           [6:4] master state, [3:0] DMA sequencer state
//   probe6  [31] link up, [30] generator running, [15:0] GEN_COUNT (frames still to inject)
//   probe7  this cycle's cause events into the interrupt block (before latching) [4:0]
`default_nettype none

module dirql_nic_dev #(
  parameter integer DEVSEL_TIMING = 1
) (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire [31:0] ad_i,
  output wire [31:0] ad_o,
  output wire        ad_oe_o,
  input  wire [3:0]  cbe_ni,
  output wire [3:0]  cbe_no,
  input  wire        par_i,
  output wire        par_o,
  output wire        par_oe_o,
  input  wire        frame_ni,
  input  wire        irdy_ni,
  input  wire        trdy_ni,
  input  wire        devsel_ni,
  input  wire        stop_ni,
  input  wire        idsel_i,
  output wire        trdy_no,
  output wire        devsel_no,
  output wire        stop_no,
  output wire        ctl_oe_o,
  output wire        frame_no,
  output wire        irdy_no,
  output wire        mst_oe_o,
  output wire        perr_no,
  output wire        serr_no,
  output wire        req_no,
  input  wire        gnt_ni,
  output wire        inta_no,

  // Probes
  output wire [31:0] probe0_o,
  output wire [31:0] probe1_o,
  output wire [31:0] probe2_o,
  output wire [31:0] probe3_o,
  output wire [31:0] probe4_o,
  output wire [31:0] probe5_o,
  output wire [31:0] probe6_o,
  output wire [31:0] probe7_o
);

  dirql_nic #(
    .DEVSEL_TIMING (DEVSEL_TIMING)
  ) u_nic (
    .clk_i     (clk_i),
    .rst_ni    (rst_ni),
    .ad_i      (ad_i),
    .ad_o      (ad_o),
    .ad_oe_o   (ad_oe_o),
    .cbe_ni    (cbe_ni),
    .cbe_no    (cbe_no),
    .par_i     (par_i),
    .par_o     (par_o),
    .par_oe_o  (par_oe_o),
    .frame_ni  (frame_ni),
    .irdy_ni   (irdy_ni),
    .trdy_ni   (trdy_ni),
    .devsel_ni (devsel_ni),
    .stop_ni   (stop_ni),
    .idsel_i   (idsel_i),
    .trdy_no   (trdy_no),
    .devsel_no (devsel_no),
    .stop_no   (stop_no),
    .ctl_oe_o  (ctl_oe_o),
    .frame_no  (frame_no),
    .irdy_no   (irdy_no),
    .mst_oe_o  (mst_oe_o),
    .perr_no   (perr_no),
    .serr_no   (serr_no),
    .req_no    (req_no),
    .gnt_ni    (gnt_ni),
    .inta_no   (inta_no)
  );

  assign probe0_o = {27'd0, u_nic.int_status};
  assign probe1_o = {27'd0, u_nic.int_enable};
  assign probe2_o = {u_nic.hold, 3'd0, u_nic.msi_queue, 7'd0, !u_nic.inta_no};
  assign probe3_o = {u_nic.rx_tail, u_nic.rx_head, u_nic.tx_tail, u_nic.tx_head};
  assign probe4_o = u_nic.m_cur_addr;
  assign probe5_o = {9'd0, u_nic.u_master.idx_q, 5'd0, u_nic.rxq_level, 1'b0,
                     u_nic.m_state, u_nic.dma_state};
  assign probe6_o = {u_nic.link_up, u_nic.gen_running, 14'd0, u_nic.gen_count};
  assign probe7_o = {27'd0, u_nic.events};

endmodule

`default_nettype wire
