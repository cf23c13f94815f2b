// dirql_host1_probe -- simulation only, two-slot models only (DIRQL_SLOT1): registers
// the host inputs that concern the device in slot 1 on the rising edge, as
// dirql_host_probe does for the rest (docs/sim-interface.md, "Two slots").
//
// The register names are part of the contract: TOP.dirql_sim_top.host1.<name>.
`default_nettype none

module dirql_host1_probe (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        h_idsel1_i,      // IDSEL of slot 1 (configuration cycles to device 1)
  input  wire        h_gnt1_ni,       // the arbiter's GNT# to slot 1
  input  wire [3:0]  h_isr_ret1_i,    // ISR return pulse of slot 1's ISR, two bits per CPU
  input  wire [1:0]  h_lock_owner1_i, // slot 1's interrupt spin lock: 0 free, N = CPU N-1
  input  wire [1:0]  h_cpu_slot_i,    // bit N: CPU N runs slot 1's driver code
  output reg         idsel,
  output reg         gnt_n
);

  // Waveform probes only (read by name from the VCD, as dirql_host_probe's OS state).
  /* verilator lint_off UNUSEDSIGNAL */
  reg [3:0] isr_ret    /* verilator public_flat_rd */;
  reg [1:0] lock_owner /* verilator public_flat_rd */;
  reg [1:0] cpu_slot   /* verilator public_flat_rd */;
  /* verilator lint_on UNUSEDSIGNAL */

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      idsel      <= 1'b0;
      gnt_n      <= 1'b1;
      isr_ret    <= 4'd0;
      lock_owner <= 2'd0;
      cpu_slot   <= 2'd0;
    end else begin
      idsel      <= h_idsel1_i;
      gnt_n      <= h_gnt1_ni;
      isr_ret    <= h_isr_ret1_i;
      lock_owner <= h_lock_owner1_i;
      cpu_slot   <= h_cpu_slot_i;
    end
  end

endmodule

`default_nettype wire
