//! The bus monitor (`pci-protocol`): a clean synthetic bus passes, and each check fires on
//! exactly the violation injected for it, at the injected cycle; a real run is clean.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod checks_support;

use checks_support::{assert_clean, assert_violation_at, Wave};
use dirql_sim::{Command, Frame};
use dirql_testbenches::check::{PciProtocol, RuleReport};

/// Configuration, a write and a read, with gaps: index of interesting cycles returned.
struct Clean {
    w: Wave,
    write_data: u64,
    read_data: u64,
}

fn clean() -> Clean {
    let mut w = Wave::new();
    w.idle(2);
    w.configure();
    let write_data = w.mmio_write(0, 0x10, 0xA5A5_0001);
    w.idle(2);
    let read_data = w.mmio_read(0, 0x10, 0xA5A5_0001);
    w.idle(3);
    Clean { w, write_data, read_data }
}

fn monitor(frames: &[Frame]) -> RuleReport {
    let mut w = Wave::new();
    w.frames = frames.to_vec();
    w.check(Box::new(PciProtocol::new()))
}

/// The frame of `cycle` (cycles start at 1).
fn at(frames: &mut [Frame], cycle: u64) -> &mut Frame {
    &mut frames[usize::try_from(cycle - 1).unwrap()]
}

#[test]
fn clean_synthetic_bus_passes() {
    let c = clean();
    let r = monitor(&c.w.frames);
    assert_clean(&r);
    assert_eq!(r.checked, 4, "four transactions");
}

#[test]
fn ad_contention_is_reported_at_its_cycle() {
    let c = clean();
    let mut f = c.w.frames.clone();
    at(&mut f, c.read_data).ad_drivers = 3;
    assert_violation_at(&monitor(&f), c.read_data, "ad-contention");
}

#[test]
fn missing_turnaround_is_reported() {
    let c = clean();
    let mut f = c.w.frames.clone();
    // The target drives AD in the turnaround clock right after the host's address phase.
    at(&mut f, c.read_data - 1).ad_drivers = 2;
    assert_violation_at(&monitor(&f), c.read_data - 1, "turnaround");
}

#[test]
fn wrong_parity_is_reported_one_clock_after_the_data() {
    let c = clean();
    let mut f = c.w.frames.clone();
    let p = at(&mut f, c.write_data + 1);
    p.par = !p.par;
    assert_violation_at(&monitor(&f), c.write_data + 1, "parity");
    // And for a read's data phase (the target's parity).
    let mut f = c.w.frames.clone();
    let p = at(&mut f, c.read_data + 1);
    p.par = !p.par;
    assert_violation_at(&monitor(&f), c.read_data + 1, "parity");
}

#[test]
fn irdy_without_frame_is_reported() {
    let c = clean();
    let mut f = c.w.frames.clone();
    let idle = c.write_data + 2;
    at(&mut f, idle).irdy_n = false;
    assert_violation_at(&monitor(&f), idle, "irdy-without-frame");
}

#[test]
fn irdy_in_address_phase_is_reported() {
    let c = clean();
    let mut f = c.w.frames.clone();
    at(&mut f, c.write_data - 1).irdy_n = false;
    assert_violation_at(&monitor(&f), c.write_data - 1, "irdy-in-address-phase");
}

#[test]
fn frame_deasserted_without_irdy_is_reported() {
    let c = clean();
    let mut f = c.w.frames.clone();
    // Read: FRAME# falls in the turnaround clock with IRDY# high.
    at(&mut f, c.read_data - 1).irdy_n = true;
    assert_violation_at(&monitor(&f), c.read_data - 1, "frame-deassert-without-irdy");
}

#[test]
fn frame_reasserted_is_reported() {
    let c = clean();
    let mut f = c.w.frames.clone();
    // After the last phase was signalled (turnaround clock, FRAME# high), FRAME# again.
    at(&mut f, c.read_data).frame_n = false;
    assert_violation_at(&monitor(&f), c.read_data, "frame-reassert");
}

#[test]
fn irdy_withdrawn_is_reported() {
    let mut w = Wave::new();
    w.idle(2);
    w.configure();
    let d = w.mmio_read(0, 0x10, 7);
    w.idle(2);
    let mut f = w.frames.clone();
    // Stretch the read by a wait state: the target has not asserted TRDY# yet, the master
    // withdraws IRDY# in the wait state.
    let turn = *at(&mut f, d - 1);
    f.insert(usize::try_from(d - 1).unwrap(), turn);
    for (i, x) in f.iter_mut().enumerate() {
        x.cycle = i as u64 + 1;
    }
    assert_clean(&monitor(&f));
    at(&mut f, d).irdy_n = true;
    assert_violation_at(&monitor(&f), d, "irdy-withdrawn");
}

#[test]
fn trdy_withdrawn_is_reported() {
    let c = clean();
    let mut f = c.w.frames.clone();
    // The target asserts TRDY# in the turnaround clock while IRDY# is high...
    let t = at(&mut f, c.read_data - 1);
    t.trdy_n = false;
    t.devsel_n = false;
    t.irdy_n = true;
    t.frame_n = false;
    // ...and drops it in the next clock before IRDY# came.
    let d = at(&mut f, c.read_data);
    d.trdy_n = true;
    d.irdy_n = false;
    d.frame_n = true;
    let r = monitor(&f);
    assert_violation_at(&r, c.read_data, "trdy-withdrawn");
}

#[test]
fn devsel_too_late_is_reported() {
    let c = clean();
    let mut f = c.w.frames.clone();
    // Insert three wait states before the read's data phase: DEVSEL# first at clock 5.
    let turn = *at(&mut f, c.read_data - 1);
    let idx = usize::try_from(c.read_data - 1).unwrap();
    for _ in 0..3 {
        let mut t = turn;
        t.frame_n = false;
        f.insert(idx, t);
    }
    for (i, x) in f.iter_mut().enumerate() {
        x.cycle = i as u64 + 1;
    }
    let data = c.read_data + 3;
    assert_violation_at(&monitor(&f), data, "devsel-timing");
}

#[test]
fn devsel_in_address_phase_is_reported() {
    let c = clean();
    let mut f = c.w.frames.clone();
    at(&mut f, c.write_data - 1).devsel_n = false;
    assert_violation_at(&monitor(&f), c.write_data - 1, "devsel-timing");
}

#[test]
fn trdy_without_devsel_is_reported() {
    let c = clean();
    let mut f = c.w.frames.clone();
    at(&mut f, c.write_data).devsel_n = true;
    assert_violation_at(&monitor(&f), c.write_data, "trdy-without-devsel");
}

#[test]
fn stop_without_devsel_is_reported() {
    let c = clean();
    let mut f = c.w.frames.clone();
    let d = at(&mut f, c.write_data);
    d.devsel_n = true;
    d.trdy_n = true;
    d.stop_n = false;
    assert_violation_at(&monitor(&f), c.write_data, "stop-without-devsel");
}

#[test]
fn devsel_dropped_and_stop_withdrawn_are_reported() {
    let c = clean();
    // DEVSEL# asserted in the turnaround clock, then dropped before the data phase.
    let mut f = c.w.frames.clone();
    at(&mut f, c.read_data - 1).devsel_n = false;
    let d = at(&mut f, c.read_data);
    d.devsel_n = true;
    d.trdy_n = true;
    let r = monitor(&f);
    assert_violation_at(&r, c.read_data, "devsel-dropped");
    // STOP# asserted while FRAME# is still low, then released before FRAME# rises.
    let mut f = c.w.frames.clone();
    let a = at(&mut f, c.read_data - 1);
    a.frame_n = false;
    a.devsel_n = false;
    a.stop_n = false;
    let b = at(&mut f, c.read_data);
    b.frame_n = false;
    b.stop_n = true;
    b.trdy_n = true;
    let r = monitor(&f);
    assert_violation_at(&r, c.read_data, "stop-withdrawn");
}

#[test]
fn target_signals_on_an_idle_bus_are_reported() {
    let c = clean();
    let mut f = c.w.frames.clone();
    let idle = c.read_data + 2;
    at(&mut f, idle).trdy_n = false;
    assert_violation_at(&monitor(&f), idle, "target-signals-when-idle");
}

#[test]
fn a_write_with_byte_lanes_of_a_config_cycle_is_still_clean() {
    // A guard against a monitor that flags everything: a bridge-originated write and an I/O
    // byte write are as clean as the rest.
    let mut w = Wave::new();
    w.configure();
    w.write(None, Command::MemWrite, 0x100, 1, 0x3);
    w.io_write_byte(1, 0x15, 0x22);
    w.idle(2);
    assert_clean(&w.check(Box::new(PciProtocol::new())));
}

#[test]
fn a_real_run_of_the_reference_driver_is_clean_on_the_bus() {
    use dirql_host::videoport::SyncReading;
    use dirql_testbenches::scenario::{run, RunSettings};
    for seed in [1, 7] {
        let s = RunSettings {
            device: &dirql_display::DISPLAY,
            scenario: dirql_display::scenario("vblank").unwrap(),
            driver: dirql_display::twin("reference").unwrap(),
            seed,
            cycles: 20_000,
            vcd: None,
            reading: SyncReading::Current,
            cpus: 2,
        };
        let r = run(&s).unwrap();
        let pci = r.rules.iter().find(|x| x.name == "pci-protocol").unwrap();
        assert_eq!(pci.verdict, "pass", "{:?}", pci.violations.first());
        assert!(pci.checked > 100, "only {} transactions monitored", pci.checked);
    }
}

/// The real adapter behind the pin-fault stage, mastered by the host bridge with no OS
/// around it: configuration on a clean bridge, then `reqs` with `faults` armed. Returns
/// the monitor's report over every cycle and the completions of `reqs`.
fn real_bus(faults: dirql_sim::Faults, reqs: &[dirql_sim::Request]) -> (RuleReport, Vec<dirql_sim::Completion>) {
    use dirql_sim::{BridgeConfig, Bus, Completion, Drive, Model, PciHostBridge, Request, Status};

    struct Bench {
        model: Model,
        bus: Bus,
        now: u64,
        checker: dirql_testbenches::check::Checker,
    }
    impl Bench {
        fn step(&mut self, d: &Drive) {
            self.now += 1;
            self.bus = self.model.step(d);
            self.checker.feed(&Frame::live(self.now, d, &self.bus));
        }
        fn transact(&mut self, bridge: &mut PciHostBridge, req: &Request) -> Completion {
            bridge.submit(req.clone(), self.now).unwrap();
            loop {
                let mut d = Drive::idle();
                d.rst_n = 1;
                bridge.tick(self.now + 1, &self.bus, &mut d);
                self.step(&d);
                if let Some(c) = bridge.take_completions().next() {
                    return c;
                }
                assert!(self.now < 20_000, "no completion");
            }
        }
    }

    let mut b = Bench {
        model: Model::new(None).unwrap(),
        bus: Bus::released(),
        now: 0,
        checker: dirql_testbenches::check::Checker::new(vec![Box::new(PciProtocol::new())]),
    };
    for _ in 0..4 {
        b.step(&Drive::idle());
    }
    let clean = BridgeConfig { posted_depth: 0, ..BridgeConfig::default() };
    let mut bridge = PciHostBridge::new(clean);
    // BAR0 at 0xE000_0000, BAR1 (VGA ports) at 0xC000, memory and I/O space on.
    for (reg, v) in [(0x10, 0xE000_0000), (0x14, 0xC000), (0x04, 0b11)] {
        let c = b.transact(&mut bridge, &Request::single(dirql_sim::Command::ConfigWrite, reg, v, 0, 1));
        assert_eq!(c.status, Status::Ok);
    }
    let mut bridge = PciHostBridge::new(BridgeConfig { faults, ..clean });
    let done = reqs.iter().map(|r| b.transact(&mut bridge, r)).collect();
    (b.checker.finish().remove(0), done)
}

/// Single and burst, read and write, memory and I/O byte accesses to the real adapter.
fn mixed_requests() -> Vec<dirql_sim::Request> {
    use dirql_sim::{Phase, Request};
    let burst = |cmd, n: u32| Request {
        cmd,
        addr: 0xE000_0010,
        phases: (0..n).map(|i| Phase { data: 0x100 + i, be: 0xF }).collect(),
        origin: 0,
        issuer: 0,
        tag: 2,
    };
    vec![
        Request::single(Command::MemWrite, 0xE000_0010, 0x1234_5678, 0, 1),
        Request::single(Command::MemRead, 0xE000_0010, 0, 0, 1),
        burst(Command::MemWrite, 3),
        burst(Command::MemRead, 3),
        // IN 3D4h: one byte lane enabled (C/BE# = 0xE).
        Request {
            cmd: Command::IoRead,
            addr: 0xC014,
            phases: vec![Phase { data: 0, be: 1 }],
            origin: 0,
            issuer: 0,
            tag: 3,
        },
        Request::single(Command::MemRead, 0xE000_0000, 0, 0, 1),
    ]
}

#[test]
fn target_abort_and_retry_from_the_real_adapter_are_legal_on_the_bus() {
    use dirql_sim::{Faults, Status};
    // Every transaction target-aborted: single and burst, FRAME# still asserted or not.
    let (r, done) = real_bus(Faults { target_abort_every: Some(1), ..Faults::default() }, &mixed_requests());
    assert_clean(&r);
    assert!(done.iter().all(|c| c.status == Status::TargetAbort), "{done:?}");
    // A retry storm over the first 300 cycles of traffic: every kind retried, then served.
    let (r, done) = real_bus(Faults { retry_window: Some((0, 300)), ..Faults::default() }, &mixed_requests());
    assert_clean(&r);
    assert_eq!(done[1].data, vec![0x1234_5678], "the retried write and read went through once the storm passed");
    assert!(done.iter().all(|c| c.status == Status::Ok), "{done:?}");
    // And an unending one: the bridge gives up on the first request.
    let (r, done) = real_bus(Faults { retry_window: Some((0, u64::MAX)), ..Faults::default() }, &mixed_requests()[..1]);
    assert_clean(&r);
    assert_eq!(done[0].status, Status::RetryExhausted);
}

#[test]
fn each_broken_rtl_variant_trips_its_own_check_on_the_real_adapter() {
    use dirql_sim::{Faults, PinFault};
    for (mutant, check) in [
        (PinFault::LateDevsel, "trdy-without-devsel"),
        (PinFault::ReadParityNoCbe, "parity"),
        (PinFault::NoTurnaround, "turnaround"),
    ] {
        let (r, _) = real_bus(Faults { rtl_mutant: Some(mutant), ..Faults::default() }, &mixed_requests());
        let first = r.violations.first().unwrap_or_else(|| panic!("{mutant:?}: not flagged"));
        assert!(first.message.starts_with(check), "{mutant:?}: first violation {}", first.message);
    }
    // The same traffic with the reference RTL is clean.
    assert_clean(&real_bus(Faults::default(), &mixed_requests()).0);
}
