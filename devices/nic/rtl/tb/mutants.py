#!/usr/bin/env python3
# Hand-written RTL mutants of the dirql network adapter, each run through
# tb_dirql_nic (DEVSEL_TIMING=1): every mutant must make some check FAIL.
# Usage: devices/nic/rtl/tb/mutants.py [name ...]   (work dir: $MUT_DIR, default /tmp/nic-mutants)
import os, shutil, subprocess, sys
SRC=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK=os.environ.get('MUT_DIR', '/tmp/nic-mutants')
M=[
("clear_wins","nic_irq.v","raw_d   = (raw_q & ~(status_w1c_i ? wdata_i : 5'd0)) | events_i;","raw_d   = (raw_q | events_i) & ~(status_w1c_i ? wdata_i : 5'd0);"),
("no_holdoff","nic_irq.v","wire       inta      = pend_any && intx_ok && (inta_q || !hold);","wire       inta      = pend_any && intx_ok;"),
("msi_clamp","nic_irq.v","wire [2:0] num = first & mask3;","wire [2:0] num = (first > mask3) ? mask3 : first;"),
("late_mabort","nic_master.v","(cnt_q == 3'd3)","(cnt_q == 3'd5)"),
("resume_skip","nic_master.v","        idx_d  = new_idx;","        idx_d  = (stop && frame_q) ? new_idx + 7'd1 : new_idx;"),
("par_early","nic_master.v","par_q     <= ^{ad_q, cbe_q};","par_q     <= ^{ad_d, cbe_d};"),
("rx_ev_early","nic_dma.v","      S_RX_BUF: if (m_done_i) begin\n        issued_d = 1'b0;","      S_RX_BUF: if (m_done_i) begin\n        ev_rx    = 1'b1;\n        issued_d = 1'b0;"),
("wb_before_data","nic_dma.v","state_d  = (wlen == 9'd0) ? S_RX_WB : S_RX_BUF;","state_d  = S_RX_WB;"),
("no_bme","nic_master.v","          state_d   = bme_i ? M_REQ : M_WAIT;\n          req_d     = bme_i;","          state_d   = M_REQ;\n          req_d     = 1'b1;"),
("no_idle_check","nic_master.v","end else if (!gnt_ni && frame_ni && irdy_ni) begin","end else if (!gnt_ni) begin"),
("no_lt","nic_master.v","wire lt_end  = (lt_q == 8'd0) && gnt_ni;","wire lt_end  = 1'b0;"),
("nobuf_ignored","nic_dma.v","wire rx_has_buf = rx_ring_ok && (rxh_q != rx_tail_i);","wire rx_has_buf = rx_ring_ok;"),
("no_last_be","nic_master.v","cbe_of = (wr && (i == len - 7'd1)) ? ~be : 4'b0000;","cbe_of = 4'b0000;"),
("msi_no_hold","nic_irq.v","assign msi_req_o        = msi_en_i && (q_live != 5'd0) && !hold;","assign msi_req_o        = msi_en_i && (q_live != 5'd0);"),
("inta_with_msi","nic_irq.v","wire       intx_ok   = !intx_disable_i && !msi_en_i;","wire       intx_ok   = !intx_disable_i;"),
("burst_ignored","nic_master.v","wire [3:0]  burst     = (burst_i == 4'd0) ? 4'd1 : (burst_i > 4'd8) ? 4'd8 : burst_i;","wire [3:0]  burst     = 4'd8;"),
("tabort_ignored","nic_master.v","          if (t_abort) begin\n            err_d = 1'b1;","          if (1'b0) begin\n            err_d = 1'b1;"),
("wb_no_done","nic_dma.v","wire [31:0] rx_stat  = {flen16, 11'd0, rxloop_q, 1'b0, 1'b0, trunc, 1'b1};","wire [31:0] rx_stat  = {flen16, 11'd0, rxloop_q, 1'b0, 1'b0, trunc, 1'b0};"),
("abort_no_frame_first","nic_master.v","            state_d = M_ABORT;\n            frame_d = 1'b0;","            state_d = M_TURN;\n            frame_d = 1'b0; irdy_d = 1'b0; ad_oe_d = 1'b0; cbe_d = 4'b1111;"),
("link_nodelay","nic_wire.v","wire link_flip  = (link_en_i != link_q) && (lcnt_q == LDELAY);","wire link_flip  = (link_en_i != link_q);"),
("dismiss_late","nic_irq.v","assign inta_no          = !inta;","reg inta_d1; always @(posedge clk_i) inta_d1 <= inta;\n  assign inta_no          = !(inta || inta_d1);"),
("assert_late","nic_irq.v","assign inta_no          = !inta;","reg inta_d1; always @(posedge clk_i) inta_d1 <= inta;\n  assign inta_no          = !(inta && inta_d1);"),
("w1c_ignores_be","nic_regs.v","assign int_w1c_o         = hit(mem_wr_i, mem_addr_i, A_INT_ST) && mem_be_i[0];","assign int_w1c_o         = hit(mem_wr_i, mem_addr_i, A_INT_ST);"),
("msi_start_keeps_queue","nic_irq.v","queue_d = (q_live & ~(msi_start_i ? same : 5'd0)) | queue_set;","queue_d = (q_live & ~(msi_start_i ? (5'd1 << first) : 5'd0)) | queue_set;"),
("tail_not_checked","nic_dma.v","wire tx_ready   = tx_en_i && !txhalt_q && !lpend_q && tx_ring_ok && (txh_q != tx_tail_i);","wire tx_ready   = tx_en_i && !txhalt_q && !lpend_q && tx_ring_ok;"),
("trunc_ignored","nic_dma.v","wire [8:0]  wlen    = trunc ? buflen_q[8:0] : flen_q;","wire [8:0]  wlen    = flen_q;"),
("gen_pattern_no_seq","nic_dma.v","wire [31:0] gen_word = gen_pattern_i ^ {rxseq_q, 9'd0, m_widx_i};","wire [31:0] gen_word = gen_pattern_i ^ {16'd0, 9'd0, m_widx_i};"),
("mabort_no_status","dirql_nic.v",".master_abort_i    (m_err && m_err_mabort),",".master_abort_i    (1'b0),"),
]
sel = sys.argv[1:] 
for name,f,old,new in M:
    if sel and name not in sel: continue
    d=f'{WORK}/{name}'
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(SRC, d)
    p=f'{d}/{f}'; s=open(p).read()
    if old not in s: print(f'{name}: PATTERN NOT FOUND'); continue
    open(p,'w').write(s.replace(old,new,1))
    b=subprocess.run(f'iverilog -g2012 -Wno-timescale -I{d}/tb -Ptb_dirql_nic.DEVSEL=1 -o {d}/t.vvp {d}/*.v {d}/sim/*.v {d}/tb/tb_dirql_nic.v',shell=True,capture_output=True,text=True)
    if b.returncode: print(f'{name}: BUILD FAILED {b.stderr[:300]}'); continue
    r=subprocess.run(f'timeout 300 vvp -n {d}/t.vvp',shell=True,capture_output=True,text=True)
    fl=[l for l in r.stdout.splitlines() if l.startswith('FAIL')]
    allp=any(l.startswith('PASS: all checks') for l in r.stdout.splitlines())
    print(f'{name}: {"SURVIVED" if allp and not fl else "killed"} {len(fl)} FAIL; ' + ' | '.join(fl[:3]))
