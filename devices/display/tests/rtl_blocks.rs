//! The adapter's VGA port block, raster timing, interrupt block and timed programming
//! window, driven through the real Verilated model by the PCI host bridge: every access
//! below is a PCI transaction (configuration, I/O with byte enables, memory).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod adapter_rig;
use adapter_rig::*;
use dirql_sim::{Command, Phase, Request, Status};
/// Reads INT_RAW through probe 0 (no bus traffic).
fn raw(r: &Rig) -> u32 {
    r.bus.dev_probe[0]
}

#[test]
fn config_space_has_three_bars_status_caps_and_msi_capability() {
    let mut r = Rig::plain();
    r.cfg_write(0x10, u32::MAX);
    r.cfg_write(0x14, u32::MAX);
    r.cfg_write(0x18, u32::MAX);
    assert_eq!(r.cfg_read(0x10), 0xFFFF_F000, "BAR0: 4 KiB non-prefetchable memory");
    assert_eq!(r.cfg_read(0x14), 0xFFFF_FFE1, "BAR1: 32 bytes of I/O");
    assert_eq!(r.cfg_read(0x18), 0xFFFF_F008, "BAR2: 4 KiB prefetchable memory");
    assert_eq!(r.cfg_read(0x1C), 0, "BAR3 unimplemented");
    let status = r.cfg_read(0x04) >> 16;
    assert_eq!(status & (1 << 4), 1 << 4, "Status[4]: capabilities list");
    assert_eq!(r.cfg_read(0x34) & 0xFF, 0x40);
    let cap = r.cfg_read(0x40);
    assert_eq!(cap & 0xFF, 0x05, "MSI capability ID");
    assert_eq!((cap >> 8) & 0xFF, 0, "last capability");
    assert_eq!((cap >> 17) & 7, 3, "multiple message capable: 8 vectors");
    // MME is writable and clamped to MMC; enable reads back.
    r.cfg_write(0x40, (7 << 20) | (1 << 16));
    let cap = r.cfg_read(0x40);
    assert_eq!(((cap >> 20) & 7, (cap >> 16) & 1), (3, 1));
    r.cfg_write(0x44, 0xFEE0_1007);
    assert_eq!(r.cfg_read(0x44), 0xFEE0_1004, "message address is dword aligned");
    assert_eq!(r.ad_contention, 0);
}

#[test]
fn io_space_needs_command_bit_0_and_decodes_byte_lanes() {
    let mut r = Rig::plain();
    r.cfg_write(0x14, BAR1);
    r.cfg_write(0x04, 0b010);
    let req = Request {
        cmd: Command::IoRead,
        addr: BAR1 + 0x1A,
        phases: vec![Phase { data: 0, be: 0b0100 }],
        origin: 0,
        issuer: 0,
        tag: 1,
    };
    assert_eq!(r.transact(req).status, Status::MasterAbort, "I/O Space off: nobody claims");
    r.cfg_write(0x04, 0b011);
    // Misc Output: written at 3C2h, read back at 3CCh.
    r.outb(0x3C2, 0x67);
    assert_eq!(r.inb(0x3CC), 0x67);
    // Sequencer index/data.
    r.outb(0x3C4, 2);
    r.outb(0x3C5, 0x0A);
    r.outb(0x3C4, 4);
    r.outb(0x3C5, 0x06);
    r.outb(0x3C4, 2);
    assert_eq!(r.inb(0x3C5), 0x0A, "SR2 kept its value while SR4 was written");
    assert_eq!(r.inb(0x3C4), 2, "index reads back");
    // A 16-bit OUT to 3D4h: index on lane 0, data on lane 1 with that new index.
    let req = Request {
        cmd: Command::IoWrite,
        addr: BAR1 + 0x14,
        phases: vec![Phase { data: 0x2A10, be: 0b0011 }],
        origin: 0,
        issuer: 0,
        tag: 1,
    };
    assert_eq!(r.transact(req).status, Status::Ok);
    assert_eq!(r.crtc_read(0x10), 0x2A, "word OUT wrote CR10");
    // Another port's lane in the same dword is untouched by a single-lane write.
    assert_eq!(r.inb(0x3C4), 2);
}

#[test]
fn dac_write_and_read_indices_auto_increment_through_rgb() {
    let mut r = Rig::plain();
    r.enable(false);
    r.outb(0x3C8, 0x10);
    for v in [1u8, 2, 3, 4, 5, 6] {
        r.outb(0x3C9, v);
    }
    assert_eq!(r.inb(0x3C8), 0x12, "write index moved past two entries");
    r.outb(0x3C7, 0x10);
    let got: Vec<u8> = (0..6).map(|_| r.inb(0x3C9)).collect();
    assert_eq!(got, vec![1, 2, 3, 4, 5, 6], "R, G, B of entries 10h and 11h");
    // 6-bit DAC: the top bits are not stored.
    r.outb(0x3C8, 0x20);
    for v in [0xFFu8, 0x40, 0x3F] {
        r.outb(0x3C9, v);
    }
    r.outb(0x3C7, 0x20);
    assert_eq!([r.inb(0x3C9), r.inb(0x3C9), r.inb(0x3C9)], [0x3F, 0x00, 0x3F]);
}

#[test]
fn first_retrace_comes_one_default_frame_after_reset_and_timing_follows_crtc() {
    let mut r = Rig::plain();
    // Reset was released at the first rig tick (cycle 5); watch INT_RAW[0] rise.
    let mut first = None;
    for _ in 0..2100 {
        r.tick();
        if raw(&r) & 1 != 0 {
            first = Some(r.now);
            break;
        }
    }
    let first = first.expect("a vertical retrace latched");
    // Reset is released for the edge that ends cycle 5, so cycles 5..=2004 are the first
    // 2000 clocks: the latch is set at the end of the 2000th.
    assert_eq!(first - 4, 2000, "first retrace latch one 2000-cycle frame after reset");
    r.enable(false);
    assert_eq!(r.reg(0x020), 2000, "FRAME_CYCLES of the default mode");
    // A 20 x 10 mode with retrace at line 5..7.
    r.crtc_write(0x00, 20);
    r.crtc_write(0x06, 10);
    r.crtc_write(0x10, 5);
    r.crtc_write(0x11, 0x18);
    assert_eq!(r.reg(0x020), 200);
    // Input Status 1 shows retrace some of the time, not all of it.
    let mut seen = [0u32; 2];
    // About 60 reads of ~5 cycles: more than one 200-cycle frame.
    for _ in 0..60 {
        let s = r.inb(0x3DA);
        seen[usize::from((s >> 3) & 1)] += 1;
    }
    assert!(seen[0] > 0 && seen[1] > 0, "retrace bit toggles: {seen:?}");
    // 3 of 10 lines are retrace.
    assert!((12..=24).contains(&seen[1]), "retrace fraction: {seen:?}");
    // Two retrace latches exactly 200 cycles apart. VGA-strict (VINT_W1C = 0, the default):
    // a W1C of INT_STATUS leaves the latch set; only CR11[4] = 0, then 1, clears it.
    let dismiss = |r: &mut Rig| {
        r.crtc_write(0x11, 0x08);
        r.crtc_write(0x11, 0x18);
    };
    dismiss(&mut r);
    let rise = |r: &mut Rig| {
        for _ in 0..400 {
            r.tick();
            if raw(r) & 1 != 0 {
                return r.now;
            }
        }
        panic!("no retrace within 400 cycles");
    };
    let t1 = rise(&mut r);
    r.set_reg(0x004, 1);
    assert_eq!(raw(&r) & 1, 1, "a W1C of INT_STATUS must not clear the VGA latch");
    dismiss(&mut r);
    assert_eq!(raw(&r) & 1, 0, "CR11[4] = 0 cleared the vertical latch");
    let t2 = rise(&mut r);
    assert_eq!(t2 - t1, 200, "one 20 x 10 frame between retraces");
    let count0 = r.reg(0x024);
    r.run(1000);
    let count1 = r.reg(0x024);
    assert!((5..=6).contains(&(count1 - count0)), "FRAME_COUNT advanced {} in ~1000 cycles", count1 - count0);
}

#[test]
fn cr11_clears_rearms_disables_and_protects() {
    let mut r = Rig::plain();
    r.enable(false);
    r.set_reg(0x008, 1); // INT_ENABLE: VBLANK
    assert!(r.wait_inta(2100).is_some(), "vertical interrupt fired");
    assert_eq!(r.inb(0x3C2) & 0x80, 0x80, "Input Status 0 [7]: vertical interrupt pending");
    // Dismiss through CR11: write [4] = 0 ...
    r.outb(0x3D4, 0x11);
    r.outb(0x3D5, 0x02);
    let done = *r.phases.last().unwrap();
    assert_eq!(r.inta_at(done), 0, "still asserted in the acknowledging data phase");
    assert_eq!(r.inta_at(done + 1), 1, "released the next cycle (DISMISS_LATENCY_CYCLES = 1)");
    assert_eq!(r.inb(0x3C2) & 0x80, 0, "latch cleared");
    // ... and while [4] = 0 nothing latches: a whole frame without the interrupt.
    assert!(r.wait_inta(2100).is_none(), "did not fire while CR11[4] = 0");
    assert_eq!(raw(&r) & 1, 0);
    // Re-arm: the next retrace latches again.
    r.outb(0x3D5, 0x12);
    assert!(r.wait_inta(2100).is_some(), "fired again after re-arming");
    // CR11[5] = 1: the latch still sets (Input Status 0) but the line stays high.
    r.outb(0x3D5, 0x02);
    r.outb(0x3D5, 0x32);
    assert!(r.wait_inta(2100).is_none(), "did not fire with CR11[5] = 1");
    assert_eq!(r.inb(0x3C2) & 0x80, 0x80, "but the latch is visible in Input Status 0");
    assert_eq!(raw(&r) & 1, 1, "and in INT_RAW");
    // Enabling it again asserts INTA# for the pending latch.
    r.outb(0x3D5, 0x12);
    assert_eq!(r.bus.inta_n, 0, "CR11[5] = 0 lets the pending latch through");
    r.outb(0x3D5, 0x02);
    // Protect CR00-CR07: htotal writes are dropped, CR10 is not protected.
    r.crtc_write(0x11, 0x92);
    r.crtc_write(0x00, 20);
    r.crtc_write(0x10, 7);
    assert_eq!(r.crtc_read(0x00), 50, "CR00 protected");
    assert_eq!(r.crtc_read(0x10), 7, "CR10 not protected");
    assert_eq!(r.reg(0x020), 2000);
    let dropped = r.crtc_writes.iter().filter(|w| w.1 == 0x00 && w.3).count();
    assert_eq!(dropped, 1, "probe 6 showed the dropped CR00 write: {:?}", r.crtc_writes);
}

#[test]
fn crtc_index_race_sends_data_to_the_other_register_visibly() {
    let mut r = Rig::plain();
    r.enable(false);
    // Mode-setting code means to set CR00 (htotal) = 60: index first ...
    r.outb(0x3D4, 0x00);
    // ... an ISR runs in between and dismisses the vertical interrupt through CR11,
    // leaving the index at 11h ...
    r.outb(0x3D4, 0x11);
    r.outb(0x3D5, 0x02);
    r.outb(0x3D5, 0x12);
    // ... then the interrupted code writes its data: it lands in CR11.
    r.outb(0x3D5, 60);
    let last = *r.crtc_writes.last().unwrap();
    assert_eq!((last.1, last.2, last.3), (0x11, 60, false), "probe 6: data 60 landed in CR11");
    assert_eq!(r.bus.dev_probe[5], 60, "probe 5: CR11 now holds the mode value");
    assert_eq!(r.bus.dev_probe[2], 0x11, "probe 2: CRTC index");
    assert_eq!(r.reg(0x020), 2000, "htotal unchanged: the intended write never arrived");
    // The same sequence without the ISR lands where it was meant to.
    r.crtc_write(0x11, 0x12);
    r.crtc_write(0x00, 60);
    assert_eq!(r.reg(0x020), 60 * 40);
    let last = *r.crtc_writes.last().unwrap();
    assert_eq!((last.1, last.2), (0x00, 60));
}

#[test]
fn every_interrupt_source_fires_only_when_enabled_and_w1c_dismisses_it() {
    let mut r = Rig::plain();
    r.enable(false);
    r.crtc_write(0x11, 0x22); // vertical interrupt disabled: keep VBLANK out of this test
                              // CMD_DONE via a FENCE, masked first.
    r.set_reg(0x200, 0x0300_0000);
    r.set_reg(0x200, 7);
    r.run(10);
    assert_eq!(raw(&r) & 2, 2, "CMD_DONE latched");
    assert_eq!(r.reg(0x004), 0, "INT_STATUS: masked");
    assert_eq!(r.bus.inta_n, 1, "did not fire while masked");
    r.set_reg(0x008, 2);
    assert_eq!(r.bus.inta_n, 0, "fires once enabled");
    assert_eq!(r.reg(0x004), 2);
    assert_eq!((r.cfg_read(0x04) >> 16) & 8, 8, "Status[3]");
    // Interrupt Disable releases the line but not Status[3].
    r.cfg_write(0x04, 0x403);
    assert_eq!(r.bus.inta_n, 1, "Command[10] masks INTA#");
    assert_eq!((r.cfg_read(0x04) >> 16) & 8, 8);
    r.cfg_write(0x04, 0x003);
    assert_eq!(r.bus.inta_n, 0);
    // W1C with lane 0 disabled does nothing; with it, the line is released next cycle.
    let req = Request {
        cmd: Command::MemWrite,
        addr: BAR0 + 4,
        phases: vec![Phase { data: 2, be: 0b1110 }],
        origin: 0,
        issuer: 0,
        tag: 1,
    };
    r.transact(req);
    assert_eq!(r.bus.inta_n, 0);
    r.set_reg(0x004, 2);
    let done = *r.phases.last().unwrap();
    assert_eq!((r.inta_at(done), r.inta_at(done + 1)), (0, 1), "dismissal latency 1 cycle");
    // CMD_ERROR, FIFO_LOW and SEQ_ERROR, each enabled alone.
    r.set_reg(0x008, 1 << 2);
    r.set_reg(0x200, 0xEE00_0000);
    assert!(r.wait_inta(20).is_some(), "CMD_ERROR fired");
    r.set_reg(0x004, 1 << 2);
    assert_eq!(r.bus.inta_n, 1);
    r.set_reg(0x038, 1); // reset the engine
    r.set_reg(0x008, 1 << 3);
    r.set_reg(0x03C, 0);
    r.set_reg(0x200, 0x0300_0000);
    r.set_reg(0x200, 9);
    r.run(5);
    assert_eq!(raw(&r) & (1 << 3), 1 << 3, "FIFO_LOW latched when the FIFO drained to 0");
    assert_eq!(r.bus.inta_n, 0, "FIFO_LOW fired");
    r.set_reg(0x004, 1 << 3);
    r.set_reg(0x008, 1 << 4);
    r.set_reg(0x100, 1); // MODE write without the key
    assert_eq!(raw(&r) & (1 << 4), 1 << 4);
    assert_eq!(r.bus.inta_n, 0, "SEQ_ERROR fired");
    r.set_reg(0x004, 0x1F);
    assert_eq!(r.bus.inta_n, 1);
    assert_eq!(r.reg(0x00C) & 0x1E, 0, "all cleared");
}

#[test]
fn vblank_reaches_inta_only_with_int_enable() {
    let mut r = Rig::plain();
    r.enable(false);
    assert!(r.wait_inta(2100).is_none(), "did not fire: INT_ENABLE = 0");
    assert_eq!(raw(&r) & 1, 1, "but it latched");
    r.set_reg(0x004, 1);
    r.set_reg(0x008, 1);
    assert!(r.wait_inta(2100).is_some(), "fired with INT_ENABLE[0]");
}

/// The eight MODE values of a 30 x 20 mode, retrace at line 12.
const MODE: [u32; 8] = [30, 24, 25, 27, 20, 16, 12, 14];

#[test]
fn timed_window_commits_an_unbroken_burst_and_back_to_back_writes() {
    let mut r = Rig::plain();
    r.enable(false);
    assert_eq!(r.reg(0x048), 8, "SEQ_GAP reports G");
    r.set_reg(0x040, 0x5EC0_DE42);
    assert_eq!(r.reg(0x044) & 1, 1, "window open right after the unlock");
    // Nothing written within G: it closes by itself, with SEQ_ERROR.
    r.run(10);
    assert_eq!(r.reg(0x044) & 3, 0b10, "closed and aborted after G idle cycles");
    assert_eq!(raw(&r) & (1 << 4), 1 << 4, "SEQ_ERROR");
    r.set_reg(0x004, 1 << 4);
    // Re-open and burst at once: consecutive phases are 1 cycle apart.
    r.set_reg(0x040, 0x5EC0_DE42);
    let c = r.burst(Command::MemWrite, BAR0 + 0x100, &MODE);
    assert_eq!(c.status, Status::Ok);
    let st = r.reg(0x044);
    assert_eq!(st & 7, 0b100, "committed, not open, not aborted: {st:#x}");
    assert_eq!((st >> 8) & 0xFF, 8, "eight writes accepted");
    assert_eq!(r.reg(0x020), 30 * 20, "new timing in effect");
    assert_eq!(r.crtc_read(0x10), 12);
    assert!(r.window_states.iter().any(|&(_, s)| s == 2), "probe 3 showed the commit");
    assert_eq!(raw(&r) & (1 << 4), 0, "no SEQ_ERROR");
    // Back-to-back single (non-posted) writes are about 4 cycles apart: accepted.
    r.set_reg(0x040, 0x5EC0_DE42);
    for (i, v) in [40u32, 30, 32, 36, 10, 8, 9, 10].iter().enumerate() {
        r.set_reg(0x100 + 4 * i as u32, *v);
    }
    assert_eq!(r.reg(0x044) & 7, 0b100);
    assert_eq!(r.reg(0x020), 400);
}

#[test]
fn timed_window_aborts_on_a_gap_and_raises_seq_error() {
    let mut r = Rig::plain();
    r.enable(false);
    r.set_reg(0x008, 1 << 4);
    r.set_reg(0x040, 0x5EC0_DE42);
    for (i, v) in MODE.iter().take(4).enumerate() {
        r.set_reg(0x100 + 4 * i as u32, *v);
    }
    assert_eq!(r.bus.dev_probe[3], 0x0401, "probe 3: open, 4 writes accepted");
    // An interrupt service routine in the middle: 20 cycles without a window write.
    r.run(20);
    assert_eq!(r.bus.inta_n, 0, "SEQ_ERROR fired");
    let abort = r.window_states.iter().find(|&&(_, s)| s == 3).expect("probe 3 showed the abort").0;
    let last_write = r.phases.iter().next_back().copied().unwrap();
    // The abort happens at the edge ending interval last_write + 8 (G = 8 clocks with no
    // write); probe 3 shows it in the interval after that edge.
    assert_eq!(abort, last_write + 9, "aborted exactly G = 8 cycles after the last window write");
    for (i, v) in MODE.iter().enumerate().skip(4) {
        r.set_reg(0x100 + 4 * i as u32, *v);
    }
    let st = r.reg(0x044);
    assert_eq!(st & 7, 0b010, "aborted, nothing committed: {st:#x}");
    assert_eq!(r.reg(0x020), 2000, "timing unchanged: the sequence was discarded");
    r.set_reg(0x004, 1 << 4);
    // Out of order is an abort too.
    r.set_reg(0x040, 0x5EC0_DE42);
    r.set_reg(0x104, 5);
    assert_eq!(r.reg(0x044) & 7, 0b010);
    assert_eq!(r.reg(0x020), 2000);
    assert_eq!(r.bus.inta_n, 0, "SEQ_ERROR again");
}
