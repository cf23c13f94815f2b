// pci_config -- type-0 configuration header of the dirql adapter.
//
// Implements the predefined header of PCI Local Bus Spec 3.0, 6.1/6.2 for a
// single-function device with three BARs (BAR0 4 KiB MMIO, BAR1 32-byte I/O,
// BAR2 4 KiB prefetchable memory) and one capability, MSI (6.8.1, 32-bit
// message address, multiple message capable). Read data is a pure
// combinational function of cfg_addr_i and flops (no read side effects);
// writes take effect on the rising edge where cfg_wr_i is high.
`default_nettype none

module pci_config #(
  // 0 = fast, 1 = medium: reported in Status[10:9] (6.2.3); must match the
  // DEVSEL_TIMING that pci_target is built with.
  parameter integer DEVSEL_TIMING = 1
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Register access from pci_target (configuration transactions)
  input  wire        cfg_wr_i,      // write strobe: data phase completes at this edge
  input  wire [5:0]  cfg_addr_i,    // dword register number (AD[7:2])
  input  wire [3:0]  cfg_be_i,      // byte enables, active high
  input  wire [31:0] cfg_wdata_i,
  output reg  [31:0] cfg_rdata_o,   // combinational from cfg_addr_i

  // Status sources
  input  wire        int_pending_i,     // interrupt condition, before Interrupt Disable
  input  wire        parity_err_det_i,  // pulse: pci_target detected a data parity error
  input  wire        target_abort_i,    // pulse: pci_target signalled Target-Abort
  input  wire        master_abort_i,    // pulse: our MSI write ended in Master-Abort

  // Decoded configuration for the rest of the chip
  output wire [19:0] bar0_base_o,       // BAR0 address bits [31:12]
  output wire [26:0] bar1_base_o,       // BAR1 address bits [31:5]
  output wire [19:0] bar2_base_o,       // BAR2 address bits [31:12]
  output wire        io_space_en_o,     // Command[0]
  output wire        mem_space_en_o,    // Command[1]
  output wire        bus_master_en_o,   // Command[2]
  output wire        parity_err_resp_o, // Command[6]
  output wire        intx_disable_o,    // Command[10]
  output wire        msi_enable_o,      // MSI Message Control[0]
  output wire [2:0]  msi_mme_o,         // MSI Multiple Message Enable
  output wire [31:0] msi_addr_o,
  output wire [15:0] msi_data_o
);

  `include "dirql_regs.vh"

  // Dword numbers of the header registers we implement (6.1, Figure 6-1).
  localparam [5:0] D_ID        = 6'd0;   // 00h Device ID / Vendor ID
  localparam [5:0] D_STAT_CMD  = CFG_COMMAND[7:2];
  localparam [5:0] D_CLASS_REV = 6'd2;   // 08h Class Code / Revision ID
  localparam [5:0] D_HDR       = 6'd3;   // 0Ch BIST / Header Type / Lat / CLS
  localparam [5:0] D_BAR0      = CFG_BAR0[7:2];
  localparam [5:0] D_BAR1      = CFG_BAR1[7:2];
  localparam [5:0] D_BAR2      = CFG_BAR2[7:2];
  localparam [5:0] D_SUBSYS    = 6'd11;  // 2Ch Subsystem ID / Subsystem Vendor ID
  localparam [5:0] D_CAP_PTR   = CFG_CAP_PTR[7:2];
  localparam [5:0] D_INTR      = CFG_INTR[7:2];
  localparam [5:0] D_MSI_CAP   = CFG_MSI_CAP[7:2];
  localparam [5:0] D_MSI_ADDR  = CFG_MSI_ADDR[7:2];
  localparam [5:0] D_MSI_DATA  = CFG_MSI_DATA[7:2];

  // Command bits that software may set (6.2.2): I/O Space (0), Memory Space
  // (1), Bus Master (2), Parity Error Response (6), SERR# Enable (8),
  // Interrupt Disable (10). All other bits are hardwired to 0.
  localparam [15:0] CMD_WRITABLE = 16'b0000_0101_0100_0111;

  localparam [1:0] STATUS_DEVSEL = (DEVSEL_TIMING == 0) ? 2'b00 : 2'b01;

  // -------------------------------------------------------------------------
  // Registers
  // -------------------------------------------------------------------------
  reg [15:0] command_d,         command_q;
  reg        status_perr_det_d, status_perr_det_q;   // Status[15], W1C
  reg        status_rma_d,      status_rma_q;        // Status[13], W1C
  reg        status_tabort_d,   status_tabort_q;     // Status[11], W1C
  reg [19:0] bar0_base_d,       bar0_base_q;
  reg [26:0] bar1_base_d,       bar1_base_q;
  reg [19:0] bar2_base_d,       bar2_base_q;
  reg [7:0]  int_line_d,        int_line_q;
  reg        msi_en_d,          msi_en_q;
  reg [2:0]  msi_mme_d,         msi_mme_q;
  reg [29:0] msi_addr_d,        msi_addr_q;          // bits [31:2]
  reg [15:0] msi_data_d,        msi_data_q;

  wire [15:0] status = {status_perr_det_q,  // 15 Detected Parity Error
                        1'b0,               // 14 Signalled System Error: no SERR# sources
                        status_rma_q,       // 13 Received Master Abort (MSI write)
                        1'b0,               // 12 Received Target Abort: MSI only retries
                        status_tabort_q,    // 11 Signalled Target Abort
                        STATUS_DEVSEL,      // 10..9 DEVSEL timing
                        1'b0,               // 8  Master Data Parity Error: not checked
                        1'b0,               // 7  Fast Back-to-Back Capable
                        1'b0,               // 6  reserved
                        1'b0,               // 5  66 MHz Capable
                        1'b1,               // 4  Capabilities List (6.7)
                        int_pending_i,      // 3  Interrupt Status (6.2.3): ignores Command[10]
                        3'b000};            // 2..0 reserved

  // MSI Message Control (6.8.1.3): [0] enable, [3:1] MMC, [6:4] MME,
  // [7] 64-bit capable = 0, [8] per-vector masking = 0.
  wire [15:0] msi_ctrl = {9'b0_0000_0000, msi_mme_q, MSI_MMC[2:0], msi_en_q};

  // -------------------------------------------------------------------------
  // Write side
  // -------------------------------------------------------------------------
  wire wr_stat_cmd = cfg_wr_i && (cfg_addr_i == D_STAT_CMD);
  wire wr_bar0     = cfg_wr_i && (cfg_addr_i == D_BAR0);
  wire wr_bar1     = cfg_wr_i && (cfg_addr_i == D_BAR1);
  wire wr_bar2     = cfg_wr_i && (cfg_addr_i == D_BAR2);
  wire wr_intr     = cfg_wr_i && (cfg_addr_i == D_INTR);
  wire wr_msi_cap  = cfg_wr_i && (cfg_addr_i == D_MSI_CAP);
  wire wr_msi_addr = cfg_wr_i && (cfg_addr_i == D_MSI_ADDR);
  wire wr_msi_data = cfg_wr_i && (cfg_addr_i == D_MSI_DATA);

  always @* begin
    command_d         = command_q;
    status_perr_det_d = status_perr_det_q;
    status_rma_d      = status_rma_q;
    status_tabort_d   = status_tabort_q;
    bar0_base_d       = bar0_base_q;
    bar1_base_d       = bar1_base_q;
    bar2_base_d       = bar2_base_q;
    int_line_d        = int_line_q;
    msi_en_d          = msi_en_q;
    msi_mme_d         = msi_mme_q;
    msi_addr_d        = msi_addr_q;
    msi_data_d        = msi_data_q;

    // Only a configuration write changes the writable registers: in the clocks
    // without one, one test instead of one per register (docs/perf.md).
    if (cfg_wr_i) begin
      if (wr_stat_cmd) begin
        // Byte enables select which bytes are written (3.2.2, 6.1): Command is
        // byte lanes 0..1, Status is lanes 2..3.
        if (cfg_be_i[0]) command_d[7:0]  = cfg_wdata_i[7:0]  & CMD_WRITABLE[7:0];
        if (cfg_be_i[1]) command_d[15:8] = cfg_wdata_i[15:8] & CMD_WRITABLE[15:8];
        // Status error bits are write-1-to-clear (6.2.3); all live in lane 3.
        if (cfg_be_i[3] && cfg_wdata_i[31]) status_perr_det_d = 1'b0;
        if (cfg_be_i[3] && cfg_wdata_i[29]) status_rma_d      = 1'b0;
        if (cfg_be_i[3] && cfg_wdata_i[27]) status_tabort_d   = 1'b0;
      end

      // Only the address bits above the size are implemented, so writing all
      // ones reads back the size mask (6.2.5.1).
      if (wr_bar0) begin
        if (cfg_be_i[1]) bar0_base_d[3:0]   = cfg_wdata_i[15:12];
        if (cfg_be_i[2]) bar0_base_d[11:4]  = cfg_wdata_i[23:16];
        if (cfg_be_i[3]) bar0_base_d[19:12] = cfg_wdata_i[31:24];
      end
      if (wr_bar1) begin
        if (cfg_be_i[0]) bar1_base_d[2:0]   = cfg_wdata_i[7:5];
        if (cfg_be_i[1]) bar1_base_d[10:3]  = cfg_wdata_i[15:8];
        if (cfg_be_i[2]) bar1_base_d[18:11] = cfg_wdata_i[23:16];
        if (cfg_be_i[3]) bar1_base_d[26:19] = cfg_wdata_i[31:24];
      end
      if (wr_bar2) begin
        if (cfg_be_i[1]) bar2_base_d[3:0]   = cfg_wdata_i[15:12];
        if (cfg_be_i[2]) bar2_base_d[11:4]  = cfg_wdata_i[23:16];
        if (cfg_be_i[3]) bar2_base_d[19:12] = cfg_wdata_i[31:24];
      end

      if (wr_intr && cfg_be_i[0]) int_line_d = cfg_wdata_i[7:0];

      // MSI (6.8.1): Message Control is lanes 2..3 of the capability dword.
      // MME is limited to MMC: a larger value is stored as MMC (6.8.1.3 leaves
      // it undefined; clamping keeps the vector arithmetic in range).
      if (wr_msi_cap && cfg_be_i[2]) begin
        msi_en_d  = cfg_wdata_i[16];
        msi_mme_d = (cfg_wdata_i[22:20] > MSI_MMC[2:0]) ? MSI_MMC[2:0] : cfg_wdata_i[22:20];
      end
      if (wr_msi_addr) begin
        if (cfg_be_i[0]) msi_addr_d[5:0]   = cfg_wdata_i[7:2];
        if (cfg_be_i[1]) msi_addr_d[13:6]  = cfg_wdata_i[15:8];
        if (cfg_be_i[2]) msi_addr_d[21:14] = cfg_wdata_i[23:16];
        if (cfg_be_i[3]) msi_addr_d[29:22] = cfg_wdata_i[31:24];
      end
      if (wr_msi_data) begin
        if (cfg_be_i[0]) msi_data_d[7:0]  = cfg_wdata_i[7:0];
        if (cfg_be_i[1]) msi_data_d[15:8] = cfg_wdata_i[15:8];
      end
    end
    // A new event wins over a simultaneous clear so it is never lost.
    if (parity_err_det_i) status_perr_det_d = 1'b1;
    if (master_abort_i)   status_rma_d      = 1'b1;
    if (target_abort_i)   status_tabort_d   = 1'b1;
  end


  // Async reset: RST# is asynchronous to CLK (4.3.2).
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      command_q         <= 16'h0000;
      status_perr_det_q <= 1'b0;
      status_rma_q      <= 1'b0;
      status_tabort_q   <= 1'b0;
      bar0_base_q       <= 20'h00000;
      bar1_base_q       <= 27'h0000000;
      bar2_base_q       <= 20'h00000;
      // Interrupt Line has no defined reset value (6.2.4); FFh = "unknown /
      // not connected" on x86 until POST software writes the routing.
      int_line_q        <= 8'hFF;
      msi_en_q          <= 1'b0;
      msi_mme_q         <= 3'd0;
      msi_addr_q        <= 30'h0000_0000;
      msi_data_q        <= 16'h0000;
    end else if (cfg_wr_i || parity_err_det_i || master_abort_i || target_abort_i) begin
      // Every _d differs from its _q only with a configuration write or a
      // status event (the block above): the copy is skipped in other clocks.
      command_q         <= command_d;
      status_perr_det_q <= status_perr_det_d;
      status_rma_q      <= status_rma_d;
      status_tabort_q   <= status_tabort_d;
      bar0_base_q       <= bar0_base_d;
      bar1_base_q       <= bar1_base_d;
      bar2_base_q       <= bar2_base_d;
      int_line_q        <= int_line_d;
      msi_en_q          <= msi_en_d;
      msi_mme_q         <= msi_mme_d;
      msi_addr_q        <= msi_addr_d;
      msi_data_q        <= msi_data_d;
    end
  end

  // -------------------------------------------------------------------------
  // Read side: unimplemented registers read 0 (6.1), including BAR3..5 and
  // device-specific space outside the MSI capability.
  // -------------------------------------------------------------------------
  always @* begin
    cfg_rdata_o = 32'h0000_0000;
    case (cfg_addr_i)
      D_ID:        cfg_rdata_o = {DEVICE_ID, VENDOR_ID};
      D_STAT_CMD:  cfg_rdata_o = {status, command_q};
      D_CLASS_REV: cfg_rdata_o = {CLASS_CODE, REVISION};
      D_HDR:       cfg_rdata_o = 32'h0000_0000;  // header type 00h, single function
      D_BAR0:      cfg_rdata_o = {bar0_base_q, 12'h000};        // mem, 32-bit, non-prefetchable
      D_BAR1:      cfg_rdata_o = {bar1_base_q, 5'b00001};       // I/O space indicator
      D_BAR2:      cfg_rdata_o = {bar2_base_q, 12'h008};        // mem, 32-bit, prefetchable
      D_SUBSYS:    cfg_rdata_o = {DEVICE_ID, VENDOR_ID};
      D_CAP_PTR:   cfg_rdata_o = {24'h000000, CFG_MSI_CAP};
      D_INTR:      cfg_rdata_o = {8'h00, 8'h00, INT_PIN, int_line_q};  // Max_Lat, Min_Gnt 0
      D_MSI_CAP:   cfg_rdata_o = {msi_ctrl, 8'h00, MSI_CAP_ID};
      D_MSI_ADDR:  cfg_rdata_o = {msi_addr_q, 2'b00};
      D_MSI_DATA:  cfg_rdata_o = {16'h0000, msi_data_q};
      default:     cfg_rdata_o = 32'h0000_0000;
    endcase
  end

  assign bar0_base_o       = bar0_base_q;
  assign bar1_base_o       = bar1_base_q;
  assign bar2_base_o       = bar2_base_q;
  assign io_space_en_o     = command_q[0];
  assign mem_space_en_o    = command_q[1];
  assign bus_master_en_o   = command_q[2];
  assign parity_err_resp_o = command_q[6];
  assign intx_disable_o    = command_q[10];
  assign msi_enable_o      = msi_en_q;
  assign msi_mme_o         = msi_mme_q;
  assign msi_addr_o        = {msi_addr_q, 2'b00};
  assign msi_data_o        = msi_data_q;

endmodule

`default_nettype wire
