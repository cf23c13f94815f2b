// nic_wire -- the adapter's "wire": link state with a settle delay, and a
// traffic generator that injects receive frames, with a small receive queue.
//
// Link: LINK_CTRL[0] is the wanted state; the link follows it LINK_DELAY
// clocks after it last differed (a model of autonegotiation), and every
// change of the link state is a LINK cause event. After reset LINK_CTRL[0] =
// 1 and the link is down, so the link comes up (one LINK event) 16 clocks
// after reset.
//
// Generator: GEN_CTRL start (with GEN_COUNT != 0) makes a frame of GEN_LEN
// bytes "arrive" every GEN_INTERVAL clocks (the first one GEN_INTERVAL clocks
// after the start), GEN_COUNT frames in all (GEN_COUNT counts down). It
// pauses while the link is down. An arriving frame is queued (up to
// RXQ_DEPTH frames) while CTRL.RX_EN is set; with the queue full it is
// counted in STAT_MISSED and lost; with RX_EN clear it is lost uncounted.
// Queued frames are numbered (seq_o of the oldest) from 0 after reset; nic_dma
// fills frame n with dword i = GEN_PATTERN ^ {n[15:0], i[15:0]}.
`default_nettype none

module nic_wire #(
  parameter integer LINK_DELAY = 16,  // clocks from a LINK_CTRL change to the link state, 1..32
  parameter integer RXQ_DEPTH  = 4    // receive frames the wire queues, 1..7
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        srst_i,

  // Registers
  input  wire        link_en_i,       // LINK_CTRL[0]
  input  wire        rx_en_i,         // CTRL.RX_EN
  input  wire        gen_start_i,     // GEN_CTRL write, bit 0
  input  wire        gen_stop_i,      // GEN_CTRL write, bit 1
  input  wire        gen_count_wr_i,
  input  wire [15:0] gen_count_wdata_i,
  input  wire [15:0] gen_interval_i,

  // To nic_dma
  input  wire        take_i,          // the oldest queued frame was consumed
  output wire        frame_avail_o,
  output wire [15:0] seq_o,           // number of the oldest queued frame

  // State
  output wire        link_up_o,
  output wire        link_event_o,
  output wire        gen_running_o,
  output wire [15:0] gen_count_o,
  output wire [2:0]  rxq_level_o,
  output wire [31:0] stat_missed_o
);

  localparam [4:0] LDELAY = LINK_DELAY[4:0] - 5'd1;
  localparam [2:0] QDEPTH = RXQ_DEPTH[2:0];

  reg        link_q;
  reg [4:0]  lcnt_q;
  reg        run_q;
  reg [15:0] count_q;
  reg [15:0] tmr_q;
  reg [2:0]  level_q;
  reg [15:0] seq_q;
  reg [31:0] missed_q;

  wire [15:0] interval = (gen_interval_i == 16'd0) ? 16'd1 : gen_interval_i;
  wire link_flip  = (link_en_i != link_q) && (lcnt_q == LDELAY);
  wire arrive     = run_q && link_q && (tmr_q == 16'd1) && (count_q != 16'd0);
  wire accept     = arrive && rx_en_i && (level_q != QDEPTH);
  wire miss       = arrive && rx_en_i && (level_q == QDEPTH);
  wire take       = take_i && (level_q != 3'd0);

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      link_q   <= 1'b0;
      lcnt_q   <= 5'd0;
    end else begin
      // The PHY is not touched by a soft reset.
      if (link_en_i == link_q) begin
        lcnt_q <= 5'd0;
      end else if (link_flip) begin
        link_q <= link_en_i;
        lcnt_q <= 5'd0;
      end else begin
        lcnt_q <= lcnt_q + 5'd1;
      end
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      run_q    <= 1'b0;
      count_q  <= 16'd0;
      tmr_q    <= 16'd0;
      level_q  <= 3'd0;
      seq_q    <= 16'd0;
      missed_q <= 32'd0;
    end else if (srst_i) begin
      run_q    <= 1'b0;
      count_q  <= 16'd0;
      tmr_q    <= 16'd0;
      level_q  <= 3'd0;
      seq_q    <= 16'd0;
      missed_q <= 32'd0;
    end else begin
      level_q <= level_q + {2'b00, accept} - {2'b00, take};
      if (take) seq_q <= seq_q + 16'd1;
      if (miss) missed_q <= missed_q + 32'd1;

      if (gen_stop_i) begin
        run_q <= 1'b0;
      end else if (gen_start_i) begin
        run_q <= gen_count_wr_i ? (gen_count_wdata_i != 16'd0) : (count_q != 16'd0);
        tmr_q <= interval;
      end else if (run_q && link_q) begin
        if (tmr_q == 16'd1) begin
          tmr_q <= interval;
          if (count_q <= 16'd1) run_q <= 1'b0;
        end else begin
          tmr_q <= tmr_q - 16'd1;
        end
      end

      if (gen_count_wr_i)
        count_q <= gen_count_wdata_i;
      else if (arrive)
        count_q <= count_q - 16'd1;
    end
  end

  assign frame_avail_o = (level_q != 3'd0);
  assign seq_o         = seq_q;
  assign link_up_o     = link_q;
  assign link_event_o  = link_flip;
  assign gen_running_o = run_q;
  assign gen_count_o   = count_q;
  assign rxq_level_o   = level_q;
  assign stat_missed_o = missed_q;

endmodule

`default_nettype wire
