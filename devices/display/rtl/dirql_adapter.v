// dirql_adapter -- synthesizable top of the dirql interrupt-driven PCI
// display adapter: PCI target and configuration header (BAR0 registers, BAR1
// VGA ports, BAR2 framebuffer, MSI capability), VGA port block with CRTC,
// raster timing, interrupt block, timed programming window, command engine,
// framebuffer RAM and the MSI bus master.
//
// INTA# dismissal latency (fixed by construction, DISMISS_LATENCY_CYCLES = 1
// in the Rust register map): INT_RAW, INT_ENABLE, CR11 and Command[10] are
// flops and INTA# is combinational from them, so INTA# rises in the interval
// right after the rising edge at which the acknowledging write data phase
// (W1C to INT_STATUS, a write clearing INT_ENABLE, CR11[4] = 0 through 3D5h,
// or setting Interrupt Disable) completed -- i.e. with interval d = the clock
// in which IRDY# and TRDY# are both asserted for that write, INTA# is
// released in interval d+1. Likewise INTA# falls in the interval right after
// the edge at which the event is latched into INT_RAW.
//
// With MSI Enable set, INTA# is never asserted (PCI 3.0 6.8.1.3); the sources
// are delivered as message writes by dirql_msi instead.
//
// Bus signals are split into value and output enable; the tri-state and
// wired-AND resolution lives in the simulation wrapper (rtl/sim/) or in the
// pad ring, never here.
`default_nettype none

module dirql_adapter #(
  parameter integer DEVSEL_TIMING = 1,  // 0 = fast, 1 = medium DEVSEL#
  parameter integer VINT_W1C      = 0,  // 0: VGA-strict, only CR11[4] clears the vertical latch; 1: INT_STATUS W1C also clears it
  parameter integer SEQ_GAP       = 8   // G of the timed programming window, clocks
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,     // PCI RST#

  // Address/data and command
  input  wire [31:0] ad_i,
  output wire [31:0] ad_o,
  output wire        ad_oe_o,
  input  wire [3:0]  cbe_ni,
  output wire [3:0]  cbe_no,     // as bus master (MSI)
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
  output wire        frame_no,   // as bus master (MSI)
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

  `include "dirql_regs.vh"

  localparam [1:0] SPACE_CFG  = 2'd0;
  localparam [1:0] SPACE_BAR0 = 2'd1;
  localparam [1:0] SPACE_BAR1 = 2'd2;
  localparam [1:0] SPACE_BAR2 = 2'd3;

  // -------------------------------------------------------------------------
  // Interconnect
  // -------------------------------------------------------------------------
  wire [19:0] bar0_base;
  wire [26:0] bar1_base;
  wire [19:0] bar2_base;
  wire        io_space_en;
  wire        mem_space_en;
  wire        bus_master_en;
  wire        parity_err_resp;
  wire        parity_err_det;
  wire        intx_disable;
  wire        msi_enable;
  wire [2:0]  msi_mme;
  wire [31:0] msi_addr;
  wire [15:0] msi_data;
  wire        msi_master_abort;
  wire        msi_sent;
  wire [4:0]  msi_queued;

  wire [1:0]  acc_space;
  wire [9:0]  acc_addr;
  wire        acc_wr;
  wire        acc_rd;
  wire [3:0]  acc_be;
  wire [31:0] acc_wdata;
  wire [31:0] cfg_rdata;
  wire [31:0] bar0_rdata;
  wire [31:0] bar1_rdata;
  wire [31:0] bar2_rdata;

  wire        cfg_wr  = acc_wr && (acc_space == SPACE_CFG);
  wire        bar0_wr = acc_wr && (acc_space == SPACE_BAR0);
  wire        bar1_wr = acc_wr && (acc_space == SPACE_BAR1);
  wire        bar1_rd = acc_rd && (acc_space == SPACE_BAR1);
  wire        bar2_wr = acc_wr && (acc_space == SPACE_BAR2);

  wire [31:0] tgt_ad;
  wire        tgt_ad_oe;
  wire        tgt_par;
  wire        tgt_par_oe;
  wire [31:0] mst_ad;
  wire        mst_ad_oe;
  wire        mst_par;
  wire        mst_par_oe;

  // CRTC / timing
  wire [7:0]  htotal, hdisp, hss, hse, vtotal, vdisp, vss, cr11;
  wire [7:0]  crtc_index;
  wire [31:0] crtc_wr_probe;
  wire        vretrace_pulse;
  wire        vretrace;
  wire        display_off;
  wire [15:0] frame_cycles;
  wire [31:0] frame_count;

  // Interrupts
  wire        int_w1c;
  wire        int_enable_wr;
  wire [4:0]  int_wdata;
  wire [4:0]  int_raw;
  wire [4:0]  int_enable;
  wire [4:0]  int_status;
  wire [4:0]  int_pending;
  wire        vint_pending;

  // Command engine
  wire        cmd_push;
  wire        cmd_reset;
  wire [7:0]  fifo_low_wm;
  wire [7:0]  cmd_level;
  wire [7:0]  cmd_room;
  wire        cmd_busy;
  wire        cmd_stopped;
  wire [31:0] fence_value;
  wire        cmd_done;
  wire        cmd_error;
  wire        fifo_low;
  wire        eng_we;
  wire [9:0]  eng_waddr;
  wire [31:0] eng_wdata;
  wire [9:0]  eng_raddr;
  wire [31:0] eng_rdata;

  // Timed window
  wire        seq_unlock;
  wire        seq_mode_wr;
  wire [2:0]  seq_mode_idx;
  wire        seq_commit;
  wire [63:0] seq_mode;
  wire        seq_error;
  wire [31:0] seq_status;
  wire [31:0] seq_probe;

  // -------------------------------------------------------------------------
  // PCI target and configuration header
  // -------------------------------------------------------------------------
  pci_target #(
    .DEVSEL_TIMING (DEVSEL_TIMING)
  ) u_pci_target (
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
    .bar1_base_i       (bar1_base),
    .bar2_base_i       (bar2_base),
    .io_space_en_i     (io_space_en),
    .mem_space_en_i    (mem_space_en),
    .parity_err_resp_i (parity_err_resp),
    .parity_err_det_o  (parity_err_det),
    .fifo_room_i       (cmd_room),
    .acc_space_o       (acc_space),
    .acc_addr_o        (acc_addr),
    .acc_wr_o          (acc_wr),
    .acc_rd_o          (acc_rd),
    .acc_be_o          (acc_be),
    .acc_wdata_o       (acc_wdata),
    .cfg_rdata_i       (cfg_rdata),
    .bar0_rdata_i      (bar0_rdata),
    .bar1_rdata_i      (bar1_rdata),
    .bar2_rdata_i      (bar2_rdata)
  );

  pci_config #(
    .DEVSEL_TIMING (DEVSEL_TIMING)
  ) u_pci_config (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .cfg_wr_i          (cfg_wr),
    .cfg_addr_i        (acc_addr[5:0]),
    .cfg_be_i          (acc_be),
    .cfg_wdata_i       (acc_wdata),
    .cfg_rdata_o       (cfg_rdata),
    .int_pending_i     (|int_pending),
    .parity_err_det_i  (parity_err_det),
    .target_abort_i    (1'b0),          // the adapter never signals Target-Abort
    .master_abort_i    (msi_master_abort),
    .bar0_base_o       (bar0_base),
    .bar1_base_o       (bar1_base),
    .bar2_base_o       (bar2_base),
    .io_space_en_o     (io_space_en),
    .mem_space_en_o    (mem_space_en),
    .bus_master_en_o   (bus_master_en),
    .parity_err_resp_o (parity_err_resp),
    .intx_disable_o    (intx_disable),
    .msi_enable_o      (msi_enable),
    .msi_mme_o         (msi_mme),
    .msi_addr_o        (msi_addr),
    .msi_data_o        (msi_data)
  );

  // -------------------------------------------------------------------------
  // BAR0 registers, interrupt block, timed window, command engine
  // -------------------------------------------------------------------------
  dirql_regs #(
    .SEQ_GAP (SEQ_GAP)
  ) u_regs (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .mem_wr_i        (bar0_wr),
    .mem_addr_i      (acc_addr),
    .mem_be_i        (acc_be),
    .mem_wdata_i     (acc_wdata),
    .mem_rdata_o     (bar0_rdata),
    .int_w1c_o       (int_w1c),
    .int_enable_wr_o (int_enable_wr),
    .int_wdata_o     (int_wdata),
    .int_raw_i       (int_raw),
    .int_enable_i    (int_enable),
    .int_status_i    (int_status),
    .frame_cycles_i  (frame_cycles),
    .frame_count_i   (frame_count),
    .cmd_push_o      (cmd_push),
    .cmd_reset_o     (cmd_reset),
    .fifo_low_wm_o   (fifo_low_wm),
    .fence_value_i   (fence_value),
    .cmd_level_i     (cmd_level),
    .cmd_busy_i      (cmd_busy),
    .cmd_stopped_i   (cmd_stopped),
    .seq_unlock_o    (seq_unlock),
    .seq_mode_wr_o   (seq_mode_wr),
    .seq_mode_idx_o  (seq_mode_idx),
    .seq_status_i    (seq_status)
  );

  dirql_irq #(
    .VINT_W1C (VINT_W1C)
  ) u_irq (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .status_w1c_i     (int_w1c),
    .enable_wr_i      (int_enable_wr),
    .wdata_i          (int_wdata),
    .vretrace_start_i (vretrace_pulse),
    .cr11_i           (cr11),
    .cmd_done_i       (cmd_done),
    .cmd_error_i      (cmd_error),
    .fifo_low_i       (fifo_low),
    .seq_error_i      (seq_error),
    .int_raw_o        (int_raw),
    .int_enable_o     (int_enable),
    .int_status_o     (int_status),
    .pending_o        (int_pending),
    .vint_pending_o   (vint_pending)
  );

  dirql_seq_window #(
    .SEQ_GAP (SEQ_GAP)
  ) u_seq (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .unlock_i    (seq_unlock),
    .mode_wr_i   (seq_mode_wr),
    .mode_idx_i  (seq_mode_idx),
    .mode_data_i (acc_wdata[7:0]),
    .commit_o    (seq_commit),
    .mode_o      (seq_mode),
    .seq_error_o (seq_error),
    .status_o    (seq_status),
    .probe_o     (seq_probe)
  );

  dirql_cmd_engine u_cmd (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .push_i        (cmd_push),
    .push_data_i   (acc_wdata),
    .reset_i       (cmd_reset),
    .low_wm_i      (fifo_low_wm),
    .fb_busy_i     (bar2_wr),
    .fb_we_o       (eng_we),
    .fb_waddr_o    (eng_waddr),
    .fb_wdata_o    (eng_wdata),
    .fb_raddr_o    (eng_raddr),
    .fb_rdata_i    (eng_rdata),
    .level_o       (cmd_level),
    .room_o        (cmd_room),
    .busy_o        (cmd_busy),
    .stopped_o     (cmd_stopped),
    .fence_value_o (fence_value),
    .done_o        (cmd_done),
    .error_o       (cmd_error),
    .fifo_low_o    (fifo_low)
  );

  // Framebuffer: bus writes win the write port (the engine waits, fb_busy_i).
  dirql_fb_ram u_fb (
    .clk_i     (clk_i),
    .we_i      (bar2_wr || eng_we),
    .waddr_i   (bar2_wr ? acc_addr : eng_waddr),
    .wbe_i     (bar2_wr ? acc_be : 4'hF),
    .wdata_i   (bar2_wr ? acc_wdata : eng_wdata),
    .raddr_a_i (acc_addr),
    .rdata_a_o (bar2_rdata),
    .raddr_b_i (eng_raddr),
    .rdata_b_o (eng_rdata)
  );

  // -------------------------------------------------------------------------
  // BAR1 VGA ports and raster timing
  // -------------------------------------------------------------------------
  dirql_vga_io u_vga (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .io_wr_i         (bar1_wr),
    .io_rd_i         (bar1_rd),
    .io_addr_i       (acc_addr[2:0]),
    .io_be_i         (acc_be),
    .io_wdata_i      (acc_wdata),
    .io_rdata_o      (bar1_rdata),
    .vint_pending_i  (vint_pending),
    .vretrace_i      (vretrace),
    .display_off_i   (display_off),
    .mode_commit_i   (seq_commit),
    .mode_i          (seq_mode),
    .htotal_o        (htotal),
    .hdisp_o         (hdisp),
    .hss_o           (hss),
    .hse_o           (hse),
    .vtotal_o        (vtotal),
    .vdisp_o         (vdisp),
    .vss_o           (vss),
    .cr11_o          (cr11),
    .crtc_index_o    (crtc_index),
    .crtc_wr_probe_o (crtc_wr_probe)
  );

  vga_timing u_vga_timing (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .htotal_i         (htotal),
    .hdisp_i          (hdisp),
    .vtotal_i         (vtotal),
    .vdisp_i          (vdisp),
    .vss_i            (vss),
    .vse_i            (cr11[3:0]),
    .vretrace_pulse_o (vretrace_pulse),
    .vretrace_o       (vretrace),
    .display_off_o    (display_off),
    .frame_cycles_o   (frame_cycles),
    .frame_count_o    (frame_count)
  );

  // -------------------------------------------------------------------------
  // MSI master and bus output merge
  // -------------------------------------------------------------------------
  dirql_msi u_msi (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .msi_en_i        (msi_enable),
    .mme_i           (msi_mme),
    .msi_addr_i      (msi_addr),
    .msi_data_i      (msi_data),
    .bus_master_en_i (bus_master_en),
    .hold_i          (seq_status[0]),   // SEQ_STATUS[0]: timed window open
    .pending_i       (int_pending),
    .frame_ni        (frame_ni),
    .irdy_ni         (irdy_ni),
    .trdy_ni         (trdy_ni),
    .devsel_ni       (devsel_ni),
    .stop_ni         (stop_ni),
    .gnt_ni          (gnt_ni),
    .req_no          (req_no),
    .mst_oe_o        (mst_oe_o),
    .frame_no        (frame_no),
    .irdy_no         (irdy_no),
    .cbe_no          (cbe_no),
    .ad_o            (mst_ad),
    .ad_oe_o         (mst_ad_oe),
    .par_o           (mst_par),
    .par_oe_o        (mst_par_oe),
    .master_abort_o  (msi_master_abort),
    .sent_o          (msi_sent),
    .queued_o        (msi_queued)
  );

  // Target and master never drive AD in the same clock: the target only
  // answers transactions it claimed, and the master only starts on an idle
  // bus, so at most one of the enables is set.
  assign ad_o     = tgt_ad_oe ? tgt_ad : mst_ad;
  assign ad_oe_o  = tgt_ad_oe || mst_ad_oe;
  assign par_o    = tgt_par_oe ? tgt_par : mst_par;
  assign par_oe_o = tgt_par_oe || mst_par_oe;

  // -------------------------------------------------------------------------
  // INTA# is level-sensitive, shared and open drain (2.2.6): asserted while
  // an enabled source is pending, unless software set Interrupt Disable
  // (Command[10], 6.2.2) or enabled MSI (6.8.1.3). Status[3] still shows the
  // condition (pci_config).
  // -------------------------------------------------------------------------
  wire inta_assert = (|int_pending) && !intx_disable && !msi_enable;
  assign inta_no = !inta_assert;

  // No SERR# sources (no address parity / system errors reported).
  assign serr_no = 1'b1;

  // Kept for waveform readers and the simulation wrapper's probes; the
  // horizontal sync registers have no output pins on this model.
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused_ok = &{1'b0, hss, hse, crtc_index, crtc_wr_probe, seq_probe, int_status[0],
                     msi_sent, msi_queued};
  /* verilator lint_on UNUSEDSIGNAL */

endmodule

`default_nettype wire
