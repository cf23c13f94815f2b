//! The scenario runner: builds the machine a scenario asks for, lets the scenario's device
//! code spawn its driver threads, checks every cycle live, and judges the run (rules, harm,
//! what was exercised). It knows no device: what a scenario does is the device's
//! ([`crate::device::Scenario::start`]).

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::rc::Rc;

use dirql_host::videoport::SyncReading;
use dirql_host::{Machine, MachineConfig, Stop};
use dirql_sim::{Routine, TraceFormat};
use serde::Serialize;

use crate::check::{Checker, DeviceProfile, ProgressFn, RuleReport, SourceTiming, Violation};
pub use crate::device::Scenario;
use crate::device::{Device, RtlTwin, RunEnd, Stage, Twin};
use crate::harm::{Harm, HarmLog};
use crate::manifest::RunManifest;

/// Everything a run is told.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// The device the scenario belongs to.
    pub device: &'static dyn Device,
    /// The scenario.
    pub scenario: &'static Scenario,
    /// The driver: the device's reference or one of its twins.
    pub driver: &'static Twin,
    /// The scheduler's seed.
    pub seed: u64,
    /// Cycles to simulate.
    pub cycles: u64,
    /// Waveform path, when tracing: FST when it ends in `.fst`, else VCD
    /// ([`dirql_sim::TraceFormat::of_path`]).
    pub vcd: Option<PathBuf>,
    /// Reading of VideoPortSynchronizeExecution.
    pub reading: SyncReading,
    /// Virtual CPUs.
    pub cpus: u8,
}

/// What a run found.
#[derive(Clone, Debug, Serialize)]
pub struct RunResult {
    /// Device name.
    pub device: &'static str,
    /// Scenario name.
    pub scenario: &'static str,
    /// Driver variant name.
    pub driver: &'static str,
    /// RTL variant name (`reference` unless `--rtl` chose a broken twin).
    pub rtl: &'static str,
    /// Seed.
    pub seed: u64,
    /// Cycles simulated.
    pub cycles: u64,
    /// `pass` when every rule passed and the run completed, else `fail`.
    pub verdict: &'static str,
    /// Verdict per rule.
    pub rules: Vec<RuleReport>,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
    /// Interrupts taken, and how many no ISR claimed.
    pub interrupts: u64,
    /// Unclaimed interrupts.
    pub unclaimed: u64,
    /// Of `interrupts`, those signalled by MSI messages.
    pub messages: u64,
    /// The VCD written (none when the run wrote FST, or no waveform).
    pub vcd: Option<String>,
    /// The waveform written, whichever its format.
    pub waveform: Option<String>,
    /// Its format: `vcd` or `fst`.
    pub waveform_format: Option<&'static str>,
    /// The bug check that stopped the run, if one did (stop code, CPU, IRQL, routine,
    /// cycle); the stop codes are listed in `dirql_host::stop_codes`.
    pub bug_check: Option<BugCheckReport>,
    /// Cycles in which one CPU ran an ISR while the other ran a routine synchronized
    /// through VideoPortSynchronizeExecution: 0 when the readings keep them apart.
    pub sync_overlap_cycles: u64,
    /// Interrupt storms detected (the OS then disables the line).
    pub storms: u64,
    /// Cycle at which the line was disabled after a storm.
    pub line_disabled_at: Option<u64>,
    /// The second device on the shared line, when the scenario has one.
    pub second_device: Option<SecondDeviceReport>,
    /// Scheduling choices made.
    pub choices: u64,
    /// With recording: the non-baseline choices as a forced schedule (`INDEX=VALUE,...`),
    /// which `dirql run --schedule` replays.
    pub recorded_schedule: Option<String>,
    /// What the host bridge reported about the bus (master and target aborts, parity
    /// errors, exhausted retries), each with its cycle.
    pub bus_events: Vec<String>,
    /// What the scenario knows went wrong, by its own ground truth (crate::harm): when
    /// this is not empty, some rule must have failed.
    pub harm: Vec<Harm>,
    /// Interrupt timing per source, as the live checker measured it (reported apart in
    /// `--json`, as `timing`).
    #[serde(skip)]
    pub timing: Vec<SourceTiming>,
    /// Functional coverage, when asked for ([`RunOptions::functional_coverage`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub functional_coverage: Option<crate::coverage::CoverageReport>,
    /// The RTL coverage file written, when asked for ([`RunOptions::rtl_coverage`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtl_coverage: Option<String>,
}

/// A bug check, as the run result reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BugCheckReport {
    /// Stop code.
    pub code: &'static str,
    /// CPU.
    pub cpu: u8,
    /// IRQL, as a number.
    pub irql: u8,
    /// Routine name.
    pub routine: &'static str,
    /// Cycle.
    pub cycle: u64,
    /// What happened.
    pub detail: String,
}

/// What the second device on the shared line saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SecondDeviceReport {
    /// Interrupts it raised.
    pub raised: u64,
    /// Interrupts its ISR dismissed.
    pub serviced: u64,
    /// Still pending at the end of the run.
    pub pending_at_end: bool,
}

/// A run that could not be set up (bad input or an unusable environment).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The simulator could not start.
    #[error(transparent)]
    Sim(#[from] dirql_sim::SimError),
    /// The waveform's folder could not be created.
    #[error("cannot create the folder for {path}: {source}")]
    Folder {
        /// The waveform path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// RTL coverage could not be written or merged.
    #[error("RTL coverage: {0}")]
    Coverage(String),
    /// The run manifest beside the waveform could not be written.
    #[error("cannot write the run manifest {path}: {source}")]
    Manifest {
        /// The manifest path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// The rule that fails when the run itself did not complete (bug check, deadlock, panic,
/// or setup failure); it is reported next to the signal-level rules.
pub const RUN_RULE: &str = "run-completed";

/// Cycles simulated between two looks at the signal flag (and two flushes of the trace).
const RUN_CHUNK: u64 = 1 << 16;

/// Runs a scenario: live checking on every cycle, waveform when asked.
pub fn run(s: &RunSettings) -> Result<RunResult, RunError> {
    run_with(s, &RunOptions::default())
}

/// A progress reporter for long runs: called with the cycle every
/// [`crate::check::PROGRESS_EVERY`] cycles (the CLI's terminal progress line).
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(u64) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

impl PartialEq for Progress {
    fn eq(&self, o: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &o.0)
    }
}
impl Eq for Progress {}

/// How a run makes its scheduling choices, beyond the seed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// A schedule instead of the seed's uniform choices (forced or PCT).
    pub schedule: Option<dirql_sim::Schedule>,
    /// Record the non-baseline choices into [`RunResult::recorded_schedule`].
    pub record: bool,
    /// Faults the host bridge injects on the bus (docs/robustness.md).
    pub faults: dirql_sim::Faults,
    /// Faults on the interrupt line between the adapter and the interrupt controller.
    pub line_faults: dirql_sim::LineFaults,
    /// A broken-RTL twin of the device (`None`: the reference RTL).
    pub rtl: Option<&'static RtlTwin>,
    /// Progress for long runs.
    pub progress: Option<Progress>,
    /// An extra observer of every frame (the bench's bus statistics).
    pub tap: Option<FrameTap>,
    /// Collect functional coverage ([`crate::coverage`]) into
    /// [`RunResult::functional_coverage`]; off, no observer is added.
    pub functional_coverage: bool,
    /// Run the device's line- and toggle-coverage model and write its `coverage.dat` here
    /// ([`crate::coverage_rtl`]); `None`: the normal model.
    pub rtl_coverage: Option<PathBuf>,
}

/// An observer of every frame of a run besides the rules ([`RunOptions::tap`]): `dirql
/// bench` counts the device's DMA on the bus with one. A run without it observes nothing
/// more.
#[derive(Clone)]
pub struct FrameTap(pub Rc<RefCell<TapFn>>);

/// What a [`FrameTap`] calls with each frame.
pub type TapFn = dyn FnMut(&dirql_sim::Frame);

impl std::fmt::Debug for FrameTap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FrameTap(..)")
    }
}

impl PartialEq for FrameTap {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.0, &o.0)
    }
}
impl Eq for FrameTap {}

/// How a scenario's drivers take their interrupts, as found by running it
/// ([`interrupts_of`]): what a `--fault` on the INTA# line or on MSI writes needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InterruptUse {
    /// A driver connected an interrupt on the INTA# line.
    pub line: bool,
    /// A driver connected message-signalled interrupts.
    pub messages: bool,
}

/// Runs `s` (no waveform, no rules) until its drivers have connected and enabled their
/// interrupts, or for its cycles, and says what they connected. Derived from what the
/// scenario does, so a scenario declares nothing for it.
pub fn interrupts_of(s: &RunSettings) -> Result<InterruptUse, RunError> {
    let mut cfg =
        MachineConfig { model: s.device.model().to_string(), cpus: s.cpus, seed: s.seed, ..MachineConfig::default() };
    (s.scenario.configure)(&mut cfg, s);
    let mut m = Machine::new(&cfg)?;
    let enabled_at: Rc<Cell<Option<u64>>> = Rc::new(Cell::new(None));
    let mut stage = Stage {
        machine: &mut m,
        settings: s,
        harm: HarmLog::default(),
        setup_error: Rc::new(RefCell::new(None)),
        enabled_at: enabled_at.clone(),
        second_device: None,
        at_end: Vec::new(),
        partner: None,
        slot: 0,
    };
    (s.scenario.start)(&mut stage);
    let partner = stage.partner.take();
    let enabled = || enabled_at.get().is_some() && partner.as_ref().is_none_or(|p| p.enabled_at.get().is_some());
    while m.now() < s.cycles && m.stopped().is_none() && !enabled() {
        m.run_until((m.now() + 1_000).min(s.cycles));
    }
    let (line, messages) = m.interrupts_connected();
    Ok(InterruptUse { line, messages })
}

/// [`run`] with a schedule and/or recording.
pub fn run_with(s: &RunSettings, opts: &RunOptions) -> Result<RunResult, RunError> {
    if let Some(dir) = s.vcd.as_ref().and_then(|p| p.parent()).filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| RunError::Folder {
            path: s.vcd.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            source: e,
        })?;
    }
    let mut manifest = RunManifest {
        device: s.device.name().to_string(),
        scenario: s.scenario.name.to_string(),
        driver: s.driver.name.to_string(),
        rtl: opts.rtl.map_or("reference", |v| v.name).to_string(),
        seed: s.seed,
        cpus: s.cpus,
        reading: s.reading.name().to_string(),
        cycles_asked: s.cycles,
        completed: false,
        cycles: 0,
        stopped: None,
        partner: None,
    };
    let write_manifest = |m: &RunManifest| -> Result<(), RunError> {
        match &s.vcd {
            Some(w) => m
                .write(w)
                .map_err(|e| RunError::Manifest { path: crate::manifest::path_of(w).display().to_string(), source: e }),
            None => Ok(()),
        }
    };
    write_manifest(&manifest)?;
    let mut cfg = MachineConfig {
        model: s.device.model().to_string(),
        cpus: s.cpus,
        seed: s.seed,
        vcd: s.vcd.clone(),
        schedule: opts.schedule.clone(),
        record_choices: opts.record,
        ..MachineConfig::default()
    };
    cfg.bridge.faults = opts.faults;
    if let Some(fault) = opts.rtl.and_then(|v| v.fault) {
        cfg.bridge.faults.rtl_mutant = Some(fault);
    }
    cfg.pic.faults = opts.line_faults;
    (s.scenario.configure)(&mut cfg, s);
    if opts.rtl_coverage.is_some() {
        cfg.model = crate::coverage_rtl::model_name(&cfg.model, s.device.model());
    }
    let mut m = Machine::new(&cfg)?;
    let overlap = Rc::new(Cell::new(0u64));
    let ov = overlap.clone();
    m.observe(Box::new(move |f| {
        let (sync, isr) = (Routine::Sync as u8, Routine::Isr as u8);
        if (f.routine[0] == sync && f.routine[1] == isr) || (f.routine[1] == sync && f.routine[0] == isr) {
            ov.set(ov.get() + 1);
        }
    }));
    if let Some(tap) = opts.tap.clone() {
        m.observe(Box::new(move |f| (tap.0.borrow_mut())(f)));
    }
    let coverage = opts.functional_coverage.then(|| {
        let c = Rc::new(RefCell::new(crate::coverage::FunctionalCoverage::new(s.device.profile())));
        let fed = c.clone();
        m.observe(Box::new(move |f| fed.borrow_mut().feed(f)));
        c
    });
    let harm = HarmLog::default();
    let setup_error: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
    // When the driver had its interrupts connected and enabled: the scenario sets it.
    let enabled_at: Rc<Cell<Option<u64>>> = Rc::new(Cell::new(None));
    let mut stage = Stage {
        machine: &mut m,
        settings: s,
        harm: harm.clone(),
        setup_error: setup_error.clone(),
        enabled_at: enabled_at.clone(),
        second_device: None,
        at_end: Vec::new(),
        partner: None,
        slot: 0,
    };
    (s.scenario.start)(&mut stage);
    let Stage { second_device: second, at_end, partner, .. } = stage;
    manifest.partner = partner.as_ref().map(|p| p.device.name().to_string());
    write_manifest(&manifest)?;
    // The checkers and the harm oracle see every frame from the first: each slot's own
    // view of it when there are two devices.
    let progress: Option<ProgressFn> = opts.progress.clone().map(|p| Box::new(move |c| (p.0)(c)) as ProgressFn);
    let mut checker = Checker::for_device(s.device).with_progress(progress);
    m.observe(unserviced_source_oracle(s.device.profile(), harm.clone(), None));
    if let Some(p) = &partner {
        checker = checker.with_partner(p.device);
        m.observe_slot1(unserviced_source_oracle(p.device.profile(), harm.clone(), Some(1)));
    }
    let checker = Rc::new(RefCell::new(Some(checker)));
    let feeder = |live: Rc<RefCell<Option<Checker>>>| -> Box<dyn FnMut(&dirql_sim::Frame)> {
        Box::new(move |f| {
            if let Some(c) = live.borrow_mut().as_mut() {
                c.feed(f);
            }
        })
    };
    m.observe(feeder(checker.clone()));
    if partner.is_some() {
        m.observe_slot1(feeder(checker.clone()));
    }

    // In chunks: between them the waveform is flushed (so even a hard kill leaves a file
    // valid up to the last chunk) and a SIGINT/SIGTERM ends the run cleanly.
    let mut signal = None;
    let mut unwritable = None;
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        while m.now() < s.cycles && m.stopped().is_none() {
            m.run_until((m.now() + RUN_CHUNK).min(s.cycles));
            // A waveform that cannot be written ends the run: no verdict without it.
            if let Err(e) = m.flush_trace() {
                unwritable = Some(e);
                break;
            }
            if let Some(sig) = crate::signals::pending() {
                signal = Some(sig);
                break;
            }
        }
    }));
    // The close's error says what became of the file (it completes the flush's).
    let closed = m.close_trace();
    if let Some(e) = closed.err().or(unwritable) {
        // No verdict without the waveform; what is left of it says why it ends early (the
        // manifest may not fit on a full disk either: the run's exit 2 says it all).
        manifest.completed = true;
        manifest.cycles = m.now();
        manifest.stopped = Some(e.to_string());
        let _ = write_manifest(&manifest);
        return Err(e.into());
    }
    if let Some(p) = &opts.rtl_coverage {
        m.write_coverage(p)?;
    }
    let cycles = m.now();
    let mut stopped = match (&outcome, m.stopped()) {
        (Ok(()), None) if signal.is_some() => Some(format!(
            "interrupted by {} at cycle {cycles}; the waveform is complete up to that cycle",
            signal.unwrap_or("a signal")
        )),
        (Err(p), _) => Some(format!("driver code panicked at cycle {cycles}: {}", panic_text(p.as_ref()))),
        (Ok(()), Some(Stop::BugCheck(b))) => Some(format!(
            "bug check {} on CPU{} at cycle {} (IRQL {}, in {}): {}",
            b.code,
            b.cpu,
            b.cycle,
            b.irql,
            b.routine.name(),
            b.detail
        )),
        (Ok(()), Some(Stop::Deadlock { cycle })) => Some(format!(
            "watchdog: every busy CPU spun on a lock with no progress until cycle {cycle} (deadlock): {}",
            m.waits().join("; ")
        )),
        (Ok(()), Some(Stop::NoProgress { cycle, since })) => Some(format!(
            "watchdog: no CPU made progress and no transaction moved on the bus from cycle {since} to {cycle} although \
             work was waiting: {}",
            m.waits().join("; ")
        )),
        (Ok(()), None) => None,
    };
    if let Some(e) = setup_error.borrow().as_ref() {
        stopped.get_or_insert_with(|| format!("setup failed: {e}"));
    }
    if enabled_at.get().is_none() && cycles >= s.cycles {
        stopped.get_or_insert_with(|| {
            format!("no progress past enumeration: the driver had not finished initializing by cycle {cycles}")
        });
    }
    if let Some(p) = partner.as_ref().filter(|p| p.enabled_at.get().is_none() && cycles >= s.cycles) {
        stopped.get_or_insert_with(|| {
            format!(
                "no progress past enumeration: the driver of {} (slot 1) had not finished initializing by cycle {cycles}",
                p.device.name()
            )
        });
    }
    let (mut rules, timing) = match checker.borrow_mut().take().map(Checker::finish_all) {
        Some((r, t)) => (r, t.sources().to_vec()),
        None => (Vec::new(), Vec::new()),
    };
    judge_exercised(&mut rules, s.scenario, stopped.is_some(), cycles);
    manifest.completed = true;
    manifest.cycles = cycles;
    manifest.stopped = stopped.clone();
    write_manifest(&manifest)?;
    rules.push(RuleReport {
        name: RUN_RULE.to_string(),
        verdict: if stopped.is_some() { "fail" } else { "pass" },
        checked: 1,
        exercised: true,
        violations: stopped.iter().map(|why| Violation::new(cycles, why.clone())).collect(),
    });
    let stats = m.kernel().stats();
    let verdict = if rules.iter().all(|r| r.verdict == "pass") { "pass" } else { "fail" };
    // Harm the run itself knows of, now that it is over.
    if let Some(why) = &stopped {
        harm.record("run-stopped", cycles, why.clone());
    }
    let end = RunEnd { cycles, enabled_at: enabled_at.get() };
    for hook in at_end {
        hook(&end, &harm);
    }
    for &(at, isr_cpu, sync_cpu) in &stats.isr_in_exclusive {
        harm.record(
            "isr-in-exclusive-routine",
            at,
            format!(
                "the ISR started on CPU{isr_cpu} while CPU{sync_cpu} ran a routine its caller synchronized with the ISR \
                 at a priority meant to exclude it"
            ),
        );
    }
    if let Some(d) = &second {
        if d.raised() > d.serviced() + 1 {
            harm.record(
                "second-device-unserviced",
                cycles,
                format!(
                    "the other device on the shared line raised {} interrupts, its ISR serviced {}",
                    d.raised(),
                    d.serviced()
                ),
            );
        }
    }
    let bug_check = match m.stopped() {
        Some(Stop::BugCheck(b)) => Some(BugCheckReport {
            code: b.code,
            cpu: b.cpu,
            irql: b.irql.0,
            routine: b.routine.name(),
            cycle: b.cycle,
            detail: b.detail.clone(),
        }),
        _ => None,
    };
    Ok(RunResult {
        device: s.device.name(),
        scenario: s.scenario.name,
        driver: s.driver.name,
        rtl: opts.rtl.map_or("reference", |v| v.name),
        seed: s.seed,
        cycles,
        verdict,
        rules,
        stopped,
        interrupts: stats.interrupts,
        unclaimed: stats.unclaimed,
        messages: stats.messages,
        vcd: s.vcd.as_ref().filter(|p| TraceFormat::of_path(p) == TraceFormat::Vcd).map(|p| p.display().to_string()),
        waveform: s.vcd.as_ref().map(|p| p.display().to_string()),
        waveform_format: s.vcd.as_deref().map(|p| TraceFormat::of_path(p).extension()),
        bug_check,
        sync_overlap_cycles: overlap.get(),
        storms: stats.storms,
        line_disabled_at: stats.line_disabled_at,
        second_device: second.map(|d| SecondDeviceReport {
            raised: d.raised(),
            serviced: d.serviced(),
            pending_at_end: d.pending(),
        }),
        choices: m.choices().choices(),
        recorded_schedule: m.choices().recorded().map(dirql_sim::format_forced),
        bus_events: m.bus_events().iter().map(describe_bus_event).collect(),
        harm: harm.take(),
        timing,
        functional_coverage: coverage.map(|c| c.borrow().report()),
        rtl_coverage: opts.rtl_coverage.as_ref().map(|p| p.display().to_string()),
    })
}

/// No vacuous pass (crate::check::judge_exercised) with `scenario`'s declarations. A run
/// that stopped early has failed already: what it did not reach is shown as not
/// exercised, not failed twice. `dirql check` applies the same from the run's manifest.
pub fn judge_exercised(rules: &mut [RuleReport], scenario: &Scenario, stopped: bool, last_cycle: u64) {
    if stopped {
        rules.iter_mut().filter(|r| r.checked == 0).for_each(|r| r.exercised = false);
    } else {
        crate::check::judge_exercised(rules, scenario.not_exercised, last_cycle);
    }
}

fn describe_bus_event(e: &dirql_sim::BridgeEvent) -> String {
    use dirql_sim::BridgeEvent::*;
    match e {
        MasterAbort { cycle, cmd, addr } => {
            format!("cycle {cycle}: master abort: {cmd:?} at {addr:#010x}, nobody claimed it")
        }
        TargetAbort { cycle, addr } => format!("cycle {cycle}: target abort at {addr:#010x}"),
        ParityError { cycle } => format!("cycle {cycle}: PERR#: the target saw a data parity error"),
        RetryExhausted { cycle, addr, retries } => {
            format!("cycle {cycle}: gave up at {addr:#010x} after {retries} retries")
        }
        MsiDropped { cycle, addr, data } => {
            format!("cycle {cycle}: MSI write {data:#06x} to {addr:#010x} accepted and dropped (injected fault)")
        }
    }
}

/// Cycles a source may stay pending with no ISR entered anywhere before it is harm (every
/// scenario's interrupts are serviced within a few thousand cycles).
const UNSERVICED_CYCLES: u64 = 6_000;

/// Harm observer: a source pending in the device (latched and enabled, as its profile
/// reads the probes) while no ISR is entered on any CPU for [`UNSERVICED_CYCLES`].
/// `slot`: the device's slot in a two-slot run, for the message (it observes that slot's
/// view of each cycle).
fn unserviced_source_oracle(
    profile: &'static DeviceProfile,
    harm: HarmLog,
    slot: Option<usize>,
) -> Box<dyn FnMut(&dirql_sim::Frame)> {
    let mut since = [None::<u64>; 32];
    // The bits of `since` that are set: a frame with nothing pending and nothing timed
    // (most of a run) costs one call of the profile.
    let mut timed = 0u32;
    let mut reported = 0u32;
    let sources = if profile.sources.len() >= 32 { u32::MAX } else { (1u32 << profile.sources.len()) - 1 };
    Box::new(move |f| {
        if (0..crate::check::TRACED_CPUS).any(|c| f.routine_of(c) == Some(Routine::Isr)) {
            if timed != 0 {
                since = [None; 32];
                timed = 0;
            }
            return;
        }
        let pending = (profile.pending)(f) & sources;
        if pending | timed == 0 {
            return;
        }
        let mut bits = pending | timed;
        while bits != 0 {
            let b = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let s = &mut since[b];
            if pending & (1 << b) == 0 {
                *s = None;
                timed &= !(1 << b);
                continue;
            }
            timed |= 1 << b;
            let at = *s.get_or_insert(f.cycle);
            if f.cycle - at == UNSERVICED_CYCLES && reported & (1 << b) == 0 {
                reported |= 1 << b;
                harm.record(
                    "source-unserviced",
                    f.cycle,
                    format!(
                        "{} pending in the device{} since cycle {at} with no ISR of its driver entered on any CPU for \
                         {} cycles",
                        profile.sources[b],
                        slot.map_or(String::new(), |n| format!(" in slot {n}")),
                        UNSERVICED_CYCLES
                    ),
                );
            }
        }
    })
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-text panic payload)".into())
}
