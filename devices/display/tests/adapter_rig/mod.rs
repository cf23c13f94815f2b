//! The rig every `adapter_*` test drives the Verilated adapter with: the model, the
//! PCI host bridge as master, and helpers for configuration, I/O and memory accesses.

#![allow(dead_code)] // each test binary uses a different part of the rig
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use dirql_sim::{BridgeConfig, Bus, Command, Completion, Drive, Model, PciHostBridge, Phase, Request, Status};

pub const BAR0: u32 = 0xE000_0000;
pub const BAR1: u32 = 0x0000_C000;
pub const BAR2: u32 = 0xE100_0000;
/// Outside the bridge's own MSI window, so the rig answers these writes itself (the
/// bridge still arbitrates: GNT# to the device when it is idle).
pub const MSI_ADDR: u32 = 0xD000_0000;

/// How the rig, as the host bridge's target side, answers a write the device masters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// DEVSEL# and TRDY# in the clock after the address.
    Accept,
    /// DEVSEL# and STOP# without TRDY# (retry), this many times, then accept.
    Retry(u32),
    /// Nobody claims it: the device must master-abort.
    Ignore,
}

/// A write the device mastered and the rig accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    pub addr: u32,
    pub data: u32,
    pub cycle: u64,
}

pub struct Rig {
    pub model: Model,
    pub bridge: PciHostBridge,
    pub bus: Bus,
    pub now: u64,
    /// Cycles in which host and device both drove AD.
    pub ad_contention: u64,
    pub answer: Answer,
    /// Address of the device-mastered transaction in progress.
    pub dev_txn: Option<u32>,
    pub messages: Vec<Message>,
    /// Device-mastered transactions that started (address phases).
    pub dev_starts: u32,
    /// INTA# (the wired line) per cycle, index = cycle.
    pub inta: Vec<u8>,
    /// Cycles whose interval completed a data phase (IRDY# and TRDY# both low).
    pub phases: Vec<u64>,
    /// Target retries seen (DEVSEL# and STOP# low, TRDY# high, on a host transaction).
    pub retries: u32,
    /// Probe 6 events: (cycle, index it landed in, data, dropped).
    pub crtc_writes: Vec<(u64, u8, u8, bool)>,
    /// Probe 3 states seen (cycle, state).
    pub window_states: Vec<(u64, u32)>,
    /// Invert the host's PAR while set (parity error injection).
    pub bad_par: bool,
    pub perr_seen: u32,
}

impl Rig {
    pub fn new(cfg: BridgeConfig) -> Self {
        let mut model = Model::of("display", None).expect("model builds");
        let mut bus = Bus::released();
        for _ in 0..4 {
            bus = model.step(&Drive::idle());
        }
        Rig {
            model,
            bridge: PciHostBridge::new(cfg),
            bus,
            now: 4,
            ad_contention: 0,
            answer: Answer::Accept,
            dev_txn: None,
            messages: Vec::new(),
            dev_starts: 0,
            inta: vec![1; 5],
            phases: Vec::new(),
            retries: 0,
            crtc_writes: Vec::new(),
            window_states: Vec::new(),
            bad_par: false,
            perr_seen: 0,
        }
    }

    /// Unposted bridge, generous retry budget.
    pub fn plain() -> Self {
        Rig::new(BridgeConfig { posted_depth: 0, drain_delay: 0, retry_limit: 64, ..BridgeConfig::default() })
    }

    pub fn dev_mastering(&self) -> bool {
        self.bus.ad_drivers & 2 != 0 && self.bus.frame_n == 0 || self.dev_txn.is_some()
    }

    pub fn tick(&mut self) -> Vec<Completion> {
        let prev = self.bus;
        self.now += 1;
        let mut d = Drive::idle();
        d.rst_n = 1;
        self.bridge.tick(self.now, &prev, &mut d);
        if self.bad_par && d.par_oe == 1 {
            d.par ^= 1;
        }
        // Host bridge as target of the device's writes (MSI).
        if let Some(addr) = self.dev_txn {
            if prev.irdy_n == 0 && prev.trdy_n == 0 {
                self.messages.push(Message { addr, data: prev.ad, cycle: self.now - 1 });
                self.dev_txn = None;
            } else if prev.frame_n == 1 && prev.irdy_n == 1 {
                // Ended without data: a retry we signalled, or a master abort.
                self.dev_txn = None;
                if let Answer::Retry(n) = self.answer {
                    self.answer = if n <= 1 { Answer::Accept } else { Answer::Retry(n - 1) };
                }
            } else {
                match self.answer {
                    Answer::Accept => {
                        d.devsel_n = 0;
                        d.trdy_n = 0;
                    }
                    Answer::Retry(_) => {
                        d.devsel_n = 0;
                        d.stop_n = 0;
                    }
                    Answer::Ignore => {}
                }
            }
        }
        self.bus = self.model.step(&d);
        let b = self.bus;
        if b.ad_drivers == 3 {
            self.ad_contention += 1;
        }
        if b.frame_n == 0 && prev.frame_n == 1 && b.ad_drivers & 2 != 0 {
            self.dev_txn = Some(b.ad);
            self.dev_starts += 1;
        }
        if b.irdy_n == 0 && b.trdy_n == 0 {
            self.phases.push(self.now);
        }
        if b.devsel_n == 0 && b.stop_n == 0 && b.trdy_n == 1 && b.ad_drivers & 2 == 0 && self.dev_txn.is_none() {
            // counted once per retried transaction: only on the first STOP# clock
            if prev.stop_n == 1 {
                self.retries += 1;
            }
        }
        if b.perr_n == 0 {
            self.perr_seen += 1;
        }
        let p6 = b.dev_probe[6];
        if p6 & 0x100 != 0 {
            self.crtc_writes.push((self.now, (p6 & 0xFF) as u8, ((p6 >> 16) & 0xFF) as u8, p6 & 0x200 != 0));
        }
        let st = b.dev_probe[3] & 0xFF;
        if self.window_states.last().map(|&(_, s)| s) != Some(st) {
            self.window_states.push((self.now, st));
        }
        self.inta.push(b.inta_n);
        self.bridge.take_completions().collect()
    }

    pub fn run(&mut self, n: u64) {
        for _ in 0..n {
            self.tick();
        }
    }

    /// Submits and runs until the completion.
    pub fn transact(&mut self, req: Request) -> Completion {
        // Never start while the device masters the bus or has just been granted it.
        let mut guard = 0;
        while self.bus.req_n == 0 || self.dev_mastering() || self.bus.frame_n == 0 || self.bus.irdy_n == 0 {
            self.tick();
            guard += 1;
            assert!(guard < 200, "device kept the bus");
        }
        let posted = self.bridge.submit(req, self.now).expect("accepted");
        for _ in 0..5000 {
            let mut c = self.tick();
            if let Some(c) = c.pop() {
                return c;
            }
            if posted && self.bridge.is_quiet() {
                return Completion { tag: 0, origin: 0, status: Status::Ok, data: vec![], cycle: self.now };
            }
        }
        panic!("transaction did not complete within 5000 cycles");
    }

    pub fn cfg_read(&mut self, reg: u32) -> u32 {
        self.transact(Request::single(Command::ConfigRead, reg, 0, 0, 1)).data[0]
    }
    pub fn cfg_write(&mut self, reg: u32, v: u32) {
        self.transact(Request::single(Command::ConfigWrite, reg, v, 0, 1));
    }
    pub fn mem_read(&mut self, addr: u32) -> u32 {
        let c = self.transact(Request::single(Command::MemRead, addr, 0, 0, 2));
        assert_eq!(c.status, Status::Ok, "read of {addr:#x}");
        c.data[0]
    }
    pub fn mem_write(&mut self, addr: u32, v: u32) -> Completion {
        self.transact(Request::single(Command::MemWrite, addr, v, 0, 3))
    }
    pub fn burst(&mut self, cmd: Command, addr: u32, words: &[u32]) -> Completion {
        let phases = words.iter().map(|&data| Phase { data, be: 0xF }).collect();
        self.transact(Request { cmd, addr, phases, origin: 0, issuer: 0, tag: 4 })
    }
    pub fn reg(&mut self, off: u32) -> u32 {
        self.mem_read(BAR0 + off)
    }
    pub fn set_reg(&mut self, off: u32, v: u32) {
        let c = self.mem_write(BAR0 + off, v);
        assert_eq!(c.status, Status::Ok);
    }

    /// An 8-bit OUT to a VGA port: byte lane port & 3 (PCI 3.0 3.2.2.1).
    pub fn outb(&mut self, port: u32, v: u8) {
        let lane = port & 3;
        let req = Request {
            cmd: Command::IoWrite,
            addr: BAR1 + (port - 0x3C0),
            phases: vec![Phase { data: u32::from(v) << (8 * lane), be: 1 << lane }],
            origin: 0,
            issuer: 0,
            tag: 5,
        };
        assert_eq!(self.transact(req).status, Status::Ok, "OUT {port:#x}");
    }
    /// An 8-bit IN from a VGA port.
    pub fn inb(&mut self, port: u32) -> u8 {
        let lane = port & 3;
        let req = Request {
            cmd: Command::IoRead,
            addr: BAR1 + (port - 0x3C0),
            phases: vec![Phase { data: 0, be: 1 << lane }],
            origin: 0,
            issuer: 0,
            tag: 6,
        };
        let c = self.transact(req);
        assert_eq!(c.status, Status::Ok, "IN {port:#x}");
        (c.data[0] >> (8 * lane)) as u8
    }
    pub fn crtc_write(&mut self, idx: u8, v: u8) {
        self.outb(0x3D4, idx);
        self.outb(0x3D5, v);
    }
    pub fn crtc_read(&mut self, idx: u8) -> u8 {
        self.outb(0x3D4, idx);
        self.inb(0x3D5)
    }

    /// BARs assigned; I/O, Memory (and Bus Master) enabled.
    pub fn enable(&mut self, bus_master: bool) {
        self.cfg_write(0x10, BAR0);
        self.cfg_write(0x14, BAR1);
        self.cfg_write(0x18, BAR2);
        self.cfg_write(0x04, 0b011 | (u32::from(bus_master) << 2));
    }

    pub fn inta_at(&self, cycle: u64) -> u8 {
        self.inta[cycle as usize]
    }

    /// Runs until INTA# is low or `max` cycles pass; returns the cycle or None.
    pub fn wait_inta(&mut self, max: u64) -> Option<u64> {
        for _ in 0..max {
            self.tick();
            if self.bus.inta_n == 0 {
                return Some(self.now);
            }
        }
        None
    }
}
