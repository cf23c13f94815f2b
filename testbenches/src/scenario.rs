//! Scenarios: how a run sets the machine up and what the driver does in it. Each one runs
//! the firmware's PCI enumeration and VideoPortInitialize on CPU 0, then its own work.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::rc::Rc;

use dirql_host::adapter::{regs, DirqlMiniport, Variant};
use dirql_host::pci::{enumerate, ResourcePlan};
use dirql_host::videoport::{video_port_initialize, SyncReading, VideoDevice, VideoPort, VideoPortConfig};
use dirql_host::{Cpu, Machine, MachineConfig, Stop};
use serde::Serialize;

use crate::check::{Checker, RuleReport, Violation};

/// A scenario's description.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Scenario {
    /// Name on the command line.
    pub name: &'static str,
    /// What it exercises.
    pub description: &'static str,
    /// Cycles simulated unless `--cycles` says otherwise.
    pub default_cycles: u64,
}

/// Every scenario.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "vblank",
    description: "the adapter raises vertical-retrace interrupts on INTA# while a driver thread on CPU0 does \
                  register traffic; each interrupt must be serviced and dismissed",
    default_cycles: 20_000,
}];

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
    /// Waveform path, when tracing.
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
    /// The waveform written.
    pub vcd: Option<String>,
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
}

/// The rule that fails when the run itself did not complete (bug check, deadlock, panic,
/// or setup failure); it is reported next to the signal-level rules.
pub const RUN_RULE: &str = "run-completed";

/// Runs a scenario: live checking on every cycle, waveform when asked.
pub fn run(s: &RunSettings) -> Result<RunResult, RunError> {
    if let Some(dir) = s.vcd.as_ref().and_then(|p| p.parent()).filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| RunError::Folder {
            path: s.vcd.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            source: e,
        })?;
    }
    let cfg = MachineConfig { cpus: s.cpus, seed: s.seed, vcd: s.vcd.clone(), ..MachineConfig::default() };
    let mut m = Machine::new(&cfg)?;
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
    m.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let Some(pci) = enumerate(cpu, &ResourcePlan::default()) else {
                *err.borrow_mut() = Some("PCI enumeration found no device (master abort on the ID read)".into());
                return;
            };
            let dev = VideoDevice::new(vp_cfg, pci);
            if let Err(e) = video_port_initialize(cpu, &dev, mp.clone()) {
                *err.borrow_mut() = Some(e);
                return;
            }
            if scenario == "vblank" {
                background_traffic(&VideoPort::new(cpu, &dev), dev.pci.bars[0].map_or(0, |b| b.base));
            }
        }),
    );

    let outcome = panic::catch_unwind(AssertUnwindSafe(|| m.run_until(s.cycles)));
    m.close_trace();
    let cycles = m.now();
    let mut stopped = match (&outcome, m.stopped()) {
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
    let mut rules = checker.borrow_mut().take().map(Checker::finish).unwrap_or_default();
    rules.push(RuleReport {
        name: RUN_RULE.to_string(),
        verdict: if stopped.is_some() { "fail" } else { "pass" },
        checked: 1,
        violations: stopped.iter().map(|why| Violation::new(cycles, why.clone())).collect(),
    });
    let stats = m.kernel().stats();
    let verdict = if rules.iter().all(|r| r.verdict == "pass") { "pass" } else { "fail" };
    Ok(RunResult {
        scenario: s.scenario.name,
        driver: s.driver.name,
        seed: s.seed,
        cycles,
        verdict,
        rules,
        stopped,
        interrupts: stats.interrupts,
        unclaimed: stats.unclaimed,
        vcd: s.vcd.as_ref().map(|p| p.display().to_string()),
    })
}

/// A driver thread's ordinary register traffic, so that interrupts land in the middle of
/// driver code rather than in the idle loop.
fn background_traffic(vp: &VideoPort<'_, '_>, bar0: u32) {
    let mut n = 0u32;
    loop {
        vp.write_register_ulong(bar0 + regs::REG_SCRATCH, n);
        let _ = vp.read_register_ulong(bar0 + regs::REG_SCRATCH);
        vp.cpu().work(150);
        n = n.wrapping_add(1);
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-text panic payload)".into())
}
