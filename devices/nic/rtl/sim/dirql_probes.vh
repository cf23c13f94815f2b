// The network adapter's probes, included in the body of dirql's simulation wrapper
// (rtl/sim/dirql_sim_top.v), where `dut` is dirql_nic: hierarchical references, legal
// because the wrapper is simulation-only (devices/nic/README.md, probe table). Probes 0, 1
// and 7 fill the roles every device fills: causes latched, causes enabled, cause events.
//   probe0  INT_STATUS, raw latched causes            [4:0]
//   probe1  INT_ENABLE                                [4:0]
//   probe2  [31:16] moderation counter, [12:8] MSI queue, [0] INTA# asserted
//   probe3  [31:24] RX_TAIL [23:16] RX_HEAD [15:8] TX_TAIL [7:0] TX_HEAD
//   probe4  bus master: address of the current / next data phase
//   probe5  [22:16] master dword index, [10:8] receive queue level,
//           [6:4] master state, [3:0] DMA sequencer state
//   probe6  [31] link up, [30] generator running, [15:0] GEN_COUNT (frames still to inject)
//   probe7  this cycle's cause events into the interrupt block (before latching) [4:0]
assign dev_probe0_o = {27'd0, dut.int_status};
assign dev_probe1_o = {27'd0, dut.int_enable};
assign dev_probe2_o = {dut.hold, 3'd0, dut.msi_queue, 7'd0, !dut.inta_no};
assign dev_probe3_o = {dut.rx_tail, dut.rx_head, dut.tx_tail, dut.tx_head};
assign dev_probe4_o = dut.m_cur_addr;
assign dev_probe5_o = {9'd0, dut.u_master.idx_q, 5'd0, dut.rxq_level, 1'b0, dut.m_state, dut.dma_state};
assign dev_probe6_o = {dut.link_up, dut.gen_running, 14'd0, dut.gen_count};
assign dev_probe7_o = {27'd0, dut.events};

// The target has claimed a read (ST_CLAIM) and turns AD on at the next edge: what the
// pin-fault stage's no-turnaround twin needs.
assign dev_read_claim = (dut.u_target.state_q == 3'd1) && !dut.u_target.is_write_q;

// The probes under the names the device's profile gives them (its `PROBES`), so the
// waveform shows them by name: `probe_<name>` beside the wrapper's ports.
/* verilator lint_off UNUSEDSIGNAL */  // read only by the waveform
wire [31:0] probe_int_status = dev_probe0_o;
wire [31:0] probe_int_enable = dev_probe1_o;
wire [31:0] probe_moderation = dev_probe2_o;
wire [31:0] probe_rings = dev_probe3_o;
wire [31:0] probe_dma_addr = dev_probe4_o;
wire [31:0] probe_dma_state = dev_probe5_o;
wire [31:0] probe_link = dev_probe6_o;
wire [31:0] probe_dev_events = dev_probe7_o;
/* verilator lint_on UNUSEDSIGNAL */
