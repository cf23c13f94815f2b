// The display adapter's probes, included in the body of dirql's simulation wrapper
// (rtl/sim/dirql_sim_top.v), where `dut` is the adapter: hierarchical references, legal
// here because the wrapper is simulation-only, so the synthesizable modules stay free of
// debug ports. docs/contracts.md §2 says what each means; the profile
// (devices/display/src/profile.rs) gives the same names.

// Probes 0, 1 and 7 have the roles every device fills (docs/sim-interface.md): the sources
// latched, the sources enabled, and the events the interrupt block receives this clock
// (its source inputs, not its state, so that a latch that drops one is seen):
// [0] retrace start, [1] fence reached, [2] command error, [3] FIFO low, [4] sequence error.
assign dev_probe0_o = {{(32-5){1'b0}}, dut.u_irq.int_raw_q};     // INT_RAW
assign dev_probe1_o = {{(32-5){1'b0}}, dut.u_irq.int_enable_q};  // INT_ENABLE
assign dev_probe2_o = {24'd0, dut.u_vga.crtc_idx_q};             // CRTC index register
assign dev_probe3_o = dut.u_seq.probe_o;                         // timed window state / writes
assign dev_probe4_o = {24'd0, dut.u_cmd.level_o};                // command FIFO level
assign dev_probe5_o = {24'd0, dut.u_vga.cr11_q};                 // CR11
assign dev_probe6_o = dut.u_vga.crtc_wr_probe_o;                 // CRTC data write this cycle
assign dev_probe7_o = {27'd0, dut.u_irq.seq_error_i, dut.u_irq.fifo_low_i, dut.u_irq.cmd_error_i,
                       dut.u_irq.cmd_done_i, dut.u_irq.vretrace_start_i};

// The pin-fault stage's no-turnaround twin needs to know when the device has claimed a
// read: pci_target is in ST_CLAIM (3'd1) of a read, so its AD enable comes on at the next
// edge.
assign dev_read_claim = (dut.u_pci_target.state_q == 3'd1) && !dut.u_pci_target.is_write_q;

// The probes under the names the device's profile gives them (its `PROBES`), so the
// waveform shows them by name: `probe_<name>` beside the wrapper's ports.
/* verilator lint_off UNUSEDSIGNAL */  // read only by the waveform
wire [31:0] probe_int_raw = dev_probe0_o;
wire [31:0] probe_int_enable = dev_probe1_o;
wire [31:0] probe_crtc_index = dev_probe2_o;
wire [31:0] probe_seq_window = dev_probe3_o;
wire [31:0] probe_fifo_level = dev_probe4_o;
wire [31:0] probe_cr11 = dev_probe5_o;
wire [31:0] probe_crtc_write = dev_probe6_o;
wire [31:0] probe_dev_events = dev_probe7_o;
/* verilator lint_on UNUSEDSIGNAL */
