// dirql_regs -- BAR0 register file of the dirql adapter.
//
// Offsets and bits come from dirql_regs.vh. Read data is combinational from
// mem_addr_i and flops, with no read side effects (pci_target drives it onto
// AD for every clock of a read data phase). Writes happen on the edge where
// mem_wr_i is high and honour the per-phase byte enables (PCI 3.0, 3.2.2).
`default_nettype none

module dirql_regs #(
  parameter integer FRAME_CYCLES = 2000  // reset value of REG_FRAME_PERIOD
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

  // Event sources and status
  input  wire        vretrace_pulse_i,  // sets INT_RAW[INT_VBLANK_BIT]
  input  wire [31:0] frame_count_i,

  // Outputs
  output wire [31:0] frame_period_o,
  output wire        int_pending_o      // |(INT_RAW & INT_ENABLE)
);

  `include "dirql_regs.vh"

  localparam [31:0] FRAME_PERIOD_RESET =
      (FRAME_CYCLES < 16) ? 32'd16 : FRAME_CYCLES[31:0];

  // Dword offsets of the registers (mem_addr_i is a dword address).
  localparam [9:0] A_ID           = REG_ID[11:2];
  localparam [9:0] A_INT_STATUS   = REG_INT_STATUS[11:2];
  localparam [9:0] A_INT_ENABLE   = REG_INT_ENABLE[11:2];
  localparam [9:0] A_INT_RAW      = REG_INT_RAW[11:2];
  localparam [9:0] A_SCRATCH      = REG_SCRATCH[11:2];
  localparam [9:0] A_FRAME_PERIOD = REG_FRAME_CYCLES[11:2];
  localparam [9:0] A_FRAME_COUNT  = REG_FRAME_COUNT[11:2];

  // Byte-enable merge of a write into a 32-bit register.
  function automatic [31:0] merge_be(input [31:0] old_val, input [31:0] new_val,
                                     input [3:0] be);
    merge_be = {be[3] ? new_val[31:24] : old_val[31:24],
                be[2] ? new_val[23:16] : old_val[23:16],
                be[1] ? new_val[15:8]  : old_val[15:8],
                be[0] ? new_val[7:0]   : old_val[7:0]};
  endfunction

  reg [INT_NUM_BITS-1:0] int_raw_d,      int_raw_q;
  reg [INT_NUM_BITS-1:0] int_enable_d,   int_enable_q;
  reg [31:0]             scratch_d,      scratch_q;
  reg [31:0]             frame_period_d, frame_period_q;

  // One bit per interrupt source; only VBLANK has a source in v0.
  wire [INT_NUM_BITS-1:0] int_event;
  assign int_event[INT_VBLANK_BIT]    = vretrace_pulse_i;
  assign int_event[INT_CMD_DONE_BIT]  = 1'b0;
  assign int_event[INT_CMD_ERROR_BIT] = 1'b0;
  assign int_event[INT_FIFO_LOW_BIT]  = 1'b0;
  assign int_event[INT_SEQ_ERROR_BIT] = 1'b0;

  wire [INT_NUM_BITS-1:0] int_status = int_raw_q & int_enable_q;

  wire wr_int_status   = mem_wr_i && (mem_addr_i == A_INT_STATUS);
  wire wr_int_enable   = mem_wr_i && (mem_addr_i == A_INT_ENABLE);
  wire wr_scratch      = mem_wr_i && (mem_addr_i == A_SCRATCH);
  wire wr_frame_period = mem_wr_i && (mem_addr_i == A_FRAME_PERIOD);

  // All interrupt bits live in byte lane 0.
  wire [INT_NUM_BITS-1:0] int_clear =
      (wr_int_status && mem_be_i[0]) ? mem_wdata_i[INT_NUM_BITS-1:0] : {INT_NUM_BITS{1'b0}};

  wire [31:0] frame_period_wr = merge_be(frame_period_q, mem_wdata_i, mem_be_i);

  always @* begin
    // Write-1-to-clear, then set: an event in the same clock as the clear
    // wins, so it is never lost (the driver sees it on its next read).
    int_raw_d      = (int_raw_q & ~int_clear) | int_event;
    int_enable_d   = int_enable_q;
    scratch_d      = scratch_q;
    frame_period_d = frame_period_q;

    if (wr_int_enable && mem_be_i[0]) int_enable_d = mem_wdata_i[INT_NUM_BITS-1:0];
    if (wr_scratch) scratch_d = merge_be(scratch_q, mem_wdata_i, mem_be_i);
    if (wr_frame_period) begin
      // Clamp: a frame shorter than the 8-cycle retrace window plus some
      // active time makes no sense and would let a driver flood itself.
      frame_period_d = (frame_period_wr < 32'd16) ? 32'd16
                                                            : frame_period_wr;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      int_raw_q      <= {INT_NUM_BITS{1'b0}};
      int_enable_q   <= {INT_NUM_BITS{1'b0}};
      scratch_q      <= 32'h0000_0000;
      frame_period_q <= FRAME_PERIOD_RESET;
    end else begin
      int_raw_q      <= int_raw_d;
      int_enable_q   <= int_enable_d;
      scratch_q      <= scratch_d;
      frame_period_q <= frame_period_d;
    end
  end

  // Unimplemented offsets read 0.
  always @* begin
    mem_rdata_o = 32'h0000_0000;
    case (mem_addr_i)
      A_ID:           mem_rdata_o = REG_ID_VALUE;
      A_INT_STATUS:   mem_rdata_o = {{(32-INT_NUM_BITS){1'b0}}, int_status};
      A_INT_ENABLE:   mem_rdata_o = {{(32-INT_NUM_BITS){1'b0}}, int_enable_q};
      A_INT_RAW:      mem_rdata_o = {{(32-INT_NUM_BITS){1'b0}}, int_raw_q};
      A_SCRATCH:      mem_rdata_o = scratch_q;
      A_FRAME_PERIOD: mem_rdata_o = frame_period_q;
      A_FRAME_COUNT:  mem_rdata_o = frame_count_i;
      default:        mem_rdata_o = 32'h0000_0000;
    endcase
  end

  assign frame_period_o = frame_period_q;
  assign int_pending_o  = |int_status;

endmodule

`default_nettype wire
