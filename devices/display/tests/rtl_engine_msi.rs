//! The adapter's framebuffer (BAR2), command engine, PCI target completeness (retry,
//! disconnect, parity) and MSI bus mastering, driven through the real Verilated model by
//! the PCI host bridge; the rig answers the device's own message writes as the host
//! bridge's target side would.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod adapter_rig;
use adapter_rig::*;
use dirql_sim::{BridgeConfig, Command, Phase, Request, Status};
const FILL: u32 = 0x0100_0000;
const COPY: u32 = 0x0200_0000;
const FENCE: u32 = 0x0300_0000;
const PITCH: u32 = 0x80;

fn fb_read(r: &mut Rig, off: u32, n: usize) -> Vec<u32> {
    let c = r.burst(Command::MemRead, BAR2 + off, &vec![0; n]);
    assert_eq!(c.status, Status::Ok);
    c.data
}

/// Runs until INT_RAW has `bit` (through probe 0) or panics after `max` cycles.
fn wait_raw(r: &mut Rig, bit: u32, max: u64) {
    for _ in 0..max {
        if r.bus.dev_probe[0] & bit != 0 {
            return;
        }
        r.tick();
    }
    panic!("INT_RAW {bit:#x} not set within {max} cycles");
}

#[test]
fn framebuffer_bursts_with_byte_enables_and_disconnect_at_bar_end() {
    let mut r = Rig::plain();
    r.enable(false);
    let words: Vec<u32> = (0..8).map(|i| 0xA5A5_0000 + i).collect();
    let c = r.burst(Command::MemWrite, BAR2 + 0x40, &words);
    assert_eq!(c.status, Status::Ok);
    let first = r.phases.len();
    assert_eq!(fb_read(&mut r, 0x40, 8), words, "burst read back");
    let p = &r.phases[first..];
    assert_eq!(p[p.len() - 1] - p[0], 7, "eight read phases in eight clocks: no wait states");
    let req = Request {
        cmd: Command::MemWrite,
        addr: BAR2 + 0x44,
        phases: vec![Phase { data: 0x1122_3344, be: 0b1010 }],
        origin: 0,
        issuer: 0,
        tag: 1,
    };
    r.transact(req);
    assert_eq!(fb_read(&mut r, 0x44, 1), vec![0x11A5_3301]);
    // A burst across the end of BAR2 is disconnected after its last dword; the bridge
    // re-issues the rest at the next address, which nobody claims.
    r.burst(Command::MemWrite, BAR2 + 0xFFC, &[0x7777_7777]);
    let c = r.burst(Command::MemReadMultiple, BAR2 + 0xFF8, &[0, 0, 0]);
    assert_eq!(c.status, Status::MasterAbort);
    assert_eq!(c.data[1], 0x7777_7777);
    assert_eq!(c.data[2], u32::MAX);
    assert_eq!(r.ad_contention, 0);
}

#[test]
fn fill_copy_and_fence_results_read_back_from_the_framebuffer() {
    let mut r = Rig::plain();
    r.enable(false);
    // Clear rows 0..8.
    r.burst(Command::MemWrite, BAR2, &vec![0; 8 * 32]);
    // FILL a 3 x 2 rectangle at (2, 1) with colour C; COPY it to (10, 4); FENCE 0x55.
    let dst = PITCH + 2 * 4;
    let cmds = [FILL, dst, 3 | (2 << 16), 0x00C0_FFEE, COPY, dst, 4 * PITCH + 10 * 4, 3 | (2 << 16), FENCE, 0x55];
    let c = r.burst(Command::MemWrite, BAR0 + 0x200, &cmds);
    assert_eq!(c.status, Status::Ok);
    wait_raw(&mut r, 1 << 1, 200);
    assert_eq!(r.reg(0x030), 0x55, "FENCE_VALUE");
    assert_eq!(r.reg(0x034) & 3, 0, "idle, not stopped");
    let fb = fb_read(&mut r, 0, 8 * 32);
    for y in 0..8usize {
        for x in 0..32usize {
            let fill = (1..3).contains(&y) && (2..5).contains(&x);
            let copy = (4..6).contains(&y) && (10..13).contains(&x);
            let want = if fill || copy { 0x00C0_FFEE } else { 0 };
            assert_eq!(fb[y * 32 + x], want, "pixel ({x}, {y})");
        }
    }
}

#[test]
fn unknown_opcode_raises_cmd_error_and_stops_the_engine_until_reset() {
    let mut r = Rig::plain();
    r.enable(false);
    r.set_reg(0x008, 1 << 2);
    r.burst(Command::MemWrite, BAR0 + 0x200, &[0xEE00_0000, FENCE, 1]);
    assert!(r.wait_inta(20).is_some(), "CMD_ERROR fired");
    r.run(20);
    let st = r.reg(0x034);
    assert_eq!(st & 3, 0b10, "stopped, not busy: {st:#x}");
    assert_eq!((st >> 8) & 0xFF, 2, "the FENCE after the bad opcode stays in the FIFO");
    assert_eq!(r.reg(0x00C) & 2, 0, "the FENCE was not reached: no CMD_DONE");
    assert_eq!(r.reg(0x030), 0);
    r.set_reg(0x004, 1 << 2);
    r.set_reg(0x038, 1);
    assert_eq!(r.reg(0x034), 0, "reset: running, FIFO flushed");
    r.burst(Command::MemWrite, BAR0 + 0x200, &[FENCE, 2]);
    wait_raw(&mut r, 1 << 1, 20);
    assert_eq!(r.reg(0x030), 2, "runs again after CMD_CONTROL reset");
    assert_eq!(r.reg(0x00C) & (1 << 2), 0, "no new CMD_ERROR");
}

#[test]
fn full_fifo_answers_retry_and_the_low_watermark_interrupt_fires() {
    // Small retry budget first: the engine is busy for 1024 cycles, the bridge gives up.
    let mut r = Rig::new(BridgeConfig { posted_depth: 0, drain_delay: 0, retry_limit: 16, ..BridgeConfig::default() });
    r.enable(false);
    r.set_reg(0x03C, 2); // FIFO_LOW_WM
    r.set_reg(0x008, 1 << 3);
    // A 32 x 32 FILL keeps the engine off the FIFO for 1024 cycles.
    r.burst(Command::MemWrite, BAR0 + 0x200, &[FILL, 0, 32 | (32 << 16), 7]);
    let fences: Vec<u32> = (0..10).flat_map(|i| [FENCE, i]).collect(); // 20 words
    let c = r.burst(Command::MemWrite, BAR0 + 0x200, &fences);
    assert_eq!(c.status, Status::RetryExhausted, "a full FIFO is retried until the bridge gives up");
    assert!(r.retries >= 16, "target retries seen on the bus: {}", r.retries);
    assert_eq!(r.bus.dev_probe[4], 16, "probe 4: FIFO level 16 (full)");
    assert_eq!((r.reg(0x034) >> 8) & 0xFF, 16);
    assert_eq!(r.bus.inta_n, 1, "FIFO_LOW did not fire while the FIFO is full");
    // Once the FILL is done the engine drains the fences; the level falls through 2.
    wait_raw(&mut r, 1 << 3, 1200);
    assert_eq!(r.bus.inta_n, 0, "FIFO_LOW fired");
    wait_raw(&mut r, 1 << 1, 100);
    r.run(20);
    assert_eq!(r.reg(0x030), 7, "the eight fences that fitted ran: last value 7");
}

// One Model per test: a second Model in the same test thread hangs on drop (reported).
#[test]
fn a_burst_into_a_full_fifo_gets_through_by_retries_and_disconnects() {
    let fences: Vec<u32> = (0..10).flat_map(|i| [FENCE, i]).collect(); // 20 words
    let mut r =
        Rig::new(BridgeConfig { posted_depth: 0, drain_delay: 0, retry_limit: 1000, ..BridgeConfig::default() });
    r.enable(false);
    r.burst(Command::MemWrite, BAR0 + 0x200, &[FILL, 0, 16 | (16 << 16), 7]);
    let c = r.burst(Command::MemWrite, BAR0 + 0x200, &fences);
    assert_eq!(c.status, Status::Ok);
    assert!(r.retries > 0, "it was retried");
    wait_raw(&mut r, 1 << 1, 200);
    r.run(30);
    assert_eq!(r.reg(0x030), 9, "all ten fences ran, none lost or doubled");
    assert_eq!(r.ad_contention, 0);
}

#[test]
fn bad_write_parity_sets_detected_parity_error_and_perr_only_with_command_bit_6() {
    let mut r = Rig::plain();
    r.enable(false);
    r.bad_par = true;
    r.mem_write(BAR0 + 0x010, 0x1234_5678);
    r.bad_par = false;
    r.run(3);
    assert_eq!(r.perr_seen, 0, "no PERR# without Parity Error Response");
    assert_eq!(r.cfg_read(0x04) >> 31, 1, "Status[15] set anyway");
    r.cfg_write(0x04, 0x8000_0043); // W1C Status[15], enable Parity Error Response
    assert_eq!(r.cfg_read(0x04) >> 31, 0, "Status[15] cleared by writing 1");
    r.bad_par = true;
    r.mem_write(BAR0 + 0x010, 0x1234_5678);
    r.bad_par = false;
    r.run(3);
    assert_eq!(r.perr_seen, 1, "PERR# for one clock");
    assert_eq!(r.cfg_read(0x04) >> 31, 1);
    // Good parity: nothing.
    r.cfg_write(0x04, 0x8000_0043);
    r.mem_write(BAR0 + 0x010, 0x1234_5678);
    r.run(3);
    assert_eq!((r.perr_seen, r.cfg_read(0x04) >> 31), (1, 0));
}

/// MSI at MSI_ADDR with data 0x4420, all 8 vectors, CMD_DONE and VBLANK enabled.
fn msi_rig(answer: Answer) -> Rig {
    let mut r = Rig::plain();
    r.enable(true);
    r.cfg_write(0x44, MSI_ADDR);
    r.cfg_write(0x48, 0x4420);
    r.cfg_write(0x40, (3 << 20) | (1 << 16));
    r.answer = answer;
    r.set_reg(0x008, 0b11);
    r
}

#[test]
fn msi_is_a_bus_master_write_with_the_source_vector_and_inta_stays_high() {
    let mut r = msi_rig(Answer::Accept);
    r.burst(Command::MemWrite, BAR0 + 0x200, &[FENCE, 3]);
    r.run(30);
    assert_eq!(r.messages.len(), 1, "one message for CMD_DONE");
    let m = r.messages[0];
    assert_eq!((m.addr, m.data), (MSI_ADDR, 0x4421), "vector 1 = CMD_DONE in the low MME bits");
    // The retrace at cycle ~2004 is vector 0.
    while r.now < 2100 {
        r.tick();
    }
    assert_eq!(r.messages.len(), 2);
    assert_eq!(r.messages[1].data, 0x4420, "vector 0 = VBLANK");
    assert!(r.inta.iter().all(|&l| l == 1), "INTA# never asserted with MSI enabled");
    assert_eq!(r.ad_contention, 0);
    // Only a new event sends a new message: still pending, nothing more.
    r.run(300);
    assert_eq!(r.messages.len(), 2);
    // With MME = 0 (one vector) every source uses vector 0.
    r.set_reg(0x004, 0b11);
    r.cfg_write(0x40, 1 << 16);
    r.burst(Command::MemWrite, BAR0 + 0x200, &[FENCE, 4]);
    r.run(30);
    assert_eq!(r.messages.last().unwrap().data, 0x4420);
    // MSI disabled: INTA# instead of a message.
    let n = r.messages.len();
    r.set_reg(0x004, 0b11);
    r.cfg_write(0x40, 0);
    r.burst(Command::MemWrite, BAR0 + 0x200, &[FENCE, 5]);
    r.run(30);
    assert_eq!(r.messages.len(), n, "no message with MSI disabled");
    assert_eq!(r.bus.inta_n, 0, "INTA# instead");
}

#[test]
fn msi_write_is_retried_after_stop_without_trdy() {
    let mut r = msi_rig(Answer::Retry(2));
    r.burst(Command::MemWrite, BAR0 + 0x200, &[FENCE, 3]);
    r.run(60);
    assert_eq!(r.dev_starts, 3, "two retried attempts, then the one that completed");
    assert_eq!(r.messages.len(), 1);
    assert_eq!(r.messages[0].data, 0x4421);
}

#[test]
fn msi_write_nobody_claims_is_dropped_with_received_master_abort() {
    let mut r = msi_rig(Answer::Ignore);
    r.burst(Command::MemWrite, BAR0 + 0x200, &[FENCE, 3]);
    r.run(60);
    assert_eq!((r.dev_starts, r.messages.len()), (1, 0), "one attempt, nobody answered");
    assert_eq!((r.cfg_read(0x04) >> 29) & 1, 1, "Status[13] Received Master Abort");
}

#[test]
fn msi_waits_for_bus_master_enable() {
    let mut r = msi_rig(Answer::Accept);
    r.cfg_write(0x04, 0b011);
    r.burst(Command::MemWrite, BAR0 + 0x200, &[FENCE, 3]);
    r.run(30);
    assert_eq!(r.dev_starts, 0, "no REQ# without Bus Master");
    r.cfg_write(0x04, 0b111);
    r.run(30);
    assert_eq!(r.messages.len(), 1, "sent once Bus Master was set");
}

#[test]
fn msi_into_the_host_bridge_window_is_received_by_the_bridge() {
    let mut r = msi_rig(Answer::Ignore);
    r.cfg_write(0x44, *dirql_sim::MSI_WINDOW.start());
    r.burst(Command::MemWrite, BAR0 + 0x200, &[FENCE, 3]);
    r.run(30);
    let got: Vec<_> = r.bridge.take_msis().map(|m| (m.addr, m.data)).collect();
    assert_eq!(got, vec![(*dirql_sim::MSI_WINDOW.start(), 0x4421)], "the bridge took the message");
    assert!(r.inta.iter().all(|&l| l == 1));
    assert_eq!(r.ad_contention, 0);
}
