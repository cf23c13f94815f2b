// dirql_host_probe -- simulation only: registers every h_* input of
// dirql_sim_top on the rising edge.
//
// Why registered: the Rust harness sets the h_* inputs before the rising
// edge; registering them makes host-driven bus signals change on the clock
// edge like any real agent's outputs, so the device samples the previous
// interval's values on each edge (docs/sim-interface.md, "Timing convention").
//
// The register names are part of the contract: they appear in the VCD as
// TOP.dirql_sim_top.host.<name>. That is why the ports are named after the
// signal and not <name>_o as the house style would otherwise ask.
`default_nettype none

module dirql_host_probe (
  // Clock and reset
  input  wire        clk_i,
  input  wire        rst_ni,

  // Host bridge as PCI master
  input  wire        h_frame_ni,
  input  wire        h_irdy_ni,
  input  wire [3:0]  h_cbe_ni,
  input  wire [31:0] h_ad_i,
  input  wire        h_ad_oe_i,
  input  wire        h_par_i,
  input  wire        h_par_oe_i,
  input  wire        h_idsel_i,
  // Host bridge as PCI target
  input  wire        h_trdy_ni,
  input  wire        h_devsel_ni,
  input  wire        h_stop_ni,
  // Arbiter and the second INTA# agent
  input  wire        h_gnt_ni,
  input  wire        h_inta2_ni,
  // Pin-fault stage control: [3] arm, [2:0] mode (dirql_pin_fault)
  input  wire [3:0]  h_fault_i,
  // OS model state (waveform probes only)
  input  wire [4:0]  h_cpu0_irql_i,
  input  wire [4:0]  h_cpu1_irql_i,
  input  wire [3:0]  h_cpu0_routine_i,
  input  wire [3:0]  h_cpu1_routine_i,
  input  wire [7:0]  h_cpu0_op_i,
  input  wire [7:0]  h_cpu1_op_i,
  input  wire [3:0]  h_isr_ret_i,
  input  wire [1:0]  h_lock_owner_i,
  input  wire [3:0]  h_pic_i,
  input  wire [1:0]  h_bus_cpu_i,
  input  wire [15:0] h_bus_issuer_i,
  input  wire [3:0]  h_posted_i,
  input  wire [31:0] h_cpu0_note_i,
  input  wire [31:0] h_cpu1_note_i,
  input  wire [15:0] h_msi_i,
  input  wire [1:0]  h_exclusive_i,
  // Host RAM ordering (the dma-ordering rule): CPU reads of host RAM without the
  // bus, address | 1 (0 = none), and device DMA writes landed in RAM (wrapping)
  input  wire [31:0] h_cpu0_ram_read_i,
  input  wire [31:0] h_cpu1_ram_read_i,
  input  wire [15:0] h_dma_landed_i,

  // Registered host drives toward the bus model
  output reg         frame_n,
  output reg         irdy_n,
  output reg  [3:0]  cbe_n,
  output reg  [31:0] ad,
  output reg         ad_oe,
  output reg         par,
  output reg         par_oe,
  output reg         idsel,
  output reg         trdy_n,
  output reg         devsel_n,
  output reg         stop_n,
  output reg         gnt_n,
  output reg         inta2_n,
  output reg  [3:0]  fault
);

  // OS model state: registered only so that it lines up with the bus in the
  // waveform. Nothing in the design reads these, by intent; public_flat_rd
  // keeps Verilator from optimizing them out of the trace.
  /* verilator lint_off UNUSEDSIGNAL */
  reg [4:0] cpu0_irql      /* verilator public_flat_rd */;
  reg [4:0] cpu1_irql      /* verilator public_flat_rd */;
  reg [3:0] cpu0_routine   /* verilator public_flat_rd */;
  reg [3:0] cpu1_routine   /* verilator public_flat_rd */;
  reg [7:0] cpu0_op        /* verilator public_flat_rd */;
  reg [7:0] cpu1_op        /* verilator public_flat_rd */;
  reg [3:0] isr_ret        /* verilator public_flat_rd */;
  reg [1:0] lock_owner     /* verilator public_flat_rd */;
  reg       pic_in_service /* verilator public_flat_rd */;  // h_pic_i[0]
  reg       pic_deliver    /* verilator public_flat_rd */;  // h_pic_i[1]
  reg       pic_eoi        /* verilator public_flat_rd */;  // h_pic_i[2]
  reg       pic_masked     /* verilator public_flat_rd */;  // h_pic_i[3]
  reg [1:0] bus_cpu        /* verilator public_flat_rd */;
  reg [15:0] bus_issuer    /* verilator public_flat_rd */;  // who issued it: [3:0] routine, [4] lock, [12:8] IRQL
  reg [3:0] posted         /* verilator public_flat_rd */;
  reg [31:0] cpu0_note     /* verilator public_flat_rd */;
  reg [31:0] cpu1_note     /* verilator public_flat_rd */;
  reg [1:0]  exclusive     /* verilator public_flat_rd */;  // bit N: CPU N's caller expects exclusion from the ISR
  reg [15:0] msi           /* verilator public_flat_rd */;  // byte N: x86 vector CPU N took (0 = none)
  reg [31:0] cpu0_ram_read /* verilator public_flat_rd */;  // host-RAM dword CPU0 read this cycle | 1 (0 = none)
  reg [31:0] cpu1_ram_read /* verilator public_flat_rd */;
  reg [15:0] dma_landed    /* verilator public_flat_rd */;  // device DMA writes that reached host RAM, wrapping
  /* verilator lint_on UNUSEDSIGNAL */

  // Reset: released (pulled-up) bus signals read 1, everything else 0.
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      frame_n        <= 1'b1;
      irdy_n         <= 1'b1;
      cbe_n          <= 4'hF;
      ad             <= 32'h0000_0000;
      ad_oe          <= 1'b0;
      par            <= 1'b0;
      par_oe         <= 1'b0;
      idsel          <= 1'b0;
      trdy_n         <= 1'b1;
      devsel_n       <= 1'b1;
      stop_n         <= 1'b1;
      gnt_n          <= 1'b1;
      inta2_n        <= 1'b1;
      fault          <= 4'd0;
      cpu0_irql      <= 5'd0;
      cpu1_irql      <= 5'd0;
      cpu0_routine   <= 4'd0;
      cpu1_routine   <= 4'd0;
      cpu0_op        <= 8'd0;
      cpu1_op        <= 8'd0;
      isr_ret        <= 4'd0;
      lock_owner     <= 2'd0;
      pic_in_service <= 1'b0;
      pic_deliver    <= 1'b0;
      pic_eoi        <= 1'b0;
      pic_masked     <= 1'b0;
      bus_cpu        <= 2'd0;
      bus_issuer     <= 16'd0;
      posted         <= 4'd0;
      cpu0_note      <= 32'd0;
      cpu1_note      <= 32'd0;
      msi            <= 16'd0;
      exclusive      <= 2'd0;
      cpu0_ram_read  <= 32'd0;
      cpu1_ram_read  <= 32'd0;
      dma_landed     <= 16'd0;
    end else begin
      frame_n        <= h_frame_ni;
      irdy_n         <= h_irdy_ni;
      cbe_n          <= h_cbe_ni;
      ad             <= h_ad_i;
      ad_oe          <= h_ad_oe_i;
      par            <= h_par_i;
      par_oe         <= h_par_oe_i;
      idsel          <= h_idsel_i;
      trdy_n         <= h_trdy_ni;
      devsel_n       <= h_devsel_ni;
      stop_n         <= h_stop_ni;
      gnt_n          <= h_gnt_ni;
      inta2_n        <= h_inta2_ni;
      fault          <= h_fault_i;
      cpu0_irql      <= h_cpu0_irql_i;
      cpu1_irql      <= h_cpu1_irql_i;
      cpu0_routine   <= h_cpu0_routine_i;
      cpu1_routine   <= h_cpu1_routine_i;
      cpu0_op        <= h_cpu0_op_i;
      cpu1_op        <= h_cpu1_op_i;
      isr_ret        <= h_isr_ret_i;
      lock_owner     <= h_lock_owner_i;
      pic_in_service <= h_pic_i[0];
      pic_deliver    <= h_pic_i[1];
      pic_eoi        <= h_pic_i[2];
      pic_masked     <= h_pic_i[3];
      bus_cpu        <= h_bus_cpu_i;
      bus_issuer     <= h_bus_issuer_i;
      posted         <= h_posted_i;
      cpu0_note      <= h_cpu0_note_i;
      cpu1_note      <= h_cpu1_note_i;
      msi            <= h_msi_i;
      exclusive      <= h_exclusive_i;
      cpu0_ram_read  <= h_cpu0_ram_read_i;
      cpu1_ram_read  <= h_cpu1_ram_read_i;
      dma_landed     <= h_dma_landed_i;
    end
  end

endmodule

`default_nettype wire
