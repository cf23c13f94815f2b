// nic_pci_config -- type-0 configuration header of the dirql network adapter.
//
// PCI Local Bus Spec 3.0, 6.1/6.2: single function, one BAR (BAR0, 4 KiB
// 32-bit non-prefetchable memory), Latency Timer (the device bursts more than
// two data phases, 6.2.4), Interrupt Pin INTA#, and one capability: MSI
// (6.8.1, 32-bit message address, 4 messages capable). Read data is a pure
// combinational function of cfg_addr_i and flops; writes take effect at the
// edge where cfg_wr_i is high.
`default_nettype none

module nic_pci_config #(
  parameter integer DEVSEL_TIMING = 1   // reported in Status[10:9]; must match nic_pci_target
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Register access from nic_pci_target
  input  wire        cfg_wr_i,
  input  wire [5:0]  cfg_addr_i,    // dword register number
  input  wire [3:0]  cfg_be_i,
  input  wire [31:0] cfg_wdata_i,
  output reg  [31:0] cfg_rdata_o,

  // Status sources
  input  wire        int_status_i,      // Status[3]: INTx condition, before Interrupt Disable
  input  wire        parity_err_det_i,  // pulse: Status[15]
  input  wire        master_abort_i,    // pulse: Status[13] Received Master Abort
  input  wire        target_abort_i,    // pulse: Status[12] Received Target Abort

  // Decoded configuration
  output wire [19:0] bar0_base_o,
  output wire        mem_space_en_o,    // Command[1]
  output wire        bus_master_en_o,   // Command[2]
  output wire        parity_err_resp_o, // Command[6]
  output wire        intx_disable_o,    // Command[10]
  output wire [7:0]  latency_timer_o,   // 0Dh, [2:0] hardwired 0
  output wire        msi_enable_o,
  output wire [2:0]  msi_mme_o,
  output wire [31:0] msi_addr_o,
  output wire [15:0] msi_data_o
);

  // Identity and layout (6.2.1, 6.1, 6.8.1); devices/nic/README.md lists them,
  // and the bench reads them through its own copy (tb/nic_map.vh).
  localparam [15:0] NIC_VENDOR_ID  = 16'h1D1D;   // fictitious
  localparam [15:0] NIC_DEVICE_ID  = 16'h0E01;
  localparam [7:0]  NIC_REVISION   = 8'h01;
  localparam [23:0] NIC_CLASS_CODE = 24'h020000;
  localparam [7:0]  NIC_INT_PIN    = 8'h01;      // INTA# (6.2.4)
  localparam [7:0]  NCFG_COMMAND   = 8'h04;      // Command (15:0) / Status (31:16)
  localparam [7:0]  NCFG_HDR       = 8'h0C;      // BIST / Header / Latency Timer / Cache Line
  localparam [7:0]  NCFG_BAR0      = 8'h10;
  localparam [7:0]  NCFG_CAP_PTR   = 8'h34;
  localparam [7:0]  NCFG_INTR      = 8'h3C;      // Max_Lat / Min_Gnt / Int Pin / Int Line
  localparam [7:0]  NCFG_MSI_CAP   = 8'h50;      // cap ID 05h, next 00h, Message Control
  localparam [7:0]  NCFG_MSI_ADDR  = 8'h54;      // Message Address (32-bit)
  localparam [7:0]  NCFG_MSI_DATA  = 8'h58;      // Message Data (15:0)
  localparam [7:0]  NMSI_CAP_ID    = 8'h05;
  localparam [2:0]  NMSI_MMC       = 3'd2;

  localparam [5:0] D_ID        = 6'd0;
  localparam [5:0] D_STAT_CMD  = NCFG_COMMAND[7:2];
  localparam [5:0] D_CLASS_REV = 6'd2;
  localparam [5:0] D_HDR       = NCFG_HDR[7:2];
  localparam [5:0] D_BAR0      = NCFG_BAR0[7:2];
  localparam [5:0] D_SUBSYS    = 6'd11;
  localparam [5:0] D_CAP_PTR   = NCFG_CAP_PTR[7:2];
  localparam [5:0] D_INTR      = NCFG_INTR[7:2];
  localparam [5:0] D_MSI_CAP   = NCFG_MSI_CAP[7:2];
  localparam [5:0] D_MSI_ADDR  = NCFG_MSI_ADDR[7:2];
  localparam [5:0] D_MSI_DATA  = NCFG_MSI_DATA[7:2];

  // Command bits software may set (6.2.2): Memory Space (1), Bus Master (2),
  // Parity Error Response (6), SERR# Enable (8), Interrupt Disable (10). No
  // I/O BAR, so I/O Space (0) is hardwired 0.
  localparam [15:0] CMD_WRITABLE = 16'b0000_0101_0100_0110;
  localparam [1:0]  STATUS_DEVSEL = (DEVSEL_TIMING == 0) ? 2'b00 : 2'b01;
  // Min_Gnt (6.2.4): burst period wanted, in 1/4 us: an 8-dword burst.
  localparam [7:0]  MIN_GNT = 8'h01;

  reg [15:0] command_d,   command_q;
  reg        st_perr_d,   st_perr_q;    // Status[15], W1C
  reg        st_rma_d,    st_rma_q;     // Status[13], W1C
  reg        st_rta_d,    st_rta_q;     // Status[12], W1C
  reg [4:0]  lat_d,       lat_q;        // Latency Timer [7:3] (granularity 8)
  reg [19:0] bar0_d,      bar0_q;
  reg [7:0]  int_line_d,  int_line_q;
  reg        msi_en_d,    msi_en_q;
  reg [2:0]  msi_mme_d,   msi_mme_q;
  reg [29:0] msi_addr_d,  msi_addr_q;
  reg [15:0] msi_data_d,  msi_data_q;

  wire [15:0] status = {st_perr_q,      // 15 Detected Parity Error
                        1'b0,           // 14 Signalled System Error
                        st_rma_q,       // 13 Received Master Abort (our DMA / MSI)
                        st_rta_q,       // 12 Received Target Abort (our DMA / MSI)
                        1'b0,           // 11 Signalled Target Abort: never
                        STATUS_DEVSEL,  // 10..9
                        1'b0,           // 8  Master Data Parity Error: read parity not checked
                        1'b0,           // 7  Fast Back-to-Back Capable
                        1'b0,           // 6
                        1'b0,           // 5  66 MHz Capable
                        1'b1,           // 4  Capabilities List
                        int_status_i,   // 3  Interrupt Status (ignores Command[10])
                        3'b000};

  // Message Control (6.8.1.3): [0] enable, [3:1] MMC, [6:4] MME, [7] 64-bit = 0.
  wire [15:0] msi_ctrl = {9'd0, msi_mme_q, NMSI_MMC, msi_en_q};

  wire wr_stat_cmd = cfg_wr_i && (cfg_addr_i == D_STAT_CMD);
  wire wr_hdr      = cfg_wr_i && (cfg_addr_i == D_HDR);
  wire wr_bar0     = cfg_wr_i && (cfg_addr_i == D_BAR0);
  wire wr_intr     = cfg_wr_i && (cfg_addr_i == D_INTR);
  wire wr_msi_cap  = cfg_wr_i && (cfg_addr_i == D_MSI_CAP);
  wire wr_msi_addr = cfg_wr_i && (cfg_addr_i == D_MSI_ADDR);
  wire wr_msi_data = cfg_wr_i && (cfg_addr_i == D_MSI_DATA);

  always @* begin
    command_d  = command_q;
    st_perr_d  = st_perr_q;
    st_rma_d   = st_rma_q;
    st_rta_d   = st_rta_q;
    lat_d      = lat_q;
    bar0_d     = bar0_q;
    int_line_d = int_line_q;
    msi_en_d   = msi_en_q;
    msi_mme_d  = msi_mme_q;
    msi_addr_d = msi_addr_q;
    msi_data_d = msi_data_q;

    if (wr_stat_cmd) begin
      if (cfg_be_i[0]) command_d[7:0]  = cfg_wdata_i[7:0]  & CMD_WRITABLE[7:0];
      if (cfg_be_i[1]) command_d[15:8] = cfg_wdata_i[15:8] & CMD_WRITABLE[15:8];
      if (cfg_be_i[3] && cfg_wdata_i[31]) st_perr_d = 1'b0;
      if (cfg_be_i[3] && cfg_wdata_i[29]) st_rma_d  = 1'b0;
      if (cfg_be_i[3] && cfg_wdata_i[28]) st_rta_d  = 1'b0;
    end
    // An event wins over a simultaneous clear.
    if (parity_err_det_i) st_perr_d = 1'b1;
    if (master_abort_i)   st_rma_d  = 1'b1;
    if (target_abort_i)   st_rta_d  = 1'b1;

    if (wr_hdr && cfg_be_i[1]) lat_d = cfg_wdata_i[15:11];

    if (wr_bar0) begin
      if (cfg_be_i[1]) bar0_d[3:0]   = cfg_wdata_i[15:12];
      if (cfg_be_i[2]) bar0_d[11:4]  = cfg_wdata_i[23:16];
      if (cfg_be_i[3]) bar0_d[19:12] = cfg_wdata_i[31:24];
    end

    if (wr_intr && cfg_be_i[0]) int_line_d = cfg_wdata_i[7:0];

    // MME above MMC is stored as MMC (6.8.1.3 leaves it undefined).
    if (wr_msi_cap && cfg_be_i[2]) begin
      msi_en_d  = cfg_wdata_i[16];
      msi_mme_d = (cfg_wdata_i[22:20] > NMSI_MMC) ? NMSI_MMC : cfg_wdata_i[22:20];
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

  // Async reset: RST# is asynchronous to CLK (4.3.2).
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      command_q  <= 16'h0000;
      st_perr_q  <= 1'b0;
      st_rma_q   <= 1'b0;
      st_rta_q   <= 1'b0;
      lat_q      <= 5'd0;
      bar0_q     <= 20'h00000;
      int_line_q <= 8'hFF;
      msi_en_q   <= 1'b0;
      msi_mme_q  <= 3'd0;
      msi_addr_q <= 30'd0;
      msi_data_q <= 16'h0000;
    end else begin
      command_q  <= command_d;
      st_perr_q  <= st_perr_d;
      st_rma_q   <= st_rma_d;
      st_rta_q   <= st_rta_d;
      lat_q      <= lat_d;
      bar0_q     <= bar0_d;
      int_line_q <= int_line_d;
      msi_en_q   <= msi_en_d;
      msi_mme_q  <= msi_mme_d;
      msi_addr_q <= msi_addr_d;
      msi_data_q <= msi_data_d;
    end
  end

  // Unimplemented registers read 0 (6.1).
  always @* begin
    case (cfg_addr_i)
      D_ID:        cfg_rdata_o = {NIC_DEVICE_ID, NIC_VENDOR_ID};
      D_STAT_CMD:  cfg_rdata_o = {status, command_q};
      D_CLASS_REV: cfg_rdata_o = {NIC_CLASS_CODE, NIC_REVISION};
      D_HDR:       cfg_rdata_o = {8'h00, 8'h00, lat_q, 3'b000, 8'h00};
      D_BAR0:      cfg_rdata_o = {bar0_q, 12'h000};
      D_SUBSYS:    cfg_rdata_o = {NIC_DEVICE_ID, NIC_VENDOR_ID};
      D_CAP_PTR:   cfg_rdata_o = {24'h000000, NCFG_MSI_CAP};
      D_INTR:      cfg_rdata_o = {8'h00, MIN_GNT, NIC_INT_PIN, int_line_q};
      D_MSI_CAP:   cfg_rdata_o = {msi_ctrl, 8'h00, NMSI_CAP_ID};
      D_MSI_ADDR:  cfg_rdata_o = {msi_addr_q, 2'b00};
      D_MSI_DATA:  cfg_rdata_o = {16'h0000, msi_data_q};
      default:     cfg_rdata_o = 32'h0000_0000;
    endcase
  end

  assign bar0_base_o       = bar0_q;
  assign mem_space_en_o    = command_q[1];
  assign bus_master_en_o   = command_q[2];
  assign parity_err_resp_o = command_q[6];
  assign intx_disable_o    = command_q[10];
  assign latency_timer_o   = {lat_q, 3'b000};
  assign msi_enable_o      = msi_en_q;
  assign msi_mme_o         = msi_mme_q;
  assign msi_addr_o        = {msi_addr_q, 2'b00};
  assign msi_data_o        = msi_data_q;

endmodule

`default_nettype wire
