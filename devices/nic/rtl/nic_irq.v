// nic_irq -- interrupt block of the dirql network adapter: INT_STATUS (raw
// latched causes, write-1-to-clear), INT_ENABLE, the moderation holdoff, the
// INTA# level (PCI 3.0 2.2.6) and, with MSI enabled, the message queue that
// nic_dma drains through the bus master (6.8.3).
//
// Latching: a cause event sets its INT_STATUS bit at the next edge; a W1C
// completing at the same edge loses to the event (set wins), so no cause is
// ever lost.
//
// INTA# (open drain, 0 = asserted) is combinational from flops only:
//
//   inta = |(INT_STATUS & INT_ENABLE) && !Command[10] && !MSI_Enable
//          && (inta_q || hold_q == 0)
//
// where inta_q is INTA#'s state in the previous interval and hold_q the
// moderation counter. So
//   * assertion: INTA# falls in the interval right after the edge that
//     latched the cause (latency 1 in the harness's counting) while no
//     holdoff runs; with INT_MODERATION = H > 0 an assertion that begins in
//     interval k loads hold_q = H at edge k+1, and no new assertion may begin
//     in intervals k+1 .. k+H; a cause latched meanwhile stays latched and
//     asserts INTA# in interval k+H+1 at the latest: assertion latency at most
//     1 + H. An assertion in progress is never cut by the holdoff.
//   * dismissal: INTA# rises in the interval right after the edge at which
//     the acknowledging data phase (W1C of INT_STATUS, a write clearing
//     INT_ENABLE, Interrupt Disable set, MSI Enable set) completed: 1 clock.
//
// MSI: a message is queued for a cause when its event arrives while it is
// enabled, when it is enabled while latched, and for every latched enabled
// cause when MSI Enable goes 1. Queued causes that the driver cleared or
// disabled before their message went out are dropped (nothing to signal).
// msi_req_o asks for the message of the lowest queued cause; its message
// number is the cause's bit number masked to the enabled count (MME), and
// the message also covers every other queued cause with the same number. The
// holdoff also spaces messages: hold_q is loaded with H when a message's data
// phase completed (msi_sent_i), and msi_req_o waits for hold_q = 0.
`default_nettype none

module nic_irq (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        srst_i,          // soft reset (CTRL.SOFT_RST): synchronous clear

  // Register writes (decoded by nic_regs)
  input  wire        status_w1c_i,    // INT_STATUS written, byte lane 0 enabled
  input  wire        enable_wr_i,     // INT_ENABLE written, byte lane 0 enabled
  input  wire [4:0]  wdata_i,
  input  wire        mod_wr_i,        // INT_MODERATION written
  input  wire [15:0] mod_wdata_i,     // its new value (byte lanes merged)

  // Cause events, one clock each (bit = INT_STATUS bit)
  input  wire [4:0]  events_i,

  // Configuration
  input  wire        intx_disable_i,  // Command[10]
  input  wire        msi_en_i,
  input  wire [2:0]  msi_mme_i,
  input  wire [15:0] msi_data_i,

  // MSI handshake with nic_dma
  output wire        msi_req_o,
  output wire [15:0] msi_msg_o,       // Message Data with the message number in its low MME bits
  input  wire        msi_start_i,     // the message of msi_req_o was taken this clock
  input  wire        msi_sent_i,      // its data phase completed

  // State
  output wire [4:0]  int_status_o,    // raw latched causes
  output wire [4:0]  int_enable_o,
  output wire [15:0] int_mod_o,
  output wire        cfg_int_status_o,// configuration Status[3]
  output wire        inta_no,
  output wire [15:0] hold_o,          // probe: moderation counter
  output wire [4:0]  msi_queue_o      // probe: queued causes
);

  reg [4:0]  raw_d,     raw_q;
  reg [4:0]  en_d,      en_q;
  reg [15:0] mod_d,     mod_q;
  reg [15:0] hold_d,    hold_q;
  reg        inta_q;
  reg [4:0]  queue_d,   queue_q;
  reg [4:0]  en_prev_q;
  reg        msi_prev_q;

  wire [4:0] pending   = raw_q & en_q;
  wire       pend_any  = |pending;
  wire       intx_ok   = !intx_disable_i && !msi_en_i;
  wire       hold      = (hold_q != 16'd0);
  wire       inta      = pend_any && intx_ok && (inta_q || !hold);
  wire       inta_rise = inta && !inta_q;

  // ---------------------------------------------------------------------
  // MSI queue
  // ---------------------------------------------------------------------
  wire [2:0] mask3     = ~(3'b111 << msi_mme_i);   // MME <= MMC = 2
  wire [4:0] q_live    = queue_q & pending;
  reg  [2:0] first;
  always @* begin
    first = 3'd0;
    if      (q_live[0]) first = 3'd0;
    else if (q_live[1]) first = 3'd1;
    else if (q_live[2]) first = 3'd2;
    else if (q_live[3]) first = 3'd3;
    else if (q_live[4]) first = 3'd4;
  end
  wire [2:0] num = first & mask3;
  // Causes whose message number equals num: all covered by this message.
  reg  [4:0] same;
  integer s;
  always @* begin
    for (s = 0; s < 5; s = s + 1)
      same[s] = ((s[2:0] & mask3) == num);
  end
  wire [4:0] queue_set = (events_i & en_q) | (raw_q & en_q & ~en_prev_q) |
                         ((msi_en_i && !msi_prev_q) ? pending : 5'd0);

  always @* begin
    raw_d   = (raw_q & ~(status_w1c_i ? wdata_i : 5'd0)) | events_i;
    en_d    = enable_wr_i ? wdata_i : en_q;
    mod_d   = mod_wr_i ? mod_wdata_i : mod_q;
    // A write of INT_MODERATION ends a holdoff in progress.
    if (mod_wr_i)
      hold_d = 16'd0;
    else if (inta_rise || msi_sent_i)
      hold_d = mod_q;
    else if (hold)
      hold_d = hold_q - 16'd1;
    else
      hold_d = hold_q;
    queue_d = (q_live & ~(msi_start_i ? same : 5'd0)) | queue_set;
    if (!msi_en_i) queue_d = 5'd0;
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      raw_q      <= 5'd0;
      en_q       <= 5'd0;
      mod_q      <= 16'd0;
      hold_q     <= 16'd0;
      inta_q     <= 1'b0;
      queue_q    <= 5'd0;
      en_prev_q  <= 5'd0;
      msi_prev_q <= 1'b0;
    end else if (srst_i) begin
      raw_q      <= 5'd0;
      en_q       <= 5'd0;
      mod_q      <= 16'd0;
      hold_q     <= 16'd0;
      inta_q     <= 1'b0;
      queue_q    <= 5'd0;
      en_prev_q  <= 5'd0;
      msi_prev_q <= msi_en_i;
    end else begin
      raw_q      <= raw_d;
      en_q       <= en_d;
      mod_q      <= mod_d;
      hold_q     <= hold_d;
      inta_q     <= inta;
      queue_q    <= queue_d;
      en_prev_q  <= en_q;
      msi_prev_q <= msi_en_i;
    end
  end

  assign msi_req_o        = msi_en_i && (q_live != 5'd0) && !hold;
  assign msi_msg_o        = (msi_data_i & ~{13'd0, mask3}) | {13'd0, num};
  assign int_status_o     = raw_q;
  assign int_enable_o     = en_q;
  assign int_mod_o        = mod_q;
  assign cfg_int_status_o = pend_any && (inta_q || !hold);
  assign inta_no          = !inta;
  assign hold_o           = hold_q;
  assign msi_queue_o      = queue_q;

endmodule

`default_nettype wire
