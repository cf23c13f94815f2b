// dirql_nic -- synthesizable top of the dirql network adapter: a PCI Ethernet
// function with bus-master DMA over descriptor rings in host memory, INTA#
// and MSI (4 messages), interrupt moderation, a loopback, a traffic
// generator standing in for the wire, and a link that software can flap.
// devices/nic/README.md documents the registers, descriptors, DMA ordering
// and interrupt timing.
//
// The port list is exactly that of rtl/dirql_adapter.v, so the device drops
// into the same simulation wrapper slot. Inputs are the resolved bus,
// including this device's own drives; every bus output is a flop or
// combinational from flops only (PCI 3.0 3.10).
//
//   nic_pci_target  config + BAR0 target           nic_pci_config  header, MSI capability
//   nic_regs        BAR0 registers                 nic_irq         INT_STATUS, moderation, INTA#, MSI queue
//   nic_wire        link, traffic generator        nic_dma         rings, frame buffer, loopback
//   nic_master      the one bus master (DMA and MSI messages)
//
// INTA# timing (nic_irq): asserted in the interval right after the edge that
// latches an enabled cause (assertion latency 1; with INT_MODERATION = H at
// most 1 + H), released in the interval right after the acknowledging data
// phase (dismissal latency 1). Never asserted with MSI Enable or Interrupt
// Disable set.
`default_nettype none

module dirql_nic #(
  parameter integer DEVSEL_TIMING = 1   // 0 = fast, 1 = medium DEVSEL#
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,     // PCI RST#

  // Address/data and command
  input  wire [31:0] ad_i,
  output wire [31:0] ad_o,
  output wire        ad_oe_o,
  input  wire [3:0]  cbe_ni,
  output wire [3:0]  cbe_no,     // as bus master
  input  wire        par_i,
  output wire        par_o,
  output wire        par_oe_o,

  // Interface control
  input  wire        frame_ni,
  input  wire        irdy_ni,
  input  wire        trdy_ni,    // resolved bus, for the master side
  input  wire        devsel_ni,
  input  wire        stop_ni,
  input  wire        idsel_i,
  output wire        trdy_no,
  output wire        devsel_no,
  output wire        stop_no,
  output wire        ctl_oe_o,   // drive TRDY#/DEVSEL#/STOP#; 0 = tri-state
  output wire        frame_no,   // as bus master
  output wire        irdy_no,
  output wire        mst_oe_o,   // drive FRAME#/IRDY#/C/BE#; 0 = tri-state

  // Error reporting
  output wire        perr_no,
  output wire        serr_no,

  // Arbitration
  output wire        req_no,
  input  wire        gnt_ni,

  // Interrupt (open drain: 0 = pull INTA# low, 1 = release)
  output wire        inta_no
);

  // -------------------------------------------------------------------------
  // Interconnect
  // -------------------------------------------------------------------------
  // Target / configuration
  wire [19:0] bar0_base;
  wire        mem_space_en, bus_master_en, parity_err_resp, parity_err_det;
  wire        intx_disable;
  wire [7:0]  lat_timer;
  wire        msi_enable;
  wire [2:0]  msi_mme;
  wire [31:0] msi_addr;
  wire [15:0] msi_data;
  wire        acc_cfg, acc_wr;
  wire [9:0]  acc_addr;
  wire [3:0]  acc_be;
  wire [31:0] acc_wdata, cfg_rdata, bar0_rdata;
  wire        cfg_wr  = acc_wr && acc_cfg;
  wire        bar0_wr = acc_wr && !acc_cfg;
  wire [31:0] tgt_ad;
  wire        tgt_ad_oe, tgt_par, tgt_par_oe;

  // Registers
  wire        tx_en, rx_en, loop_en, srst_req, tx_halt_clr, rx_halt_clr;
  wire [27:0] tx_base, rx_base;
  wire [8:0]  tx_size, rx_size;
  wire [7:0]  tx_tail, rx_tail;
  wire [3:0]  burst;
  wire        int_w1c, int_enable_wr, int_mod_wr;
  wire [4:0]  int_wdata;
  wire [15:0] int_mod_wdata;
  wire        link_en, gen_start, gen_stop, gen_count_wr;
  wire [15:0] gen_count_wdata, gen_interval;
  wire [8:0]  gen_len;
  wire [31:0] gen_pattern;

  // Interrupts
  wire [4:0]  int_status, int_enable, msi_queue;
  wire [15:0] int_mod, hold;
  wire        cfg_int_status, msi_req, msi_start, msi_sent;
  wire [15:0] msi_msg;
  wire [4:0]  events;

  // Wire
  wire        link_up, link_event, gen_running, gen_avail, gen_take;
  wire [15:0] gen_count, gen_seq;
  wire [2:0]  rxq_level;
  wire [31:0] stat_missed;

  // DMA
  wire        ev_rx, ev_tx, ev_nobuf, ev_err;
  wire [7:0]  tx_head, rx_head;
  wire        tx_halt, rx_halt, dma_busy;
  wire [31:0] err_addr, stat_tx, stat_rx, stat_nobuf;
  wire [3:0]  err_info, dma_state;

  // Master
  wire        m_start, m_write, m_idle, m_rd_valid, m_done, m_err, m_err_mabort, m_on_bus;
  wire [29:0] m_addr;
  wire [6:0]  m_len, m_widx, m_rd_idx;
  wire [3:0]  m_last_be;
  wire [31:0] m_wdata, m_rd_data, m_err_addr, m_cur_addr;
  wire [2:0]  m_state;
  wire [31:0] mst_ad;
  wire        mst_ad_oe, mst_par, mst_par_oe;

  // Soft reset: once CTRL.SOFT_RST is set, in the first clock the master is
  // not on the bus (a transaction is never cut; a request still waiting for
  // the bus is dropped).
  wire srst = srst_req && !m_on_bus;

  // Cause events, one bit per INT_STATUS bit (probe 7).
  assign events = {ev_err, ev_nobuf, link_event, ev_tx, ev_rx};

  // -------------------------------------------------------------------------
  // PCI target and configuration header
  // -------------------------------------------------------------------------
  nic_pci_target #(
    .DEVSEL_TIMING (DEVSEL_TIMING)
  ) u_target (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .frame_ni          (frame_ni),
    .irdy_ni           (irdy_ni),
    .cbe_ni            (cbe_ni),
    .ad_i              (ad_i),
    .par_i             (par_i),
    .idsel_i           (idsel_i),
    .ad_o              (tgt_ad),
    .ad_oe_o           (tgt_ad_oe),
    .par_o             (tgt_par),
    .par_oe_o          (tgt_par_oe),
    .trdy_no           (trdy_no),
    .devsel_no         (devsel_no),
    .stop_no           (stop_no),
    .ctl_oe_o          (ctl_oe_o),
    .perr_no           (perr_no),
    .bar0_base_i       (bar0_base),
    .mem_space_en_i    (mem_space_en),
    .parity_err_resp_i (parity_err_resp),
    .parity_err_det_o  (parity_err_det),
    .acc_cfg_o         (acc_cfg),
    .acc_addr_o        (acc_addr),
    .acc_wr_o          (acc_wr),
    .acc_be_o          (acc_be),
    .acc_wdata_o       (acc_wdata),
    .cfg_rdata_i       (cfg_rdata),
    .bar0_rdata_i      (bar0_rdata)
  );

  nic_pci_config #(
    .DEVSEL_TIMING (DEVSEL_TIMING)
  ) u_cfg (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .cfg_wr_i          (cfg_wr),
    .cfg_addr_i        (acc_addr[5:0]),
    .cfg_be_i          (acc_be),
    .cfg_wdata_i       (acc_wdata),
    .cfg_rdata_o       (cfg_rdata),
    .int_status_i      (cfg_int_status),
    .parity_err_det_i  (parity_err_det),
    .master_abort_i    (m_err && m_err_mabort),
    .target_abort_i    (m_err && !m_err_mabort),
    .bar0_base_o       (bar0_base),
    .mem_space_en_o    (mem_space_en),
    .bus_master_en_o   (bus_master_en),
    .parity_err_resp_o (parity_err_resp),
    .intx_disable_o    (intx_disable),
    .latency_timer_o   (lat_timer),
    .msi_enable_o      (msi_enable),
    .msi_mme_o         (msi_mme),
    .msi_addr_o        (msi_addr),
    .msi_data_o        (msi_data)
  );

  // -------------------------------------------------------------------------
  // BAR0 registers, interrupts, wire, DMA
  // -------------------------------------------------------------------------
  nic_regs u_regs (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .srst_i            (srst),
    .mem_wr_i          (bar0_wr),
    .mem_addr_i        (acc_addr),
    .mem_be_i          (acc_be),
    .mem_wdata_i       (acc_wdata),
    .mem_rdata_o       (bar0_rdata),
    .tx_en_o           (tx_en),
    .rx_en_o           (rx_en),
    .loop_o            (loop_en),
    .srst_req_o        (srst_req),
    .tx_halt_clr_o     (tx_halt_clr),
    .rx_halt_clr_o     (rx_halt_clr),
    .tx_base_o         (tx_base),
    .tx_size_o         (tx_size),
    .tx_tail_o         (tx_tail),
    .rx_base_o         (rx_base),
    .rx_size_o         (rx_size),
    .rx_tail_o         (rx_tail),
    .burst_o           (burst),
    .int_w1c_o         (int_w1c),
    .int_enable_wr_o   (int_enable_wr),
    .int_wdata_o       (int_wdata),
    .int_mod_wr_o      (int_mod_wr),
    .int_mod_wdata_o   (int_mod_wdata),
    .int_status_i      (int_status),
    .int_enable_i      (int_enable),
    .int_mod_i         (int_mod),
    .link_en_o         (link_en),
    .gen_start_o       (gen_start),
    .gen_stop_o        (gen_stop),
    .gen_count_wr_o    (gen_count_wr),
    .gen_count_wdata_o (gen_count_wdata),
    .gen_len_o         (gen_len),
    .gen_pattern_o     (gen_pattern),
    .gen_interval_o    (gen_interval),
    .gen_running_i     (gen_running),
    .gen_count_i       (gen_count),
    .link_up_i         (link_up),
    .tx_head_i         (tx_head),
    .rx_head_i         (rx_head),
    .tx_halt_i         (tx_halt),
    .rx_halt_i         (rx_halt),
    .dma_busy_i        (dma_busy || !m_idle),
    .err_addr_i        (err_addr),
    .err_info_i        (err_info),
    .stat_tx_i         (stat_tx),
    .stat_rx_i         (stat_rx),
    .stat_nobuf_i      (stat_nobuf),
    .stat_missed_i     (stat_missed)
  );

  nic_irq u_irq (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .srst_i           (srst),
    .status_w1c_i     (int_w1c),
    .enable_wr_i      (int_enable_wr),
    .wdata_i          (int_wdata),
    .mod_wr_i         (int_mod_wr),
    .mod_wdata_i      (int_mod_wdata),
    .events_i         (events),
    .intx_disable_i   (intx_disable),
    .msi_en_i         (msi_enable),
    .msi_mme_i        (msi_mme),
    .msi_data_i       (msi_data),
    .msi_req_o        (msi_req),
    .msi_msg_o        (msi_msg),
    .msi_start_i      (msi_start),
    .msi_sent_i       (msi_sent),
    .int_status_o     (int_status),
    .int_enable_o     (int_enable),
    .int_mod_o        (int_mod),
    .cfg_int_status_o (cfg_int_status),
    .inta_no          (inta_no),
    .hold_o           (hold),
    .msi_queue_o      (msi_queue)
  );

  nic_wire u_wire (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .srst_i            (srst),
    .link_en_i         (link_en),
    .rx_en_i           (rx_en),
    .gen_start_i       (gen_start),
    .gen_stop_i        (gen_stop),
    .gen_count_wr_i    (gen_count_wr),
    .gen_count_wdata_i (gen_count_wdata),
    .gen_interval_i    (gen_interval),
    .take_i            (gen_take),
    .frame_avail_o     (gen_avail),
    .seq_o             (gen_seq),
    .link_up_o         (link_up),
    .link_event_o      (link_event),
    .gen_running_o     (gen_running),
    .gen_count_o       (gen_count),
    .rxq_level_o       (rxq_level),
    .stat_missed_o     (stat_missed)
  );

  nic_dma u_dma (
    .clk_i          (clk_i),
    .rst_ni         (rst_ni),
    .srst_i         (srst),
    .tx_en_i        (tx_en),
    .rx_en_i        (rx_en),
    .loop_i         (loop_en),
    .link_up_i      (link_up),
    .tx_base_i      (tx_base),
    .tx_size_i      (tx_size),
    .tx_tail_i      (tx_tail),
    .rx_base_i      (rx_base),
    .rx_size_i      (rx_size),
    .rx_tail_i      (rx_tail),
    .tx_halt_clr_i  (tx_halt_clr),
    .rx_halt_clr_i  (rx_halt_clr),
    .gen_avail_i    (gen_avail),
    .gen_seq_i      (gen_seq),
    .gen_len_i      (gen_len),
    .gen_pattern_i  (gen_pattern),
    .gen_take_o     (gen_take),
    .msi_req_i      (msi_req),
    .msi_msg_i      (msi_msg),
    .msi_addr_i     (msi_addr[31:2]),
    .msi_start_o    (msi_start),
    .msi_sent_o     (msi_sent),
    .m_start_o      (m_start),
    .m_write_o      (m_write),
    .m_addr_o       (m_addr),
    .m_len_o        (m_len),
    .m_last_be_o    (m_last_be),
    .m_idle_i       (m_idle),
    .m_widx_i       (m_widx),
    .m_wdata_o      (m_wdata),
    .m_rd_valid_i   (m_rd_valid),
    .m_rd_idx_i     (m_rd_idx),
    .m_rd_data_i    (m_rd_data),
    .m_done_i       (m_done),
    .m_err_i        (m_err),
    .m_err_mabort_i (m_err_mabort),
    .m_err_addr_i   (m_err_addr),
    .ev_rx_o        (ev_rx),
    .ev_tx_o        (ev_tx),
    .ev_nobuf_o     (ev_nobuf),
    .ev_err_o       (ev_err),
    .tx_head_o      (tx_head),
    .rx_head_o      (rx_head),
    .tx_halt_o      (tx_halt),
    .rx_halt_o      (rx_halt),
    .err_addr_o     (err_addr),
    .err_info_o     (err_info),
    .stat_tx_o      (stat_tx),
    .stat_rx_o      (stat_rx),
    .stat_nobuf_o   (stat_nobuf),
    .busy_o         (dma_busy),
    .state_o        (dma_state)
  );

  // -------------------------------------------------------------------------
  // Bus master and output merge
  // -------------------------------------------------------------------------
  nic_master u_master (
    .clk_i          (clk_i),
    .rst_ni         (rst_ni),
    .bme_i          (bus_master_en),
    .cancel_i       (srst),
    .lat_timer_i    (lat_timer),
    .burst_i        (burst),
    .start_i        (m_start),
    .write_i        (m_write),
    .addr_i         (m_addr),
    .len_i          (m_len),
    .last_be_i      (m_last_be),
    .idle_o         (m_idle),
    .widx_o         (m_widx),
    .wdata_i        (m_wdata),
    .rd_valid_o     (m_rd_valid),
    .rd_idx_o       (m_rd_idx),
    .rd_data_o      (m_rd_data),
    .done_o         (m_done),
    .err_o          (m_err),
    .err_mabort_o   (m_err_mabort),
    .err_addr_o     (m_err_addr),
    .on_bus_o       (m_on_bus),
    .state_o        (m_state),
    .cur_addr_o     (m_cur_addr),
    .frame_ni       (frame_ni),
    .irdy_ni        (irdy_ni),
    .trdy_ni        (trdy_ni),
    .devsel_ni      (devsel_ni),
    .stop_ni        (stop_ni),
    .ad_i           (ad_i),
    .gnt_ni         (gnt_ni),
    .req_no         (req_no),
    .mst_oe_o       (mst_oe_o),
    .frame_no       (frame_no),
    .irdy_no        (irdy_no),
    .cbe_no         (cbe_no),
    .ad_o           (mst_ad),
    .ad_oe_o        (mst_ad_oe),
    .par_o          (mst_par),
    .par_oe_o       (mst_par_oe)
  );

  // Target and master never drive AD in the same clock: the target answers
  // only transactions it claimed (never its own master's: DMA addresses are
  // host memory), the master starts only on an idle bus.
  assign ad_o     = tgt_ad_oe ? tgt_ad : mst_ad;
  assign ad_oe_o  = tgt_ad_oe || mst_ad_oe;
  assign par_o    = tgt_par_oe ? tgt_par : mst_par;
  assign par_oe_o = tgt_par_oe || mst_par_oe;

  // No SERR# sources (address parity is not checked).
  assign serr_no = 1'b1;

  // Kept for the simulation shim's probes (sim/dirql_nic_dev.v reads them by
  // hierarchical reference).
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused_ok = &{1'b0, msi_addr[1:0], msi_queue, hold, rxq_level, dma_state, m_state, m_cur_addr};
  /* verilator lint_on UNUSEDSIGNAL */

endmodule

`default_nettype wire
