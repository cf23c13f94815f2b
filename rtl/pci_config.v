// pci_config -- type-0 configuration header of the dirql adapter.
//
// Implements the predefined header of PCI Local Bus Spec 3.0, 6.1/6.2 for a
// single-function device with one 4 KiB memory BAR. The register interface is
// the one pci_target exposes for configuration transactions: read data is a
// pure combinational function of cfg_addr_i and the flops below (reads have no
// side effects), writes take effect on the rising edge where cfg_wr_i is high
// (the edge at which the data phase completed).
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

  // Decoded configuration for the rest of the chip
  output wire [19:0] bar0_base_o,       // BAR0 address bits [31:12]
  output wire        mem_space_en_o,    // Command[1]
  output wire        parity_err_resp_o, // Command[6]
  output wire        intx_disable_o     // Command[10]
);

  `include "dirql_regs.vh"

  // Dword numbers of the header registers we implement (6.1, Figure 6-1).
  localparam [5:0] CFG_ID         = 6'd0;   // 00h Device ID / Vendor ID
  localparam [5:0] CFG_STAT_CMD   = 6'd1;   // 04h Status / Command
  localparam [5:0] CFG_CLASS_REV  = 6'd2;   // 08h Class Code / Revision ID
  localparam [5:0] CFG_HDR        = 6'd3;   // 0Ch BIST / Header Type / Lat / CLS
  localparam [5:0] CFGD_BAR0       = 6'd4;   // 10h Base Address 0
  localparam [5:0] CFG_SUBSYS     = 6'd11;  // 2Ch Subsystem ID / Subsystem Vendor ID
  localparam [5:0] CFGD_INTR       = 6'd15;  // 3Ch Max_Lat / Min_Gnt / Int Pin / Int Line

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
  reg        status_tabort_d,   status_tabort_q;     // Status[11], W1C
  reg [19:0] bar0_base_d,       bar0_base_q;
  reg [7:0]  int_line_d,        int_line_q;

  wire [15:0] status = {status_perr_det_q,  // 15 Detected Parity Error
                        3'b000,             // 14..12 SSE, RMA, RTA: no master/SERR yet
                        status_tabort_q,    // 11 Signalled Target Abort
                        STATUS_DEVSEL,      // 10..9 DEVSEL timing
                        1'b0,               // 8  Master Data Parity Error (master only)
                        1'b0,               // 7  Fast Back-to-Back Capable
                        1'b0,               // 6  reserved
                        1'b0,               // 5  66 MHz Capable
                        1'b0,               // 4  Capabilities List: none yet
                        int_pending_i,      // 3  Interrupt Status (6.2.3): ignores Command[10]
                        3'b000};            // 2..0 reserved

  // -------------------------------------------------------------------------
  // Write side
  // -------------------------------------------------------------------------
  wire wr_stat_cmd = cfg_wr_i && (cfg_addr_i == CFG_STAT_CMD);
  wire wr_bar0     = cfg_wr_i && (cfg_addr_i == CFGD_BAR0);
  wire wr_intr     = cfg_wr_i && (cfg_addr_i == CFGD_INTR);

  always @* begin
    command_d         = command_q;
    status_perr_det_d = status_perr_det_q;
    status_tabort_d   = status_tabort_q;
    bar0_base_d       = bar0_base_q;
    int_line_d        = int_line_q;

    if (wr_stat_cmd) begin
      // Byte enables select which bytes are written (3.2.2, 6.1): Command is
      // byte lanes 0..1, Status is lanes 2..3.
      if (cfg_be_i[0]) command_d[7:0]  = cfg_wdata_i[7:0]  & CMD_WRITABLE[7:0];
      if (cfg_be_i[1]) command_d[15:8] = cfg_wdata_i[15:8] & CMD_WRITABLE[15:8];
      // Status error bits are write-1-to-clear (6.2.3); both live in lane 3.
      if (cfg_be_i[3] && cfg_wdata_i[31]) status_perr_det_d = 1'b0;
      if (cfg_be_i[3] && cfg_wdata_i[27]) status_tabort_d   = 1'b0;
    end
    // A new event wins over a simultaneous clear so it is never lost.
    if (parity_err_det_i) status_perr_det_d = 1'b1;
    if (target_abort_i)   status_tabort_d   = 1'b1;

    if (wr_bar0) begin
      // Only address bits [31:12] are implemented, so writing all ones reads
      // back FFFFF000h: a 4 KiB memory BAR during size probing (6.2.5.1).
      if (cfg_be_i[1]) bar0_base_d[3:0]   = cfg_wdata_i[15:12];
      if (cfg_be_i[2]) bar0_base_d[11:4]  = cfg_wdata_i[23:16];
      if (cfg_be_i[3]) bar0_base_d[19:12] = cfg_wdata_i[31:24];
    end

    if (wr_intr && cfg_be_i[0]) int_line_d = cfg_wdata_i[7:0];
  end

  // Async reset: RST# is asynchronous to CLK (4.3.2).
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      command_q         <= 16'h0000;
      status_perr_det_q <= 1'b0;
      status_tabort_q   <= 1'b0;
      bar0_base_q       <= 20'h00000;
      // Interrupt Line has no defined reset value (6.2.4); FFh = "unknown /
      // not connected" on x86 until POST software writes the routing.
      int_line_q        <= 8'hFF;
    end else begin
      command_q         <= command_d;
      status_perr_det_q <= status_perr_det_d;
      status_tabort_q   <= status_tabort_d;
      bar0_base_q       <= bar0_base_d;
      int_line_q        <= int_line_d;
    end
  end

  // -------------------------------------------------------------------------
  // Read side: unimplemented registers read 0 (6.1), including BAR1..5
  // (dwords 5..9), the Capabilities Pointer (0Dh) and device-specific space.
  // -------------------------------------------------------------------------
  always @* begin
    cfg_rdata_o = 32'h0000_0000;
    case (cfg_addr_i)
      CFG_ID:        cfg_rdata_o = {DEVICE_ID, VENDOR_ID};
      CFG_STAT_CMD:  cfg_rdata_o = {status, command_q};
      CFG_CLASS_REV: cfg_rdata_o = {CLASS_CODE, REVISION};
      CFG_HDR:       cfg_rdata_o = 32'h0000_0000;  // header type 00h, single function
      CFGD_BAR0:      cfg_rdata_o = {bar0_base_q, 12'h000};  // mem, 32-bit, non-prefetchable
      CFG_SUBSYS:    cfg_rdata_o = {DEVICE_ID, VENDOR_ID};
      CFGD_INTR:      cfg_rdata_o = {8'h00, 8'h00, INT_PIN, int_line_q};  // Max_Lat, Min_Gnt 0
      default:       cfg_rdata_o = 32'h0000_0000;
    endcase
  end

  assign bar0_base_o       = bar0_base_q;
  assign mem_space_en_o    = command_q[1];
  assign parity_err_resp_o = command_q[6];
  assign intx_disable_o    = command_q[10];

endmodule

`default_nettype wire
