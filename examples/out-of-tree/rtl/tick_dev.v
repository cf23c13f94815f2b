// tick_dev -- a minimal PCI device of "your own" (docs/bring-your-own-device.md): a
// 32-bit PCI target with type-0 configuration and one 4 KiB memory BAR, and a timer that
// raises an interrupt on INTA# every PERIOD clocks.
//
// Target timing (interval a = the address phase): fast DEVSEL#, asserted in a+1 with
// TRDY# (write) or after the turnaround clock, in a+2 (read); every access is one data
// phase: STOP# with TRDY# (disconnect with data). Then one clock driving DEVSEL#, TRDY#
// and STOP# high, then tri-state. Every bus output is a flop or combinational from flops.
//
// BAR0: 00h ID (RO 7E57_0001h), 04h INT_STATUS ([0] TICK, write 1 to clear), 08h
// INT_ENABLE ([0]), 0Ch PERIOD ([15:0] clocks between ticks, 0 = off).
// INTA# = !(INT_STATUS & INT_ENABLE & !Command[10]): 1 cycle to assert, 1 to release.
`default_nettype none

module tick_dev (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire [31:0] ad_i,
  output reg  [31:0] ad_o,
  output reg         ad_oe_o,
  input  wire [3:0]  cbe_ni,
  output wire [3:0]  cbe_no,
  input  wire        par_i,
  output reg         par_o,
  output reg         par_oe_o,
  input  wire        frame_ni,
  input  wire        irdy_ni,
  input  wire        trdy_ni,
  input  wire        devsel_ni,
  input  wire        stop_ni,
  input  wire        idsel_i,
  output reg         trdy_no,
  output reg         devsel_no,
  output reg         stop_no,
  output reg         ctl_oe_o,
  output wire        frame_no,
  output wire        irdy_no,
  output wire        mst_oe_o,
  output wire        perr_no,
  output wire        serr_no,
  output wire        req_no,
  input  wire        gnt_ni,
  output wire        inta_no
);
  // No bus master, no parity reporting.
  assign cbe_no = 4'hF;
  assign frame_no = 1'b1;
  assign irdy_no = 1'b1;
  assign mst_oe_o = 1'b0;
  assign perr_no = 1'b1;
  assign serr_no = 1'b1;
  assign req_no = 1'b1;

  localparam [2:0] IDLE = 3'd0, TURN = 3'd1, DATA = 3'd2, DONE = 3'd3, WAIT = 3'd4;
  reg [2:0]  state_q;
  reg        frame_q;      // FRAME# of the previous interval
  reg        write_q;
  reg        cfg_q;
  reg [9:0]  off_q;        // dword offset inside config space or BAR0

  reg [19:0] bar0_q;       // BAR0 [31:12]
  reg        mem_en_q;     // Command[1]
  reg        int_dis_q;    // Command[10]
  reg [7:0]  int_line_q;
  reg        status_q;     // INT_STATUS[0]
  reg        enable_q;     // INT_ENABLE[0]
  reg [15:0] period_q;
  reg [15:0] count_q;

  wire [3:0] cmd = cbe_ni;
  wire addr_phase = !frame_ni && frame_q && state_q == IDLE;
  wire is_cfg = idsel_i && (cmd == 4'b1010 || cmd == 4'b1011) && ad_i[1:0] == 2'b00 && ad_i[10:8] == 3'd0;
  wire is_mem = mem_en_q && (cmd == 4'b0110 || cmd == 4'b0111) && ad_i[31:12] == bar0_q;
  wire is_wr  = cmd[0];
  wire done   = !irdy_ni && !trdy_no && ctl_oe_o;
  wire tick   = period_q != 16'd0 && count_q == period_q - 16'd1;
  wire w1c    = done && write_q && !cfg_q && off_q == 10'd1 && !cbe_ni[0] && ad_i[0];

  // Read data: a function of the offset and flops only.
  reg [31:0] rdata;
  always @* begin
    rdata = 32'd0;
    if (cfg_q) begin
      case (off_q[5:0])
        6'h00: rdata = 32'h7E57_1AB5;
        6'h01: rdata = {12'd0, status_q && enable_q, 3'd0, 5'd0, int_dis_q, 8'd0, mem_en_q, 1'b0};
        6'h02: rdata = 32'hFF00_0001;
        6'h04: rdata = {bar0_q, 12'd0};
        6'h0F: rdata = {16'd0, 8'h01, int_line_q};
        default: rdata = 32'd0;
      endcase
    end else begin
      case (off_q)
        10'h000: rdata = 32'h7E57_0001;
        10'h001: rdata = {31'd0, status_q};
        10'h002: rdata = {31'd0, enable_q};
        10'h003: rdata = {16'd0, period_q};
        default: rdata = 32'd0;
      endcase
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= IDLE; frame_q <= 1'b1; write_q <= 1'b0; cfg_q <= 1'b0; off_q <= 10'd0;
      ad_o <= 32'd0; ad_oe_o <= 1'b0; par_o <= 1'b0; par_oe_o <= 1'b0;
      trdy_no <= 1'b1; devsel_no <= 1'b1; stop_no <= 1'b1; ctl_oe_o <= 1'b0;
      bar0_q <= 20'd0; mem_en_q <= 1'b0; int_dis_q <= 1'b0; int_line_q <= 8'hFF;
      status_q <= 1'b0; enable_q <= 1'b0; period_q <= 16'd0; count_q <= 16'd0;
    end else begin
      frame_q <= frame_ni;
      // PAR one clock after the AD it covers (with the C/BE# of that clock).
      par_o <= ^ad_o ^ ^cbe_ni;
      par_oe_o <= ad_oe_o;
      count_q <= (period_q == 16'd0 || tick) ? 16'd0 : count_q + 16'd1;
      if (tick) status_q <= 1'b1;
      else if (w1c) status_q <= 1'b0;
      case (state_q)
        IDLE: if (addr_phase && (is_cfg || is_mem)) begin
          write_q <= is_wr; cfg_q <= is_cfg; off_q <= ad_i[11:2];
          devsel_no <= 1'b0; ctl_oe_o <= 1'b1;
          if (is_wr) begin
            trdy_no <= 1'b0; stop_no <= 1'b0; state_q <= DATA;
          end else begin
            state_q <= TURN;
          end
        end
        TURN: begin  // the read's turnaround clock: data from the next one
          ad_o <= rdata; ad_oe_o <= 1'b1; trdy_no <= 1'b0; stop_no <= 1'b0; state_q <= DATA;
        end
        DATA: if (done) begin
          if (write_q && cfg_q) begin
            if (off_q[5:0] == 6'h01 && !cbe_ni[0]) mem_en_q <= ad_i[1];
            if (off_q[5:0] == 6'h01 && !cbe_ni[1]) int_dis_q <= ad_i[10];
            if (off_q[5:0] == 6'h04 && cbe_ni == 4'h0) bar0_q <= ad_i[31:12];
            if (off_q[5:0] == 6'h0F && !cbe_ni[0]) int_line_q <= ad_i[7:0];
          end else if (write_q) begin
            if (off_q == 10'h002 && !cbe_ni[0]) enable_q <= ad_i[0];
            if (off_q == 10'h003 && cbe_ni[1:0] == 2'b00) period_q <= ad_i[15:0];
          end
          ad_oe_o <= 1'b0; trdy_no <= 1'b1; devsel_no <= 1'b1; stop_no <= 1'b1; state_q <= DONE;
        end
        DONE: begin  // s/t/s driven high one clock, then released
          ctl_oe_o <= 1'b0; state_q <= WAIT;
        end
        default: if (frame_ni) state_q <= IDLE;  // WAIT: until the master's FRAME# is gone
      endcase
    end
  end

  assign inta_no = !(status_q && enable_q && !int_dis_q);

  // Unused inputs (a target that masters nothing and checks no parity).
  wire unused = &{1'b0, par_i, trdy_ni, devsel_ni, stop_ni, gnt_ni, ad_i[7:2]};
endmodule

`default_nettype wire
