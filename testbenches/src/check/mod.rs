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
//! | `pci-protocol` | [`pci_protocol`] |
//! | `irql-discipline` | [`irql_discipline`] |
//! | `interrupt-latency` | [`interrupt_latency`] |
//! | `time-budget` | [`time_budget`] |
//! | `dma-ordering` | [`dma_ordering`] |
//! | `deferred-work` | [`deferred_work`] |

mod burst_integrity;
mod decode;
mod deferred_work;
mod dma_ordering;
mod excerpt;
mod fst_source;
mod interrupt_latency;
mod irql_discipline;
mod isr_dismissal;
mod isr_ownership;
mod lost_interrupt;
mod pci_protocol;
mod reentry;
mod request_completion;
mod signal_map;
mod signal_table;
mod sync_isolation;
mod time_budget;
mod timing;
mod vcd_source;

use dirql_sim::{Command, Frame, Routine, PERIOD_NS};
use serde::Serialize;

pub use burst_integrity::BurstIntegrity;
pub use decode::{DataPhase, PciDecoder};
pub use deferred_work::DeferredWork;
pub use dma_ordering::DmaOrdering;
pub use excerpt::{draw_excerpt, excerpt_signals, excerpt_value, is_bit, signal_value, EXCERPT_HALF_WIDTH};
pub use fst_source::{hierarchy_file_of, read_fst, read_fst_recovering, FstError, FstRead, FstRecovery};
pub use interrupt_latency::InterruptLatency;
pub use irql_discipline::IrqlDiscipline;
pub use isr_dismissal::IsrDismissal;
pub use isr_ownership::IsrOwnership;
pub use lost_interrupt::NoLostInterrupt;
pub use pci_protocol::{pci_parity, PciProtocol};
pub use reentry::NoSpuriousReentry;
pub use request_completion::RequestCompletion;
pub use signal_map::required_signals;
pub use signal_table::{Need, Signal, TABLE as SIGNAL_TABLE};
pub use sync_isolation::SyncIsolation;
pub use time_budget::TimeBudget;
pub use timing::{Distribution, SourceTiming, TimingStats};
pub use vcd_source::{read_vcd, read_vcd_with_crate, VcdError};

/// Virtual CPUs the wrapper traces (the length of [`Frame::irql`]; checked at compile time
/// below because `dirql_sim` keeps its own constant private).
pub const TRACED_CPUS: usize = 2;
const _: fn(Frame) -> [u8; TRACED_CPUS] = |f| f.irql;

/// A base address register the device implements, as the profile declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarDecl {
    /// Its size in bytes (a power of two).
    pub size: u32,
    /// An I/O BAR (else memory).
    pub io: bool,
}

/// A ring of descriptors in host memory that the driver hands to the device through a
/// tail (doorbell) register, as the profile declares it (`dma-ordering` (b)). The device
/// owns the slots from its head (where it starts after reset, slot 0) up to the tail,
/// exclusive: head = tail means it owns none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingDecl {
    /// Its name in messages.
    pub name: &'static str,
    /// The register the driver writes the ring's base address to.
    pub base: Target,
    /// The register the driver writes its size (in descriptors) to.
    pub size: Target,
    /// The doorbell: the driver writes one past the last slot it hands over.
    pub tail: Target,
    /// Bytes per descriptor.
    pub desc_bytes: u32,
    /// The sources (by bit of [`DeviceProfile::raw`]) the device raises once it has written
    /// a slot of this ring back.
    pub sources: u32,
}

/// A state of a device's timed programming window, as its probe shows it
/// ([`DeviceProfile::timed_window`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Closed: no sequence in progress.
    Closed,
    /// Open: the sequence's writes must land now.
    Open,
    /// The window committed the sequence in this cycle.
    Committed,
    /// The window aborted the sequence (its timing was violated).
    Aborted,
}

/// What the rules need to know about the device under test: the facts a device declares
/// beside its register map, and how its probes show its interrupt state. The core's rules
/// read nothing else of a device.
#[derive(Clone, Copy, Debug)]
pub struct DeviceProfile {
    /// The register an ISR acknowledges interrupts in, by name, for messages.
    pub ack_name: &'static str,
    /// The BARs the device implements, BAR0 first (`None`: not implemented).
    pub bars: &'static [Option<BarDecl>],
    /// The sources a write acknowledges (0: it is no acknowledgement). `state` is the
    /// device's own scratch across writes (e.g. an index register's last value).
    pub acknowledges: fn(state: &mut u32, target: Target, phase: &DataPhase) -> u32,
    /// Registers an ISR may also read on the FALSE path, besides status (the enable mask).
    pub benign_reads: &'static [Target],
    /// A register's name for messages (`None`: the core writes BAR and offset).
    pub register_name: fn(Target) -> Option<String>,
    /// Device IRQL assumed until an ISR shows the real one (any level above DISPATCH).
    pub default_dirql: u8,
    /// Cycles an interrupt may wait for delivery once nothing excludes its ISR.
    pub delivery_bound: u64,
    /// With MSI: the source an MSI vector signals is its low bits under this mask.
    pub msi_source_mask: u8,
    /// Names of the interrupt sources, by bit of [`DeviceProfile::raw`].
    pub sources: &'static [&'static str],
    /// The device's latched sources exactly as its status probe shows them.
    pub latched: fn(&Frame) -> u32,
    /// The sources latched in the device this cycle (from its probes), after any
    /// device-specific hold.
    pub raw: fn(&Frame) -> u32,
    /// The sources enabled in the device this cycle (from its probes).
    pub enabled: fn(&Frame) -> u32,
    /// The source events the device's interrupt block receives this cycle with its latch
    /// armed (its inputs, probed apart from its state): each must show in
    /// [`DeviceProfile::raw`] the next cycle.
    pub events: fn(&Frame) -> u32,
    /// The source events the device's interrupt block receives this cycle while the
    /// driver holds that source's latch clear (e.g. a display adapter's index-register hold):
    /// they latch nothing, so one outside an ISR's dismissal is an interrupt lost
    /// (`no-lost-interrupt` (k)).
    pub held_events: fn(&Frame) -> u32,
    /// The sources that may interrupt this cycle: latched, enabled, and not held back by a
    /// device-specific gate.
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
    /// Longest a DPC an ISR queued may wait to run, from the ISR's return to its first
    /// cycle on that CPU (`deferred-work`; by default the DPC budget: one DPC ahead of it
    /// running to its own bound).
    pub dpc_latency_cycles: u64,
    /// The sources whose service the driver finishes in its DPC: an ISR that claims the
    /// interrupt having seen one of them (enabled, at a status read before its first write)
    /// must queue its DPC (`deferred-work`). 0: nothing judged.
    pub deferred_sources: u32,
    /// Read-write interrupt registers and the probe that shows them: (register, probe
    /// index, implemented bits). A write must show in the probe the next cycle.
    pub rw_probes: &'static [(Target, usize, u32)],
    /// Registers the ISR shares with the driver's other routines, declared; the rules
    /// also learn the ones the ISR touches in the run.
    pub isr_shared: &'static [Target],
    /// The device's timed programming window, when it has one: its state from the probes.
    pub timed_window: Option<fn(&Frame) -> Window>,
    /// The device probes' names, by index (the waveform's and the excerpts' names).
    pub probes: &'static [&'static str],
    /// Signals the device shows for a role a generic rule names in its excerpts:
    /// `@gates` (what holds or gates its interrupt sources), `@window` (its timed window).
    pub roles: &'static [(&'static str, &'static [&'static str])],
    /// The descriptor rings the device reads and writes by DMA in host memory (none: the
    /// device masters no descriptors).
    pub rings: &'static [RingDecl],
    /// Longest a request the OS hands the miniport (HwVidStartIO) may take, issue to
    /// completion, in cycles (`request-completion`).
    pub request_budget_cycles: u64,
}

/// A profile with no BARs and no sources: what [`Checker::new`] judges bus-level rules with.
pub const NO_DEVICE: DeviceProfile = DeviceProfile {
    ack_name: "(none)",
    bars: &[],
    acknowledges: |_, _, _| 0,
    benign_reads: &[],
    register_name: |_| None,
    default_dirql: 3,
    delivery_bound: 1000,
    msi_source_mask: 0,
    sources: &[],
    latched: |_| 0,
    raw: |_| 0,
    enabled: |_| 0,
    events: |_| 0,
    held_events: |_| 0,
    pending: |_| 0,
    status_shows: |_, _, _| None,
    msi_cap_offset: None,
    assert_latency: 1,
    dismiss_latency: 1,
    isr_budget_cycles: ISR_BUDGET_NS / PERIOD_NS,
    dpc_budget_cycles: DPC_BUDGET_NS / PERIOD_NS,
    dpc_latency_cycles: DPC_BUDGET_NS / PERIOD_NS,
    deferred_sources: 0,
    rw_probes: &[],
    isr_shared: &[],
    timed_window: None,
    probes: &[],
    roles: &[],
    rings: &[],
    request_budget_cycles: REQUEST_BUDGET_NS / PERIOD_NS,
};

/// Microsoft's guidance for an ISR's run time (25 µs) in PCI clocks of [`PERIOD_NS`].
pub const ISR_BUDGET_NS: u64 = 25_000;
/// Microsoft's guidance for a DPC's run time (100 µs).
pub const DPC_BUDGET_NS: u64 = 100_000;
/// The default bound on a request's completion (1 ms): the run fails a request that takes
/// longer, or never completes (`request-completion`).
pub const REQUEST_BUDGET_NS: u64 = 1_000_000;

impl DeviceProfile {
    /// The sources the MSI `vector` stands for, as a mask of source bits.
    pub fn message_sources(&self, vector: u8) -> u32 {
        1u32.checked_shl(u32::from(vector & self.msi_source_mask)).unwrap_or(0)
    }

    /// The names of the sources in `mask`, joined by `|`.
    pub fn source_names(&self, mask: u32) -> String {
        let names: Vec<String> = (0..32)
            .filter(|b| mask & (1 << b) != 0)
            .map(|b| self.sources.get(b).map_or_else(|| format!("source{b}"), |s| s.to_string()))
            .collect();
        if names.is_empty() {
            "no source".into()
        } else {
            names.join("|")
        }
    }

    /// A register's name for messages.
    pub fn describe(&self, t: Target) -> String {
        (self.register_name)(t).unwrap_or_else(|| match t {
            Target::Bar(b, o) => format!("BAR{b}+{o:#x}"),
            Target::Config => "configuration space".into(),
            Target::Other => "another target".into(),
        })
    }
}

/// The address space a data phase went to, from the BARs configuration software wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// A BAR of the device (index), offset inside it.
    Bar(u8, u32),
    /// A configuration access.
    Config,
    /// Anything else (a BAR the profile does not declare, MSI, host memory, unknown).
    Other,
}

/// What every rule sees besides the frame: the decoded bus.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ctx<'a> {
    /// The data phase that completed this cycle.
    pub phase: Option<&'a DataPhase>,
    /// BAR0..BAR5 as configured (flag bits as written).
    pub bars: [Option<u32>; 6],
    /// The device's BARs as declared.
    pub decl: &'a [Option<BarDecl>],
    /// The device may use INTA# (Interrupt Disable clear, MSI off), as configured.
    pub intx_allowed: bool,
    /// MSI is enabled, as configured.
    pub msi_enabled: bool,
}

impl Ctx<'_> {
    /// Where a data phase went.
    pub fn target(&self, ph: &DataPhase) -> Target {
        use Command::*;
        let io = match ph.cmd {
            Some(ConfigRead | ConfigWrite) => return Target::Config,
            Some(MemRead | MemWrite | MemReadLine | MemReadMultiple | MemWriteInvalidate) => false,
            Some(IoRead | IoWrite) => true,
            _ => return Target::Other,
        };
        if ph.by_device {
            // The device's own accesses (MSI, DMA) go to the host, never to its BARs.
            return Target::Other;
        }
        for (i, d) in self.decl.iter().enumerate().take(6) {
            let (Some(d), Some(base)) = (d, self.bars[i]) else { continue };
            // Bits [1:0] of an I/O BAR and [3:0] of a memory BAR are flags (PCI 3.0 §6.2.5.1).
            let base = if d.io { base & !0x3 } else { base & !0xF };
            if d.io == io && ph.addr.wrapping_sub(base) < d.size {
                return Target::Bar(i as u8, ph.addr - base);
            }
        }
        Target::Other
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

/// One violation of a rule. Two are equal when all but their [`Violation::window`] are:
/// the window is what the excerpt was drawn from, and a live frame may hold what its
/// waveform does not (the excerpt, drawn from the signals, is compared).
#[derive(Clone, Debug, Serialize)]
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
    /// Signals to look at (names as in [`SIGNAL_TABLE`]).
    pub signals: Vec<&'static str>,
    /// The waveform around the cycle, drawn as text (first few violations per rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// The frames the excerpt was drawn from, [`WINDOW_BEFORE`] cycles before the cycle to
    /// [`WINDOW_AFTER`] after, for a drawn excerpt (the HTML report); not in `--json`.
    #[serde(skip)]
    pub window: Vec<Frame>,
}

impl PartialEq for Violation {
    fn eq(&self, o: &Self) -> bool {
        (self.cycle, self.time_ns, &self.message, self.cpu, self.routine, &self.signals, &self.excerpt)
            == (o.cycle, o.time_ns, &o.message, o.cpu, o.routine, &o.signals, &o.excerpt)
    }
}
impl Eq for Violation {}

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
            window: Vec::new(),
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
    /// A quiet repeat ([`is_quiet_repeat`]): a cycle whose frame equals the previous one in
    /// every signal (only `cycle` differs), with no data phase in either, no pulse and reset
    /// released. It must leave the rule exactly as [`Rule::on_frame`] would; a rule
    /// overrides it only with a proof that it does (most of a run is such cycles: the bus
    /// idle, every CPU inside modelled work). The profile's frame functions read signals,
    /// never the cycle, so they give the previous frame's values too.
    fn on_repeat(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        self.on_frame(f, ctx);
    }
    /// How long quiet repeats of `f` may skip this rule, as it stands now: the last cycle
    /// `U` such that any run of quiet repeats of `f` (its signals, consecutive cycles, each
    /// at a cycle `<= U`) leaves the rule exactly as one [`Rule::on_repeat`] of the run's
    /// last frame alone would. The checker then calls `on_repeat` once, for the last frame it
    /// skipped, before the rule sees any other frame (or at the end); a rule whose repeats
    /// change nothing returns `u64::MAX`, one that stamps the cycle of the latest repeat
    /// (`last_released = f.cycle`) too, and one that counts cycles returns the last cycle
    /// before its next deadline, so that it still sees the deadline's frame itself. The
    /// default, 0, claims nothing: every repeat goes through `on_repeat`. Asked once per run
    /// of repeats (and again after each repeat the rule was given), never per skipped frame.
    fn quiet_until(&self, _f: &Frame) -> u64 {
        0
    }
    /// End of the waveform.
    fn finish(&mut self, _last_cycle: u64) {}
    /// What it checked and found so far.
    fn ledger(&self) -> &Ledger;
    /// The same, for the rule's own bookkeeping and the checker's excerpts.
    fn ledger_mut(&mut self) -> &mut Ledger;
}

/// The one bookkeeping every rule keeps: how many events it judged (ISRs, bursts, data
/// phases, ...) and what it found wrong.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// Events judged.
    pub checked: u64,
    /// Violations, in the order found.
    pub violations: Vec<Violation>,
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
/// Cycles before a violation's that [`Violation::window`] keeps.
pub const WINDOW_BEFORE: u64 = 12;
/// Cycles after a violation's that [`Violation::window`] keeps (at least
/// [`EXCERPT_HALF_WIDTH`]: the text excerpt is drawn from the same frames).
pub const WINDOW_AFTER: u64 = 10;
const _: () = assert!(WINDOW_AFTER >= EXCERPT_HALF_WIDTH && WINDOW_BEFORE >= EXCERPT_HALF_WIDTH);

/// An excerpt waiting for the frames after its cycle.
struct PendingExcerpt {
    rule: usize,
    index: usize,
    cycle: u64,
}

/// A quiet repeat ([`Rule::on_repeat`]): `f` equals `prev` in every signal but the cycle,
/// reset is released, and it carries none of the one-cycle pulses (an ISR return, an MSI
/// taken, a delivery or end of interrupt at the controller). The caller also knows that
/// neither frame completed a data phase, so the decoded context is the same for both.
#[inline]
pub fn is_quiet_repeat(prev: &Frame, f: &Frame) -> bool {
    f.rst_n
        && f.isr_ret == 0
        && f.msi == 0
        && f.pic & (dirql_sim::PIC_DELIVER | dirql_sim::PIC_EOI) == 0
        && Frame { cycle: f.cycle, ..*prev } == *f
}

/// Progress callback for long runs: called with the cycle every [`PROGRESS_EVERY`] cycles.
pub type ProgressFn = Box<dyn FnMut(u64)>;
/// Cycles between progress callbacks.
pub const PROGRESS_EVERY: u64 = 1 << 16;

/// All rules over one waveform.
pub struct Checker {
    decoder: PciDecoder,
    profile: &'static DeviceProfile,
    rules: Vec<Box<dyn Rule>>,
    seen: Vec<usize>,
    history: std::collections::VecDeque<Frame>,
    pending: Vec<PendingExcerpt>,
    timing: TimingStats,
    progress: Option<ProgressFn>,
    last_cycle: u64,
    /// The previous frame completed a data phase (its successor is then no quiet repeat).
    prev_phase: bool,
    /// Quiet repeats take [`Rule::on_repeat`] (off: every frame through `on_frame`).
    quiet_path: bool,
    /// Two-slot runs: the checker of the device in slot 1 and its name; both then judge
    /// their own slot's view of each frame ([`Frame::view`]).
    partner: Option<(&'static str, Box<Checker>)>,
    /// Per rule, within a run of quiet repeats: the cycle up to which it skips them
    /// ([`Rule::quiet_until`]; `None`: not asked yet in this run).
    until: Vec<Option<u64>>,
    /// The smallest of `until` once every rule has been asked (`None` before): a repeat at
    /// or below it is skipped by every rule at the cost of one comparison.
    all_until: Option<u64>,
    /// Rules that skipped a repeat not yet given to them (its last frame is
    /// `history.back()`, its context `repeat_ctx`).
    deferred: Vec<bool>,
    any_deferred: bool,
    /// Every entry of `deferred` is set (the all-skip path marked them at once).
    all_deferred: bool,
    /// A run of quiet repeats is under way (`until` holds answers of this run).
    in_run: bool,
    /// The context of the skipped repeats (no data phase; the configuration as then).
    repeat_ctx: ([Option<u32>; 6], bool, bool),
}

/// The generic rules, for a device described by `p`.
pub fn generic_rules(p: &'static DeviceProfile) -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(IsrOwnership::new(*p)),
        Box::new(IsrDismissal::new(*p)),
        Box::new(NoSpuriousReentry::new()),
        Box::new(NoLostInterrupt::new(*p)),
        Box::new(SyncIsolation::new(*p)),
        Box::new(BurstIntegrity::new(*p)),
        Box::new(PciProtocol::new()),
        Box::new(IrqlDiscipline::new(10 * 33)),
        Box::new(InterruptLatency::new(*p)),
        Box::new(TimeBudget::new(*p)),
        Box::new(DmaOrdering::new(*p)),
        Box::new(DeferredWork::new(*p)),
        Box::new(RequestCompletion::new(*p)),
    ]
}

impl Checker {
    /// Every rule for `device`: the generic ones, then the device's own.
    pub fn for_device(device: &dyn crate::device::Device) -> Self {
        let p = device.profile();
        let mut rules = generic_rules(p);
        rules.extend(device.own_rules());
        Checker::with_rules(p, rules)
    }

    /// A checker running `rules` for the device described by `p`.
    pub fn with_rules(p: &'static DeviceProfile, rules: Vec<Box<dyn Rule>>) -> Self {
        let mut c = Checker::new(rules);
        c.decoder = PciDecoder::with_msi_cap(p.msi_cap_offset);
        c.profile = p;
        c.timing = TimingStats::new(*p);
        c
    }

    /// Judges a two-slot waveform: this checker slot 0's view of each cycle, the rules of
    /// `partner` (the device in slot 1) slot 1's (frames with `slot` 1, [`Frame::views`]),
    /// reported as `<partner>:<rule>`. Without a partner, slot 1's frames are ignored.
    pub fn with_partner(mut self, partner: &'static dyn crate::device::Device) -> Self {
        let mut p = Checker::for_device(partner);
        p.quiet_path = self.quiet_path;
        self.partner = Some((partner.name(), Box::new(p)));
        self
    }

    /// Reports progress through `f` every [`PROGRESS_EVERY`] cycles.
    pub fn with_progress(mut self, f: Option<ProgressFn>) -> Self {
        self.progress = f;
        self
    }

    /// A checker running `rules`, with no device facts (no BARs, no sources): for tests of
    /// bus-level rules.
    pub fn new(rules: Vec<Box<dyn Rule>>) -> Self {
        let n = rules.len();
        Checker {
            decoder: PciDecoder::default(),
            profile: &NO_DEVICE,
            rules,
            seen: vec![0; n],
            history: std::collections::VecDeque::with_capacity(HISTORY),
            pending: Vec::new(),
            timing: TimingStats::new(NO_DEVICE),
            progress: None,
            last_cycle: 0,
            prev_phase: true,
            quiet_path: true,
            partner: None,
            until: vec![None; n],
            all_until: None,
            deferred: vec![false; n],
            any_deferred: false,
            all_deferred: false,
            in_run: false,
            repeat_ctx: ([None; 6], false, false),
        }
    }

    /// Every frame through [`Rule::on_frame`], quiet repeats too: the reference the quiet
    /// path is tested against (the verdicts must be the same).
    pub fn without_quiet_path(mut self) -> Self {
        self.quiet_path = false;
        if let Some((_, p)) = self.partner.as_mut() {
            p.quiet_path = false;
        }
        self
    }

    /// One cycle.
    #[inline]
    pub fn feed(&mut self, f: &Frame) {
        if f.slot == 0 {
            self.feed_slot(f);
        } else if let Some((_, p)) = self.partner.as_mut() {
            p.feed_slot(f);
        }
    }

    fn feed_slot(&mut self, f: &Frame) {
        let ph = self.decoder.feed(f);
        let quiet = self.quiet_path
            && ph.is_none()
            && !self.prev_phase
            && self.history.back().is_some_and(|prev| is_quiet_repeat(prev, f));
        self.prev_phase = ph.is_some();
        if !quiet {
            // The run of repeats is over: each rule that skipped some gets the last one.
            if self.any_deferred {
                self.give_deferred(None);
            }
            if self.in_run {
                self.until.iter_mut().for_each(|u| *u = None);
                self.all_until = None;
                self.in_run = false;
            }
        } else if self.all_until.is_some_and(|u| f.cycle <= u) {
            // Every rule skips it.
            if !self.all_deferred {
                self.defer_all();
            }
            self.skipped(f);
            return;
        }
        let ctx = Ctx {
            phase: ph.as_ref(),
            bars: self.decoder.bars(),
            decl: self.profile.bars,
            intx_allowed: self.decoder.intx_allowed(),
            msi_enabled: self.decoder.msi_enabled(),
        };
        if quiet {
            self.in_run = true;
            let mut lowest = u64::MAX;
            for i in 0..self.rules.len() {
                let u = match self.until[i] {
                    Some(u) => u,
                    None => {
                        let u = self.rules[i].quiet_until(f);
                        self.until[i] = Some(u);
                        u
                    }
                };
                if f.cycle <= u {
                    if !self.any_deferred {
                        self.repeat_ctx = (ctx.bars, ctx.intx_allowed, ctx.msi_enabled);
                        self.any_deferred = true;
                    }
                    self.deferred[i] = true;
                    lowest = lowest.min(u);
                    continue;
                }
                if self.deferred[i] {
                    self.give_deferred(Some(i));
                }
                self.rules[i].on_repeat(f, &ctx);
                self.note_violations(i);
                let u = self.rules[i].quiet_until(f);
                self.until[i] = Some(u);
                lowest = lowest.min(u);
            }
            self.all_until = Some(lowest);
        } else {
            for i in 0..self.rules.len() {
                self.rules[i].on_frame(f, &ctx);
                self.note_violations(i);
            }
        }
        // A quiet repeat changes no timing state (timing.rs: no edge, no phase, no return).
        if !quiet {
            self.timing.on_frame(f, &ctx);
        }
        self.skipped(f);
    }

    /// What every frame does after the rules: history, excerpts, progress.
    #[inline]
    fn skipped(&mut self, f: &Frame) {
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

    /// Queues excerpts of rule `i`'s new violations.
    #[inline]
    fn note_violations(&mut self, i: usize) {
        let n = self.rules[i].ledger().violations.len();
        if n > self.seen[i] {
            for index in self.seen[i]..n.min(EXCERPTS_PER_RULE) {
                let cycle = self.rules[i].ledger().violations[index].cycle;
                self.pending.push(PendingExcerpt { rule: i, index, cycle });
            }
            self.seen[i] = n;
        }
    }

    /// Gives the last skipped repeat (`history.back()`) to rule `only`, or to every rule
    /// that skipped one: what [`Rule::quiet_until`] promised equals the whole run of them.
    #[cold]
    #[inline(never)]
    fn give_deferred(&mut self, only: Option<usize>) {
        let Some(last) = self.history.back().copied() else { return };
        let (bars, intx_allowed, msi_enabled) = self.repeat_ctx;
        let ctx = Ctx { phase: None, bars, decl: self.profile.bars, intx_allowed, msi_enabled };
        for i in 0..self.rules.len() {
            if self.deferred[i] && only.is_none_or(|o| o == i) {
                self.deferred[i] = false;
                self.rules[i].on_repeat(&last, &ctx);
                self.note_violations(i);
            }
        }
        self.any_deferred = self.deferred.iter().any(|&d| d);
        self.all_deferred = false;
    }

    /// Marks every rule as having skipped the current repeat (the all-skip path).
    #[cold]
    #[inline(never)]
    fn defer_all(&mut self) {
        if !self.any_deferred {
            self.repeat_ctx = (self.decoder.bars(), self.decoder.intx_allowed(), self.decoder.msi_enabled());
            self.any_deferred = true;
        }
        self.deferred.iter_mut().for_each(|d| *d = true);
        self.all_deferred = true;
    }

    // Rare (a violation's excerpt): kept out of `feed_slot`, whose per-cycle path the
    // compiler then inlines as before (callgrind: docs/perf.md, issue 17).
    #[cold]
    #[inline(never)]
    fn flush_excerpts(&mut self, now: u64, all: bool) {
        let mut i = 0;
        while i < self.pending.len() {
            let p = &self.pending[i];
            if all || now >= p.cycle + WINDOW_AFTER {
                let p = self.pending.swap_remove(i);
                let v = &mut self.rules[p.rule].ledger_mut().violations[p.index];
                let sigs = if v.signals.is_empty() {
                    &["dev_inta_n", "cpu0_routine", "cpu1_routine"][..]
                } else {
                    &v.signals[..]
                };
                v.excerpt = Some(draw_excerpt(self.history.iter(), p.cycle, sigs, self.profile));
                let lo = p.cycle.saturating_sub(WINDOW_BEFORE);
                v.window = self
                    .history
                    .iter()
                    .filter(|f| f.cycle >= lo && f.cycle <= p.cycle + WINDOW_AFTER)
                    .copied()
                    .collect();
            } else {
                i += 1;
            }
        }
    }

    /// Ends the waveform and returns the verdicts, rule by rule.
    pub fn finish(self) -> Vec<RuleReport> {
        self.finish_all().0
    }

    /// Ends the waveform; the verdicts and the interrupt timing statistics.
    pub fn finish_all(mut self) -> (Vec<RuleReport>, TimingStats) {
        let partner = self.partner.take().map(|(name, p)| (name, p.finish_all().0));
        let (mut reports, timing) = self.finish_slot();
        if let Some((name, theirs)) = partner {
            reports.extend(theirs.into_iter().map(|r| RuleReport { name: format!("{name}:{}", r.name), ..r }));
        }
        (reports, timing)
    }

    fn finish_slot(mut self) -> (Vec<RuleReport>, TimingStats) {
        if self.any_deferred {
            self.give_deferred(None);
        }
        let last = self.last_cycle;
        for r in &mut self.rules {
            r.finish(last);
        }
        // Violations a rule found at the end get an excerpt of what history is left.
        for (i, r) in self.rules.iter().enumerate() {
            for index in self.seen[i]..r.ledger().violations.len().min(EXCERPTS_PER_RULE) {
                self.pending.push(PendingExcerpt { rule: i, index, cycle: r.ledger().violations[index].cycle });
            }
        }
        self.flush_excerpts(last, true);
        self.timing.finish(last);
        let reports = self
            .rules
            .iter_mut()
            .map(|r| {
                let mut violations = r.ledger().violations.clone();
                violations.sort_by_key(|v| v.cycle);
                RuleReport {
                    name: r.name().to_string(),
                    verdict: if violations.is_empty() { "pass" } else { "fail" },
                    checked: r.ledger().checked,
                    exercised: r.ledger().checked > 0,
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
pub struct IsrSpan {
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
pub struct DeviceIrql(pub Option<u8>, pub u8);

impl DeviceIrql {
    /// Learns from one frame.
    pub fn update(&mut self, f: &Frame) {
        for cpu in 0..TRACED_CPUS {
            if f.routine_of(cpu) == Some(Routine::Isr) && f.irql[cpu] > 2 {
                self.0 = Some(self.0.map_or(f.irql[cpu], |d| d.min(f.irql[cpu])));
            }
        }
    }
    /// The device IRQL as known so far.
    pub fn get(&self) -> u8 {
        self.0.unwrap_or(self.1)
    }
}
