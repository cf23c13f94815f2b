// dirql_adapter -- synthesizable top of the dirql interrupt-driven PCI
// display adapter (v0: PCI target, config header, BAR0 registers, frame
// timing generator, INTA#).
//
// INTA# dismissal latency (fixed by construction): INT_RAW, INT_ENABLE and
// Command[10] are flops and INTA# is combinational from them, so INTA# rises
// in the interval right after the rising edge at which the acknowledging
// write data phase (W1C to INT_STATUS, or a write clearing INT_ENABLE or
// setting Interrupt Disable) completed -- i.e. with interval d = the clock in
// which IRDY# and TRDY# are both asserted for that write, INTA# is released
// in interval d+1. Likewise INTA# falls in the interval right after the edge
// at which the event is latched into INT_RAW.
//
// Bus signals are split into value and output enable; the tri-state and
// wired-AND resolution lives in the simulation wrapper (rtl/sim/) or in the
// pad ring, never here.
`default_nettype none

module dirql_adapter #(
  parameter integer DEVSEL_TIMING = 1,     // 0 = fast, 1 = medium DEVSEL#
  parameter integer FRAME_CYCLES  = 2000   // reset value of REG_FRAME_PERIOD
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,     // PCI RST#

  // Address/data and command
  input  wire [31:0] ad_i,
  output wire [31:0] ad_o,
  output wire        ad_oe_o,
  input  wire [3:0]  cbe_ni,
  input  wire        par_i,
  output wire        par_o,
  output wire        par_oe_o,

  // Interface control
  input  wire        frame_ni,
  input  wire        irdy_ni,
  input  wire        idsel_i,
  output wire        trdy_no,
  output wire        devsel_no,
  output wire        stop_no,
  output wire        ctl_oe_o,   // drive TRDY#/DEVSEL#/STOP#; 0 = tri-state

  // Error reporting
  output wire        perr_no,
  output wire        serr_no,

  // Arbitration (bus mastering is not implemented in v0)
  output wire        req_no,
  input  wire        gnt_ni,

  // Interrupt (open drain: 0 = pull INTA# low, 1 = release)
  output wire        inta_no
);

  // -------------------------------------------------------------------------
  // Interconnect
  // -------------------------------------------------------------------------
  wire [19:0] bar0_base;
  wire        mem_space_en;
  wire        parity_err_resp;
  wire        parity_err_det;
  wire        intx_disable;

  wire [5:0]  cfg_addr;
  wire        cfg_wr;
  wire [3:0]  cfg_be;
  wire [31:0] cfg_wdata;
  wire [31:0] cfg_rdata;

  wire [9:0]  mem_addr;
  wire        mem_wr;
  wire [3:0]  mem_be;
  wire [31:0] mem_wdata;
  wire [31:0] mem_rdata;

  wire [31:0] frame_period;
  wire [31:0] frame_count;
  wire        vretrace_pulse;
  wire        vretrace;       // status only; kept for waveforms
  wire        int_pending;    // |(int_raw_q & int_enable_q), before Interrupt Disable

  // -------------------------------------------------------------------------
  // PCI target
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
    .ad_o              (ad_o),
    .ad_oe_o           (ad_oe_o),
    .par_o             (par_o),
    .par_oe_o          (par_oe_o),
    .trdy_no           (trdy_no),
    .devsel_no         (devsel_no),
    .stop_no           (stop_no),
    .ctl_oe_o          (ctl_oe_o),
    .perr_no           (perr_no),
    .bar0_base_i       (bar0_base),
    .mem_space_en_i    (mem_space_en),
    .parity_err_resp_i (parity_err_resp),
    .parity_err_det_o  (parity_err_det),
    .cfg_addr_o        (cfg_addr),
    .cfg_wr_o          (cfg_wr),
    .cfg_be_o          (cfg_be),
    .cfg_wdata_o       (cfg_wdata),
    .cfg_rdata_i       (cfg_rdata),
    .mem_addr_o        (mem_addr),
    .mem_wr_o          (mem_wr),
    .mem_be_o          (mem_be),
    .mem_wdata_o       (mem_wdata),
    .mem_rdata_i       (mem_rdata)
  );

  // -------------------------------------------------------------------------
  // Configuration header
  // -------------------------------------------------------------------------
  pci_config #(
    .DEVSEL_TIMING (DEVSEL_TIMING)
  ) u_pci_config (
    .clk_i             (clk_i),
    .rst_ni            (rst_ni),
    .cfg_wr_i          (cfg_wr),
    .cfg_addr_i        (cfg_addr),
    .cfg_be_i          (cfg_be),
    .cfg_wdata_i       (cfg_wdata),
    .cfg_rdata_o       (cfg_rdata),
    .int_pending_i     (int_pending),
    .parity_err_det_i  (parity_err_det),
    .target_abort_i    (1'b0),          // v0 never signals Target-Abort
    .bar0_base_o       (bar0_base),
    .mem_space_en_o    (mem_space_en),
    .parity_err_resp_o (parity_err_resp),
    .intx_disable_o    (intx_disable)
  );

  // -------------------------------------------------------------------------
  // BAR0 registers and timing generator
  // -------------------------------------------------------------------------
  dirql_regs #(
    .FRAME_CYCLES (FRAME_CYCLES)
  ) u_regs (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .mem_wr_i         (mem_wr),
    .mem_addr_i       (mem_addr),
    .mem_be_i         (mem_be),
    .mem_wdata_i      (mem_wdata),
    .mem_rdata_o      (mem_rdata),
    .vretrace_pulse_i (vretrace_pulse),
    .frame_count_i    (frame_count),
    .frame_period_o   (frame_period),
    .int_pending_o    (int_pending)
  );

  vga_timing u_vga_timing (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .frame_period_i   (frame_period),
    .vretrace_pulse_o (vretrace_pulse),
    .vretrace_o       (vretrace),
    .frame_count_o    (frame_count)
  );

  // -------------------------------------------------------------------------
  // Interrupt: INTA# is level-sensitive, shared and open drain (2.2.6); it is
  // asserted while an enabled source is latched, unless software set
  // Interrupt Disable (Command[10], 6.2.2). Status[3] still shows the
  // condition (pci_config).
  // -------------------------------------------------------------------------
  wire inta_assert = int_pending && !intx_disable;
  assign inta_no = !inta_assert;

  // -------------------------------------------------------------------------
  // Not implemented in v0: no bus mastering (REQ# released, GNT# ignored) and
  // no SERR# sources (no address parity / system errors reported).
  // -------------------------------------------------------------------------
  assign req_no  = 1'b1;
  assign serr_no = 1'b1;

  // GNT# is only meaningful once the adapter masters the bus (MSI, DMA);
  // vretrace is a status level kept for waveform readers. Neither drives
  // logic yet.
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused_ok = &{1'b0, gnt_ni, vretrace};
  /* verilator lint_on UNUSEDSIGNAL */

endmodule

`default_nettype wire
