// dirql_cmd_engine -- command FIFO and 2D engine of the dirql adapter.
//
// The FIFO (CMD_FIFO_DEPTH words) is filled by BAR0 writes to the CMD_FIFO
// window; pci_target retries those writes while it is full (PCI 3.0
// 3.3.3.2.2), using room_o. The engine pops one word per clock and runs:
//   FILL  (01h): dst, width | height << 16, colour
//   COPY  (02h): src, dst, width | height << 16   (forward, row by row)
//   FENCE (03h): value -> FENCE_VALUE, CMD_DONE
// Offsets are byte offsets into the 4 KiB framebuffer ([1:0] ignored, wrap
// modulo 4 KiB), rows FB_PITCH bytes apart, one 32-bit pixel written per
// clock. Any other opcode raises CMD_ERROR and stops the engine (stopped_o)
// until reset_i (CMD_CONTROL[0]), which also flushes the FIFO. FIFO_LOW is an
// event when the level falls from above low_wm_i to at or below it.
//
// The PCI target writes the framebuffer too; its writes win the write port
// and the engine waits a clock (fb_busy_i).
`default_nettype none

module dirql_cmd_engine (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Control
  input  wire        push_i,        // a CMD_FIFO write completes at this edge
  input  wire [31:0] push_data_i,
  input  wire        reset_i,       // CMD_CONTROL[0] written as 1
  input  wire [7:0]  low_wm_i,      // FIFO_LOW_WM

  // Framebuffer
  input  wire        fb_busy_i,     // the bus writes the framebuffer this clock
  output wire        fb_we_o,
  output wire [9:0]  fb_waddr_o,
  output wire [31:0] fb_wdata_o,
  output wire [9:0]  fb_raddr_o,
  input  wire [31:0] fb_rdata_i,

  // Status
  output wire [7:0]  level_o,
  output wire [7:0]  room_o,
  output wire        busy_o,
  output wire        stopped_o,
  output wire [31:0] fence_value_o,
  output wire        done_o,        // one clock: a FENCE was reached
  output wire        error_o,       // one clock: unknown opcode
  output wire        fifo_low_o     // one clock: level fell to the watermark
);

  `include "dirql_regs.vh"

  localparam [4:0] DEPTH    = CMD_FIFO_DEPTH[4:0];

  // Engine states.
  localparam [2:0] S_FETCH = 3'd0;  // pop an opcode
  localparam [2:0] S_ARGS  = 3'd1;  // pop the operands
  localparam [2:0] S_FILL  = 3'd2;
  localparam [2:0] S_COPY  = 3'd3;
  localparam [2:0] S_ERROR = 3'd4;  // stopped until reset_i

  // -------------------------------------------------------------------------
  // FIFO (a memory of CMD_FIFO_DEPTH words plus pointers)
  // -------------------------------------------------------------------------
  reg [31:0] fifo_q [0:CMD_FIFO_DEPTH-1];
  reg [3:0]  wr_ptr_d, wr_ptr_q;
  reg [3:0]  rd_ptr_d, rd_ptr_q;
  reg [4:0]  level_d,  level_q;

  wire        fifo_full  = (level_q == DEPTH);
  wire        fifo_empty = (level_q == 5'd0);
  wire [31:0] head       = fifo_q[rd_ptr_q];
  wire        push       = push_i && !fifo_full && !reset_i;

  // -------------------------------------------------------------------------
  // Engine
  // -------------------------------------------------------------------------
  reg [2:0]  state_d,  state_q;
  reg [7:0]  op_d,     op_q;
  reg [1:0]  argi_d,   argi_q;     // operands popped so far
  reg [31:0] a0_d, a0_q, a1_d, a1_q, a2_d, a2_q;
  reg [15:0] x_d,      x_q;
  reg [15:0] y_d,      y_q;
  reg [31:0] fence_d,  fence_q;
  reg        pop;
  reg        done;
  reg        error;
  reg        we;
  reg [9:0]  waddr;
  reg [31:0] wdata;

  // Operands: FILL dst, wh, colour; COPY src, dst, wh.
  wire [15:0] width  = (op_q == OP_COPY) ? a2_q[15:0]  : a1_q[15:0];
  wire [15:0] height = (op_q == OP_COPY) ? a2_q[31:16] : a1_q[31:16];
  wire [9:0]  dst_dw = (op_q == OP_COPY) ? a1_q[11:2]  : a0_q[11:2];
  wire [9:0]  src_dw = a0_q[11:2];
  // Dword offset of pixel (x, y) from the rectangle origin; FB_PITCH is a
  // power-of-two number of bytes, so this is a shift (wraps modulo 4 KiB).
  wire [9:0]  row_dw = y_q[9:0] * FB_PITCH[11:2];
  wire [9:0]  pix_dw = row_dw + x_q[9:0];
  wire        last_x = (x_q == width - 16'd1);
  wire        last_y = (y_q == height - 16'd1);
  wire        empty_rect = (width == 16'd0) || (height == 16'd0);

  always @* begin
    state_d = state_q;
    op_d    = op_q;
    argi_d  = argi_q;
    a0_d = a0_q; a1_d = a1_q; a2_d = a2_q;
    x_d     = x_q;
    y_d     = y_q;
    fence_d = fence_q;
    pop     = 1'b0;
    done    = 1'b0;
    error   = 1'b0;
    we      = 1'b0;
    waddr   = dst_dw + pix_dw;
    wdata   = (op_q == OP_COPY) ? fb_rdata_i : a2_q;

    case (state_q)
      S_FETCH: begin
        if (!fifo_empty) begin
          pop    = 1'b1;
          op_d   = head[31:24];
          argi_d = 2'd0;
          x_d    = 16'd0;
          y_d    = 16'd0;
          if ((head[31:24] == OP_FILL) || (head[31:24] == OP_COPY) ||
              (head[31:24] == OP_FENCE)) begin
            state_d = S_ARGS;
          end else begin
            state_d = S_ERROR;
            error   = 1'b1;
          end
        end
      end

      S_ARGS: begin
        if (!fifo_empty) begin
          pop    = 1'b1;
          argi_d = argi_q + 2'd1;
          case (argi_q)
            2'd0:    a0_d = head;
            2'd1:    a1_d = head;
            default: a2_d = head;
          endcase
          if (op_q == OP_FENCE) begin
            fence_d = head;
            done    = 1'b1;
            state_d = S_FETCH;
          end else if (argi_q == 2'd2) begin
            state_d = (op_q == OP_COPY) ? S_COPY : S_FILL;
          end
        end
      end

      S_FILL, S_COPY: begin
        if (empty_rect) begin
          state_d = S_FETCH;
        end else if (!fb_busy_i) begin
          we  = 1'b1;
          x_d = x_q + 16'd1;
          if (last_x) begin
            x_d = 16'd0;
            y_d = y_q + 16'd1;
            if (last_y) state_d = S_FETCH;
          end
        end
      end

      S_ERROR: ;  // stopped: only reset_i leaves

      default: state_d = S_ERROR;
    endcase

    if (reset_i) begin
      state_d = S_FETCH;
      pop     = 1'b0;
    end
  end

  // FIFO pointers and level.
  always @* begin
    wr_ptr_d = wr_ptr_q;
    rd_ptr_d = rd_ptr_q;
    level_d  = level_q;
    if (push) wr_ptr_d = wr_ptr_q + 4'd1;
    if (pop)  rd_ptr_d = rd_ptr_q + 4'd1;
    level_d = level_q + (push ? 5'd1 : 5'd0) - (pop ? 5'd1 : 5'd0);
    if (reset_i) begin
      wr_ptr_d = 4'd0;
      rd_ptr_d = 4'd0;
      level_d  = 5'd0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_ptr_q <= 4'd0;
      rd_ptr_q <= 4'd0;
      level_q  <= 5'd0;
      state_q  <= S_FETCH;
      op_q     <= 8'h00;
      argi_q   <= 2'd0;
      a0_q     <= 32'h0;
      a1_q     <= 32'h0;
      a2_q     <= 32'h0;
      x_q      <= 16'd0;
      y_q      <= 16'd0;
      fence_q  <= 32'h0;
    end else if (push_i || reset_i || busy_o) begin
      // Idle (no push, no reset, engine waiting on an empty FIFO or stopped):
      // every _d equals its _q, so the copy is skipped.
      wr_ptr_q <= wr_ptr_d;
      rd_ptr_q <= rd_ptr_d;
      level_q  <= level_d;
      state_q  <= state_d;
      op_q     <= op_d;
      argi_q   <= argi_d;
      a0_q     <= a0_d;
      a1_q     <= a1_d;
      a2_q     <= a2_d;
      x_q      <= x_d;
      y_q      <= y_d;
      fence_q  <= fence_d;
    end
  end

  // FIFO storage: a memory, written with an enable, not reset.
  always @(posedge clk_i) begin
    if (push) fifo_q[wr_ptr_q] <= push_data_i;
  end

  wire [7:0] level8 = {3'b000, level_q};
  wire [7:0] next8  = {3'b000, level_d};

  assign fb_we_o       = we;
  assign fb_waddr_o    = waddr;
  assign fb_wdata_o    = wdata;
  assign fb_raddr_o    = src_dw + pix_dw;
  assign level_o       = level8;
  assign room_o        = {3'b000, DEPTH - level_q};
  assign busy_o        = (state_q != S_ERROR) && ((state_q != S_FETCH) || !fifo_empty);
  assign stopped_o     = (state_q == S_ERROR);
  assign fence_value_o = fence_q;
  assign done_o        = done;
  assign error_o       = error;
  assign fifo_low_o    = (level8 > low_wm_i) && (next8 <= low_wm_i);

endmodule

`default_nettype wire
