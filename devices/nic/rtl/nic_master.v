// nic_master -- PCI bus master engine of the dirql network adapter (PCI Local
// Bus Spec 3.0, 3.3-3.4): the one initiator of the device, shared by the
// descriptor / buffer DMA and the MSI message writes (nic_dma picks the
// client), so everything the device writes reaches the bus in the order the
// requests were issued.
//
// A request is a linear run of 1..64 dwords at a dword address, read (Memory
// Read, 0110) or written (Memory Write, 0111). The engine splits it into
// transactions of at most burst_i dwords and carries each to completion:
//
//   * REQ# while Bus Master Enable is set (6.2.2; with it clear the request
//     waits, REQ# deasserted); address phase after GNT# was sampled asserted
//     on an idle bus (FRAME# and IRDY# deasserted, 3.4.1). REQ# stays
//     asserted until the final data phase of the transaction (FRAME#
//     deasserted), then the request re-arbitrates for the rest.
//   * Data phases with IRDY# asserted from a+1 on (the engine never inserts
//     master wait states: write data is a combinational lookup of widx_o);
//     target wait states (TRDY# deasserted) are held.
//   * Retry / Disconnect (STOP#, 3.3.3.2): FRAME# is deasserted at once (the
//     next data phase is the final one, a data phase still transfers if
//     TRDY# is asserted with STOP#); after the turnaround the rest of the
//     request is resumed at the address of the first dword not transferred.
//   * Target-Abort (STOP# with DEVSEL# deasserted): the request ends with
//     err_o, err_mabort_o = 0.
//   * Master-Abort (no DEVSEL# in a+1 .. a+4, 3.3.3.1): FRAME# deasserted,
//     IRDY# one clock later, err_o with err_mabort_o = 1.
//   * Latency Timer (3.5.4): loaded in the address phase, counts down every
//     clock; once 0 with GNT# deasserted, FRAME# is deasserted (the next data
//     phase is the last) and the rest is resumed later.
//   * After the final data phase IRDY#, FRAME# and C/BE# are driven high for
//     one clock, then released (sustained tri-state, 3.1).
//
// PAR is driven one clock after every clock the engine drove AD and covers
// AD and C/BE# of that clock (3.7.1): the address phase and write data.
// Every bus output is a flop (3.10).
//
// Timing of one transaction (a = address phase interval):
//   a-1: GNT# sampled at edge a with the bus idle     a: FRAME#, AD = address
//   a+1: IRDY#, first data (writes) / turnaround (reads: AD released)
//   d (final data phase, TRDY# and IRDY# asserted, FRAME# deasserted)
//   d+1: IRDY#/FRAME#/C/BE# driven high (PAR of d's data)  d+2: released
// done_o / err_o pulse in interval d+1 (visible at edge d+2).
`default_nettype none

module nic_master (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Control
  input  wire        bme_i,           // Command[2] Bus Master Enable
  input  wire        cancel_i,        // soft reset: drop a request that is not on the bus
  input  wire [7:0]  lat_timer_i,     // configuration 0Dh
  input  wire [3:0]  burst_i,         // dwords per transaction, 1..8 (clamped)

  // Request (start_i only while idle_o)
  input  wire        start_i,
  input  wire        write_i,
  input  wire [29:0] addr_i,          // dword address (AD[31:2])
  input  wire [6:0]  len_i,           // dwords, 1..64
  input  wire [3:0]  last_be_i,       // byte enables (active high) of the last dword of a write
  output wire        idle_o,

  // Write data: wdata_i is the dword with index widx_o of the request
  output wire [6:0]  widx_o,
  input  wire [31:0] wdata_i,

  // Read data: one strobe per transferred dword
  output wire        rd_valid_o,
  output wire [6:0]  rd_idx_o,
  output wire [31:0] rd_data_o,

  // Completion (one-clock pulses)
  output wire        done_o,          // every dword transferred
  output wire        err_o,           // request ended by Master- or Target-Abort
  output wire        err_mabort_o,    // with err_o: 1 = Master-Abort, 0 = Target-Abort
  output wire [31:0] err_addr_o,      // with err_o: address of the refused data phase
  output wire        on_bus_o,        // FRAME#/IRDY# are ours (no cancel possible)

  // Probes
  output wire [2:0]  state_o,
  output wire [31:0] cur_addr_o,      // address of the current / next data phase

  // Resolved bus
  input  wire        frame_ni,
  input  wire        irdy_ni,
  input  wire        trdy_ni,
  input  wire        devsel_ni,
  input  wire        stop_ni,
  input  wire [31:0] ad_i,
  input  wire        gnt_ni,

  // Master drives
  output wire        req_no,
  output wire        mst_oe_o,        // drive FRAME#/IRDY#/C/BE#
  output wire        frame_no,
  output wire        irdy_no,
  output wire [3:0]  cbe_no,
  output wire [31:0] ad_o,
  output wire        ad_oe_o,
  output wire        par_o,
  output wire        par_oe_o
);

  localparam [3:0] CMD_MEM_READ  = 4'b0110;   // 3.1.1
  localparam [3:0] CMD_MEM_WRITE = 4'b0111;

  localparam [2:0] M_IDLE  = 3'd0;  // no request
  localparam [2:0] M_WAIT  = 3'd1;  // request held, REQ# deasserted (Bus Master Enable clear)
  localparam [2:0] M_REQ   = 3'd2;  // REQ# asserted, waiting for GNT# on an idle bus
  localparam [2:0] M_ADDR  = 3'd3;  // address phase
  localparam [2:0] M_DATA  = 3'd4;  // data phases, IRDY# asserted
  localparam [2:0] M_ABORT = 3'd5;  // Master-Abort of a burst: FRAME# deasserted, IRDY# one more clock
  localparam [2:0] M_TURN  = 3'd6;  // FRAME#/IRDY#/C/BE# driven high one clock

  reg [2:0]  state_d,   state_q;
  reg        write_d,   write_q;
  reg [29:0] base_d,    base_q;     // dword address of dword 0 of the request
  reg [6:0]  len_d,     len_q;
  reg [3:0]  last_be_d, last_be_q;
  reg [6:0]  idx_d,     idx_q;      // dword of the current data phase
  reg [3:0]  blen_d,    blen_q;     // dwords left in this transaction, current included
  reg        req_d,     req_q;
  reg        oe_d,      oe_q;
  reg        frame_d,   frame_q;    // active high internally
  reg        irdy_d,    irdy_q;
  reg [3:0]  cbe_d,     cbe_q;      // C/BE# as on the bus (active low)
  reg [31:0] ad_d,      ad_q;
  reg        ad_oe_d,   ad_oe_q;
  reg [2:0]  cnt_d,     cnt_q;      // clocks since a+1, saturating
  reg        dsel_d,    dsel_q;     // DEVSEL# seen in this transaction
  reg [7:0]  lt_d,      lt_q;       // latency timer
  reg        err_d,     err_q;
  reg        mab_d,     mab_q;
  reg        par_q,     par_oe_q;

  wire [29:0] cur_addr  = base_q + {23'd0, idx_q};
  wire [6:0]  remaining = len_q - idx_q;
  wire [3:0]  burst     = (burst_i == 4'd0) ? 4'd1 : (burst_i > 4'd8) ? 4'd8 : burst_i;
  wire [3:0]  blen_new  = (remaining < {3'd0, burst}) ? remaining[3:0] : burst;

  // Byte enables (C/BE#, active low) of dword i: all, but the last dword of a
  // write carries last_be.
  // (Every input an argument: Icarus's @* does not look inside functions.)
  function automatic [3:0] cbe_of(input [6:0] i, input wr, input [6:0] len, input [3:0] be);
    cbe_of = (wr && (i == len - 7'd1)) ? ~be : 4'b0000;
  endfunction

  wire xfer    = !trdy_ni && !devsel_ni;      // data transferred at this edge (IRDY# is ours)
  wire stop    = !stop_ni;
  wire t_abort = stop && devsel_ni;           // STOP# with DEVSEL# deasserted (3.3.3.2.1)
  wire m_abort = !dsel_q && devsel_ni && (cnt_q == 3'd3);   // nothing in a+1 .. a+4
  wire lt_end  = (lt_q == 8'd0) && gnt_ni;
  wire [6:0] new_idx  = idx_q + {6'd0, xfer};
  wire [3:0] new_blen = blen_q - {3'd0, xfer};

  always @* begin
    state_d   = state_q;
    write_d   = write_q;
    base_d    = base_q;
    len_d     = len_q;
    last_be_d = last_be_q;
    idx_d     = idx_q;
    blen_d    = blen_q;
    req_d     = req_q;
    oe_d      = oe_q;
    frame_d   = frame_q;
    irdy_d    = irdy_q;
    cbe_d     = cbe_q;
    ad_d      = ad_q;
    ad_oe_d   = ad_oe_q;
    cnt_d     = cnt_q;
    dsel_d    = dsel_q;
    lt_d      = lt_q;
    err_d     = err_q;
    mab_d     = mab_q;

    case (state_q)
      M_IDLE: begin
        if (start_i) begin
          write_d   = write_i;
          base_d    = addr_i;
          len_d     = len_i;
          last_be_d = last_be_i;
          idx_d     = 7'd0;
          err_d     = 1'b0;
          mab_d     = 1'b0;
          state_d   = bme_i ? M_REQ : M_WAIT;
          req_d     = bme_i;
        end
      end

      M_WAIT: begin
        if (cancel_i) begin
          state_d = M_IDLE;
        end else if (bme_i) begin
          state_d = M_REQ;
          req_d   = 1'b1;
        end
      end

      M_REQ: begin
        if (cancel_i) begin
          state_d = M_IDLE;
          req_d   = 1'b0;
        end else if (!bme_i) begin
          state_d = M_WAIT;
          req_d   = 1'b0;
        end else if (!gnt_ni && frame_ni && irdy_ni) begin
          // Granted on an idle bus (3.4.1): address phase in the next interval.
          state_d = M_ADDR;
          oe_d    = 1'b1;
          frame_d = 1'b1;
          irdy_d  = 1'b0;
          cbe_d   = write_q ? CMD_MEM_WRITE : CMD_MEM_READ;
          ad_d    = {cur_addr, 2'b00};
          ad_oe_d = 1'b1;
          blen_d  = blen_new;
          lt_d    = lat_timer_i;
        end
      end

      M_ADDR: begin
        state_d = M_DATA;
        frame_d = (blen_q != 4'd1);
        req_d   = (blen_q != 4'd1);
        irdy_d  = 1'b1;
        cbe_d   = cbe_of(idx_q, write_q, len_q, last_be_q);
        ad_d    = write_q ? wdata_i : 32'h0000_0000;   // widx_o = idx_q here
        ad_oe_d = write_q;                            // reads: turnaround on AD
        cnt_d   = 3'd0;
        dsel_d  = 1'b0;
        lt_d    = (lt_q != 8'd0) ? lt_q - 8'd1 : 8'd0;
      end

      M_DATA: begin
        cnt_d  = (cnt_q == 3'd7) ? cnt_q : cnt_q + 3'd1;
        dsel_d = dsel_q || !devsel_ni;
        lt_d   = (lt_q != 8'd0) ? lt_q - 8'd1 : 8'd0;
        idx_d  = new_idx;
        blen_d = new_blen;
        if (m_abort) begin
          err_d = 1'b1;
          mab_d = 1'b1;
          req_d = 1'b0;
          if (frame_q) begin
            // FRAME# first, IRDY# on the next clock (3.3.3.1).
            state_d = M_ABORT;
            frame_d = 1'b0;
          end else begin
            state_d = M_TURN;
            irdy_d  = 1'b0;
            ad_oe_d = 1'b0;
            cbe_d   = 4'b1111;
          end
        end else if (!frame_q && (xfer || stop)) begin
          // Final data phase completed, with or without data.
          state_d = M_TURN;
          irdy_d  = 1'b0;
          ad_oe_d = 1'b0;
          cbe_d   = 4'b1111;
          if (t_abort) begin
            err_d = 1'b1;
            mab_d = 1'b0;
          end
        end else if (frame_q) begin
          if (stop || lt_end || (xfer && (new_blen == 4'd1))) begin
            frame_d = 1'b0;
            req_d   = 1'b0;
          end
          if (xfer) begin
            ad_d  = write_q ? wdata_i : 32'h0000_0000;   // widx_o = idx_q + 1 here
            cbe_d = cbe_of(new_idx, write_q, len_q, last_be_q);
          end
        end
      end

      M_ABORT: begin
        state_d = M_TURN;
        irdy_d  = 1'b0;
        ad_oe_d = 1'b0;
        cbe_d   = 4'b1111;
      end

      M_TURN: begin
        oe_d = 1'b0;
        if (err_q || (idx_q == len_q)) begin
          state_d = M_IDLE;
        end else begin
          state_d = M_WAIT;
        end
      end

      default: begin
        state_d = M_IDLE;
        oe_d    = 1'b0;
        req_d   = 1'b0;
      end
    endcase
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= M_IDLE;
      write_q   <= 1'b0;
      base_q    <= 30'd0;
      len_q     <= 7'd0;
      last_be_q <= 4'h0;
      idx_q     <= 7'd0;
      blen_q    <= 4'd0;
      req_q     <= 1'b0;
      oe_q      <= 1'b0;
      frame_q   <= 1'b0;
      irdy_q    <= 1'b0;
      cbe_q     <= 4'b1111;
      ad_q      <= 32'h0000_0000;
      ad_oe_q   <= 1'b0;
      cnt_q     <= 3'd0;
      dsel_q    <= 1'b0;
      lt_q      <= 8'd0;
      err_q     <= 1'b0;
      mab_q     <= 1'b0;
      par_q     <= 1'b0;
      par_oe_q  <= 1'b0;
    end else begin
      state_q   <= state_d;
      write_q   <= write_d;
      base_q    <= base_d;
      len_q     <= len_d;
      last_be_q <= last_be_d;
      idx_q     <= idx_d;
      blen_q    <= blen_d;
      req_q     <= req_d;
      oe_q      <= oe_d;
      frame_q   <= frame_d;
      irdy_q    <= irdy_d;
      cbe_q     <= cbe_d;
      ad_q      <= ad_d;
      ad_oe_q   <= ad_oe_d;
      cnt_q     <= cnt_d;
      dsel_q    <= dsel_d;
      lt_q      <= lt_d;
      err_q     <= err_d;
      mab_q     <= mab_d;
      par_q     <= ^{ad_q, cbe_q};
      par_oe_q  <= ad_oe_q;
    end
  end

  wire turn_end = (state_q == M_TURN);

  assign idle_o       = (state_q == M_IDLE);
  assign widx_o       = (state_q == M_DATA) ? idx_q + 7'd1 : idx_q;
  assign rd_valid_o   = (state_q == M_DATA) && xfer && !write_q;
  assign rd_idx_o     = idx_q;
  assign rd_data_o    = ad_i;
  assign done_o       = turn_end && !err_q && (idx_q == len_q);
  assign err_o        = turn_end && err_q;
  assign err_mabort_o = mab_q;
  assign err_addr_o   = {cur_addr, 2'b00};
  assign on_bus_o     = (state_q == M_ADDR) || (state_q == M_DATA) ||
                        (state_q == M_ABORT) || (state_q == M_TURN);
  assign state_o      = state_q;
  assign cur_addr_o   = {cur_addr, 2'b00};

  assign req_no   = !req_q;
  assign mst_oe_o = oe_q;
  assign frame_no = !frame_q;
  assign irdy_no  = !irdy_q;
  assign cbe_no   = cbe_q;
  assign ad_o     = ad_oe_q ? ad_q : 32'h0000_0000;
  assign ad_oe_o  = ad_oe_q;
  assign par_o    = par_q;
  assign par_oe_o = par_oe_q;

endmodule

`default_nettype wire
