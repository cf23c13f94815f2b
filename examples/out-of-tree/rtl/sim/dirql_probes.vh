// The tick device's probes (0: sources latched, 1: enabled, 7: this clock's events).
assign dev_probe0_o = {31'd0, dut.status_q};
assign dev_probe1_o = {31'd0, dut.enable_q};
assign dev_probe2_o = {16'd0, dut.count_q};
assign dev_probe3_o = 32'd0;
assign dev_probe4_o = 32'd0;
assign dev_probe5_o = 32'd0;
assign dev_probe6_o = 32'd0;
assign dev_probe7_o = {31'd0, dut.tick};
assign dev_read_claim = dut.state_q == 3'd1;
// The named probes the waveform shows (the profile's names).
/* verilator lint_off UNUSEDSIGNAL */  // read only by the waveform
wire [31:0] probe_int_status = dev_probe0_o;
wire [31:0] probe_int_enable = dev_probe1_o;
wire [31:0] probe_count = dev_probe2_o;
wire [31:0] probe_tick = dev_probe7_o;
/* verilator lint_on UNUSEDSIGNAL */
