//! The machine: the Verilated device, the host bridge, the interrupt controller and the
//! virtual CPUs, advanced together one PCI clock at a time by a seeded scheduler.
//!
//! Why coroutines: a CPU's driver code must stop at every device access until the
//! simulated bus has done it. Real threads with a channel hand-off cost about 0.5 µs per
//! round trip when both spin (≈10 simulated cycles of this design) and 35-80 µs when one
//! parks; a stackful coroutine switch costs tens of nanoseconds and keeps everything on
//! one OS thread, so a run is deterministic by construction and a device access costs
//! close to the bus cycles it takes. Channels are used where real threads meet (parallel
//! seeds, the waveform writer), not here.

use std::path::PathBuf;
use std::rc::Rc;

use corosensei::{Coroutine, CoroutineResult, Yielder};
use dirql_sim::{
    msi_probe, BridgeConfig, BridgeEvent, Bus, Completion, Cycle, Drive, Frame, InterruptController, Model, MsiMessage,
    PciHostBridge, PicConfig, Request, Rng, Routine, Schedule, SimError, Slot1, Slot1Bus, Status, SubmitError,
};

use crate::irql::Irql;
use crate::kernel::{BugCheck, Cpu, InterruptObject, Job, Kernel, MessageInterrupt, Resume, Yield};
use crate::shared_line::SharedLineDevice;
use crate::stop_codes;

/// Settings of a machine.
#[derive(Clone, Debug)]
pub struct MachineConfig {
    /// Which device model to simulate (`dirql_sim::Model::names`; empty: the default).
    pub model: String,
    /// Virtual CPUs (1 or 2: the wrapper traces two).
    pub cpus: u8,
    /// The seed every scheduling choice is drawn from.
    pub seed: u64,
    /// Host bridge settings.
    pub bridge: BridgeConfig,
    /// Interrupt controller settings.
    pub pic: PicConfig,
    /// Modelled CPU work is stretched by a seeded 0..=this percent.
    pub work_jitter_pct: u32,
    /// Cycles of RST# at the start.
    pub reset_cycles: u32,
    /// Waveform file, if tracing.
    pub vcd: Option<PathBuf>,
    /// A run in which every busy CPU only spins for this many cycles is a deadlock
    /// ([`Stop::Deadlock`]); one in which every busy CPU spins or waits for a bus access
    /// and the bus carries no transaction for this many cycles made no progress
    /// ([`Stop::NoProgress`]).
    pub watchdog_cycles: u64,
    /// Interrupt storm: the line still asserted at end of interrupt through this many
    /// deliveries in a row (0 = never detect).
    pub storm_threshold: u32,
    /// What the OS does about a storm.
    pub storm_action: StormAction,
    /// Let Verilator run quiet stretches (no host activity possible) on its own. The result
    /// is identical cycle for cycle and byte for byte; off only to prove exactly that.
    pub fast_path: bool,
    /// How scheduling choices are made; `None` = uniform random from `seed`.
    pub schedule: Option<Schedule>,
    /// Keep every non-baseline choice, so the run can be replayed (and shrunk) as a forced
    /// schedule (see [`Machine::choices`]).
    pub record_choices: bool,
}

/// What the OS does when it detects an interrupt storm on the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StormAction {
    /// Disable the line at the interrupt controller and go on (what Windows does with a
    /// level-triggered line nobody dismisses); the storm is counted in the stats.
    DisableLine,
    /// Stop with bug check HARDWARE_INTERRUPT_STORM (0xF2).
    BugCheck,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            model: String::new(),
            cpus: 2,
            seed: 1,
            bridge: BridgeConfig::default(),
            pic: PicConfig::default(),
            work_jitter_pct: 25,
            reset_cycles: 4,
            vcd: None,
            watchdog_cycles: 100_000,
            storm_threshold: 500,
            storm_action: StormAction::DisableLine,
            fast_path: true,
            schedule: None,
            record_choices: false,
        }
    }
}

/// Why a run stopped before its cycle budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// A simulated bug check.
    BugCheck(BugCheck),
    /// Every busy CPU spun on a lock for the watchdog's whole window.
    Deadlock {
        /// Cycle at which the watchdog fired.
        cycle: Cycle,
    },
    /// Work was waiting (a CPU on its bus access, the others spinning or idle) and for the
    /// watchdog's whole window no CPU made progress and no transaction moved on the bus.
    /// [`Machine::waits`] says what each CPU was waiting on.
    NoProgress {
        /// Cycle at which the watchdog fired.
        cycle: Cycle,
        /// The first cycle of the window without progress.
        since: Cycle,
    },
}

enum Wait {
    Ready(Resume),
    Bus(u64),
    /// Modelled work; interruptible.
    Until {
        at: Cycle,
        started: Cycle,
    },
    /// A posted write being handed to the bridge; not interruptible.
    Posted {
        at: Cycle,
    },
    /// The posted buffer was full: the scheduler submits `req` again at `at`.
    RetryAt {
        at: Cycle,
        req: Request,
    },
    Spin {
        at: Cycle,
    },
    Idle,
    Halted,
}

type Co = Coroutine<Resume, Yield, ()>;

/// A per-cycle observer of the machine's frames (the live checkers).
pub type Observer = Box<dyn FnMut(&Frame)>;

struct Slot {
    co: Co,
    wait: Wait,
}

/// The whole simulated system.
pub struct Machine {
    model: Model,
    bridge: PciHostBridge,
    pic: InterruptController,
    rng: Rng,
    k: Rc<Kernel>,
    slots: Vec<Slot>,
    drive: Drive,
    bus: Bus,
    now: Cycle,
    reset_until: Cycle,
    work_jitter_pct: u32,
    line_irql: Option<Irql>,
    inta2_low: bool,
    observers: Vec<Observer>,
    stop: Option<Stop>,
    events: Vec<BridgeEvent>,
    watchdog: u64,
    /// First cycle of the current window of cycles in which every busy CPU spun or
    /// waited for its bus access.
    stuck_since: Option<Cycle>,
    /// The bridge's transaction count when that window began.
    stuck_transactions: u64,
    storm_threshold: u32,
    storm_action: StormAction,
    /// Deliveries in a row after which the line was still asserted at EOI.
    low_at_eoi: u32,
    /// The line was disabled after a storm: nothing unmasks it again.
    line_disabled: bool,
    second: Option<SecondSource>,
    /// The interrupt objects connected to the line, cached so the per-cycle probe needs no
    /// RefCell: slot 0's driver's (or the only one) and slot 1's.
    line_int: Option<Rc<InterruptObject>>,
    line_int1: Option<Rc<InterruptObject>>,
    /// The slot of the device whose driver the jobs spawned now belong to.
    driver_slot: u8,
    /// A two-slot model: slot 1's outputs after the last clock, and the observers of slot
    /// 1's view of each cycle (`observers` then see slot 0's).
    two_slots: bool,
    slot1: Slot1Bus,
    observers1: Vec<Observer>,
    /// The connected message-signalled interrupt, cached likewise.
    msi: Option<Rc<MessageInterrupt>>,
    /// Each CPU's local APIC: message numbers requested and not yet taken (the IRR; a
    /// message that comes again before it is taken is merged into the pending one).
    msi_pending: Vec<u32>,
    /// Vectors taken this cycle, for the waveform (`host.msi`).
    msi_probe: u16,
    fast_path: bool,
}

/// What a CPU is interrupted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Line,
    Message(u32),
}

/// The seeded interrupt source of the second device on the shared line.
struct SecondSource {
    dev: Rc<SharedLineDevice>,
    next_at: Cycle,
    min_gap: u64,
    max_gap: u64,
}

/// Upper bound on zero-time resumptions of one CPU within one cycle: driver code that
/// never touches the bus or the clock would otherwise hang the simulator.
const ZERO_TIME_BUDGET: u32 = 100_000;

impl Machine {
    /// Builds the machine: the model (tracing when `cfg.vcd` is set) and idle CPUs.
    pub fn new(cfg: &MachineConfig) -> Result<Self, SimError> {
        let model = Model::of(&cfg.model, cfg.vcd.as_deref())?;
        let two_slots = model.slots() == 2;
        let cpus = cfg.cpus.clamp(1, 2);
        let bridge = PciHostBridge::new(cfg.bridge);
        let k = Rc::new(Kernel::new(usize::from(cpus), bridge.ram()));
        let slots = (0..cpus).map(|id| Slot { co: spawn_cpu(id, k.clone()), wait: Wait::Ready(Resume::Go) }).collect();
        let mut pic = InterruptController::new(cfg.pic, cpus);
        // No handler yet: the OS keeps the pin masked until an ISR is connected.
        pic.set_masked(true);
        Ok(Machine {
            model,
            bridge,
            pic,
            rng: {
                let mut r = cfg.schedule.as_ref().map_or_else(|| Rng::new(cfg.seed), Rng::with_schedule);
                if cfg.record_choices {
                    r.record();
                }
                r
            },
            k,
            slots,
            drive: Drive::idle(),
            bus: Bus::released(),
            now: 0,
            reset_until: Cycle::from(cfg.reset_cycles),
            work_jitter_pct: cfg.work_jitter_pct,
            line_irql: None,
            inta2_low: false,
            observers: Vec::new(),
            stop: None,
            events: Vec::new(),
            watchdog: cfg.watchdog_cycles,
            stuck_since: None,
            stuck_transactions: 0,
            storm_threshold: cfg.storm_threshold,
            storm_action: cfg.storm_action,
            low_at_eoi: 0,
            line_disabled: false,
            second: None,
            line_int: None,
            line_int1: None,
            driver_slot: 0,
            two_slots,
            slot1: Slot1Bus::released(),
            observers1: Vec::new(),
            msi: None,
            msi_pending: vec![0; usize::from(cpus)],
            msi_probe: 0,
            fast_path: cfg.fast_path,
        })
    }

    /// The scheduler's choice source: how many choices were made, and (when recording)
    /// the non-baseline ones.
    pub fn choices(&self) -> &Rng {
        &self.rng
    }

    /// The kernel state shared with driver code.
    pub fn kernel(&self) -> &Rc<Kernel> {
        &self.k
    }

    /// Queues `job` to run on `cpu` at PASSIVE_LEVEL as a thread (of the driver of the
    /// device in [`Machine::set_driver_slot`]'s slot).
    pub fn spawn(&mut self, cpu: u8, job: Job) {
        let i = usize::from(cpu).min(self.k.cpus.len() - 1);
        let st = &self.k.cpus[i];
        st.jobs.borrow_mut().push_back((self.driver_slot, job));
        st.queued.set(st.queued.get() + 1);
    }

    /// Makes the jobs spawned from now on the driver code of the device in `slot` (0, or 1
    /// on a two-slot model): their configuration cycles go to that device, and the
    /// waveform shows whose code runs (`host1.cpu_slot`).
    pub fn set_driver_slot(&mut self, slot: u8) {
        self.driver_slot = slot;
    }

    /// Adds a per-cycle observer (the live checkers); on a two-slot model it sees slot 0's
    /// view of each cycle ([`Frame::views`]).
    pub fn observe(&mut self, f: Observer) {
        self.observers.push(f);
    }

    /// Adds a per-cycle observer of slot 1's view (two-slot models; never called otherwise).
    pub fn observe_slot1(&mut self, f: Observer) {
        self.observers1.push(f);
    }

    /// Whether the model has two devices on its bus (docs/sim-interface.md, "Two slots").
    pub fn two_slots(&self) -> bool {
        self.two_slots
    }

    /// Drives the second agent on the shared INTA# line.
    pub fn set_second_device_irq(&mut self, asserted: bool) {
        self.inta2_low = asserted;
    }

    /// Puts `dev` on the shared INTA# line as the second agent: it raises its interrupt
    /// at seeded times, `min_gap..=max_gap` cycles after the previous one (a raise that
    /// finds the previous one still pending is coalesced into it, as a level line does).
    pub fn attach_second_device(&mut self, dev: Rc<SharedLineDevice>, min_gap: u64, max_gap: u64) {
        let max_gap = max_gap.max(min_gap);
        let next_at = self.now + min_gap + self.rng.below_or_eq(max_gap - min_gap);
        self.second = Some(SecondSource { dev, next_at, min_gap, max_gap });
    }

    /// Cycles simulated so far.
    pub fn now(&self) -> Cycle {
        self.now
    }

    /// Why the run stopped early, if it did.
    pub fn stopped(&self) -> Option<&Stop> {
        self.stop.as_ref()
    }

    /// Bus events (aborts, exhausted retries) so far.
    pub fn bus_events(&self) -> &[BridgeEvent] {
        &self.events
    }

    /// Whether a driver has connected an interrupt on the INTA# line (slot 0's or slot
    /// 1's), and whether one has connected message-signalled interrupts.
    pub fn interrupts_connected(&self) -> (bool, bool) {
        (!self.k.line_objects().is_empty(), self.msi.is_some() || self.k.message_interrupt().is_some())
    }

    /// The interrupt controller.
    pub fn pic(&self) -> &InterruptController {
        &self.pic
    }

    /// Runs until cycle `end`, or until a bug check or deadlock stops the machine.
    pub fn run_until(&mut self, end: Cycle) {
        while self.now < end && self.stop.is_none() {
            if !(self.fast_path && self.fast_forward(end)) {
                self.step();
            }
        }
    }

    /// Flushes the waveform so the file on disk is valid up to now; fails when it cannot
    /// be written (the run should end: see [`dirql_sim::Model::flush_trace`]).
    pub fn flush_trace(&mut self) -> Result<(), dirql_sim::SimError> {
        self.model.flush_trace()
    }

    /// Writes the model's RTL coverage so far to `path` (a coverage model only:
    /// [`dirql_sim::Model::write_coverage`]).
    pub fn write_coverage(&mut self, path: &std::path::Path) -> Result<(), dirql_sim::SimError> {
        self.model.write_coverage(path)
    }

    /// Flushes and closes the waveform; fails when it could not be written whole.
    pub fn close_trace(&mut self) -> Result<(), dirql_sim::SimError> {
        self.model.close_trace()
    }

    /// One PCI clock.
    pub fn step(&mut self) {
        let now = self.now + 1;
        self.k.now.set(now);
        let mut d = Drive::idle();
        if now > self.reset_until {
            d.rst_n = 1;
            if self.two_slots {
                self.bridge.set_slot1_request(self.slot1.req1_n == 0);
            }
            self.bridge.tick(now, &self.bus, &mut d);
            if self.bridge.has_completions() {
                let (bridge, slots) = (&mut self.bridge, &mut self.slots);
                for c in bridge.take_completions() {
                    if let Some(s) = slots.get_mut(usize::from(c.origin)) {
                        if matches!(s.wait, Wait::Bus(t) if t == c.tag) {
                            s.wait = Wait::Ready(Resume::Data(c));
                        }
                    }
                }
            }
            if self.bridge.has_msis() {
                let msgs: Vec<MsiMessage> = self.bridge.take_msis().collect();
                for m in msgs {
                    self.post_message(m);
                }
            }
            if let Some(s) = &mut self.second {
                if now >= s.next_at {
                    s.dev.raise(now);
                    s.next_at = now + s.min_gap + self.rng.below_or_eq(s.max_gap - s.min_gap);
                }
                self.inta2_low = s.dev.pending();
            }
            self.run_cpus(now);
            // take_events swaps out a Vec that is empty (unallocated) in the common case.
            self.events.extend(self.bridge.take_events());
        }
        self.probe(&mut d);
        let bus = self.model.step(&d);
        if self.two_slots {
            self.slot1 = self.model.slot1();
            let [f0, f1] = Frame::live(now, &d, &bus).views(&Slot1::live(&d, &self.slot1));
            for o in &mut self.observers {
                o(&f0);
            }
            for o in &mut self.observers1 {
                o(&f1);
            }
        } else if !self.observers.is_empty() {
            let f = Frame::live(now, &d, &bus);
            for o in &mut self.observers {
                o(&f);
            }
        }
        self.pic.sample(now, bus.inta_n == 0, &mut self.rng);
        self.bus = bus;
        self.drive = d;
        self.now = now;
    }

    /// The quiet-cycle fast path. When nothing on the host side can act before some later
    /// cycle — the bridge is quiet and released, no interrupt request is pending or can
    /// arise from the current line level, every CPU is idle or inside modelled work — the
    /// host's inputs are constant, so Verilator runs those cycles in C++ alone and stops
    /// early at the first cycle whose bus differs. Observers still see every cycle's frame,
    /// and no seeded choice is skipped (none is drawn in a quiet cycle), so the run is the
    /// same as stepping: same frames, same verdicts, same VCD bytes.
    fn fast_forward(&mut self, end: Cycle) -> bool {
        let now = self.now;
        if now <= self.reset_until
            || !self.bridge.is_quiet()
            || self.drive.ad_oe != 0
            || self.drive.par_oe != 0
            || self.pic.next_ready().is_some()
            || (self.bus.inta_n == 0 && !self.pic.in_service() && !self.pic.masked())
            || self.bus.req_n == 0
            || self.two_slots
            || self.msi_pending.iter().any(|&p| p != 0)
        {
            return false;
        }
        let mut until = end;
        for (i, s) in self.slots.iter().enumerate() {
            match s.wait {
                Wait::Halted => {}
                Wait::Idle => {
                    if self.k.cpus[i].queued.get() > 0 {
                        return false;
                    }
                }
                Wait::Until { at, .. } => until = until.min(at.saturating_sub(1)),
                _ => return false,
            }
        }
        // The second device on the shared line raises its interrupt in step().
        if let Some(s) = &self.second {
            until = until.min(s.next_at.saturating_sub(1));
        }
        // Quiet cycles are now+1 ..= until; a CPU acting at `until + 1` goes through step().
        if until <= now + 1 {
            return false;
        }
        let mut d = self.drive;
        d.isr_ret = 0;
        d.isr_ret1 = 0;
        d.msi = 0;
        d.cpu0_ram_read = 0;
        d.cpu1_ram_read = 0;
        d.pic = self.pic.probe();
        d.bus_cpu = 0;
        d.posted = 0;
        // A quiet bridge arms no single transaction: only a broken-RTL variant stays on.
        d.fault = self.bridge.idle_fault();
        let last = self.bus;
        let (n, bus) = self.model.run_quiet(&d, &last, until - now);
        if !self.observers.is_empty() {
            for j in 1..n {
                let f = Frame::live(now + j, &d, &last);
                for o in &mut self.observers {
                    o(&f);
                }
            }
            let f = Frame::live(now + n, &d, &bus);
            for o in &mut self.observers {
                o(&f);
            }
        }
        let at = now + n;
        self.k.now.set(at);
        self.pic.sample(at, bus.inta_n == 0, &mut self.rng);
        self.bus = bus;
        self.drive = d;
        self.now = at;
        true
    }

    fn probe(&mut self, d: &mut Drive) {
        let cpu = |i: usize| self.k.cpus.get(i);
        if let Some(c) = cpu(0) {
            d.cpu0_irql = c.irql.get().0;
            d.cpu0_routine = c.routine.get();
            d.cpu0_op = c.op.get();
            d.cpu0_note = c.note.get();
        }
        if let Some(c) = cpu(1) {
            d.cpu1_irql = c.irql.get().0;
            d.cpu1_routine = c.routine.get();
            d.cpu1_op = c.op.get();
            d.cpu1_note = c.note.get();
        } else {
            // A CPU that is not online is traced at HIGH_LEVEL: no interrupt can reach
            // it, which is what the rules need to know of it (docs/contracts.md §4).
            d.cpu1_irql = dirql_sim::OFFLINE_IRQL;
        }
        let mut ret = 0;
        for c in &self.k.cpus {
            ret |= c.isr_ret.replace(0);
        }
        d.isr_ret = ret;
        if self.two_slots {
            let (mut ret1, mut slots) = (0, 0);
            for (i, c) in self.k.cpus.iter().enumerate() {
                ret1 |= c.isr_ret1.replace(0);
                slots |= (c.slot.get() & 1) << i;
            }
            d.isr_ret1 = ret1;
            d.cpu_slot = slots;
            d.lock_owner1 = self.line_int1.as_ref().and_then(|i| i.lock.owner()).map_or(0, |c| c + 1);
        }
        // The interrupt lock of whichever interrupt the device uses: the line's, or its
        // messages' (NdisMSynchronizeWithInterruptEx takes the latter).
        let lock = self.line_int.as_ref().or(self.msi.as_ref().map(|m| &m.object));
        d.lock_owner = lock.and_then(|i| i.lock.owner()).map_or(0, |c| c + 1);
        d.pic = self.pic.probe();
        d.bus_cpu = self.bridge.bus_owner().map_or(0, |c| c + 1);
        d.bus_issuer = self.bridge.bus_issuer().unwrap_or(0);
        d.posted = self.bridge.posted_depth().min(15) as u8;
        d.inta2_n = u8::from(!self.inta2_low);
        d.msi = std::mem::take(&mut self.msi_probe);
        d.exclusive = self.k.cpus.iter().enumerate().fold(0, |m, (i, c)| m | u8::from(c.exclusive.get() > 0) << i);
        // Host-RAM reads this cycle (one-cycle pulses) and the device writes landed so far.
        d.cpu0_ram_read = cpu(0).map_or(0, |c| c.ram_read.replace(0));
        d.cpu1_ram_read = cpu(1).map_or(0, |c| c.ram_read.replace(0));
        d.dma_landed = self.k.ram.borrow().device_writes_landed() as u16;
    }

    /// An MSI write the bridge received, to the local APIC it addresses (x86: destination
    /// ID in address bits 19:12, vector in data bits 7:0).
    fn post_message(&mut self, m: MsiMessage) {
        let cpu = ((m.addr >> 12) & 0xFF) as usize;
        let vector = m.data as u8;
        let message = self.msi.as_ref().and_then(|mi| mi.message_of(vector));
        match (self.msi_pending.get_mut(cpu), message) {
            (Some(p), Some(n)) => *p |= 1 << n,
            _ => {
                self.k.stats.borrow_mut().stray_messages += 1;
                self.events.push(BridgeEvent::MsiDropped { cycle: m.cycle, addr: m.addr, data: m.data });
            }
        }
    }

    fn run_cpus(&mut self, now: Cycle) {
        let n = self.slots.len();
        // When two CPUs act in the same cycle, a seeded coin decides who goes first.
        let first =
            if n > 1 && self.runnable(0, now) && self.runnable(1, now) { self.rng.below_or_eq(1) as usize } else { 0 };
        let mut all_spin = true;
        let mut all_stuck = true;
        let mut any_busy = false;
        for j in 0..n {
            let i = (first + j) % n;
            self.run_cpu(i, now);
            match self.slots[i].wait {
                Wait::Spin { .. } => any_busy = true,
                Wait::Idle | Wait::Halted => {}
                Wait::Bus(_) | Wait::RetryAt { .. } => {
                    any_busy = true;
                    all_spin = false;
                }
                _ => {
                    any_busy = true;
                    all_spin = false;
                    all_stuck = false;
                }
            }
            if self.stop.is_some() {
                return;
            }
        }
        // Watchdog: every busy CPU spinning for a whole window is a deadlock; every busy CPU
        // spinning or waiting for its bus access for a whole window in which the bridge
        // started no transaction is a run that makes no progress (an access normally ends
        // within a few dozen cycles, a retry or an abort included). Whether the bus moved
        // is asked only when a window ends (a window in which it did is followed by a new
        // one, so the bound is two windows), so a cycle in which a CPU waits for the bus
        // costs what it did before the check existed.
        if any_busy && all_stuck {
            match self.stuck_since {
                Some(since) if now - since < self.watchdog => {}
                _ => self.watchdog_window(now, all_spin),
            }
        } else {
            self.stuck_since = None;
        }
    }

    /// A window of the watchdog begins or ends (see [`Machine::run_cpus`]).
    #[cold]
    fn watchdog_window(&mut self, now: Cycle, all_spin: bool) {
        let txns = self.bridge.transactions();
        match self.stuck_since {
            Some(_) if all_spin => self.stop = Some(Stop::Deadlock { cycle: now }),
            Some(since) if txns == self.stuck_transactions => self.stop = Some(Stop::NoProgress { cycle: now, since }),
            _ => {
                self.stuck_since = Some(now);
                self.stuck_transactions = txns;
            }
        }
    }

    /// What each CPU is waiting on now, one entry per CPU ("CPU1 waits for its Memory Read
    /// of 0x0000c004 to start on the bus (in Isr at IRQL 5)"): the watchdog's report.
    pub fn waits(&self) -> Vec<String> {
        self.slots
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let c = &self.k.cpus[i];
                let routine = Routine::from_code(c.routine.get()).map_or("?", Routine::name);
                let at = format!("in {routine} at IRQL {}", c.irql.get());
                let what = match &s.wait {
                    Wait::Bus(tag) => match self.bridge.request_of(*tag) {
                        Some((cmd, addr)) if self.bridge.bus_owner() == Some(i as u8) => {
                            format!("waits for its {cmd:?} of {addr:#010x}, on the bus and not completing ({at})")
                        }
                        Some((cmd, addr)) => {
                            format!("waits for its {cmd:?} of {addr:#010x} to start on the bus ({at})")
                        }
                        None => format!("waits for a bus access ({at})"),
                    },
                    Wait::RetryAt { req, .. } => {
                        format!(
                            "waits for room in the posted-write buffer for its {:?} of {:#010x} ({at})",
                            req.cmd, req.addr
                        )
                    }
                    Wait::Spin { .. } => format!("spins on a spin lock ({at})"),
                    Wait::Idle => format!("is idle ({at})"),
                    Wait::Halted => "has halted".to_string(),
                    Wait::Until { at: until, .. } => format!("works until cycle {until} ({at})"),
                    Wait::Posted { .. } => format!("hands a posted write to the bridge ({at})"),
                    Wait::Ready(_) => format!("is ready to run ({at})"),
                };
                let queued = c.queued.get();
                let queued = if queued > 0 { format!(", {queued} job(s) or DPC(s) queued") } else { String::new() };
                format!("CPU{i} {what}{queued}")
            })
            .collect()
    }

    fn runnable(&self, i: usize, now: Cycle) -> bool {
        match self.slots[i].wait {
            Wait::Ready(_) => true,
            Wait::Until { at, .. } | Wait::Spin { at } | Wait::Posted { at } | Wait::RetryAt { at, .. } => at <= now,
            _ => false,
        }
    }

    /// What may interrupt CPU `i` now: the line first, then its lowest pending message.
    #[inline]
    fn deliverable(&self, i: usize, now: Cycle) -> Option<Source> {
        let c = &self.k.cpus[i];
        if let Some(dirql) = self.line_irql {
            if c.irql.get() < dirql && !c.line_masked.get() && self.pic.ready_for(now) == Some(i as u8) {
                return Some(Source::Line);
            }
        }
        let pending = self.msi_pending[i];
        match &self.msi {
            Some(mi) if pending != 0 && c.irql.get() < mi.object.dirql => {
                Some(Source::Message(pending.trailing_zeros()))
            }
            _ => None,
        }
    }

    /// The resumption that takes `src` on CPU `i`: the controller or the local APIC
    /// accepts it now.
    fn take(&mut self, i: usize, src: Source, elapsed: u64, unperformed: Option<Request>) -> Resume {
        let message = match src {
            Source::Line => {
                self.pic.acknowledge();
                None
            }
            Source::Message(n) => {
                self.msi_pending[i] &= !(1 << n);
                if let Some(mi) = &self.msi {
                    self.msi_probe |= msi_probe(i, mi.base_vector.wrapping_add(n as u8));
                }
                Some(n)
            }
        };
        Resume::Interrupt { elapsed, unperformed, message }
    }

    fn run_cpu(&mut self, i: usize, now: Cycle) {
        let mut budget = ZERO_TIME_BUDGET;
        loop {
            let resume = match self.slots[i].wait {
                Wait::Halted | Wait::Bus(_) => return,
                Wait::Ready(_) => match std::mem::replace(&mut self.slots[i].wait, Wait::Halted) {
                    Wait::Ready(r) => r,
                    _ => return,
                },
                Wait::Until { at, started } => {
                    if let Some(src) = self.deliverable(i, now) {
                        self.take(i, src, now - started, None)
                    } else if now >= at {
                        Resume::Go
                    } else {
                        return;
                    }
                }
                Wait::Posted { at } if now >= at => Resume::Go,
                Wait::RetryAt { at, .. } if now >= at => {
                    // Submit again from here; the CPU stays suspended on its access.
                    if let Wait::RetryAt { req, .. } = std::mem::replace(&mut self.slots[i].wait, Wait::Halted) {
                        self.slots[i].wait = self.accept(i, Yield::Bus(req), now);
                    }
                    continue;
                }
                Wait::Spin { at } => {
                    if let Some(src) = self.deliverable(i, now) {
                        self.take(i, src, 0, None)
                    } else if now >= at {
                        Resume::Go
                    } else {
                        return;
                    }
                }
                Wait::Idle => {
                    if let Some(src) = self.deliverable(i, now) {
                        self.take(i, src, 0, None)
                    } else if self.k.cpus[i].queued.get() > 0 {
                        Resume::Go
                    } else {
                        return;
                    }
                }
                Wait::Posted { .. } | Wait::RetryAt { .. } => return,
            };
            let r = self.slots[i].co.resume(resume);
            self.slots[i].wait = match r {
                CoroutineResult::Yield(y) => self.accept(i, y, now),
                CoroutineResult::Return(()) => Wait::Halted,
            };
            budget -= 1;
            if budget == 0 {
                self.stop = Some(Stop::BugCheck(BugCheck {
                    code: stop_codes::DIRQL_NO_PROGRESS,
                    cpu: i as u8,
                    irql: self.k.cpus[i].irql.get(),
                    routine: Routine::from_code(self.k.cpus[i].routine.get()).unwrap_or(Routine::Idle),
                    detail: format!("CPU {i} ran {ZERO_TIME_BUDGET} times in cycle {now} without using simulated time"),
                    cycle: now,
                }));
                return;
            }
        }
    }

    fn accept(&mut self, i: usize, y: Yield, now: Cycle) -> Wait {
        match y {
            Yield::Bus(req) => {
                if let Some(src) = self.deliverable(i, now) {
                    return Wait::Ready(self.take(i, src, 0, Some(req)));
                }
                if self.bridge.posted_full(&req) {
                    return Wait::RetryAt { at: now + 1, req };
                }
                let (tag, origin) = (req.tag, req.origin);
                match self.bridge.submit(req, now) {
                    Ok(true) => Wait::Posted { at: now + 1 },
                    Ok(false) => Wait::Bus(tag),
                    // posted_full() said there was room: cannot happen; retry next cycle
                    // would need the request, which submit() consumed.
                    Err(SubmitError::PostedFull) => Wait::Ready(Resume::Data(Completion {
                        tag,
                        origin,
                        status: Status::RetryExhausted,
                        data: Vec::new(),
                        cycle: now,
                    })),
                    Err(SubmitError::Empty { .. }) => Wait::Ready(Resume::Data(Completion {
                        tag,
                        origin,
                        status: Status::Ok,
                        data: Vec::new(),
                        cycle: now,
                    })),
                }
            }
            Yield::Hardware(n) => Wait::Posted { at: now + n },
            Yield::Work(n) => {
                let extra = if self.work_jitter_pct > 0 {
                    self.rng.below_or_eq(n * u64::from(self.work_jitter_pct) / 100)
                } else {
                    0
                };
                match n + extra {
                    0 => Wait::Ready(Resume::Go),
                    t => Wait::Until { at: now + t, started: now },
                }
            }
            Yield::Spin => Wait::Spin { at: now + 1 },
            Yield::Eoi => {
                self.note_eoi(i, now);
                self.pic.eoi(now, &mut self.rng);
                // The controller looks at the line again at EOI (semantics.md §6).
                self.pic.sample(now, self.bus.inta_n == 0, &mut self.rng);
                Wait::Ready(Resume::Go)
            }
            Yield::Unmask => {
                let objects = self.k.line_objects();
                self.line_int = objects.iter().find(|i| i.slot() == 0).or(objects.first()).cloned();
                self.line_int1 = objects.iter().find(|i| i.slot() == 1).cloned();
                self.line_irql = self.line_int.as_ref().map(|i| i.dirql);
                self.pic.set_masked(self.line_disabled);
                Wait::Ready(Resume::Go)
            }
            Yield::ConnectMessages => {
                self.msi = self.k.message_interrupt();
                Wait::Ready(Resume::Go)
            }
            Yield::Mask => {
                self.pic.set_masked(true);
                Wait::Ready(Resume::Go)
            }
            Yield::Idle => Wait::Idle,
            Yield::BugCheck(bc) => {
                self.stop = Some(Stop::BugCheck(bc));
                Wait::Halted
            }
        }
    }
}

impl Machine {
    /// Storm detection at end of interrupt (semantics.md §6: a level line nobody dismisses
    /// is delivered again at every EOI).
    fn note_eoi(&mut self, cpu: usize, now: Cycle) {
        if self.bus.inta_n != 0 {
            self.low_at_eoi = 0;
            return;
        }
        self.low_at_eoi += 1;
        if self.storm_threshold == 0 || self.low_at_eoi < self.storm_threshold || self.line_disabled {
            return;
        }
        let n = self.low_at_eoi;
        {
            let mut st = self.k.stats.borrow_mut();
            st.storms += 1;
            st.line_disabled_at = Some(now);
        }
        match self.storm_action {
            StormAction::DisableLine => {
                self.line_disabled = true;
                self.pic.set_masked(true);
            }
            StormAction::BugCheck => {
                let c = &self.k.cpus[cpu];
                self.stop = Some(Stop::BugCheck(BugCheck {
                    code: stop_codes::HARDWARE_INTERRUPT_STORM,
                    cpu: cpu as u8,
                    irql: c.irql.get(),
                    routine: Routine::from_code(c.routine.get()).unwrap_or(Routine::Idle),
                    detail: format!("INTA# still asserted at end of interrupt after {n} deliveries in a row"),
                    cycle: now,
                }));
            }
        }
    }
}

fn spawn_cpu(id: u8, k: Rc<Kernel>) -> Co {
    Coroutine::new(move |y: &Yielder<Resume, Yield>, _first: Resume| {
        let cpu = Cpu::new(id, y, k);
        loop {
            cpu.drain_dpcs();
            match cpu.next_job() {
                Some((slot, job)) => {
                    let prev = cpu.enter(Routine::Thread);
                    cpu.in_slot(slot, || job(&cpu));
                    cpu.enter(prev);
                }
                None => cpu.idle(),
            }
        }
    })
}
