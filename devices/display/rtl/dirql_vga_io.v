// dirql_vga_io -- BAR1, the VGA-compatible I/O ports 3C0h-3DFh of the dirql
// adapter: Miscellaneous Output, Input Status 0/1, Sequencer and CRTC
// index/data pairs, the DAC (palette) with its write/read indices and
// auto-incrementing R, G, B data port.
//
// Byte lanes: BAR1 offset = port - 3C0h; an 8-bit port access arrives with a
// single byte enable on lane port & 3 (PCI 3.0 3.2.2.1: AD[1:0] and the byte
// enables name the bytes of an I/O access). Several lanes in one access are
// handled lowest port first, so a 16-bit OUT to 3D4h writes the index and
// then the data into the register that new index selects, as on VGA cards.
//
// The CRTC index/data race is the point of this block: a data write lands in
// whatever register the index names *when the data write arrives*. Who wrote
// the index does not matter -- an ISR that moves the index between another
// CPU's index and data writes sends that data into the wrong register.
// crtc_wr_probe_o shows every CRTC data write with the index it used.
//
// CR11 (IBM VGA convention, semantics.md 4): [3:0] vertical sync end, [4] 0 =
// clear the vertical interrupt latch / 1 = let it latch, [5] 1 = vertical
// interrupt disabled, [7] protect CR00-CR07 from writes. The latch itself is
// in dirql_irq; this block only holds the register.
`default_nettype none

module dirql_vga_io (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // BAR1 register interface (from pci_target)
  input  wire        io_wr_i,
  input  wire        io_rd_i,       // a read data phase completes (DAC auto-increment)
  input  wire [2:0]  io_addr_i,     // dword within BAR1
  input  wire [3:0]  io_be_i,
  input  wire [31:0] io_wdata_i,
  output reg  [31:0] io_rdata_o,    // combinational from io_addr_i and flops

  // Status inputs
  input  wire        vint_pending_i,  // vertical interrupt latch (Input Status 0 [7])
  input  wire        vretrace_i,
  input  wire        display_off_i,

  // Mode block commit from the timed programming window (dirql_seq_window):
  // {vse, vss, vdisp, vtotal, hse, hss, hdisp, htotal}, MODE[0] in [7:0].
  input  wire        mode_commit_i,
  input  wire [63:0] mode_i,

  // CRTC registers for the timing generator and the interrupt block
  output wire [7:0]  htotal_o,
  output wire [7:0]  hdisp_o,
  output wire [7:0]  hss_o,
  output wire [7:0]  hse_o,
  output wire [7:0]  vtotal_o,
  output wire [7:0]  vdisp_o,
  output wire [7:0]  vss_o,
  output wire [7:0]  cr11_o,

  // Observation (wired to device probes by the simulation wrapper only)
  output wire [7:0]  crtc_index_o,
  output wire [31:0] crtc_wr_probe_o  // [23:16] data, [9] dropped, [8] valid, [7:0] index
);

  `include "dirql_regs.vh"

  // Dword numbers within BAR1.
  localparam [2:0] DW_3C0 = 3'd0;  // 3C0-3C3: Misc Output write / Input Status 0 on lane 2
  localparam [2:0] DW_3C4 = 3'd1;  // 3C4 SEQ index, 3C5 SEQ data, 3C7 DAC read index
  localparam [2:0] DW_3C8 = 3'd2;  // 3C8 DAC write index, 3C9 DAC data
  localparam [2:0] DW_3CC = 3'd3;  // 3CC Misc Output read
  localparam [2:0] DW_3D4 = 3'd5;  // 3D4 CRTC index, 3D5 CRTC data
  localparam [2:0] DW_3D8 = 3'd6;  // 3DA Input Status 1 on lane 2

  // -------------------------------------------------------------------------
  // Registers
  // -------------------------------------------------------------------------
  reg [7:0]  misc_d,      misc_q;
  reg [2:0]  seq_idx_d,   seq_idx_q;
  reg [7:0]  sr0_d, sr0_q, sr1_d, sr1_q, sr2_d, sr2_q, sr3_d, sr3_q, sr4_d, sr4_q;
  reg [7:0]  crtc_idx_d,  crtc_idx_q;
  reg [7:0]  cr00_d, cr00_q, cr01_d, cr01_q, cr04_d, cr04_q, cr05_d, cr05_q;
  reg [7:0]  cr06_d, cr06_q, cr10_d, cr10_q, cr11_d, cr11_q, cr12_d, cr12_q;
  reg [7:0]  dac_widx_d,  dac_widx_q;
  reg [1:0]  dac_wcomp_d, dac_wcomp_q;   // next component to write: 0 R, 1 G, 2 B
  reg [5:0]  dac_r_d,     dac_r_q;       // R and G wait here until B completes the entry
  reg [5:0]  dac_g_d,     dac_g_q;
  reg [7:0]  dac_ridx_d,  dac_ridx_q;
  reg [1:0]  dac_rcomp_d, dac_rcomp_q;

  // Palette RAM: 256 entries of 6-bit R, G, B (VGA DAC). A memory, so it is
  // written in its own clocked block with an enable and has no reset.
  reg [17:0] palette_q [0:255];
  reg        pal_we;
  reg [7:0]  pal_waddr;
  reg [17:0] pal_wdata;

  reg        crtc_wr_valid;
  reg        crtc_wr_dropped;
  reg [7:0]  crtc_wr_index;
  reg [7:0]  crtc_wr_data;

  // Sequencer register selected by an index.
  function automatic [7:0] sr_sel(input [2:0] idx, input [7:0] r0, input [7:0] r1,
                                  input [7:0] r2, input [7:0] r3, input [7:0] r4);
    case (idx)
      3'd0:    sr_sel = r0;
      3'd1:    sr_sel = r1;
      3'd2:    sr_sel = r2;
      3'd3:    sr_sel = r3;
      3'd4:    sr_sel = r4;
      default: sr_sel = 8'h00;
    endcase
  endfunction

  wire [17:0] pal_rentry = palette_q[dac_ridx_q];
  reg  [5:0]  dac_rdata;
  always @* begin
    case (dac_rcomp_q)
      2'd0:    dac_rdata = pal_rentry[17:12];
      2'd1:    dac_rdata = pal_rentry[11:6];
      default: dac_rdata = pal_rentry[5:0];
    endcase
  end

  // -------------------------------------------------------------------------
  // Write / read-side-effect logic
  // -------------------------------------------------------------------------
  reg [7:0] idx;   // effective index after a lane-0 index write in the same access
  reg [7:0] dat;

  always @* begin
    misc_d      = misc_q;
    seq_idx_d   = seq_idx_q;
    sr0_d = sr0_q; sr1_d = sr1_q; sr2_d = sr2_q; sr3_d = sr3_q; sr4_d = sr4_q;
    crtc_idx_d  = crtc_idx_q;
    cr00_d = cr00_q; cr01_d = cr01_q; cr04_d = cr04_q; cr05_d = cr05_q;
    cr06_d = cr06_q; cr10_d = cr10_q; cr11_d = cr11_q; cr12_d = cr12_q;
    dac_widx_d  = dac_widx_q;
    dac_wcomp_d = dac_wcomp_q;
    dac_r_d     = dac_r_q;
    dac_g_d     = dac_g_q;
    dac_ridx_d  = dac_ridx_q;
    dac_rcomp_d = dac_rcomp_q;
    pal_we      = 1'b0;
    pal_waddr   = dac_widx_q;
    pal_wdata   = 18'h00000;
    crtc_wr_valid   = 1'b0;
    crtc_wr_dropped = 1'b0;
    crtc_wr_index   = crtc_idx_q;
    crtc_wr_data    = 8'h00;
    idx = 8'h00;
    dat = 8'h00;

    if (io_wr_i) begin
      case (io_addr_i)
        DW_3C0: if (io_be_i[2]) misc_d = io_wdata_i[23:16];          // 3C2h
        DW_3C4: begin
          if (io_be_i[0]) seq_idx_d = io_wdata_i[2:0];                // 3C4h
          if (io_be_i[1]) begin                                       // 3C5h
            case (seq_idx_d)
              3'd0: sr0_d = io_wdata_i[15:8];
              3'd1: sr1_d = io_wdata_i[15:8];
              3'd2: sr2_d = io_wdata_i[15:8];
              3'd3: sr3_d = io_wdata_i[15:8];
              3'd4: sr4_d = io_wdata_i[15:8];
              default: ;
            endcase
          end
          if (io_be_i[3]) begin                                       // 3C7h
            dac_ridx_d  = io_wdata_i[31:24];
            dac_rcomp_d = 2'd0;
          end
        end
        DW_3C8: begin
          if (io_be_i[0]) begin                                       // 3C8h
            dac_widx_d  = io_wdata_i[7:0];
            dac_wcomp_d = 2'd0;
          end
          if (io_be_i[1]) begin                                       // 3C9h
            case (dac_wcomp_d)
              2'd0: begin dac_r_d = io_wdata_i[13:8]; dac_wcomp_d = 2'd1; end
              2'd1: begin dac_g_d = io_wdata_i[13:8]; dac_wcomp_d = 2'd2; end
              default: begin
                // B completes the entry; then on to the next (VGA DAC).
                pal_we      = 1'b1;
                pal_waddr   = dac_widx_d;
                pal_wdata   = {dac_r_d, dac_g_d, io_wdata_i[13:8]};
                dac_widx_d  = dac_widx_d + 8'd1;
                dac_wcomp_d = 2'd0;
              end
            endcase
          end
        end
        DW_3D4: begin
          if (io_be_i[0]) crtc_idx_d = io_wdata_i[7:0];               // 3D4h
          if (io_be_i[1]) begin                                       // 3D5h
            idx = crtc_idx_d;
            dat = io_wdata_i[15:8];
            crtc_wr_valid = 1'b1;
            crtc_wr_index = idx;
            crtc_wr_data  = dat;
            // CR11[7] protects CR00-CR07 (IBM VGA); writes there are dropped.
            if (cr11_q[CR11_PROTECT_BIT] && (idx < 8'h08)) begin
              crtc_wr_dropped = 1'b1;
            end else begin
              case (idx)
                CR_HTOTAL: cr00_d = dat;
                CR_HDISP:  cr01_d = dat;
                CR_HSS:    cr04_d = dat;
                CR_HSE:    cr05_d = dat;
                CR_VTOTAL: cr06_d = dat;
                CR_VSS:    cr10_d = dat;
                CR_VSE:    cr11_d = dat;
                CR_VDISP:  cr12_d = dat;
                default:   crtc_wr_dropped = 1'b1;  // not implemented: no register
              endcase
            end
          end
        end
        default: ;
      endcase
    end

    // Reading the DAC data port steps through R, G, B, then the next entry.
    if (io_rd_i && (io_addr_i == DW_3C8) && io_be_i[1]) begin
      if (dac_rcomp_q == 2'd2) begin
        dac_rcomp_d = 2'd0;
        dac_ridx_d  = dac_ridx_q + 8'd1;
      end else begin
        dac_rcomp_d = dac_rcomp_q + 2'd1;
      end
    end

    // Mode block from the timed window: the whole timing at once. Only the
    // vsync-end bits of CR11 belong to the mode; its control bits stay.
    if (mode_commit_i) begin
      cr00_d = mode_i[7:0];
      cr01_d = mode_i[15:8];
      cr04_d = mode_i[23:16];
      cr05_d = mode_i[31:24];
      cr06_d = mode_i[39:32];
      cr12_d = mode_i[47:40];
      cr10_d = mode_i[55:48];
      cr11_d = {cr11_d[7:4], mode_i[59:56]};
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      misc_q      <= 8'h01;   // colour emulation: CRTC at 3Dxh
      seq_idx_q   <= 3'd0;
      sr0_q <= 8'h03; sr1_q <= 8'h00; sr2_q <= 8'h0F; sr3_q <= 8'h00; sr4_q <= 8'h0E;
      crtc_idx_q  <= 8'h00;
      cr00_q      <= DEF_HTOTAL;
      cr01_q      <= DEF_HDISP;
      cr04_q      <= DEF_HSS;
      cr05_q      <= DEF_HSE;
      cr06_q      <= DEF_VTOTAL;
      cr10_q      <= DEF_VSS;
      cr11_q      <= DEF_CR11;
      cr12_q      <= DEF_VDISP;
      dac_widx_q  <= 8'h00;
      dac_wcomp_q <= 2'd0;
      dac_r_q     <= 6'd0;
      dac_g_q     <= 6'd0;
      dac_ridx_q  <= 8'h00;
      dac_rcomp_q <= 2'd0;
    end else if (io_wr_i || io_rd_i || mode_commit_i) begin
      // Every _d differs from its _q only in a clock with an access or a mode
      // commit (the block above), so the copy is skipped in all other clocks:
      // the same flops, and Verilator does no work for them on an idle bus.
      misc_q      <= misc_d;
      seq_idx_q   <= seq_idx_d;
      sr0_q <= sr0_d; sr1_q <= sr1_d; sr2_q <= sr2_d; sr3_q <= sr3_d; sr4_q <= sr4_d;
      crtc_idx_q  <= crtc_idx_d;
      cr00_q      <= cr00_d;
      cr01_q      <= cr01_d;
      cr04_q      <= cr04_d;
      cr05_q      <= cr05_d;
      cr06_q      <= cr06_d;
      cr10_q      <= cr10_d;
      cr11_q      <= cr11_d;
      cr12_q      <= cr12_d;
      dac_widx_q  <= dac_widx_d;
      dac_wcomp_q <= dac_wcomp_d;
      dac_r_q     <= dac_r_d;
      dac_g_q     <= dac_g_d;
      dac_ridx_q  <= dac_ridx_d;
      dac_rcomp_q <= dac_rcomp_d;
    end
  end

  always @(posedge clk_i) begin
    if (pal_we) palette_q[pal_waddr] <= pal_wdata;
  end

  // -------------------------------------------------------------------------
  // Read side (no side effects here; see io_rd_i above)
  // -------------------------------------------------------------------------
  reg [7:0] crtc_rdata;
  always @* begin
    case (crtc_idx_q)
      CR_HTOTAL: crtc_rdata = cr00_q;
      CR_HDISP:  crtc_rdata = cr01_q;
      CR_HSS:    crtc_rdata = cr04_q;
      CR_HSE:    crtc_rdata = cr05_q;
      CR_VTOTAL: crtc_rdata = cr06_q;
      CR_VSS:    crtc_rdata = cr10_q;
      CR_VSE:    crtc_rdata = cr11_q;
      CR_VDISP:  crtc_rdata = cr12_q;
      default:   crtc_rdata = 8'h00;
    endcase
  end

  always @* begin
    io_rdata_o = 32'h0000_0000;
    case (io_addr_i)
      // 3C2h: Input Status 0, [7] vertical interrupt pending.
      DW_3C0: io_rdata_o = {8'h00, vint_pending_i, 7'b000_0000, 16'h0000};
      DW_3C4: io_rdata_o = {8'h00, 8'h00,
                            sr_sel(seq_idx_q, sr0_q, sr1_q, sr2_q, sr3_q, sr4_q),
                            5'b00000, seq_idx_q};
      DW_3C8: io_rdata_o = {16'h0000, 2'b00, dac_rdata, dac_widx_q};
      DW_3CC: io_rdata_o = {24'h000000, misc_q};
      DW_3D4: io_rdata_o = {16'h0000, crtc_rdata, crtc_idx_q};
      // 3DAh: Input Status 1, [3] vertical retrace, [0] display disabled.
      DW_3D8: io_rdata_o = {8'h00, 4'b0000, vretrace_i, 2'b00, display_off_i, 16'h0000};
      default: io_rdata_o = 32'h0000_0000;
    endcase
  end

  assign htotal_o = cr00_q;
  assign hdisp_o  = cr01_q;
  assign hss_o    = cr04_q;
  assign hse_o    = cr05_q;
  assign vtotal_o = cr06_q;
  assign vdisp_o  = cr12_q;
  assign vss_o    = cr10_q;
  assign cr11_o   = cr11_q;

  // MODE[7] bits [7:4]: only the vsync-end nibble of CR11 is timing.
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused_mode = &{1'b0, mode_i[63:60]};
  /* verilator lint_on UNUSEDSIGNAL */

  assign crtc_index_o    = crtc_idx_q;
  assign crtc_wr_probe_o = {8'h00, crtc_wr_data, 6'b000000, crtc_wr_dropped, crtc_wr_valid,
                            crtc_wr_index};

endmodule

`default_nettype wire
