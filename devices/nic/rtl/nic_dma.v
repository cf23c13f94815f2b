// nic_dma -- descriptor sequencer of the dirql network adapter: TX and RX
// rings in host memory, the frame buffer, the loopback, and the one client
// port of nic_master that the descriptor/buffer DMA and the MSI messages
// share (so a message is ordered behind every write issued before it).
//
// Descriptor (16 bytes, 16-byte aligned, ring base + index * 16):
//   dword 0  buffer address (byte address; bits [1:0] ignored, dword aligned)
//   dword 1  [15:0] TX: frame length in bytes / RX: buffer size in bytes
//   dword 2  written back: [31:16] length, [4] LOOP, [3] NOLINK, [2] LENERR,
//            [1] TRUNC, [0] DONE
//   dword 3  written back: completions of this ring before this one (0, 1, ...)
// The device reads dwords 0-1 (one 2-dword Memory Read) and writes dwords 2-3
// (one 2-dword Memory Write) of a descriptor only while its index is in
// [HEAD, TAIL) of its ring, i.e. owned by the device; HEAD advances after the
// write-back completed.
//
// One operation at a time, chosen in S_IDLE in this order:
//   1. an MSI message (nic_irq's request): one-dword Memory Write;
//   2. a receive frame (the loopback frame first, then the generator queue):
//      no free RX descriptor -> RX_NOBUF event, frame dropped, nothing written;
//      else read the descriptor, write min(length, buffer size) bytes of the
//      frame (last dword with partial byte enables), write back the
//      descriptor, then the RX event;
//   3. a TX descriptor: read it, read the buffer into the frame buffer, write
//      back, then TX_DONE; with CTRL.LOOPBACK the frame then becomes the next
//      receive frame (TX waits until it was received).
// Because every step waits for nic_master's completion of the previous one,
// the RX data writes precede the descriptor write-back, which precedes the
// RX event, which precedes its MSI message.
//
// A Master- or Target-Abort on a ring's access ends the operation: ERR event,
// DMA_ERR_ADDR / DMA_ERR_INFO recorded, the ring halted (HEAD not advanced)
// until CTRL is written with its enable bit set, a receive frame dropped.
`default_nettype none

module nic_dma (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        srst_i,

  // Registers
  input  wire        tx_en_i,
  input  wire        rx_en_i,
  input  wire        loop_i,
  input  wire        link_up_i,
  input  wire [27:0] tx_base_i,       // bits [31:4]
  input  wire [8:0]  tx_size_i,
  input  wire [7:0]  tx_tail_i,
  input  wire [27:0] rx_base_i,
  input  wire [8:0]  rx_size_i,
  input  wire [7:0]  rx_tail_i,
  input  wire        tx_halt_clr_i,
  input  wire        rx_halt_clr_i,

  // Generator frames (nic_wire)
  input  wire        gen_avail_i,
  input  wire [15:0] gen_seq_i,
  input  wire [8:0]  gen_len_i,
  input  wire [31:0] gen_pattern_i,
  output wire        gen_take_o,

  // MSI (nic_irq, configuration)
  input  wire        msi_req_i,
  input  wire [15:0] msi_msg_i,
  input  wire [29:0] msi_addr_i,      // Message Address [31:2]
  output wire        msi_start_o,
  output wire        msi_sent_o,

  // nic_master client port
  output wire        m_start_o,
  output wire        m_write_o,
  output wire [29:0] m_addr_o,
  output wire [6:0]  m_len_o,
  output wire [3:0]  m_last_be_o,
  input  wire        m_idle_i,
  input  wire [6:0]  m_widx_i,
  output wire [31:0] m_wdata_o,
  input  wire        m_rd_valid_i,
  input  wire [6:0]  m_rd_idx_i,
  input  wire [31:0] m_rd_data_i,
  input  wire        m_done_i,
  input  wire        m_err_i,
  input  wire        m_err_mabort_i,
  input  wire [31:0] m_err_addr_i,

  // Cause events (one clock)
  output wire        ev_rx_o,
  output wire        ev_tx_o,
  output wire        ev_nobuf_o,
  output wire        ev_err_o,

  // State
  output wire [7:0]  tx_head_o,
  output wire [7:0]  rx_head_o,
  output wire        tx_halt_o,
  output wire        rx_halt_o,
  output wire [31:0] err_addr_o,
  output wire [3:0]  err_info_o,
  output wire [31:0] stat_tx_o,
  output wire [31:0] stat_rx_o,
  output wire [31:0] stat_nobuf_o,
  output wire        busy_o,
  output wire [3:0]  state_o
);

  localparam [3:0] S_IDLE    = 4'd0;
  localparam [3:0] S_TX_DESC = 4'd1;
  localparam [3:0] S_TX_BUF  = 4'd2;
  localparam [3:0] S_TX_WB   = 4'd3;
  localparam [3:0] S_RX_DESC = 4'd4;
  localparam [3:0] S_RX_BUF  = 4'd5;
  localparam [3:0] S_RX_WB   = 4'd6;
  localparam [3:0] S_MSI     = 4'd7;

  // Largest frame: the frame buffer holds 64 dwords.
  localparam [15:0] MAX_FRAME = 16'd256;

  reg [3:0]    state_d,    state_q;
  reg          issued_d,   issued_q;     // this state's master request was started
  reg [29:0]   bufaddr_d,  bufaddr_q;
  reg [15:0]   buflen_d,   buflen_q;     // descriptor dword 1 [15:0]
  reg [8:0]    flen_d,     flen_q;       // length of the receive frame in hand
  reg          rxloop_d,   rxloop_q;     // ... it is the loopback frame
  reg [15:0]   rxseq_d,    rxseq_q;      // ... generator frame number
  reg          lenerr_d,   lenerr_q;
  reg          lpend_d,    lpend_q;      // a looped-back frame waits in the frame buffer
  reg [8:0]    llen_d,     llen_q;
  reg [7:0]    txh_d,      txh_q;
  reg [7:0]    rxh_d,      rxh_q;
  reg [31:0]   txcnt_d,    txcnt_q;
  reg [31:0]   rxcnt_d,    rxcnt_q;
  reg [31:0]   nobuf_d,    nobuf_q;
  reg          txhalt_d,   txhalt_q;
  reg          rxhalt_d,   rxhalt_q;
  reg [31:0]   eaddr_d,    eaddr_q;
  reg [3:0]    einfo_d,    einfo_q;
  reg [15:0]   msg_d,      msg_q;
  reg [2047:0] fb_q;                     // frame buffer, 64 x 32

  reg ev_rx, ev_tx, ev_nobuf, ev_err, take, msi_start, msi_sent;

  // -------------------------------------------------------------------------
  // Ring arithmetic
  // -------------------------------------------------------------------------
  wire [29:0] tx_desc = {tx_base_i + {20'd0, txh_q}, 2'b00};   // dword address
  wire [29:0] rx_desc = {rx_base_i + {20'd0, rxh_q}, 2'b00};
  wire tx_ring_ok = (tx_size_i != 9'd0) && ({1'b0, tx_tail_i} < tx_size_i);
  wire rx_ring_ok = (rx_size_i != 9'd0) && ({1'b0, rx_tail_i} < rx_size_i);
  wire tx_ready   = tx_en_i && !txhalt_q && !lpend_q && tx_ring_ok && (txh_q != tx_tail_i);
  wire rx_has_buf = rx_ring_ok && (rxh_q != rx_tail_i);
  wire [7:0] txh_next = ({1'b0, txh_q} + 9'd1 == tx_size_i) ? 8'd0 : txh_q + 8'd1;
  wire [7:0] rxh_next = ({1'b0, rxh_q} + 9'd1 == rx_size_i) ? 8'd0 : rxh_q + 8'd1;

  // Bytes of the receive frame that fit the buffer; dwords and last BEs.
  wire [15:0] flen16  = {7'd0, flen_q};
  wire        trunc   = flen16 > buflen_q;
  wire [8:0]  wlen    = trunc ? buflen_q[8:0] : flen_q;
  wire [6:0]  wdw     = wlen[8:2] + {6'd0, |wlen[1:0]};
  wire [6:0]  tdw     = buflen_q[8:2] + {6'd0, |buflen_q[1:0]};   // TX dwords, buflen_q in 1..256
  wire        tx_bad  = (buflen_q == 16'd0) || (buflen_q > MAX_FRAME);
  wire        nolink  = !link_up_i && !loop_i;

  function automatic [3:0] be_of(input [1:0] rem);
    case (rem)
      2'd0:    be_of = 4'b1111;
      2'd1:    be_of = 4'b0001;
      2'd2:    be_of = 4'b0011;
      default: be_of = 4'b0111;
    endcase
  endfunction

  // -------------------------------------------------------------------------
  // Master request of the current state
  // -------------------------------------------------------------------------
  reg        mw;
  reg [29:0] ma;
  reg [6:0]  ml;
  reg [3:0]  mbe;
  always @* begin
    mw  = 1'b0;
    ma  = tx_desc;
    ml  = 7'd2;
    mbe = 4'b1111;
    case (state_q)
      S_TX_DESC: begin ma = tx_desc; end
      S_TX_BUF:  begin ma = bufaddr_q; ml = tdw; end
      S_TX_WB:   begin mw = 1'b1; ma = tx_desc + 30'd2; end
      S_RX_DESC: begin ma = rx_desc; end
      S_RX_BUF:  begin mw = 1'b1; ma = bufaddr_q; ml = wdw; mbe = be_of(wlen[1:0]); end
      S_RX_WB:   begin mw = 1'b1; ma = rx_desc + 30'd2; end
      S_MSI:     begin mw = 1'b1; ma = msi_addr_i; ml = 7'd1; end
      default:   begin ma = tx_desc; end
    endcase
  end

  // Write data for dword m_widx_i.
  wire [31:0] fb_word  = fb_q[{m_widx_i[5:0], 5'd0} +: 32];
  wire [31:0] gen_word = gen_pattern_i ^ {rxseq_q, 9'd0, m_widx_i};
  wire [31:0] tx_stat  = {buflen_q, 11'd0, 1'b0, nolink, lenerr_q, 1'b0, 1'b1};
  wire [31:0] rx_stat  = {flen16, 11'd0, rxloop_q, 1'b0, 1'b0, trunc, 1'b1};
  reg  [31:0] wdata;
  always @* begin
    case (state_q)
      S_TX_WB:  wdata = m_widx_i[0] ? txcnt_q : tx_stat;
      S_RX_WB:  wdata = m_widx_i[0] ? rxcnt_q : rx_stat;
      S_RX_BUF: wdata = rxloop_q ? fb_word : gen_word;
      S_MSI:    wdata = {16'h0000, msg_q};
      default:  wdata = 32'h0000_0000;
    endcase
  end

  // -------------------------------------------------------------------------
  // Sequencer
  // -------------------------------------------------------------------------
  wire in_tx = (state_q == S_TX_DESC) || (state_q == S_TX_BUF) || (state_q == S_TX_WB);
  wire in_rx = (state_q == S_RX_DESC) || (state_q == S_RX_BUF) || (state_q == S_RX_WB);

  always @* begin
    state_d   = state_q;
    issued_d  = issued_q;
    bufaddr_d = bufaddr_q;
    buflen_d  = buflen_q;
    flen_d    = flen_q;
    rxloop_d  = rxloop_q;
    rxseq_d   = rxseq_q;
    lenerr_d  = lenerr_q;
    lpend_d   = lpend_q;
    llen_d    = llen_q;
    txh_d     = txh_q;
    rxh_d     = rxh_q;
    txcnt_d   = txcnt_q;
    rxcnt_d   = rxcnt_q;
    nobuf_d   = nobuf_q;
    txhalt_d  = txhalt_q && !tx_halt_clr_i;
    rxhalt_d  = rxhalt_q && !rx_halt_clr_i;
    eaddr_d   = eaddr_q;
    einfo_d   = einfo_q;
    msg_d     = msg_q;
    ev_rx     = 1'b0;
    ev_tx     = 1'b0;
    ev_nobuf  = 1'b0;
    ev_err    = 1'b0;
    take      = 1'b0;
    msi_start = 1'b0;
    msi_sent  = 1'b0;

    if (m_start_o) issued_d = 1'b1;

    // Descriptor dwords 0 and 1 as they arrive.
    if (m_rd_valid_i && ((state_q == S_TX_DESC) || (state_q == S_RX_DESC))) begin
      if (m_rd_idx_i == 7'd0) bufaddr_d = m_rd_data_i[31:2];
      if (m_rd_idx_i == 7'd1) buflen_d  = m_rd_data_i[15:0];
    end

    case (state_q)
      S_IDLE: begin
        issued_d = 1'b0;
        if (msi_req_i) begin
          state_d   = S_MSI;
          msg_d     = msi_msg_i;
          msi_start = 1'b1;
        end else if (lpend_q || gen_avail_i) begin
          rxloop_d = lpend_q;
          flen_d   = lpend_q ? llen_q : gen_len_i;
          rxseq_d  = gen_seq_i;
          if (!rx_en_i || rxhalt_q) begin
            // Receiver off or halted: the frame is lost on the wire.
            if (lpend_q) lpend_d = 1'b0; else take = 1'b1;
          end else if (!rx_has_buf) begin
            ev_nobuf = 1'b1;
            nobuf_d  = nobuf_q + 32'd1;
            if (lpend_q) lpend_d = 1'b0; else take = 1'b1;
          end else begin
            state_d = S_RX_DESC;
          end
        end else if (tx_ready) begin
          state_d  = S_TX_DESC;
          lenerr_d = 1'b0;
        end
      end

      S_TX_DESC: if (m_done_i) begin
        issued_d = 1'b0;
        if (tx_bad) begin
          lenerr_d = 1'b1;
          state_d  = S_TX_WB;
        end else begin
          state_d  = S_TX_BUF;
        end
      end

      S_TX_BUF: if (m_done_i) begin
        issued_d = 1'b0;
        state_d  = S_TX_WB;
      end

      S_TX_WB: if (m_done_i) begin
        issued_d = 1'b0;
        state_d  = S_IDLE;
        ev_tx    = 1'b1;
        txh_d    = txh_next;
        txcnt_d  = txcnt_q + 32'd1;
        if (loop_i && !lenerr_q) begin
          lpend_d = 1'b1;
          llen_d  = buflen_q[8:0];
        end
      end

      S_RX_DESC: if (m_done_i) begin
        issued_d = 1'b0;
        state_d  = (wlen == 9'd0) ? S_RX_WB : S_RX_BUF;
      end

      S_RX_BUF: if (m_done_i) begin
        issued_d = 1'b0;
        state_d  = S_RX_WB;
      end

      S_RX_WB: if (m_done_i) begin
        issued_d = 1'b0;
        state_d  = S_IDLE;
        ev_rx    = 1'b1;
        rxh_d    = rxh_next;
        rxcnt_d  = rxcnt_q + 32'd1;
        if (rxloop_q) lpend_d = 1'b0; else take = 1'b1;
      end

      S_MSI: if (m_done_i || m_err_i) begin
        // A message that met Master-/Target-Abort is dropped (Status[13]/[12]).
        issued_d = 1'b0;
        state_d  = S_IDLE;
        msi_sent = m_done_i;
      end

      default: begin
        state_d  = S_IDLE;
        issued_d = 1'b0;
      end
    endcase

    if (m_err_i && (in_tx || in_rx)) begin
      issued_d = 1'b0;
      state_d  = S_IDLE;
      ev_err   = 1'b1;
      eaddr_d  = m_err_addr_i;
      einfo_d  = {in_rx, in_tx, !m_err_mabort_i, m_err_mabort_i};
      if (in_tx) txhalt_d = 1'b1;
      if (in_rx) begin
        rxhalt_d = 1'b1;
        if (rxloop_q) lpend_d = 1'b0; else take = 1'b1;
      end
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= S_IDLE;
      issued_q  <= 1'b0;
      bufaddr_q <= 30'd0;
      buflen_q  <= 16'd0;
      flen_q    <= 9'd0;
      rxloop_q  <= 1'b0;
      rxseq_q   <= 16'd0;
      lenerr_q  <= 1'b0;
      lpend_q   <= 1'b0;
      llen_q    <= 9'd0;
      txh_q     <= 8'd0;
      rxh_q     <= 8'd0;
      txcnt_q   <= 32'd0;
      rxcnt_q   <= 32'd0;
      nobuf_q   <= 32'd0;
      txhalt_q  <= 1'b0;
      rxhalt_q  <= 1'b0;
      eaddr_q   <= 32'd0;
      einfo_q   <= 4'd0;
      msg_q     <= 16'd0;
    end else if (srst_i) begin
      state_q   <= S_IDLE;
      issued_q  <= 1'b0;
      bufaddr_q <= 30'd0;
      buflen_q  <= 16'd0;
      flen_q    <= 9'd0;
      rxloop_q  <= 1'b0;
      rxseq_q   <= 16'd0;
      lenerr_q  <= 1'b0;
      lpend_q   <= 1'b0;
      llen_q    <= 9'd0;
      txh_q     <= 8'd0;
      rxh_q     <= 8'd0;
      txcnt_q   <= 32'd0;
      rxcnt_q   <= 32'd0;
      nobuf_q   <= 32'd0;
      txhalt_q  <= 1'b0;
      rxhalt_q  <= 1'b0;
      eaddr_q   <= 32'd0;
      einfo_q   <= 4'd0;
      msg_q     <= 16'd0;
    end else begin
      state_q   <= state_d;
      issued_q  <= issued_d;
      bufaddr_q <= bufaddr_d;
      buflen_q  <= buflen_d;
      flen_q    <= flen_d;
      rxloop_q  <= rxloop_d;
      rxseq_q   <= rxseq_d;
      lenerr_q  <= lenerr_d;
      lpend_q   <= lpend_d;
      llen_q    <= llen_d;
      txh_q     <= txh_d;
      rxh_q     <= rxh_d;
      txcnt_q   <= txcnt_d;
      rxcnt_q   <= rxcnt_d;
      nobuf_q   <= nobuf_d;
      txhalt_q  <= txhalt_d;
      rxhalt_q  <= rxhalt_d;
      eaddr_q   <= eaddr_d;
      einfo_q   <= einfo_d;
      msg_q     <= msg_d;
    end
  end

  // Frame buffer: written by the TX buffer read, read by the loopback RX.
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni)
      fb_q <= 2048'd0;
    else if (m_rd_valid_i && (state_q == S_TX_BUF))
      fb_q[{m_rd_idx_i[5:0], 5'd0} +: 32] <= m_rd_data_i;
  end

  assign m_start_o    = (state_q != S_IDLE) && !issued_q && m_idle_i && !srst_i;
  assign m_write_o    = mw;
  assign m_addr_o     = ma;
  assign m_len_o      = ml;
  assign m_last_be_o  = mbe;
  assign m_wdata_o    = wdata;

  assign gen_take_o   = take;
  assign msi_start_o  = msi_start && !srst_i;
  assign msi_sent_o   = msi_sent;
  assign ev_rx_o      = ev_rx;
  assign ev_tx_o      = ev_tx;
  assign ev_nobuf_o   = ev_nobuf;
  assign ev_err_o     = ev_err;
  assign tx_head_o    = txh_q;
  assign rx_head_o    = rxh_q;
  assign tx_halt_o    = txhalt_q;
  assign rx_halt_o    = rxhalt_q;
  assign err_addr_o   = eaddr_q;
  assign err_info_o   = einfo_q;
  assign stat_tx_o    = txcnt_q;
  assign stat_rx_o    = rxcnt_q;
  assign stat_nobuf_o = nobuf_q;
  assign busy_o       = (state_q != S_IDLE);
  assign state_o      = state_q;

endmodule

`default_nettype wire
