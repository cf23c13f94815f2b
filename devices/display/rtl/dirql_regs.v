// dirql_regs -- BAR0 register file of the dirql adapter: decodes the BAR0
// accesses of pci_target into the interrupt block, the command engine and the
// timed window, holds SCRATCH and FIFO_LOW_WM, and muxes read data.
//
// Offsets come from dirql_regs.vh. Read data is combinational from
// mem_addr_i and flops, with no read side effects (pci_target drives it onto
// AD for every clock of a read data phase). Writes happen on the edge where
// mem_wr_i is high and honour the per-phase byte enables (PCI 3.0, 3.2.2).
`default_nettype none

module dirql_regs #(
  parameter integer SEQ_GAP = 8   // reported in SEQ_GAP
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // BAR0 register interface (from pci_target)
  input  wire        mem_wr_i,
  input  wire [9:0]  mem_addr_i,    // dword offset within BAR0
  input  wire [3:0]  mem_be_i,
  input  wire [31:0] mem_wdata_i,
  output reg  [31:0] mem_rdata_o,

  // Interrupt block
  output wire        int_w1c_o,
  output wire        int_enable_wr_o,
  output wire [4:0]  int_wdata_o,
  input  wire [4:0]  int_raw_i,
  input  wire [4:0]  int_enable_i,
  input  wire [4:0]  int_status_i,

  // Timing
  input  wire [15:0] frame_cycles_i,
  input  wire [31:0] frame_count_i,

  // Command engine
  output wire        cmd_push_o,
  output wire        cmd_reset_o,
  output wire [7:0]  fifo_low_wm_o,
  input  wire [31:0] fence_value_i,
  input  wire [7:0]  cmd_level_i,
  input  wire        cmd_busy_i,
  input  wire        cmd_stopped_i,

  // Timed window
  output wire        seq_unlock_o,
  output wire        seq_mode_wr_o,
  output wire [2:0]  seq_mode_idx_o,
  input  wire [31:0] seq_status_i
);

  `include "dirql_regs.vh"

  // Dword offsets of the registers (mem_addr_i is a dword address).
  localparam [9:0] A_ID           = REG_ID[11:2];
  localparam [9:0] A_INT_STATUS   = REG_INT_STATUS[11:2];
  localparam [9:0] A_INT_ENABLE   = REG_INT_ENABLE[11:2];
  localparam [9:0] A_INT_RAW      = REG_INT_RAW[11:2];
  localparam [9:0] A_SCRATCH      = REG_SCRATCH[11:2];
  localparam [9:0] A_FRAME_CYCLES = REG_FRAME_CYCLES[11:2];
  localparam [9:0] A_FRAME_COUNT  = REG_FRAME_COUNT[11:2];
  localparam [9:0] A_FENCE_VALUE  = REG_FENCE_VALUE[11:2];
  localparam [9:0] A_CMD_STATUS   = REG_CMD_STATUS[11:2];
  localparam [9:0] A_CMD_CONTROL  = REG_CMD_CONTROL[11:2];
  localparam [9:0] A_FIFO_LOW_WM  = REG_FIFO_LOW_WM[11:2];
  localparam [9:0] A_SEQ_UNLOCK   = REG_SEQ_UNLOCK[11:2];
  localparam [9:0] A_SEQ_STATUS   = REG_SEQ_STATUS[11:2];
  localparam [9:0] A_SEQ_GAP      = REG_SEQ_GAP[11:2];
  localparam [9:0] A_MODE0        = REG_MODE0[11:2];
  localparam [9:0] A_MODE7        = REG_MODE7[11:2];
  localparam [9:0] A_FIFO_FIRST   = REG_CMD_FIFO[11:2];
  localparam [9:0] A_FIFO_LAST    = REG_CMD_FIFO_END[11:2];

  localparam [7:0] FIFO_LOW_WM_RESET = 8'd4;

  // Byte-enable merge of a write into a 32-bit register.
  function automatic [31:0] merge_be(input [31:0] old_val, input [31:0] new_val,
                                     input [3:0] be);
    merge_be = {be[3] ? new_val[31:24] : old_val[31:24],
                be[2] ? new_val[23:16] : old_val[23:16],
                be[1] ? new_val[15:8]  : old_val[15:8],
                be[0] ? new_val[7:0]   : old_val[7:0]};
  endfunction

  reg [31:0] scratch_d, scratch_q;
  reg [7:0]  low_wm_d,  low_wm_q;

  wire wr_scratch = mem_wr_i && (mem_addr_i == A_SCRATCH);
  wire wr_low_wm  = mem_wr_i && (mem_addr_i == A_FIFO_LOW_WM) && mem_be_i[0];

  always @* begin
    scratch_d = scratch_q;
    low_wm_d  = low_wm_q;
    if (wr_scratch) scratch_d = merge_be(scratch_q, mem_wdata_i, mem_be_i);
    if (wr_low_wm)  low_wm_d  = mem_wdata_i[7:0];
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      scratch_q <= 32'h0000_0000;
      low_wm_q  <= FIFO_LOW_WM_RESET;
    end else begin
      scratch_q <= scratch_d;
      low_wm_q  <= low_wm_d;
    end
  end

  // Strobes. All interrupt bits live in byte lane 0. The unlock key must
  // arrive whole (all four lanes); a MODE value is lane 0. Any dword of the
  // FIFO window pushes, so a linear burst fills the FIFO.
  assign int_w1c_o       = mem_wr_i && (mem_addr_i == A_INT_STATUS) && mem_be_i[0];
  assign int_enable_wr_o = mem_wr_i && (mem_addr_i == A_INT_ENABLE) && mem_be_i[0];
  assign int_wdata_o     = mem_wdata_i[INT_NUM_BITS-1:0];
  assign cmd_push_o      = mem_wr_i && (mem_addr_i >= A_FIFO_FIRST) && (mem_addr_i <= A_FIFO_LAST);
  assign cmd_reset_o     = mem_wr_i && (mem_addr_i == A_CMD_CONTROL) && mem_be_i[0] &&
                           mem_wdata_i[0];
  assign fifo_low_wm_o   = low_wm_q;
  assign seq_unlock_o    = mem_wr_i && (mem_addr_i == A_SEQ_UNLOCK) && (mem_be_i == 4'hF) &&
                           (mem_wdata_i == SEQ_UNLOCK_KEY);
  assign seq_mode_wr_o   = mem_wr_i && (mem_addr_i >= A_MODE0) && (mem_addr_i <= A_MODE7);
  assign seq_mode_idx_o  = mem_addr_i[2:0];

  // Unimplemented offsets and write-only registers read 0.
  always @* begin
    mem_rdata_o = 32'h0000_0000;
    case (mem_addr_i)
      A_ID:           mem_rdata_o = REG_ID_VALUE;
      A_INT_STATUS:   mem_rdata_o = {{(32-INT_NUM_BITS){1'b0}}, int_status_i};
      A_INT_ENABLE:   mem_rdata_o = {{(32-INT_NUM_BITS){1'b0}}, int_enable_i};
      A_INT_RAW:      mem_rdata_o = {{(32-INT_NUM_BITS){1'b0}}, int_raw_i};
      A_SCRATCH:      mem_rdata_o = scratch_q;
      A_FRAME_CYCLES: mem_rdata_o = {16'h0000, frame_cycles_i};
      A_FRAME_COUNT:  mem_rdata_o = frame_count_i;
      A_FENCE_VALUE:  mem_rdata_o = fence_value_i;
      A_CMD_STATUS:   mem_rdata_o = {16'h0000, cmd_level_i, 6'b000000, cmd_stopped_i, cmd_busy_i};
      A_FIFO_LOW_WM:  mem_rdata_o = {24'h000000, low_wm_q};
      A_SEQ_STATUS:   mem_rdata_o = seq_status_i;
      A_SEQ_GAP:      mem_rdata_o = SEQ_GAP;
      default:        mem_rdata_o = 32'h0000_0000;
    endcase
  end

endmodule

`default_nettype wire
