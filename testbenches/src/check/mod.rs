//! Signal-level checkers. Every rule reads only [`Frame`]s — the wired PCI bus and the
//! traced host state, cycle by cycle — so the same rule code runs live during a run and
//! afterwards on a waveform (VCD or FST), and all give the same verdict.
//!
//! The rules (docs/contracts.md says what each probe and note means):
//!
//! | rule | file |
//! |---|---|
//! | `isr-ownership` | [`isr_ownership`] |
//! | `isr-dismissal` | [`isr_dismissal`] |
//! | `no-spurious-reentry` | [`reentry`] |
//! | `no-lost-interrupt` | [`lost_interrupt`] |
//! | `sync-isolation` | [`sync_isolation`] |
//! | `burst-integrity` | [`burst_integrity`] |
//! | `register-integrity` | [`register_integrity`] |
//! | `pci-protocol` | [`pci_protocol`] |
//! | `irql-discipline` | [`irql_discipline`] |
//! | `interrupt-latency` | [`interrupt_latency`] |
//! | `time-budget` | [`time_budget`] |

mod burst_integrity;
mod decode;
mod excerpt;
mod fst_source;
mod interrupt_latency;
mod irql_discipline;
mod isr_dismissal;
mod isr_ownership;
mod lost_interrupt;
mod pci_protocol;
mod reentry;
mod register_integrity;
mod signal_map;
mod sync_isolation;
mod time_budget;
mod timing;
mod vcd_source;

use std::cell::RefCell;

use dirql_host::adapter::regs;
use dirql_sim::{Command, Frame, Routine, PERIOD_NS};
use serde::Serialize;

pub use burst_integrity::BurstIntegrity;
pub use decode::{DataPhase, PciDecoder};
pub use excerpt::{draw_excerpt, signal_value, EXCERPT_HALF_WIDTH, SIGNALS};
pub use fst_source::{hierarchy_file_of, read_fst, read_fst_recovering, FstError, FstRead, FstRecovery};
pub use interrupt_latency::InterruptLatency;
pub use irql_discipline::IrqlDiscipline;
pub use isr_dismissal::IsrDismissal;
pub use isr_ownership::IsrOwnership;
pub use lost_interrupt::NoLostInterrupt;
pub use pci_protocol::{pci_parity, PciProtocol};
pub use reentry::NoSpuriousReentry;
pub use register_integrity::RegisterIntegrity;
pub use signal_map::REQUIRED_SIGNALS;
pub use sync_isolation::SyncIsolation;
pub use time_budget::TimeBudget;
pub use timing::{Distribution, SourceTiming, TimingStats, SOURCE_NAMES};
pub use vcd_source::{read_vcd, VcdError};

/// Virtual CPUs the wrapper traces (the length of [`Frame::irql`]; checked at compile time
/// below because `dirql_sim` keeps its own constant private).
pub const TRACED_CPUS: usize = 2;
const _: fn(Frame) -> [u8; TRACED_CPUS] = |f| f.irql;

/// What the rules need to know about the device under test (the adapter-specific part).
#[derive(Clone, Debug)]
pub struct DeviceProfile {
    /// Offset in BAR0 of the register an ISR acknowledges interrupts in.
    pub ack_offset: u32,
    /// Its name, for messages.
    pub ack_name: &'static str,
    /// BAR0 offsets an ISR reads to learn whether its adapter interrupted.
    pub status_offsets: &'static [u32],
    /// BAR0 offsets an ISR may also read on the FALSE path (the enable mask).
    pub benign_read_offsets: &'static [u32],
    /// BAR1 (VGA I/O window) offsets an ISR reads as a status read (Input Status 0).
    pub io_status_offsets: &'static [u32],
    /// BAR1 offset of the CRTC index port (3D4h).
    pub crtc_index_offset: u32,
    /// BAR1 offset of the CRTC data port (3D5h).
    pub crtc_data_offset: u32,
    /// The CRTC register whose bit clears the vertical interrupt (CR11).
    pub crtc_vint_index: u8,
    /// The bit of that register that clears the latch when written 0 (CR11[4]).
    pub crtc_vint_clear_bit: u8,
    /// Device IRQL assumed until an ISR shows the real one (any level above DISPATCH).
    pub default_dirql: u8,
    /// Cycles an interrupt may wait for delivery once nothing excludes its ISR.
    pub delivery_bound: u64,
    /// With MSI: the source an MSI vector signals is its low bits under this mask.
    pub msi_source_mask: u8,
    /// Names of the interrupt sources, by bit of [`DeviceProfile::raw`].
    pub sources: &'static [&'static str],
    /// The sources latched in the device this cycle (from its probes).
    pub raw: fn(&Frame) -> u32,
    /// The sources enabled in the device this cycle (from its probes).
    pub enabled: fn(&Frame) -> u32,
    /// The source events the device's interrupt block receives this cycle with its latch
    /// armed (its inputs, probed apart from its state): each must show in
    /// [`DeviceProfile::raw`] the next cycle.
    pub events: fn(&Frame) -> u32,
    /// The source events the device's interrupt block receives this cycle while the
    /// driver holds that source's latch clear (the adapter's CR11[4] = 0, with CR11[5] = 0):
    /// they latch nothing, so one outside an ISR's dismissal is an interrupt lost
    /// (`no-lost-interrupt` (k)).
    pub held_events: fn(&Frame) -> u32,
    /// The sources that may interrupt this cycle: latched, enabled, and not held back by a
    /// device-specific gate (the adapter's CR11[5] for the retrace).
    pub pending: fn(&Frame) -> u32,
    /// The sources a completed read of `target` showed to the CPU that read it (`data`
    /// as read, `be` its byte enables), or `None` when that register is no status.
    pub status_shows: fn(Target, u32, u8) -> Option<u32>,
    /// Config-space offset of the MSI capability header (MSI Enable is bit 16 of its
    /// dword), when the device has one.
    pub msi_cap_offset: Option<u32>,
    /// Cycles from the clock edge that latches a source to INTA# asserted, at most
    /// (the device's declared assertion latency).
    pub assert_latency: u64,
    /// Cycles from the data phase of the acknowledging write to INTA# released, at most
    /// (the device's declared dismissal latency).
    pub dismiss_latency: u64,
    /// Longest an ISR invocation may run, entry to return, in cycles.
    pub isr_budget_cycles: u64,
    /// Longest a DPC may run (its own cycles, without the ISRs that interrupt it).
    pub dpc_budget_cycles: u64,
    /// Read-write interrupt registers and the probe that shows them: (register, probe
    /// index, implemented bits). A write must show in the probe the next cycle.
    pub rw_probes: &'static [(Target, usize, u32)],
    /// Registers the ISR shares with the driver's other routines, declared; the rules
    /// also learn the ones the ISR touches in the run.
    pub isr_shared: &'static [Target],
}

/// Microsoft's guidance for an ISR's run time (25 µs) in PCI clocks of [`PERIOD_NS`].
pub const ISR_BUDGET_NS: u64 = 25_000;
/// Microsoft's guidance for a DPC's run time (100 µs).
pub const DPC_BUDGET_NS: u64 = 100_000;

/// The dirql adapter's probes (docs/contracts.md §2): INT_RAW, INT_ENABLE, CR11. The
/// retrace latch is held clear while CR11[4] = 0 (contracts.md §1), from the clock the CR11
/// write lands, while the INT_RAW probe shows the latch's flop a clock later.
fn dirql_raw(f: &Frame) -> u32 {
    f.dev[0] & regs::INT_ALL & !dirql_vblank_held(f)
}
/// The retrace source while CR11[4] = 0 holds its latch clear, else nothing.
fn dirql_vblank_held(f: &Frame) -> u32 {
    if f.dev[5] & (1 << regs::CR11_REARM_BIT) == 0 {
        regs::INT_VBLANK
    } else {
        0
    }
}
/// Probe 7: the interrupt block's source inputs; the retrace latches only with CR11[4] = 1.
fn dirql_events(f: &Frame) -> u32 {
    f.dev[7] & regs::INT_ALL & !dirql_vblank_held(f)
}
fn dirql_enabled(f: &Frame) -> u32 {
    f.dev[1] & regs::INT_ALL
}
/// Probe 7's retrace event while CR11[4] = 0 holds its latch clear and CR11[5] = 0 leaves
/// the retrace interrupt on.
fn dirql_held_events(f: &Frame) -> u32 {
    let on = f.dev[5] & (1 << regs::CR11_DISABLE_BIT) == 0;
    if on {
        f.dev[7] & dirql_vblank_held(f)
    } else {
        0
    }
}
/// INT_RAW & INT_ENABLE, the retrace only while CR11[5] = 0 (contracts.md §1).
fn dirql_pending(f: &Frame) -> u32 {
    let gate = if f.dev[5] & (1 << regs::CR11_DISABLE_BIT) != 0 { !regs::INT_VBLANK } else { u32::MAX };
    dirql_raw(f) & dirql_enabled(f) & gate
}
/// INT_STATUS and INT_RAW show the sources by bit; Input Status 0 (3C2h) shows the
/// retrace in bit 7.
fn dirql_status_shows(t: Target, data: u32, be: u8) -> Option<u32> {
    match t {
        Target::Bar0(regs::REG_INT_STATUS | regs::REG_INT_RAW) => Some(data & regs::INT_ALL),
        Target::Bar1(o) if o & !3 == regs::VGA_MISC_W_ISR0 & !3 => {
            let lane = regs::VGA_MISC_W_ISR0 & 3;
            (be & (1 << lane) != 0).then(|| if (data >> (8 * lane)) & 0x80 != 0 { regs::INT_VBLANK } else { 0 })
        }
        _ => None,
    }
}

impl DeviceProfile {
    /// The sources the MSI `vector` stands for, as a mask of source bits.
    pub fn message_sources(&self, vector: u8) -> u32 {
        1u32.checked_shl(u32::from(vector & self.msi_source_mask)).unwrap_or(0)
    }

    /// The dirql adapter.
    pub fn dirql() -> Self {
        DeviceProfile {
            ack_offset: regs::REG_INT_STATUS,
            ack_name: "INT_STATUS",
            status_offsets: &[regs::REG_INT_STATUS, regs::REG_INT_RAW],
            benign_read_offsets: &[regs::REG_INT_ENABLE],
            // Input Status 0 (3C2h): [7] vertical interrupt pending (contracts.md §1, BAR1).
            io_status_offsets: &[0x02],
            crtc_index_offset: 0x14,
            crtc_data_offset: 0x15,
            crtc_vint_index: 0x11,
            crtc_vint_clear_bit: 4,
            default_dirql: 3,
            delivery_bound: 1000,
            // Vector = base | source bit, all 8 messages granted (registers.md).
            msi_source_mask: 7,
            sources: &SOURCE_NAMES,
            raw: dirql_raw,
            enabled: dirql_enabled,
            events: dirql_events,
            held_events: dirql_held_events,
            pending: dirql_pending,
            status_shows: dirql_status_shows,
            msi_cap_offset: Some(regs::CFG_MSI_CAP),
            // rtl/dirql_irq.v: the pending level is combinational from flops, so INTA#
            // falls in the interval after the latching edge and rises in the interval
            // after the acknowledging data phase (DISMISS_LATENCY_CYCLES = 1).
            assert_latency: 1,
            dismiss_latency: 1,
            isr_budget_cycles: ISR_BUDGET_NS / PERIOD_NS,
            dpc_budget_cycles: DPC_BUDGET_NS / PERIOD_NS,
            // INT_ENABLE is probe 1 (contracts.md §2).
            rw_probes: &[(Target::Bar0(regs::REG_INT_ENABLE), 1, regs::INT_ALL)],
            isr_shared: &[
                Target::Bar0(regs::REG_INT_STATUS),
                Target::Bar0(regs::REG_INT_ENABLE),
                Target::Bar1(regs::VGA_CRTC_INDEX & !3),
            ],
        }
    }
}

/// The address space a data phase went to, from the BARs configuration software wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// BAR0 (MMIO), offset inside it.
    Bar0(u32),
    /// BAR1 (VGA I/O ports), offset inside it.
    Bar1(u32),
    /// A configuration access.
    Config,
    /// Anything else (BAR2, MSI, unknown).
    Other,
}

/// BAR0 is 4 KiB, BAR1 32 bytes (contracts.md §1).
const BAR0_SIZE: u32 = 0x1000;
const BAR1_SIZE: u32 = 0x20;

/// What every rule sees besides the frame: the decoded bus.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ctx<'a> {
    /// The data phase that completed this cycle.
    pub phase: Option<&'a DataPhase>,
    /// BAR0 base as configured.
    pub bar0: Option<u32>,
    /// BAR1 base as configured.
    pub bar1: Option<u32>,
    /// The device may use INTA# (Interrupt Disable clear, MSI off), as configured.
    pub intx_allowed: bool,
    /// MSI is enabled, as configured.
    pub msi_enabled: bool,
}

impl Ctx<'_> {
    /// Where a data phase went.
    pub fn target(&self, ph: &DataPhase) -> Target {
        use Command::*;
        match ph.cmd {
            Some(ConfigRead | ConfigWrite) => Target::Config,
            Some(MemRead | MemWrite | MemReadLine | MemReadMultiple | MemWriteInvalidate) => match self.bar0 {
                Some(b) if ph.addr.wrapping_sub(b) < BAR0_SIZE => Target::Bar0(ph.addr - b),
                _ => Target::Other,
            },
            Some(IoRead | IoWrite) => match self.bar1 {
                Some(b) if ph.addr.wrapping_sub(b) < BAR1_SIZE => Target::Bar1(ph.addr - b),
                _ => Target::Other,
            },
            _ => Target::Other,
        }
    }
}

/// True for a write command.
pub fn is_write(ph: &DataPhase) -> bool {
    matches!(ph.cmd, Some(Command::MemWrite | Command::MemWriteInvalidate | Command::IoWrite | Command::ConfigWrite))
}

/// An MSI the device wrote: a Memory Write it mastered into the x86 MSI window. Returns
/// (destination CPU from address bits 19:12, vector from data bits 7:0).
pub fn msi_write(ph: &DataPhase) -> Option<(usize, u8)> {
    (ph.by_device && ph.cmd == Some(Command::MemWrite) && dirql_sim::MSI_WINDOW.contains(&ph.addr))
        .then_some((((ph.addr >> 12) & 0xFF) as usize, ph.data as u8))
}

/// The CPU (0-based) that issued a data phase, if a CPU did.
pub fn phase_cpu(ph: &DataPhase) -> Option<usize> {
    match ph.bus_cpu {
        n @ 1..=2 => Some(usize::from(n) - 1),
        _ => None,
    }
}

/// The bytes an I/O data phase writes at BAR1 offset `port`, honouring byte enables
/// (the dword at `off & !3` carries port `off` in lane `off & 3`).
pub fn io_byte(ph: &DataPhase, base_off: u32, port: u32) -> Option<u8> {
    let lane = port.wrapping_sub(base_off & !3);
    if port & !3 != base_off & !3 || lane > 3 || ph.be & (1 << lane) == 0 {
        return None;
    }
    Some((ph.data >> (8 * lane)) as u8)
}

/// One violation of a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Cycle at which it shows on the waveform.
    pub cycle: u64,
    /// The same in simulated nanoseconds (the VCD's time axis).
    pub time_ns: u64,
    /// What is wrong, with the values involved.
    pub message: String,
    /// The CPU involved, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u8>,
    /// What that CPU ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routine: Option<&'static str>,
    /// Signals to look at (names as in [`SIGNALS`]).
    pub signals: Vec<&'static str>,
    /// The waveform around the cycle, drawn as text (first few violations per rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

impl Violation {
    /// A violation at `cycle`.
    pub fn new(cycle: u64, message: String) -> Self {
        Violation {
            cycle,
            time_ns: cycle * PERIOD_NS,
            message,
            cpu: None,
            routine: None,
            signals: Vec::new(),
            excerpt: None,
        }
    }

    /// Names the CPU and the routine it ran.
    pub fn on(mut self, cpu: usize, routine: Option<Routine>) -> Self {
        self.cpu = u8::try_from(cpu).ok();
        self.routine = routine.map(Routine::name);
        self
    }

    /// Names the signals involved.
    pub fn signals(mut self, s: &[&'static str]) -> Self {
        self.signals = s.to_vec();
        self
    }
}

/// A rule: reads frames, collects violations.
pub trait Rule {
    /// The rule's name, as in reports and in a broken variant's `breaks`.
    fn name(&self) -> &'static str;
    /// One cycle, with the data phase the decoder saw complete in it and the BARs as
    /// configured.
    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>);
    /// End of the waveform.
    fn finish(&mut self, _last_cycle: u64) {}
    /// Number of events the rule checked (ISRs, bursts, ...).
    fn checked(&self) -> u64;
    /// Violations so far.
    fn violations(&self) -> &[Violation];
    /// Violations so far, for the checker to attach excerpts to.
    fn violations_mut(&mut self) -> &mut Vec<Violation>;
}

/// The verdict on one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleReport {
    /// Rule name.
    pub name: String,
    /// `pass` or `fail`.
    pub verdict: &'static str,
    /// Events checked.
    pub checked: u64,
    /// The rule checked something. A rule that checked nothing has not passed: it fails
    /// unless the run declared it not exercised ([`judge_exercised`]).
    pub exercised: bool,
    /// Every violation, first first.
    pub violations: Vec<Violation>,
}

/// No vacuous pass: every rule that checked nothing fails, with a violation at
/// `last_cycle` that says so, unless `not_exercised` (the scenario's declaration) names it.
pub fn judge_exercised(rules: &mut [RuleReport], not_exercised: &[&str], last_cycle: u64) {
    for r in rules.iter_mut().filter(|r| r.checked == 0) {
        r.exercised = false;
        if not_exercised.contains(&r.name.as_str()) {
            continue;
        }
        r.verdict = "fail";
        r.violations.push(Violation::new(
            last_cycle,
            format!(
                "{} checked nothing in a run that should have exercised it: a rule that judged nothing has not \
                 passed (a scenario that cannot exercise it declares so)",
                r.name
            ),
        ));
    }
}

/// Violations per rule that get a waveform excerpt (memory stays flat on long runs).
pub const EXCERPTS_PER_RULE: usize = 3;
/// Frames kept for excerpts: enough for a violation reported a little after its cycle.
const HISTORY: usize = 256;

/// An excerpt waiting for the frames after its cycle.
struct PendingExcerpt {
    rule: usize,
    index: usize,
    cycle: u64,
}

/// Progress callback for long runs: called with the cycle every [`PROGRESS_EVERY`] cycles.
pub type ProgressFn = Box<dyn FnMut(u64)>;
/// Cycles between progress callbacks.
pub const PROGRESS_EVERY: u64 = 1 << 16;

thread_local! {
    /// Progress reporter the next [`Checker::for_dirql`] on this thread picks up. A hook
    /// for the CLI: the checker of a run is built inside `scenario::run`.
    static NEXT_PROGRESS: RefCell<Option<ProgressFn>> = const { RefCell::new(None) };
    /// Interrupt timing of the last checker finished on this thread (see
    /// [`take_last_timing`]).
    static LAST_TIMING: RefCell<Option<TimingStats>> = const { RefCell::new(None) };
}

/// Makes the next checker built on this thread report progress through `f`.
pub fn set_next_progress(f: ProgressFn) {
    NEXT_PROGRESS.with(|p| *p.borrow_mut() = Some(f));
}

/// The interrupt timing of the last checker finished on this thread.
pub fn take_last_timing() -> Option<TimingStats> {
    LAST_TIMING.with(|t| t.borrow_mut().take())
}

/// All rules over one waveform.
pub struct Checker {
    decoder: PciDecoder,
    rules: Vec<Box<dyn Rule>>,
    seen: Vec<usize>,
    history: std::collections::VecDeque<Frame>,
    pending: Vec<PendingExcerpt>,
    timing: TimingStats,
    progress: Option<ProgressFn>,
    last_cycle: u64,
}

impl Checker {
    /// Every rule, for the dirql adapter.
    pub fn for_dirql() -> Self {
        let p = DeviceProfile::dirql();
        let mut c = Checker::new(vec![
            Box::new(IsrOwnership::new(p.clone())),
            Box::new(IsrDismissal::new(p.clone())),
            Box::new(NoSpuriousReentry::new()),
            Box::new(NoLostInterrupt::new(p.clone())),
            Box::new(SyncIsolation::new(p.clone())),
            Box::new(BurstIntegrity::new()),
            Box::new(RegisterIntegrity::new(p.clone())),
            Box::new(PciProtocol::new()),
            Box::new(IrqlDiscipline::new(10 * 33)),
            Box::new(InterruptLatency::new(p.clone())),
            Box::new(TimeBudget::new(p.clone())),
        ]);
        c.decoder = PciDecoder::with_msi_cap(p.msi_cap_offset);
        c.timing = TimingStats::new(p);
        c.progress = NEXT_PROGRESS.with(|n| n.borrow_mut().take());
        c
    }

    /// A checker running `rules`.
    pub fn new(rules: Vec<Box<dyn Rule>>) -> Self {
        let n = rules.len();
        Checker {
            decoder: PciDecoder::default(),
            rules,
            seen: vec![0; n],
            history: std::collections::VecDeque::with_capacity(HISTORY),
            pending: Vec::new(),
            timing: TimingStats::new(DeviceProfile::dirql()),
            progress: None,
            last_cycle: 0,
        }
    }

    /// One cycle.
    #[inline]
    pub fn feed(&mut self, f: &Frame) {
        let ph = self.decoder.feed(f);
        let ctx = Ctx {
            phase: ph.as_ref(),
            bar0: self.decoder.bar0(),
            bar1: self.decoder.bar1(),
            intx_allowed: self.decoder.intx_allowed(),
            msi_enabled: self.decoder.msi_enabled(),
        };
        for (i, r) in self.rules.iter_mut().enumerate() {
            r.on_frame(f, &ctx);
            let n = r.violations().len();
            if n > self.seen[i] {
                for index in self.seen[i]..n.min(EXCERPTS_PER_RULE) {
                    let cycle = r.violations()[index].cycle;
                    self.pending.push(PendingExcerpt { rule: i, index, cycle });
                }
                self.seen[i] = n;
            }
        }
        self.timing.on_frame(f, &ctx);
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(*f);
        if !self.pending.is_empty() {
            self.flush_excerpts(f.cycle, false);
        }
        self.last_cycle = f.cycle;
        if f.cycle.is_multiple_of(PROGRESS_EVERY) {
            if let Some(p) = self.progress.as_mut() {
                p(f.cycle);
            }
        }
    }

    fn flush_excerpts(&mut self, now: u64, all: bool) {
        let mut i = 0;
        while i < self.pending.len() {
            let p = &self.pending[i];
            if all || now >= p.cycle + EXCERPT_HALF_WIDTH {
                let p = self.pending.swap_remove(i);
                let v = &mut self.rules[p.rule].violations_mut()[p.index];
                let sigs = if v.signals.is_empty() {
                    &["dev_inta_n", "cpu0_routine", "cpu1_routine"][..]
                } else {
                    &v.signals[..]
                };
                v.excerpt = Some(draw_excerpt(self.history.iter(), p.cycle, sigs));
            } else {
                i += 1;
            }
        }
    }

    /// Ends the waveform and returns the verdicts, rule by rule.
    pub fn finish(self) -> Vec<RuleReport> {
        let (rules, timing) = self.finish_all();
        LAST_TIMING.with(|t| *t.borrow_mut() = Some(timing));
        rules
    }

    /// Ends the waveform; the verdicts and the interrupt timing statistics.
    pub fn finish_all(mut self) -> (Vec<RuleReport>, TimingStats) {
        let last = self.last_cycle;
        for r in &mut self.rules {
            r.finish(last);
        }
        // Violations a rule found at the end get an excerpt of what history is left.
        for (i, r) in self.rules.iter().enumerate() {
            for index in self.seen[i]..r.violations().len().min(EXCERPTS_PER_RULE) {
                self.pending.push(PendingExcerpt { rule: i, index, cycle: r.violations()[index].cycle });
            }
        }
        self.flush_excerpts(last, true);
        self.timing.finish(last);
        let reports = self
            .rules
            .iter_mut()
            .map(|r| {
                let mut violations = r.violations().to_vec();
                violations.sort_by_key(|v| v.cycle);
                RuleReport {
                    name: r.name().to_string(),
                    verdict: if violations.is_empty() { "pass" } else { "fail" },
                    checked: r.checked(),
                    exercised: r.checked() > 0,
                    violations,
                }
            })
            .collect();
        (reports, self.timing)
    }

    /// Last cycle fed.
    pub fn last_cycle(&self) -> u64 {
        self.last_cycle
    }
}

/// Per-CPU ISR bookkeeping several rules share: entry cycle and entry edge detection.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IsrSpan {
    /// Cycle the ISR was entered, while it runs.
    pub entered: Option<u64>,
}

impl IsrSpan {
    /// Updates from one frame; returns true on the entry cycle.
    pub fn update(&mut self, f: &Frame, cpu: usize) -> bool {
        let r = f.routine_of(cpu);
        let in_isr =
            matches!(r, Some(Routine::Isr | Routine::Spin)) && (self.entered.is_some() || r == Some(Routine::Isr));
        if in_isr && self.entered.is_none() {
            self.entered = Some(f.cycle);
            return true;
        }
        if !in_isr {
            self.entered = None;
        }
        false
    }
}

/// The device IRQL as shown by ISRs (the lowest IRQL an ISR ran at), or the profile's
/// default before the first ISR.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DeviceIrql(pub Option<u8>, pub u8);

impl DeviceIrql {
    pub fn update(&mut self, f: &Frame) {
        for cpu in 0..TRACED_CPUS {
            if f.routine_of(cpu) == Some(Routine::Isr) && f.irql[cpu] > 2 {
                self.0 = Some(self.0.map_or(f.irql[cpu], |d| d.min(f.irql[cpu])));
            }
        }
    }
    pub fn get(&self) -> u8 {
        self.0.unwrap_or(self.1)
    }
}
