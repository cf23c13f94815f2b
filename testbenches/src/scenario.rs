//! Scenarios: how a run sets the machine up and what the driver does in it. Each one runs
//! the firmware's PCI enumeration and VideoPortInitialize on CPU 0, then its own work.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::rc::Rc;

use dirql_host::adapter::{ioctl, regs, regs_ext as ext, DirqlMiniport, RtlVariant, Variant};
use dirql_host::pci::{enumerate, ResourcePlan};
use dirql_host::videoport::{
    video_port_initialize, Priority, SyncReading, VideoDevice, VideoPort, VideoPortConfig, VideoRequestPacket, NO_ERROR,
};
use dirql_host::{Cpu, Machine, MachineConfig, SharedLineDevice, Stop};
use dirql_sim::{PicConfig, Routine, Routing, TraceFormat};
use serde::Serialize;

use crate::check::{Checker, DeviceProfile, RuleReport, Violation};
use crate::harm::{Harm, HarmLog};
use crate::manifest::RunManifest;

/// A scenario's description.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Scenario {
    /// Name on the command line.
    pub name: &'static str,
    /// What it exercises.
    pub description: &'static str,
    /// Cycles simulated unless `--cycles` says otherwise.
    pub default_cycles: u64,
    /// Rules this scenario cannot exercise (it does nothing they judge): they pass having
    /// checked nothing. Any other rule that checks nothing fails (no vacuous pass).
    pub not_exercised: &'static [&'static str],
}

/// Every scenario.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "vblank",
        description: "the adapter raises vertical-retrace interrupts on INTA# while a driver thread on CPU0 does \
                      register traffic; each interrupt must be serviced and dismissed",
        default_cycles: 20_000,
        // No validated burst: nothing for burst-integrity to judge.
        not_exercised: &["burst-integrity"],
    },
    Scenario {
        name: "sync-readings",
        description: "CPU0 runs VpHighPriority synchronized routines back to back while the interrupt controller \
                      routes the adapter's interrupts to CPU1: under `reactos` the ISR runs on CPU1 during the \
                      routine (sync_overlap_cycles > 0), under `current` and `legacy` it cannot",
        default_cycles: 20_000,
        // No validated burst: nothing for burst-integrity to judge.
        not_exercised: &["burst-integrity"],
    },
    Scenario {
        name: "shared-line",
        description: "a second device shares INTA# and raises its interrupt at seeded times; its ISR is chained \
                      after the display miniport's, which must return FALSE for interrupts that are not its own",
        default_cycles: 20_000,
        // No validated burst: nothing for burst-integrity to judge.
        not_exercised: &["burst-integrity"],
    },
    Scenario {
        name: "mode-set",
        description: "StartIO requests from both CPUs while the retrace interrupts: CPU0 programs CRTC registers \
                      (3D4h/3D5h), sets the mode through the timed window and loads the palette; CPU1 submits \
                      command buffers with fences and waits for them",
        default_cycles: 30_000,
        not_exercised: &[],
    },
    Scenario {
        name: "msi",
        description: "mode-set with message-signalled interrupts: the miniport registers through \
                      NdisMRegisterInterruptEx for MSI messages to a seeded CPU, the adapter signals each source with \
                      its own message (a Memory Write it masters on the bus), MiniportMessageInterrupt dismisses it, \
                      and synchronized code goes through NdisMSynchronizeWithInterruptEx; INTA# stays released",
        default_cycles: 30_000,
        not_exercised: &[],
    },
];

impl Scenario {
    /// The scenario called `name`.
    pub fn by_name(name: &str) -> Option<&'static Scenario> {
        SCENARIOS.iter().find(|s| s.name == name)
    }
}

/// Everything a run is told.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// The scenario.
    pub scenario: &'static Scenario,
    /// The driver variant.
    pub driver: &'static Variant,
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
    /// A broken-RTL twin of the adapter (`None`: the reference RTL).
    pub rtl: Option<&'static RtlVariant>,
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
    if s.scenario.name == "sync-readings" {
        // Every interrupt to CPU1, so the synchronized routines on CPU0 meet it there.
        cfg.pic = PicConfig { routing: Routing::Fixed(1), ..cfg.pic };
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
    let harm = HarmLog::default();
    m.observe(unserviced_source_oracle(harm.clone()));
    let second = (s.scenario.name == "shared-line").then(SharedLineDevice::new);
    if let Some(d) = &second {
        m.attach_second_device(d.clone(), SECOND_MIN_GAP, SECOND_MAX_GAP);
    }
    let checker = Rc::new(RefCell::new(Some(Checker::for_dirql())));
    let live = checker.clone();
    m.observe(Box::new(move |f| {
        if let Some(c) = live.borrow_mut().as_mut() {
            c.feed(f);
        }
    }));
    let setup_error: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
    let miniport = Rc::new(DirqlMiniport::new(s.driver));
    let vp_cfg = VideoPortConfig { reading: s.reading, smp: s.cpus > 1, ..VideoPortConfig::default() };
    let (err, mp) = (setup_error.clone(), miniport.clone());
    let scenario = s.scenario.name;
    let second_isr = second.as_ref().map(|d| d.isr());
    let dev_slot: Rc<RefCell<Option<Rc<VideoDevice>>>> = Rc::new(RefCell::new(None));
    // When the driver had its interrupts connected and enabled: retraces count from here.
    let enabled_at: Rc<Cell<Option<u64>>> = Rc::new(Cell::new(None));
    let messages = scenario == "msi";
    if messages {
        miniport.use_message_interrupts();
    }
    // MSI: the messages go to a CPU chosen by the seed, so exploring seeds covers both.
    let msi_target = (s.seed % u64::from(s.cpus.max(1))) as u8;
    let one_cpu = s.cpus <= 1;
    // On one CPU the command requests take turns with the mode requests on CPU0 (below).
    if (scenario == "mode-set" || messages) && s.cpus > 1 {
        let slot = dev_slot.clone();
        let harm = harm.clone();
        m.spawn(
            1,
            Box::new(move |cpu: &Cpu<'_>| loop {
                let dev = slot.borrow().clone();
                match dev {
                    Some(dev) => {
                        let vp = VideoPort::new(cpu, &dev);
                        let mut fence = 1;
                        loop {
                            command_request(&vp, &mut fence, &harm);
                        }
                    }
                    None => cpu.work(50),
                }
            }),
        );
    }
    let (harm0, enabled) = (harm.clone(), enabled_at.clone());
    m.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let harm = harm0;
            let Some(pci) = enumerate(cpu, &ResourcePlan::default()) else {
                *err.borrow_mut() = Some("PCI enumeration found no device (master abort on the ID read)".into());
                return;
            };
            let dev = VideoDevice::new(vp_cfg, pci);
            if let Err(e) = video_port_initialize(cpu, &dev, mp.clone()) {
                *err.borrow_mut() = Some(e);
                return;
            }
            if messages {
                if let Err(e) = mp.connect_messages(cpu, &dev, msi_target) {
                    *err.borrow_mut() = Some(e);
                    return;
                }
            }
            if let (Some(isr), Some(int)) = (second_isr, dev.interrupt()) {
                // The other device's driver connects to the same interrupt object: its ISR
                // is called only when the display miniport's returns FALSE.
                int.connect("second-device", isr);
            }
            enabled.set(Some(cpu.now()));
            let vp = VideoPort::new(cpu, &dev);
            let bar0 = dev.pci.bars[0].map_or(0, |b| b.base);
            *dev_slot.borrow_mut() = Some(dev.clone());
            match scenario {
                "sync-readings" => synchronized_traffic(&vp, bar0, &harm),
                "mode-set" | "msi" if one_cpu => {
                    let mut fence = 1;
                    loop {
                        mode_request(&vp, &harm);
                        command_request(&vp, &mut fence, &harm);
                    }
                }
                "mode-set" | "msi" => loop {
                    mode_request(&vp, &harm);
                },
                _ => background_traffic(&vp, bar0, &harm),
            }
        }),
    );

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
    let closed = m.close_trace();
    if let Some(e) = unwritable.or(closed.err()) {
        return Err(e.into());
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
        (Ok(()), Some(Stop::Deadlock { cycle })) => {
            Some(format!("watchdog: every busy CPU spun on a lock with no progress until cycle {cycle} (deadlock)"))
        }
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
    let mut rules = checker.borrow_mut().take().map(Checker::finish).unwrap_or_default();
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
    if let Some(from) = enabled_at.get() {
        let expected = cycles.saturating_sub(from) / FRAME_CYCLES;
        let serviced = miniport.vblanks();
        // The last frame may end with its retrace not yet serviced.
        if serviced + 1 < expected {
            harm.record(
                "retrace-unserviced",
                cycles,
                format!(
                    "{expected} vertical retraces since the driver enabled its interrupts at cycle {from} (one every \
                     {FRAME_CYCLES} cycles, contracts.md §1), but the ISR serviced {serviced}"
                ),
            );
        }
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

/// Cycles between the second device's interrupts on the shared line (seeded in between).
const SECOND_MIN_GAP: u64 = 300;
/// See [`SECOND_MIN_GAP`].
const SECOND_MAX_GAP: u64 = 3_000;

/// The mode the adapter resets to (docs/contracts.md §1: htotal 50, vtotal 40).
const DEFAULT_MODE: [u32; 8] = [50, 40, 42, 46, 40, 30, 32, 34];

/// CPU0 in `mode-set`: CRTC registers, the timed mode sequence and a palette, through the
/// serialized StartIO queue (called again and again).
fn mode_request(vp: &VideoPort<'_, '_>, harm: &HarmLog) {
    let reqs = [
        // Horizontal timing as the mode has it, then the cursor shape, start address and cursor
        // location a mode set also programs (CR0A-CR0F: accepted, not implemented by the adapter).
        (ioctl::SET_CRTC, vec![0x042A, 0x052E, 0x0132, 0x0A0D, 0x0B0E, 0x0C00, 0x0D00, 0x0E00, 0x0F00]),
        (ioctl::SET_CURRENT_MODE, DEFAULT_MODE.to_vec()),
        (ioctl::SET_COLOR_REGISTERS, vec![0, 0x10_2030, 0x40_5060, 0x70_8090]),
    ];
    for (code, input) in &reqs {
        let mut rp = VideoRequestPacket { ioctl: *code, input: input.clone(), ..Default::default() };
        vp.start_io(&mut rp);
        if rp.status != NO_ERROR {
            harm.record(
                "mode-not-set",
                vp.cpu().now(),
                format!("StartIO request {:#010x} failed with status {}", rp.ioctl, rp.status),
            );
        }
        vp.cpu().work(120);
    }
}

/// CPU1 in `mode-set` (called again and again): a command buffer ending in fence `fence`,
/// then a wait for that fence.
fn command_request(vp: &VideoPort<'_, '_>, fence: &mut u32, harm: &HarmLog) {
    let words = vec![ext::OP_FILL << 24, 0, 4 | 4 << 16, 0x00FF_00FF, ext::OP_FENCE << 24, *fence];
    let mut rp = VideoRequestPacket { ioctl: ioctl::SUBMIT_COMMANDS, input: words, ..Default::default() };
    vp.start_io(&mut rp);
    let mut rp = VideoRequestPacket { ioctl: ioctl::WAIT_FENCE, input: vec![*fence], ..Default::default() };
    vp.start_io(&mut rp);
    if rp.status != NO_ERROR {
        harm.record(
            "fence-stalled",
            vp.cpu().now(),
            format!("fence {fence} submitted but not completed within the wait (status {})", rp.status),
        );
    }
    vp.cpu().work(400);
    *fence += 1;
}

/// VpHighPriority routines back to back on CPU0, each a stretch of register traffic that
/// stays well inside the VpHighPriority bound.
fn synchronized_traffic(vp: &VideoPort<'_, '_>, bar0: u32, harm: &HarmLog) {
    let mut n = 0u32;
    loop {
        vp.synchronize_execution(Priority::High, &|vp| {
            for _ in 0..6 {
                scratch_round_trip(vp, bar0, n, harm);
                vp.cpu().work(40);
            }
            true
        });
        vp.cpu().work(60);
        n = n.wrapping_add(1);
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

/// A driver thread's ordinary register traffic, so that interrupts land in the middle of
/// driver code rather than in the idle loop.
fn background_traffic(vp: &VideoPort<'_, '_>, bar0: u32, harm: &HarmLog) {
    let mut n = 0u32;
    loop {
        scratch_round_trip(vp, bar0, n, harm);
        vp.cpu().work(150);
        n = n.wrapping_add(1);
    }
}

/// SCRATCH written and read back: what comes back must be what was written (the driver
/// thread is the only one that touches SCRATCH).
fn scratch_round_trip(vp: &VideoPort<'_, '_>, bar0: u32, n: u32, harm: &HarmLog) {
    vp.write_register_ulong(bar0 + regs::REG_SCRATCH, n);
    let got = vp.read_register_ulong(bar0 + regs::REG_SCRATCH);
    if got != n {
        harm.record(
            "register-read-wrong",
            vp.cpu().now(),
            format!("SCRATCH read back {got:#010x} after {n:#010x} was written to it"),
        );
    }
}

/// Cycles per frame in the mode every scenario runs (DEFAULT_MODE: htotal 50 × vtotal 40).
const FRAME_CYCLES: u64 = (DEFAULT_MODE[0] * DEFAULT_MODE[4]) as u64;

/// Cycles a source may stay pending with no ISR entered anywhere before it is harm: three
/// frames (every scenario's interrupts are serviced within one).
const UNSERVICED_CYCLES: u64 = 3 * FRAME_CYCLES;

/// Harm observer: a source pending in the device (latched and enabled, as its profile
/// reads the probes) while no ISR is entered on any CPU for [`UNSERVICED_CYCLES`].
fn unserviced_source_oracle(harm: HarmLog) -> Box<dyn FnMut(&dirql_sim::Frame)> {
    let profile = DeviceProfile::dirql();
    let mut since = [None::<u64>; 32];
    let mut reported = 0u32;
    Box::new(move |f| {
        if (0..crate::check::TRACED_CPUS).any(|c| f.routine_of(c) == Some(Routine::Isr)) {
            since = [None; 32];
            return;
        }
        let pending = (profile.pending)(f);
        for (b, s) in since.iter_mut().enumerate().take(profile.sources.len()) {
            if pending & (1 << b) == 0 {
                *s = None;
                continue;
            }
            let at = *s.get_or_insert(f.cycle);
            if f.cycle - at == UNSERVICED_CYCLES && reported & (1 << b) == 0 {
                reported |= 1 << b;
                harm.record(
                    "source-unserviced",
                    f.cycle,
                    format!(
                        "{} pending in the device since cycle {at} with no ISR entered on any CPU for {} cycles",
                        profile.sources[b], UNSERVICED_CYCLES
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
