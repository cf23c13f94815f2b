// nic_regs -- BAR0 register file of the dirql network adapter: the plain
// read-write registers, write decode into the blocks that own dynamic state
// (nic_irq, nic_wire, nic_dma), and the read multiplexer. The map is
// nic_regs.vh, documented in devices/nic/README.md.
//
// Writes honour byte enables (3.2.2: only enabled byte lanes change). Reads
// have no side effects and are a combinational function of the address and
// flops, as nic_pci_target requires.
`default_nettype none

module nic_regs #(
  parameter integer MAX_FRAME = 256,   // bytes: GEN_LEN limit
  parameter integer MAX_BURST = 8      // dwords: DMA_CTRL limit
) (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        srst_i,          // soft reset in progress (clears this block)

  // Access from nic_pci_target (BAR0)
  input  wire        mem_wr_i,
  input  wire [9:0]  mem_addr_i,      // dword offset
  input  wire [3:0]  mem_be_i,
  input  wire [31:0] mem_wdata_i,
  output reg  [31:0] mem_rdata_o,

  // CTRL / rings / DMA
  output wire        tx_en_o,
  output wire        rx_en_o,
  output wire        loop_o,
  output wire        srst_req_o,      // CTRL.SOFT_RST written 1, not yet done
  output wire        tx_halt_clr_o,   // CTRL written with TX_EN = 1
  output wire        rx_halt_clr_o,
  output wire [27:0] tx_base_o,
  output wire [8:0]  tx_size_o,
  output wire [7:0]  tx_tail_o,
  output wire [27:0] rx_base_o,
  output wire [8:0]  rx_size_o,
  output wire [7:0]  rx_tail_o,
  output wire [3:0]  burst_o,

  // Interrupt block
  output wire        int_w1c_o,
  output wire        int_enable_wr_o,
  output wire [4:0]  int_wdata_o,
  output wire        int_mod_wr_o,
  output wire [15:0] int_mod_wdata_o,
  input  wire [4:0]  int_status_i,
  input  wire [4:0]  int_enable_i,
  input  wire [15:0] int_mod_i,

  // Wire / generator
  output wire        link_en_o,
  output wire        gen_start_o,
  output wire        gen_stop_o,
  output wire        gen_count_wr_o,
  output wire [15:0] gen_count_wdata_o,
  output wire [8:0]  gen_len_o,
  output wire [31:0] gen_pattern_o,
  output wire [15:0] gen_interval_o,
  input  wire        gen_running_i,
  input  wire [15:0] gen_count_i,
  input  wire        link_up_i,

  // Read-only state
  input  wire [7:0]  tx_head_i,
  input  wire [7:0]  rx_head_i,
  input  wire        tx_halt_i,
  input  wire        rx_halt_i,
  input  wire        dma_busy_i,
  input  wire [31:0] err_addr_i,
  input  wire [3:0]  err_info_i,
  input  wire [31:0] stat_tx_i,
  input  wire [31:0] stat_rx_i,
  input  wire [31:0] stat_nobuf_i,
  input  wire [31:0] stat_missed_i
);

  // The BAR0 map (devices/nic/README.md; the bench accesses every register
  // through its own copy, tb/nic_map.vh, so a difference fails it).
  localparam [11:0] NREG_ID            = 12'h000;  // RO
  localparam [11:0] NREG_CTRL          = 12'h004;  // RW (+ SOFT_RST, W1)
  localparam [11:0] NREG_STATUS        = 12'h008;  // RO
  localparam [11:0] NREG_INT_STATUS    = 12'h010;  // RW1C, raw latched causes
  localparam [11:0] NREG_INT_ENABLE    = 12'h014;  // RW
  localparam [11:0] NREG_INT_MOD       = 12'h018;  // RW, holdoff in clocks
  localparam [11:0] NREG_INT_CAUSE     = 12'h01C;  // RO, INT_STATUS & INT_ENABLE
  localparam [11:0] NREG_TX_BASE       = 12'h020;  // RW, [31:4]
  localparam [11:0] NREG_TX_SIZE       = 12'h024;  // RW, descriptors, 0..256
  localparam [11:0] NREG_TX_HEAD       = 12'h028;  // RO, device-owned
  localparam [11:0] NREG_TX_TAIL       = 12'h02C;  // RW, doorbell
  localparam [11:0] NREG_RX_BASE       = 12'h030;
  localparam [11:0] NREG_RX_SIZE       = 12'h034;
  localparam [11:0] NREG_RX_HEAD       = 12'h038;
  localparam [11:0] NREG_RX_TAIL       = 12'h03C;
  localparam [11:0] NREG_LINK_CTRL     = 12'h040;  // RW, [0] link enable
  localparam [11:0] NREG_GEN_CTRL      = 12'h044;  // W1 [0] start, [1] stop; R [0] running
  localparam [11:0] NREG_GEN_COUNT     = 12'h048;  // RW, frames still to inject
  localparam [11:0] NREG_GEN_LEN       = 12'h04C;  // RW, bytes (clamped 1..MAX_FRAME)
  localparam [11:0] NREG_GEN_PATTERN   = 12'h050;  // RW
  localparam [11:0] NREG_GEN_INTERVAL  = 12'h054;  // RW, clocks between frames (0 = 1)
  localparam [11:0] NREG_DMA_ERR_ADDR  = 12'h058;  // RO
  localparam [11:0] NREG_DMA_ERR_INFO  = 12'h05C;  // RO
  localparam [11:0] NREG_STAT_TX       = 12'h060;  // RO, frames transmitted
  localparam [11:0] NREG_STAT_RX       = 12'h064;  // RO, frames written to host memory
  localparam [11:0] NREG_STAT_NOBUF    = 12'h068;  // RO, frames dropped for no descriptor
  localparam [11:0] NREG_STAT_MISSED   = 12'h06C;  // RO, frames dropped, receive queue full
  localparam [11:0] NREG_DMA_CTRL      = 12'h070;  // RW, [3:0] burst limit in dwords (1..8)
  localparam [31:0] NREG_ID_VALUE      = 32'hD1C2_0001;
  localparam integer CTRL_TX_EN_BIT    = 0;
  localparam integer CTRL_RX_EN_BIT    = 1;
  localparam integer CTRL_LOOP_BIT     = 2;
  localparam integer CTRL_SOFT_RST_BIT = 31;

  localparam [9:0] A_ID        = NREG_ID[11:2];
  localparam [9:0] A_CTRL      = NREG_CTRL[11:2];
  localparam [9:0] A_STATUS    = NREG_STATUS[11:2];
  localparam [9:0] A_INT_ST    = NREG_INT_STATUS[11:2];
  localparam [9:0] A_INT_EN    = NREG_INT_ENABLE[11:2];
  localparam [9:0] A_INT_MOD   = NREG_INT_MOD[11:2];
  localparam [9:0] A_INT_CAUSE = NREG_INT_CAUSE[11:2];
  localparam [9:0] A_TX_BASE   = NREG_TX_BASE[11:2];
  localparam [9:0] A_TX_SIZE   = NREG_TX_SIZE[11:2];
  localparam [9:0] A_TX_HEAD   = NREG_TX_HEAD[11:2];
  localparam [9:0] A_TX_TAIL   = NREG_TX_TAIL[11:2];
  localparam [9:0] A_RX_BASE   = NREG_RX_BASE[11:2];
  localparam [9:0] A_RX_SIZE   = NREG_RX_SIZE[11:2];
  localparam [9:0] A_RX_HEAD   = NREG_RX_HEAD[11:2];
  localparam [9:0] A_RX_TAIL   = NREG_RX_TAIL[11:2];
  localparam [9:0] A_LINK      = NREG_LINK_CTRL[11:2];
  localparam [9:0] A_GEN_CTRL  = NREG_GEN_CTRL[11:2];
  localparam [9:0] A_GEN_COUNT = NREG_GEN_COUNT[11:2];
  localparam [9:0] A_GEN_LEN   = NREG_GEN_LEN[11:2];
  localparam [9:0] A_GEN_PAT   = NREG_GEN_PATTERN[11:2];
  localparam [9:0] A_GEN_INT   = NREG_GEN_INTERVAL[11:2];
  localparam [9:0] A_ERR_ADDR  = NREG_DMA_ERR_ADDR[11:2];
  localparam [9:0] A_ERR_INFO  = NREG_DMA_ERR_INFO[11:2];
  localparam [9:0] A_STAT_TX   = NREG_STAT_TX[11:2];
  localparam [9:0] A_STAT_RX   = NREG_STAT_RX[11:2];
  localparam [9:0] A_STAT_NOB  = NREG_STAT_NOBUF[11:2];
  localparam [9:0] A_STAT_MISS = NREG_STAT_MISSED[11:2];
  localparam [9:0] A_DMA_CTRL  = NREG_DMA_CTRL[11:2];

  localparam [8:0] MAX_FRAME9  = MAX_FRAME[8:0];
  localparam [3:0] MAX_BURST4  = MAX_BURST[3:0];

  // Byte-lane merge of a write into the current value.
  function automatic [31:0] merge(input [31:0] cur, input [31:0] wd, input [3:0] be);
    merge = {be[3] ? wd[31:24] : cur[31:24], be[2] ? wd[23:16] : cur[23:16],
             be[1] ? wd[15:8]  : cur[15:8],  be[0] ? wd[7:0]   : cur[7:0]};
  endfunction

  // A write to dword a (every input an argument: Icarus re-evaluates a
  // function in a continuous assignment only when its arguments change).
  function automatic hit(input we, input [9:0] addr, input [9:0] a);
    hit = we && (addr == a);
  endfunction

  reg [2:0]  ctrl_q;
  reg        srst_req_q;
  reg [27:0] tx_base_q, rx_base_q;
  reg [8:0]  tx_size_q, rx_size_q;
  reg [7:0]  tx_tail_q, rx_tail_q;
  reg        link_en_q;
  reg [8:0]  gen_len_q;
  reg [31:0] gen_pat_q;
  reg [15:0] gen_int_q;
  reg [3:0]  burst_q;

  wire [31:0] ctrl_rd = {srst_req_q, 28'd0, ctrl_q};
  // Each merge is a whole dword; a register keeps only its implemented bits,
  // so the others are unused by design.
  /* verilator lint_off UNUSEDSIGNAL */
  wire [31:0] ctrl_w  = merge(ctrl_rd, mem_wdata_i, mem_be_i);
  wire [31:0] txb_w   = merge({tx_base_q, 4'h0}, mem_wdata_i, mem_be_i);
  wire [31:0] rxb_w   = merge({rx_base_q, 4'h0}, mem_wdata_i, mem_be_i);
  wire [31:0] txs_w   = merge({23'd0, tx_size_q}, mem_wdata_i, mem_be_i);
  wire [31:0] rxs_w   = merge({23'd0, rx_size_q}, mem_wdata_i, mem_be_i);
  wire [31:0] txt_w   = merge({24'd0, tx_tail_q}, mem_wdata_i, mem_be_i);
  wire [31:0] rxt_w   = merge({24'd0, rx_tail_q}, mem_wdata_i, mem_be_i);
  wire [31:0] glen_w  = merge({23'd0, gen_len_q}, mem_wdata_i, mem_be_i);
  wire [31:0] gpat_w  = merge(gen_pat_q, mem_wdata_i, mem_be_i);
  wire [31:0] gint_w  = merge({16'd0, gen_int_q}, mem_wdata_i, mem_be_i);
  wire [31:0] gcnt_w  = merge({16'd0, gen_count_i}, mem_wdata_i, mem_be_i);
  wire [31:0] mod_w   = merge({16'd0, int_mod_i}, mem_wdata_i, mem_be_i);
  wire [31:0] dmac_w  = merge({28'd0, burst_q}, mem_wdata_i, mem_be_i);
  /* verilator lint_on UNUSEDSIGNAL */

  // Size fields hold 0..256; larger values are stored as 256.
  wire [8:0]  txs_clamp = (txs_w[31:0] > 32'd256) ? 9'd256 : txs_w[8:0];
  wire [8:0]  rxs_clamp = (rxs_w[31:0] > 32'd256) ? 9'd256 : rxs_w[8:0];
  // GEN_LEN 1..MAX_FRAME; DMA_CTRL burst 1..MAX_BURST.
  wire [8:0]  glen_clamp = (glen_w[31:0] == 32'd0) ? 9'd1 :
                           (glen_w[31:0] > {23'd0, MAX_FRAME9}) ? MAX_FRAME9 : glen_w[8:0];
  wire [3:0]  burst_clamp = (dmac_w[31:0] == 32'd0) ? 4'd1 :
                            (dmac_w[31:0] > {28'd0, MAX_BURST4}) ? MAX_BURST4 : dmac_w[3:0];

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ctrl_q     <= 3'd0;
      srst_req_q <= 1'b0;
      tx_base_q  <= 28'd0;
      rx_base_q  <= 28'd0;
      tx_size_q  <= 9'd0;
      rx_size_q  <= 9'd0;
      tx_tail_q  <= 8'd0;
      rx_tail_q  <= 8'd0;
      link_en_q  <= 1'b1;
      gen_len_q  <= 9'd64;
      gen_pat_q  <= 32'd0;
      gen_int_q  <= 16'd100;
      burst_q    <= MAX_BURST4;
    end else if (srst_i) begin
      // LINK_CTRL belongs to the PHY and survives a soft reset.
      ctrl_q     <= 3'd0;
      srst_req_q <= 1'b0;
      tx_base_q  <= 28'd0;
      rx_base_q  <= 28'd0;
      tx_size_q  <= 9'd0;
      rx_size_q  <= 9'd0;
      tx_tail_q  <= 8'd0;
      rx_tail_q  <= 8'd0;
      gen_len_q  <= 9'd64;
      gen_pat_q  <= 32'd0;
      gen_int_q  <= 16'd100;
      burst_q    <= MAX_BURST4;
    end else begin
      if (hit(mem_wr_i, mem_addr_i, A_CTRL)) begin
        ctrl_q <= ctrl_w[2:0];
        if (ctrl_w[CTRL_SOFT_RST_BIT] && mem_be_i[3]) srst_req_q <= 1'b1;
      end
      if (hit(mem_wr_i, mem_addr_i, A_TX_BASE))   tx_base_q <= txb_w[31:4];
      if (hit(mem_wr_i, mem_addr_i, A_RX_BASE))   rx_base_q <= rxb_w[31:4];
      if (hit(mem_wr_i, mem_addr_i, A_TX_SIZE))   tx_size_q <= txs_clamp;
      if (hit(mem_wr_i, mem_addr_i, A_RX_SIZE))   rx_size_q <= rxs_clamp;
      if (hit(mem_wr_i, mem_addr_i, A_TX_TAIL))   tx_tail_q <= txt_w[7:0];
      if (hit(mem_wr_i, mem_addr_i, A_RX_TAIL))   rx_tail_q <= rxt_w[7:0];
      if (hit(mem_wr_i, mem_addr_i, A_LINK) && mem_be_i[0]) link_en_q <= mem_wdata_i[0];
      if (hit(mem_wr_i, mem_addr_i, A_GEN_LEN))   gen_len_q <= glen_clamp;
      if (hit(mem_wr_i, mem_addr_i, A_GEN_PAT))   gen_pat_q <= gpat_w;
      if (hit(mem_wr_i, mem_addr_i, A_GEN_INT))   gen_int_q <= gint_w[15:0];
      if (hit(mem_wr_i, mem_addr_i, A_DMA_CTRL))  burst_q   <= burst_clamp;
    end
  end

  // -------------------------------------------------------------------------
  // Strobes into the other blocks
  // -------------------------------------------------------------------------
  assign tx_en_o           = ctrl_q[CTRL_TX_EN_BIT];
  assign rx_en_o           = ctrl_q[CTRL_RX_EN_BIT];
  assign loop_o            = ctrl_q[CTRL_LOOP_BIT];
  assign srst_req_o        = srst_req_q;
  assign tx_halt_clr_o     = hit(mem_wr_i, mem_addr_i, A_CTRL) && ctrl_w[CTRL_TX_EN_BIT];
  assign rx_halt_clr_o     = hit(mem_wr_i, mem_addr_i, A_CTRL) && ctrl_w[CTRL_RX_EN_BIT];
  assign tx_base_o         = tx_base_q;
  assign tx_size_o         = tx_size_q;
  assign tx_tail_o         = tx_tail_q;
  assign rx_base_o         = rx_base_q;
  assign rx_size_o         = rx_size_q;
  assign rx_tail_o         = rx_tail_q;
  assign burst_o           = burst_q;

  assign int_w1c_o         = hit(mem_wr_i, mem_addr_i, A_INT_ST) && mem_be_i[0];
  assign int_enable_wr_o   = hit(mem_wr_i, mem_addr_i, A_INT_EN) && mem_be_i[0];
  assign int_wdata_o       = mem_wdata_i[4:0];
  assign int_mod_wr_o      = hit(mem_wr_i, mem_addr_i, A_INT_MOD);
  assign int_mod_wdata_o   = mod_w[15:0];

  assign link_en_o         = link_en_q;
  assign gen_start_o       = hit(mem_wr_i, mem_addr_i, A_GEN_CTRL) && mem_be_i[0] && mem_wdata_i[0];
  assign gen_stop_o        = hit(mem_wr_i, mem_addr_i, A_GEN_CTRL) && mem_be_i[0] && mem_wdata_i[1];
  assign gen_count_wr_o    = hit(mem_wr_i, mem_addr_i, A_GEN_COUNT);
  assign gen_count_wdata_o = gcnt_w[15:0];
  assign gen_len_o         = gen_len_q;
  assign gen_pattern_o     = gen_pat_q;
  assign gen_interval_o    = gen_int_q;

  // -------------------------------------------------------------------------
  // Read multiplexer (unimplemented offsets read 0)
  // -------------------------------------------------------------------------
  wire [31:0] status_rd = {27'd0, gen_running_i, dma_busy_i, rx_halt_i, tx_halt_i, link_up_i};

  always @* begin
    case (mem_addr_i)
      A_ID:        mem_rdata_o = NREG_ID_VALUE;
      A_CTRL:      mem_rdata_o = ctrl_rd;
      A_STATUS:    mem_rdata_o = status_rd;
      A_INT_ST:    mem_rdata_o = {27'd0, int_status_i};
      A_INT_EN:    mem_rdata_o = {27'd0, int_enable_i};
      A_INT_MOD:   mem_rdata_o = {16'd0, int_mod_i};
      A_INT_CAUSE: mem_rdata_o = {27'd0, int_status_i & int_enable_i};
      A_TX_BASE:   mem_rdata_o = {tx_base_q, 4'h0};
      A_TX_SIZE:   mem_rdata_o = {23'd0, tx_size_q};
      A_TX_HEAD:   mem_rdata_o = {24'd0, tx_head_i};
      A_TX_TAIL:   mem_rdata_o = {24'd0, tx_tail_q};
      A_RX_BASE:   mem_rdata_o = {rx_base_q, 4'h0};
      A_RX_SIZE:   mem_rdata_o = {23'd0, rx_size_q};
      A_RX_HEAD:   mem_rdata_o = {24'd0, rx_head_i};
      A_RX_TAIL:   mem_rdata_o = {24'd0, rx_tail_q};
      A_LINK:      mem_rdata_o = {31'd0, link_en_q};
      A_GEN_CTRL:  mem_rdata_o = {31'd0, gen_running_i};
      A_GEN_COUNT: mem_rdata_o = {16'd0, gen_count_i};
      A_GEN_LEN:   mem_rdata_o = {23'd0, gen_len_q};
      A_GEN_PAT:   mem_rdata_o = gen_pat_q;
      A_GEN_INT:   mem_rdata_o = {16'd0, gen_int_q};
      A_ERR_ADDR:  mem_rdata_o = err_addr_i;
      A_ERR_INFO:  mem_rdata_o = {28'd0, err_info_i};
      A_STAT_TX:   mem_rdata_o = stat_tx_i;
      A_STAT_RX:   mem_rdata_o = stat_rx_i;
      A_STAT_NOB:  mem_rdata_o = stat_nobuf_i;
      A_STAT_MISS: mem_rdata_o = stat_missed_i;
      A_DMA_CTRL:  mem_rdata_o = {28'd0, burst_q};
      default:     mem_rdata_o = 32'h0000_0000;
    endcase
  end

endmodule

`default_nettype wire
