// irq_props -- formal properties of the interrupt block (rtl/dirql_irq.v),
// the MSI writer's interrupt side (rtl/dirql_msi.v) and the timed window
// (rtl/dirql_seq_window.v), each wrapped with every input left free, so
// a proof covers every sequence of register writes and source events.
// The only assumption is PCI RST# asserted in the first clock. Run by
// scripts/formal.sh; docs/formal.md lists each property and its status.
//
// PROPS selects the properties by bit (scripts/formal.sh turns one on at a
// time so that each gets its own verdict and counterexample).
`default_nettype none

// ---------------------------------------------------------------------------
// dirql_irq: INT_RAW / INT_ENABLE / INT_STATUS (docs/contracts.md 1, BAR0)
// ---------------------------------------------------------------------------
module irq_formal #(
  parameter integer VINT_W1C = 0,          // the adapter's default (VGA-strict)
  parameter [31:0]  PROPS    = 32'hFFFF_FFFF
) (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        status_w1c_i,
  input  wire        enable_wr_i,
  input  wire [4:0]  wdata_i,
  input  wire        vretrace_start_i,
  input  wire [7:0]  cr11_i,
  input  wire        cmd_done_i,
  input  wire        cmd_error_i,
  input  wire        fifo_low_i,
  input  wire        seq_error_i
);

  wire [4:0] int_raw, int_enable, int_status, pending;
  wire       vint_pending;

  dirql_irq #(.VINT_W1C(VINT_W1C)) dut (
    .clk_i, .rst_ni, .status_w1c_i, .enable_wr_i, .wdata_i, .vretrace_start_i,
    .cr11_i, .cmd_done_i, .cmd_error_i, .fifo_low_i, .seq_error_i,
    .int_raw_o(int_raw), .int_enable_o(int_enable), .int_status_o(int_status),
    .pending_o(pending), .vint_pending_o(vint_pending)
  );

  // RST# in the first clock (the proofs start from reset), free after.
  reg init_q = 1'b1;
  always @(posedge clk_i) init_q <= 1'b0;
  always @* if (init_q) assume (!rst_ni);

  // Previous-clock values (what the edge that ends the clock samples).
  reg        v_q;                 // the previous clock was out of reset
  reg        w1c_q, en_wr_q;
  reg  [4:0] wdata_q, ev_q, raw_q, pend_q;
  reg  [7:0] cr11_q;
  wire [4:0] ev = {seq_error_i, fifo_low_i, cmd_error_i, cmd_done_i,
                   vretrace_start_i && cr11_i[4]};
  always @(posedge clk_i) begin
    v_q     <= rst_ni && !init_q;
    w1c_q   <= status_w1c_i;
    en_wr_q <= enable_wr_i;
    wdata_q <= wdata_i;
    ev_q    <= ev;
    raw_q   <= int_raw;
    pend_q  <= pending;
    cr11_q  <= cr11_i;
  end
  wire live = v_q && rst_ni;   // both this clock and the previous one out of reset

  // VBLANK (bit 0) is also held clear while CR11[4] = 0 (VGA), and W1C
  // clears it only with VINT_W1C = 1.
  wire [4:0] w1c_mask = (VINT_W1C != 0) ? 5'b11111 : 5'b11110;
  wire [4:0] rearm    = {4'b1111, cr11_i[4]};

  integer i;
  always @* if (live) begin
    // 0 irq_latch_not_lost: an event latched at an edge shows in INT_RAW in
    //   the next clock whatever else was written at that edge: a W1C of
    //   another source, of the same source (the event wins), an enable write.
    if (PROPS[0]) assert ((ev_q & rearm & ~int_raw) == 5'b0);
    // 1 irq_w1c_only_written: a latched bit is cleared only by a W1C that
    //   writes 1 to that bit (or, VBLANK, by CR11[4] = 0).
    if (PROPS[1]) assert ((raw_q & rearm & ~int_raw & ~({5{w1c_q}} & wdata_q & w1c_mask)) == 5'b0);
    // 2 irq_w1c_clears_written: a W1C writing 1 to a bit clears it (no event
    //   at the same edge); INT_STATUS = INT_RAW & INT_ENABLE.
    if (PROPS[2]) assert ((({5{w1c_q}} & wdata_q & w1c_mask & ~ev_q) & int_raw) == 5'b0 &&
                          int_status == (int_raw & int_enable));
    // 3 irq_dismiss_1clk: the pending level (what drives INTA# and MSI) is
    //   released in the clock after the acknowledging edge d: a W1C of every
    //   pending bit, an INT_ENABLE write of 0 to them, or CR11 with [4] = 0
    //   ([5] = 1) for VBLANK -- unless a new event latched at that edge.
    if (PROPS[3]) assert (((pend_q & ~ev_q &
                            (({5{w1c_q}} & wdata_q & w1c_mask) |
                             ({5{en_wr_q}} & ~wdata_q) |
                             {4'b0000, !cr11_i[4] || cr11_i[5]})) & pending) == 5'b0);
    // 4 irq_pending_level: pending = INT_RAW & INT_ENABLE, VBLANK masked by
    //   CR11[5]; Input Status 0 [7] = INT_RAW[0]; INT_RAW[0] = 0 while CR11[4] = 0.
    if (PROPS[4]) assert (pending == (int_raw & int_enable & {4'b1111, !cr11_i[5]}) &&
                          vint_pending == int_raw[0] && (cr11_i[4] || !int_raw[0]));
  end

endmodule

// ---------------------------------------------------------------------------
// dirql_msi: one message per new rising edge, none while the window is open
// ---------------------------------------------------------------------------
module msi_formal #(
  parameter [31:0] PROPS = 32'hFFFF_FFFF
) (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        bus_master_en_i,
  input  wire        hold_i,
  input  wire [4:0]  pending_i,
  input  wire [31:0] msi_addr_i,
  input  wire [15:0] msi_data_i,
  input  wire        frame_ni,
  input  wire        irdy_ni,
  input  wire        trdy_ni,
  input  wire        devsel_ni,
  input  wire        stop_ni,
  input  wire        gnt_ni
);

  wire        req_no, mst_oe, frame_no, irdy_no, ad_oe, par, par_oe, mabort, sent;
  wire [3:0]  cbe_no;
  wire [31:0] ad;
  wire [4:0]  queued;

  // MSI Enable set and eight vectors allocated (MME = 3), so that the
  // message data's low three bits are the source number (6.8.3.4). With MSI
  // Enable clear the writer queues nothing (INTA# is used): property 2.
  reg  msi_en_q = 1'b0;
  dirql_msi dut (
    .clk_i, .rst_ni, .msi_en_i(1'b1), .mme_i(3'd3), .msi_addr_i, .msi_data_i,
    .bus_master_en_i, .hold_i, .pending_i, .frame_ni, .irdy_ni, .trdy_ni,
    .devsel_ni, .stop_ni, .gnt_ni, .req_no, .mst_oe_o(mst_oe), .frame_no,
    .irdy_no, .cbe_no, .ad_o(ad), .ad_oe_o(ad_oe), .par_o(par), .par_oe_o(par_oe),
    .master_abort_o(mabort), .sent_o(sent), .queued_o(queued)
  );

  reg init_q = 1'b1;
  always @(posedge clk_i) init_q <= 1'b0;
  always @* if (init_q) assume (!rst_ni);

  reg        v_q, hold_q, frame_no_q;
  reg  [4:0] pend_q;
  // owed[s]: a rising edge of pending[s] happened since the last message (or
  // Master-Abort) of source s. The reference for "one message per edge".
  reg  [4:0] owed_q;
  wire [4:0] rise = pending_i & ~pend_q;
  wire [2:0] vec  = ad[2:0];                     // data phase: Message Data | vector
  wire [4:0] done_bit = (sent || mabort) ? (5'b00001 << vec) : 5'b00000;
  always @(posedge clk_i) begin
    v_q        <= rst_ni && !init_q;
    hold_q     <= hold_i;
    frame_no_q <= frame_no;
    pend_q     <= rst_ni ? pending_i : 5'b0;
    owed_q     <= rst_ni ? ((owed_q & ~done_bit) | rise) : 5'b0;
  end
  wire live = v_q && rst_ni;
  // The writer's data phase: FRAME# released, IRDY# and AD driven by it.
  wire data_phase = mst_oe && !irdy_no && frame_no && ad_oe;

  always @* if (live) begin
    // 0 msi_hold: with the timed window open (hold_i, SEQ_STATUS[0]) at an
    //   edge, the writer neither asserts REQ# nor starts an address phase in
    //   the next clock.
    if (PROPS[0]) assert (!hold_q || (req_no && !(mst_oe && !frame_no && frame_no_q)));
    // 1 msi_one_per_edge: every message (and every Master-Aborted attempt)
    //   for source s is owed by a rising edge of s not yet answered; while the
    //   writer is in its data phase the vector on AD is a queued source, and
    //   a queued source is owed. So no edge gives two messages.
    if (PROPS[1]) assert ((queued & ~owed_q) == 5'b0 &&
                          (!data_phase || (vec <= 3'd4 && queued[vec])) &&
                          ((done_bit & ~owed_q) == 5'b0));
  end

  wire unused_ok = &{1'b0, cbe_no, par, par_oe, msi_en_q};

endmodule

// ---------------------------------------------------------------------------
// dirql_seq_window: commit only in an unbroken sequence, else SEQ_ERROR
// ---------------------------------------------------------------------------
module seq_formal #(
  parameter integer SEQ_GAP = 8,            // the adapter's default G
  parameter [31:0]  PROPS   = 32'hFFFF_FFFF
) (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        unlock_i,
  input  wire        mode_wr_i,
  input  wire [2:0]  mode_idx_i,
  input  wire [7:0]  mode_data_i
);

  wire        commit, seq_error;
  wire [63:0] mode;
  wire [31:0] status, probe;

  dirql_seq_window #(.SEQ_GAP(SEQ_GAP)) dut (
    .clk_i, .rst_ni, .unlock_i, .mode_wr_i, .mode_idx_i, .mode_data_i,
    .commit_o(commit), .mode_o(mode), .seq_error_o(seq_error),
    .status_o(status), .probe_o(probe)
  );

  reg init_q = 1'b1;
  always @(posedge clk_i) init_q <= 1'b0;
  always @* if (init_q) assume (!rst_ni);

  // Reference model of the rule (docs/contracts.md 1, SEQ_UNLOCK / MODE):
  // m_open after the key; m_count MODE writes accepted, in order; m_clk
  // clocks since the edge of the last accepted write or of the key, minus
  // one. A write at the next edge is within G clocks iff m_clk < G.
  reg       m_open;
  reg [3:0] m_count;
  reg [7:0] m_clk;
  reg [7:0] m_byte [0:7];
  wire in_time  = m_clk < SEQ_GAP;
  wire in_order = ({1'b0, mode_idx_i} == m_count);
  always @(posedge clk_i) begin
    if (!rst_ni) begin
      m_open <= 1'b0; m_count <= 4'd0; m_clk <= 8'd0;
    end else if (unlock_i) begin
      m_open <= 1'b1; m_count <= 4'd0; m_clk <= 8'd0;
    end else if (m_open && mode_wr_i && in_order) begin
      m_byte[mode_idx_i] <= mode_data_i;
      m_count <= m_count + 4'd1; m_clk <= 8'd0;
      if (mode_idx_i == 3'd7) m_open <= 1'b0;
    end else if (m_open && (mode_wr_i || m_clk + 8'd1 >= SEQ_GAP)) begin
      m_open <= 1'b0; m_count <= 4'd0;
    end else if (m_open) begin
      m_clk <= m_clk + 8'd1;
    end else if (mode_wr_i) begin
      m_count <= 4'd0;
    end
  end

  // What the rule says happens at this edge.
  wire want_commit = rst_ni && !unlock_i && m_open && mode_wr_i && in_order &&
                     in_time && (mode_idx_i == 3'd7);
  wire want_error  = rst_ni && !unlock_i &&
                     ((m_open && mode_wr_i && !in_order) ||              // out of order
                      (m_open && !mode_wr_i && (m_clk + 8'd1 >= SEQ_GAP)) || // G clocks, no write
                      (!m_open && mode_wr_i));                           // no key

  always @* if (rst_ni && !init_q) begin
    // 0 seq_commit_gap: the block commits exactly when MODE[7] completes a
    //   sequence MODE[0..7] in which every write came within G clocks of the
    //   previous one (or of the key); the committed value is what was
    //   written. SEQ_STATUS[0] / [15:8] follow the rule.
    if (PROPS[0]) assert (commit == want_commit && status[0] == m_open &&
                          (!m_open || status[11:8] == m_count));
    // 1 seq_error_otherwise: SEQ_ERROR pulses exactly when a sequence breaks
    //   (G clocks without the next write, a MODE write out of order, or a
    //   MODE write without the key).
    if (PROPS[1]) assert (seq_error == want_error && (!m_open || status[11:8] == m_count) &&
                          status[0] == m_open);
    // 2 seq_commit_value: the committed block is what the sequence wrote
    //   (MODE[0] in [7:0] .. MODE[7], from the committing write, in [63:56]).
    if (PROPS[2]) assert (!commit || mode == {mode_data_i, m_byte[6], m_byte[5], m_byte[4],
                                              m_byte[3], m_byte[2], m_byte[1], m_byte[0]});
  end

  wire unused_ok = &{1'b0, probe, in_time};

endmodule

`default_nettype wire
