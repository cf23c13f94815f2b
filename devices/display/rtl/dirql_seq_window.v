// dirql_seq_window -- the timed programming window of the dirql adapter.
//
// Real adapters require some register sequences to be written without a
// pause. Here: writing SEQ_UNLOCK_KEY to SEQ_UNLOCK opens the window; then
// MODE[0], MODE[1], ..., MODE[7] must be written in order, each at most G
// (parameter SEQ_GAP) clocks after the previous window write or the unlock,
// counted between the edges at which the data phases complete (a linear
// burst has gap 1, back-to-back single writes through the host bridge about
// 4). The eighth write commits the block to the CRTC timing. If G clocks pass
// without the next write, or a MODE write is out of order or arrives while
// locked, the sequence is aborted and discarded and SEQ_ERROR latches. An
// interrupt service routine that runs in the middle of the sequence is
// therefore visible as an abort on the waveform (probe 3).
`default_nettype none

module dirql_seq_window #(
  parameter integer SEQ_GAP = 8   // G, in clocks; must be 1..255
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Decoded BAR0 writes (dirql_regs)
  input  wire        unlock_i,     // SEQ_UNLOCK written with the key (all lanes)
  input  wire        mode_wr_i,    // a MODE[n] write completes at this edge
  input  wire [2:0]  mode_idx_i,   // n
  input  wire [7:0]  mode_data_i,  // lane 0 of the write

  // Results
  output wire        commit_o,     // one clock: mode_o is the new timing
  output wire [63:0] mode_o,       // MODE[0] in [7:0] .. MODE[7] in [63:56]
  output wire        seq_error_o,  // one clock: aborted
  output wire [31:0] status_o,     // SEQ_STATUS
  output wire [31:0] probe_o       // [7:0] state, [15:8] writes accepted
);

  localparam [7:0] GAP = SEQ_GAP[7:0];

  // Probe states (docs/contracts.md 2, probe 3).
  localparam [7:0] PS_LOCKED    = 8'd0;
  localparam [7:0] PS_OPEN      = 8'd1;
  localparam [7:0] PS_COMMITTED = 8'd2;
  localparam [7:0] PS_ABORTED   = 8'd3;

  reg        open_d,      open_q;
  reg [7:0]  since_d,     since_q;     // edges since the last window write, minus one
  reg [3:0]  count_d,     count_q;     // MODE writes accepted in this window
  reg [63:0] shadow_d,    shadow_q;
  reg        aborted_d,   aborted_q;   // SEQ_STATUS[1]: last sequence aborted
  reg        committed_d, committed_q; // SEQ_STATUS[2]: last sequence committed
  reg        just_commit_q;            // probe: the commit happened at the last edge
  reg        just_abort_q;             // probe: the abort happened at the last edge
  reg        commit;
  reg        abort;

  always @* begin
    open_d      = open_q;
    since_d     = since_q;
    count_d     = count_q;
    shadow_d    = shadow_q;
    aborted_d   = aborted_q;
    committed_d = committed_q;
    commit      = 1'b0;
    abort       = 1'b0;

    if (unlock_i) begin
      // (Re)open: a new key starts a new sequence.
      open_d      = 1'b1;
      since_d     = 8'd0;
      count_d     = 4'd0;
      aborted_d   = 1'b0;
      committed_d = 1'b0;
    end else if (open_q) begin
      if (mode_wr_i) begin
        // since_q + 1 clocks since the previous window write (always <= G
        // here, because at G the window has already closed below).
        if ({1'b0, mode_idx_i} != count_q) begin
          abort = 1'b1;
        end else begin
          shadow_d[{mode_idx_i, 3'b000} +: 8] = mode_data_i;
          count_d = count_q + 4'd1;
          since_d = 8'd0;
          if (mode_idx_i == 3'd7) commit = 1'b1;
        end
      end else if (since_q + 8'd1 >= GAP) begin
        // G clocks have passed without the next write: any later write
        // would be more than G apart.
        abort = 1'b1;
      end else begin
        since_d = since_q + 8'd1;
      end
    end else if (mode_wr_i) begin
      abort = 1'b1;  // MODE write without the key
    end

    if (commit) begin
      open_d      = 1'b0;
      committed_d = 1'b1;
    end
    if (abort) begin
      open_d      = 1'b0;
      count_d     = 4'd0;
      shadow_d    = 64'h0;
      aborted_d   = 1'b1;
      committed_d = 1'b0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      open_q      <= 1'b0;
      since_q     <= 8'd0;
      count_q     <= 4'd0;
      shadow_q    <= 64'h0;
      aborted_q   <= 1'b0;
      committed_q <= 1'b0;
      just_commit_q <= 1'b0;
      just_abort_q  <= 1'b0;
    end else begin
      // Closed, no key and no MODE write: every _d equals its _q, so the copy
      // is skipped (the probe flops below still follow commit and abort).
      if (unlock_i || open_q || mode_wr_i) begin
        open_q      <= open_d;
        since_q     <= since_d;
        count_q     <= count_d;
        shadow_q    <= shadow_d;
        aborted_q   <= aborted_d;
        committed_q <= committed_d;
      end
      just_commit_q <= commit;
      just_abort_q  <= abort;
    end
  end

  // Commit is a one-clock strobe valid at the edge of the MODE[7] write, so
  // the committed value includes that write's data.
  assign commit_o    = commit;
  assign mode_o      = {mode_data_i, shadow_q[55:0]};
  assign seq_error_o = abort;
  assign status_o    = {16'h0000, 4'h0, count_q, 5'b00000, committed_q, aborted_q, open_q};
  // Probe 3 is registered: every window write lands while the probe says
  // "open" (1), and the clock after the edge that committed or aborted shows
  // 2 or 3 for one clock (with the writes accepted up to then), then 0.
  assign probe_o     = {16'h0000, 4'h0, count_q,
                        just_commit_q ? PS_COMMITTED : just_abort_q ? PS_ABORTED :
                        open_q ? PS_OPEN : PS_LOCKED};

endmodule

`default_nettype wire
