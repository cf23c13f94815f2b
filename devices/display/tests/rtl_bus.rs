//! The host bridge against the real Verilated adapter: every answer the v0 target gives,
//! asserted at the signal level through the bridge's completions and the wired bus.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use dirql_sim::{
    BridgeConfig, BridgeEvent, Bus, Command, Completion, Drive, Faults, Model, PciHostBridge, Phase, Request, Status,
};

struct Rig {
    model: Model,
    bridge: PciHostBridge,
    bus: Bus,
    now: u64,
    /// Cycles in which the device drove AD (for turnaround checks).
    ad_contention: u64,
    /// The wired bus of every cycle, index = cycle.
    trace: Vec<Bus>,
}

impl Rig {
    fn new(cfg: BridgeConfig) -> Self {
        let mut model = Model::of("display", None).expect("model builds");
        let mut bus = Bus::released();
        for _ in 0..4 {
            bus = model.step(&Drive::idle());
        }
        Rig { model, bridge: PciHostBridge::new(cfg), bus, now: 4, ad_contention: 0, trace: vec![bus; 5] }
    }

    fn tick(&mut self) -> Vec<Completion> {
        self.now += 1;
        let mut d = Drive::idle();
        d.rst_n = 1;
        self.bridge.tick(self.now, &self.bus, &mut d);
        self.bus = self.model.step(&d);
        self.trace.push(self.bus);
        if self.bus.ad_drivers == 3 {
            self.ad_contention += 1;
        }
        self.bridge.take_completions().collect()
    }

    /// Submits and runs until the completion (or, for a posted write, until quiet).
    fn transact(&mut self, req: Request) -> (Completion, u64) {
        let start = self.now;
        let posted = self.bridge.submit(req, self.now).expect("accepted");
        for _ in 0..200 {
            let mut c = self.tick();
            if let Some(c) = c.pop() {
                return (c, self.now - start);
            }
            if posted && self.bridge.is_quiet() {
                let c = Completion { tag: 0, origin: 0, status: Status::Ok, data: vec![], cycle: self.now };
                return (c, self.now - start);
            }
        }
        panic!("transaction did not complete within 200 cycles");
    }

    fn cfg_read(&mut self, reg: u32) -> u32 {
        self.transact(Request::single(Command::ConfigRead, reg, 0, 0, 1)).0.data[0]
    }
    fn cfg_write(&mut self, reg: u32, v: u32) {
        self.transact(Request::single(Command::ConfigWrite, reg, v, 0, 1));
    }
    fn mem_read(&mut self, addr: u32) -> Completion {
        self.transact(Request::single(Command::MemRead, addr, 0, 0, 2)).0
    }
    fn mem_write(&mut self, addr: u32, v: u32) {
        self.transact(Request::single(Command::MemWrite, addr, v, 0, 3));
    }

    fn enable_bar0(&mut self, base: u32) {
        self.cfg_write(0x10, base);
        self.cfg_write(0x04, 1 << 1);
    }

    /// BAR1 (the VGA ports) at `IO_BASE`, I/O space on.
    fn enable_io(&mut self) {
        self.cfg_write(0x14, IO_BASE);
        self.cfg_write(0x04, 1);
    }

    /// An 8-bit I/O transaction on VGA port `port`.
    fn io(&mut self, cmd: Command, port: u32, v: u8) -> Completion {
        let lane = port & 3;
        let phase = Phase { data: u32::from(v) << (8 * lane), be: 1 << lane };
        let req = Request { cmd, addr: IO_BASE + (port - 0x3C0), phases: vec![phase], origin: 0, issuer: 0, tag: 8 };
        let mut c = self.transact(req).0;
        c.data.iter_mut().for_each(|d| *d = (*d >> (8 * lane)) & 0xFF);
        c
    }
}

const IO_BASE: u32 = 0x0000_C000;

#[test]
fn config_read_returns_ids_class_and_interrupt_pin() {
    let mut r = Rig::new(BridgeConfig::default());
    assert_eq!(r.cfg_read(0x00), 0x0A01_1D1C);
    assert_eq!(r.cfg_read(0x08) >> 8, 0x03_0000, "class code: VGA-compatible display controller");
    assert_eq!((r.cfg_read(0x3C) >> 8) & 0xFF, 1, "Interrupt Pin = INTA#");
    assert_eq!(r.ad_contention, 0, "host and device never drive AD in the same cycle");
}

#[test]
fn bar0_size_probe_reads_back_4k_mask() {
    let mut r = Rig::new(BridgeConfig::default());
    r.cfg_write(0x10, u32::MAX);
    assert_eq!(r.cfg_read(0x10), 0xFFFF_F000);
    // contracts.md §1: BAR1 is the 32-byte I/O window (bit 0 = I/O space indicator).
    assert_eq!(r.cfg_read(0x14), 1, "BAR1 is an unassigned I/O BAR");
}

#[test]
fn memory_is_claimed_only_with_memory_space_enabled() {
    let mut r = Rig::new(BridgeConfig::default());
    r.cfg_write(0x10, 0xE000_0000);
    let c = r.mem_read(0xE000_0000);
    assert_eq!(c.status, Status::MasterAbort, "Memory Space clear: nobody claims");
    assert_eq!(c.data, vec![u32::MAX], "a master-aborted read returns all ones");
    assert_eq!(r.bridge.take_events().len(), 1, "the master abort is reported");
    r.cfg_write(0x04, 1 << 1);
    let c = r.mem_read(0xE000_0000);
    assert_eq!((c.status, c.data[0]), (Status::Ok, 0xD1C0_0001));
}

#[test]
fn single_write_then_read_of_scratch_takes_bounded_cycles() {
    let mut r = Rig::new(BridgeConfig { posted_depth: 0, ..BridgeConfig::default() });
    r.enable_bar0(0xE000_0000);
    let (_, wcycles) = r.transact(Request::single(Command::MemWrite, 0xE000_0010, 0xCAFE_F00D, 0, 9));
    let (c, rcycles) = r.transact(Request::single(Command::MemRead, 0xE000_0010, 0, 0, 9));
    assert_eq!(c.data, vec![0xCAFE_F00D]);
    // Address phase, medium DEVSEL# with TRDY# in a+2, completion seen at edge a+3: the
    // bridge hands the result over 4 cycles after submission (+1 for its own pickup).
    assert!((3..=6).contains(&wcycles), "write took {wcycles} cycles");
    assert!((3..=6).contains(&rcycles), "read took {rcycles} cycles");
}

#[test]
fn byte_enables_write_only_enabled_lanes() {
    let mut r = Rig::new(BridgeConfig { posted_depth: 0, ..BridgeConfig::default() });
    r.enable_bar0(0xE000_0000);
    r.mem_write(0xE000_0010, 0x1122_3344);
    let req = Request {
        cmd: Command::MemWrite,
        addr: 0xE000_0010,
        phases: vec![Phase { data: 0xAABB_CCDD, be: 0b0101 }],
        origin: 0,
        issuer: 0,
        tag: 5,
    };
    r.transact(req);
    assert_eq!(r.mem_read(0xE000_0010).data, vec![0x11BB_33DD]);
}

#[test]
fn posted_write_waits_in_buffer_but_a_read_pushes_it_out_first() {
    let mut r = Rig::new(BridgeConfig { posted_depth: 4, drain_delay: 50, retry_limit: 8, ..BridgeConfig::default() });
    r.enable_bar0(0xE000_0000);
    assert!(r.bridge.submit(Request::single(Command::MemWrite, 0xE000_0010, 0x5555_AAAA, 0, 1), r.now).unwrap());
    for _ in 0..10 {
        r.tick();
    }
    assert_eq!(r.bridge.posted_depth(), 1, "still posted: its drain delay is 50 cycles");
    // The read may not pass the posted write (PCI ordering): it must see the new value.
    let c = r.mem_read(0xE000_0010);
    assert_eq!(c.data, vec![0x5555_AAAA]);
    assert_eq!(r.bridge.posted_depth(), 0);
}

#[test]
fn posted_buffer_refuses_when_full() {
    let mut r = Rig::new(BridgeConfig { posted_depth: 2, drain_delay: 100, retry_limit: 8, ..BridgeConfig::default() });
    let w = |v| Request::single(Command::MemWrite, 0xE000_0010, v, 0, 1);
    assert!(r.bridge.submit(w(1), 0).is_ok());
    assert!(r.bridge.submit(w(2), 0).is_ok());
    assert_eq!(r.bridge.submit(w(3), 0), Err(dirql_sim::SubmitError::PostedFull));
}

#[test]
fn burst_write_and_read_back_cross_registers_and_disconnect_at_bar_end() {
    let mut r = Rig::new(BridgeConfig { posted_depth: 0, ..BridgeConfig::default() });
    r.enable_bar0(0xE000_0000);
    let phases = (0..3).map(|i| Phase { data: 0x100 + i, be: 0xF }).collect();
    r.transact(Request { cmd: Command::MemWrite, addr: 0xE000_0010, phases, origin: 0, issuer: 0, tag: 1 });
    assert_eq!(r.mem_read(0xE000_0010).data, vec![0x100], "SCRATCH took the first phase");
    // A burst running off the end of the 4 KiB BAR is disconnected; the bridge re-issues the
    // rest at the next address, which nobody claims.
    let phases = vec![Phase { data: 0, be: 0xF }; 2];
    let (c, _) = r.transact(Request { cmd: Command::MemRead, addr: 0xE000_0FFC, phases, origin: 0, issuer: 0, tag: 2 });
    assert_eq!(c.status, Status::MasterAbort);
    assert_eq!(c.data.len(), 2);
    assert_eq!(c.data[1], u32::MAX);
}

#[test]
fn injected_bad_parity_is_answered_with_perr_and_reported() {
    let faults = Faults { bad_parity_every: Some(1), ..Faults::default() };
    let mut r = Rig::new(BridgeConfig { posted_depth: 0, faults, ..BridgeConfig::default() });
    // Config writes carry bad parity too, but Parity Error Response is still off: no PERR#.
    r.cfg_write(0x10, 0xE000_0000);
    r.cfg_write(0x04, (1 << 1) | (1 << 6));
    assert!(r.bridge.take_events().iter().all(|e| !matches!(e, BridgeEvent::ParityError { .. })));
    r.mem_write(0xE000_0010, 0x1234_5678);
    for _ in 0..4 {
        r.tick();
    }
    let ev = r.bridge.take_events();
    assert!(ev.iter().any(|e| matches!(e, BridgeEvent::ParityError { .. })), "{ev:?}");
    // Detected Parity Error (Status bit 15) is latched in config space.
    let clean = Faults::default();
    let mut r2 = r;
    r2.bridge = PciHostBridge::new(BridgeConfig { posted_depth: 0, faults: clean, ..BridgeConfig::default() });
    assert_ne!(r2.cfg_read(0x04) & (1 << 31), 0, "Status.Detected Parity Error set");
}

#[test]
fn injected_master_abort_hits_every_nth_transaction_only() {
    let faults = Faults { master_abort_every: Some(2), ..Faults::default() };
    let mut r = Rig::new(BridgeConfig { posted_depth: 0, faults, ..BridgeConfig::default() });
    r.enable_bar0(0xE000_0000);
    let a = r.mem_read(0xE000_0000);
    let b = r.mem_read(0xE000_0000);
    let c = r.mem_read(0xE000_0000);
    assert_eq!((a.status, a.data[0]), (Status::Ok, 0xD1C0_0001));
    assert_eq!((b.status, b.data[0]), (Status::MasterAbort, u32::MAX));
    assert_eq!(c.status, Status::Ok);
    assert!(r.bridge.take_events().iter().any(|e| matches!(e, BridgeEvent::MasterAbort { .. })));
}

/// Cycles (after `from`) whose interval shows target abort: STOP# with DEVSEL# deasserted.
fn target_abort_cycles(r: &Rig, from: u64) -> Vec<u64> {
    (from..=r.now).filter(|&c| r.trace[c as usize].stop_n == 0 && r.trace[c as usize].devsel_n == 1).collect()
}

/// Cycles (after `from`) whose interval shows retry: STOP# and DEVSEL# with TRDY# deasserted.
fn retry_cycles(r: &Rig, from: u64) -> Vec<u64> {
    (from..=r.now)
        .filter(|&c| {
            let b = &r.trace[c as usize];
            b.stop_n == 0 && b.devsel_n == 0 && b.trdy_n == 1
        })
        .collect()
}

#[test]
fn target_abort_from_the_adapter_ends_the_read_with_all_ones_and_the_write_without_effect() {
    // Every 2nd memory transaction answered with target abort by the pin-fault stage.
    let faults = Faults { target_abort_every: Some(2), ..Faults::default() };
    let mut r = Rig::new(BridgeConfig { posted_depth: 0, faults, ..BridgeConfig::default() });
    r.enable_bar0(0xE000_0000);
    r.mem_write(0xE000_0010, 0x1111_2222); // 1st: accepted
    let start = r.now;
    let (c, _) = r.transact(Request::single(Command::MemRead, 0xE000_0010, 0, 0, 7)); // 2nd: aborted
    assert_eq!((c.status, c.data.clone()), (Status::TargetAbort, vec![u32::MAX]), "a target-aborted read is all ones");
    // On the wire: DEVSEL# asserted in the clock before, then STOP# without it, once.
    let aborts = target_abort_cycles(&r, start);
    assert_eq!(aborts.len(), 1, "{aborts:?}");
    let at = aborts[0];
    assert_eq!(r.trace[at as usize - 1].devsel_n, 0, "DEVSEL# asserted before the abort");
    assert!((start..=r.now).all(|k| r.trace[k as usize].trdy_n == 1), "no data phase completed");
    // The bridge reports it at the edge that samples it, with the address.
    let ev = r.bridge.take_events();
    assert_eq!(ev, vec![BridgeEvent::TargetAbort { cycle: at + 1, addr: 0xE000_0010 }]);
    assert_eq!(c.cycle, at + 1);

    r.mem_read(0xE000_0010); // 3rd: clean
    r.mem_write(0xE000_0010, 0x3333_4444); // 4th: aborted, so SCRATCH keeps its value
    assert!(matches!(r.bridge.take_events()[..], [BridgeEvent::TargetAbort { addr: 0xE000_0010, .. }]));
    let c = r.mem_read(0xE000_0010); // 5th: clean
    assert_eq!((c.status, c.data[0]), (Status::Ok, 0x1111_2222), "the aborted write reached the adapter");
    assert_eq!(r.ad_contention, 0);
    // The adapter is back to normal service: every later transaction completes.
    let c = r.mem_read(0xE000_0000); // 6th: aborted
    assert_eq!(c.status, Status::TargetAbort);
    let c = r.mem_read(0xE000_0000);
    assert_eq!((c.status, c.data[0]), (Status::Ok, 0xD1C0_0001));
}

#[test]
fn retry_storm_is_retried_up_to_the_budget_then_reported_with_all_ones() {
    let limit = 8;
    let mut r = Rig::new(BridgeConfig::default());
    r.enable_bar0(0xE000_0000);
    // From now on every address phase is answered with retry.
    let faults = Faults { retry_window: Some((r.now, u64::MAX)), ..Faults::default() };
    r.bridge =
        PciHostBridge::new(BridgeConfig { posted_depth: 0, retry_limit: limit, faults, ..BridgeConfig::default() });
    let start = r.now;
    let (c, _) = r.transact(Request::single(Command::MemRead, 0xE000_0000, 0, 0, 3));
    assert_eq!((c.status, c.data.clone()), (Status::RetryExhausted, vec![u32::MAX]));
    // The first issue and `limit` re-issues are retried; the one more retry exhausts it.
    let retries = retry_cycles(&r, start);
    assert_eq!(retries.len() as u32, limit + 1, "{retries:?}");
    let last = *retries.last().unwrap();
    let ev = r.bridge.take_events();
    assert!(
        ev.contains(&BridgeEvent::RetryExhausted { cycle: last + 1, addr: 0xE000_0000, retries: limit + 1 }),
        "{ev:?}"
    );
    assert_eq!(c.cycle, last + 1);
    assert!((start..=r.now).all(|k| r.trace[k as usize].trdy_n == 1), "no data phase completed");
}

#[test]
fn a_retry_storm_shorter_than_the_budget_delays_the_access_and_performs_it_once() {
    let mut r = Rig::new(BridgeConfig { posted_depth: 0, ..BridgeConfig::default() });
    r.enable_bar0(0xE000_0000);
    r.mem_write(0xE000_0010, 5);
    // Retry every address phase for the next 60 cycles.
    let (from, to) = (r.now, r.now + 60);
    let faults = Faults { retry_window: Some((from, to)), ..Faults::default() };
    r.bridge = PciHostBridge::new(BridgeConfig { posted_depth: 0, faults, ..BridgeConfig::default() });
    let (c, took) = r.transact(Request::single(Command::MemWrite, 0xE000_0010, 6, 0, 4));
    assert_eq!(c.status, Status::Ok);
    assert!(took > 60 && c.cycle > to, "completed at cycle {} after {took} cycles", c.cycle);
    let retries = retry_cycles(&r, from);
    assert!(retries.len() >= 10, "only {} retries in a 60-cycle storm", retries.len());
    assert!(r.bridge.take_events().is_empty(), "within the budget: nothing to report");
    assert_eq!(r.mem_read(0xE000_0010).data, vec![6]);
    // The access is performed once, not once per issue: a read of the DAC data port
    // steps R -> G -> B, so a retried read that reached the adapter would skip components.
    let mut r = Rig::new(BridgeConfig { posted_depth: 0, ..BridgeConfig::default() });
    r.enable_io();
    for (port, v) in [(0x3C8, 0), (0x3C9, 0x11), (0x3C9, 0x22), (0x3C9, 0x33), (0x3C7, 0)] {
        assert_eq!(r.io(Command::IoWrite, port, v).status, Status::Ok);
    }
    let faults = Faults { retry_window: Some((r.now, r.now + 40)), ..Faults::default() };
    r.bridge = PciHostBridge::new(BridgeConfig { posted_depth: 0, faults, ..BridgeConfig::default() });
    let from = r.now;
    let red = r.io(Command::IoRead, 0x3C9, 0);
    assert!(retry_cycles(&r, from).len() >= 5, "the read was not retried");
    let green = r.io(Command::IoRead, 0x3C9, 0);
    assert_eq!(
        (red.status, red.data[0], green.data[0]),
        (Status::Ok, 0x11, 0x22),
        "R then G: each read performed once"
    );
}

#[test]
fn two_live_models_in_one_thread_are_built_and_dropped_without_hanging() {
    // Two live models in one thread (as a test comparing two runs side by side would
    // have), traced, stepped and dropped. It hung on destruction inside Verilator's scope
    // registry when the models were dropped in the reverse order of construction (see
    // Model::~Model in cpp/model.cpp). A hang shows as the timeout below.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Model::of("display", Some(&dir.path().join("a.vcd"))).unwrap();
        let mut b = Model::of("display", Some(&dir.path().join("b.vcd"))).unwrap();
        let (x, y) = (a.step(&Drive::idle()), b.step(&Drive::idle()));
        drop(a);
        drop(b);
        // Dropped in the reverse order of construction (as two `let`s in one scope are):
        // Verilator 5.006 erases a model's scopes through the thread's current context,
        // which was the later model's, already gone (fixed in cpp/model.cpp).
        let a = Model::of("display", None).unwrap();
        let b = Model::of("display", None).unwrap();
        drop(b);
        drop(a);
        // And a model alone afterwards still works.
        let mut c = Model::of("display", None).unwrap();
        c.step(&Drive::idle());
        tx.send((x, y)).unwrap();
    });
    let (x, y) = rx.recv_timeout(std::time::Duration::from_secs(120)).expect("two live models hung");
    assert_eq!(x, y);
}
