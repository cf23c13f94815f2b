//! `dirql bench`: every layer measured against the limit the simulator itself sets, side by
//! side in one process. Each figure is the median of several repetitions with its spread;
//! each ratio is taken pair by pair (repetition i of one layer against repetition i of its
//! reference) and then the median is taken, so it holds on a noisy machine.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::rc::Rc;
use std::time::Instant;

use dirql_host::pci::{enumerate, ResourcePlan};
use dirql_host::{Cpu, Machine, MachineConfig};
use dirql_sim::Model;
use serde::Serialize;

use crate::device::Device;
use crate::scenario::RunError;

/// Why a measurement could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The simulator could not start or write its waveform.
    #[error(transparent)]
    Sim(#[from] dirql_sim::SimError),
    /// A scenario run could not be set up.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A file or folder the bench needs.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the file.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A tool the bench runs (cargo, `dirql check`) failed, or the device lacks a workload.
    #[error("{0}")]
    Tool(String),
}

impl From<String> for BenchError {
    fn from(s: String) -> Self {
        BenchError::Tool(s)
    }
}

fn io(context: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> BenchError {
    let context = context.to_string();
    move |source| BenchError::Io { context, source }
}

/// A figure: median and spread of the repetitions.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    /// Median.
    pub median: f64,
    /// Smallest repetition.
    pub min: f64,
    /// Largest repetition.
    pub max: f64,
}

impl Figure {
    fn of(mut v: Vec<f64>) -> Self {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n == 0 {
            0.0
        } else if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Figure { median, min: v.first().copied().unwrap_or(0.0), max: v.last().copied().unwrap_or(0.0) }
    }
}

/// Settings of a benchmark run.
#[derive(Clone, Debug)]
pub struct BenchSettings {
    /// The device measured (its first scenario is the interrupt round-trip workload, its
    /// scratch register the MMIO one).
    pub device: &'static dyn Device,
    /// Repetitions of each measurement.
    pub reps: usize,
    /// Cycles per untraced measurement.
    pub cycles: u64,
    /// Cycles per explored seed (the first scenario's own length by default).
    pub explore_cycles: u64,
    /// Cycles per traced measurement.
    pub trace_cycles: u64,
    /// Cycles of the run whose VCD the checker reads.
    pub check_cycles: u64,
    /// Folder for temporary waveforms.
    pub scratch: PathBuf,
    /// Also time a clean build and a rebuild after touching an RTL file (slow).
    pub build: Option<PathBuf>,
}

/// The benchmark's results; field names are the JSON contract.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// Verilated model clocked from a C++ loop, no host: the limit.
    pub bare_cycles_per_s: f64,
    /// Full harness, adapter idle, no host traffic.
    pub idle_cycles_per_s: f64,
    /// idle / bare, pair by pair.
    pub idle_ratio: f64,
    /// MMIO transactions per second through driver → CPU → bridge → PCI → RTL.
    pub mmio_txn_per_s: f64,
    /// Bus cycles each MMIO transaction took, end to end.
    pub mmio_cycles_per_txn: f64,
    /// bare cycles/s ÷ cycles per transaction.
    pub bus_limit_txn_per_s: f64,
    /// mmio / bus limit, pair by pair.
    pub mmio_ratio: f64,
    /// Interrupts serviced end to end per second (the device's first scenario: bounded by
    /// the rate at which that device raises them, e.g. one per 2000-cycle frame).
    pub irq_round_trips_per_s: f64,
    /// `dirql explore` of the first scenario (live checking, every core): seeds per second.
    pub explore_seeds_per_s: f64,
    /// The same in simulated cycles per second (seeds × cycles per seed).
    pub explore_cycles_per_s: f64,
    /// That against cores × bare cycles/s, pair by pair.
    pub explore_ratio: f64,
    /// Full harness with VCD tracing.
    pub trace_cycles_per_s: f64,
    /// Verilator's own tracer in the bare loop.
    pub bare_trace_cycles_per_s: f64,
    /// trace / bare trace, pair by pair.
    pub trace_ratio: f64,
    /// Full harness with FST tracing (Verilator's FST writer).
    pub trace_fst_cycles_per_s: f64,
    /// Verilator's FST tracer in the bare loop.
    pub bare_trace_fst_cycles_per_s: f64,
    /// FST trace / bare FST trace, pair by pair.
    pub trace_fst_ratio: f64,
    /// FST-traced / VCD-traced co-simulation, pair by pair.
    pub fst_vs_vcd_trace_ratio: f64,
    /// `dirql check` throughput.
    pub check_mb_per_s: f64,
    /// Size of the VCD checked.
    pub check_file_mb: f64,
    /// Peak resident memory of the `dirql check` process.
    pub check_peak_rss_mb: f64,
    /// `dirql check` on the VCD, in simulated cycles per second.
    pub check_cycles_per_s: f64,
    /// `dirql check` on an FST of the same run, in simulated cycles per second.
    pub check_fst_cycles_per_s: f64,
    /// Size of that FST.
    pub check_fst_file_mb: f64,
    /// Peak resident memory of `dirql check` on the FST.
    pub check_fst_peak_rss_mb: f64,
    /// The device's bus-master DMA in its first scenario (live checking on): bytes moved
    /// per second of simulated time (0 for a device that masters no DMA).
    pub dma_bytes_per_sim_s: f64,
    /// The same bytes per CPU second of the process.
    pub dma_bytes_per_cpu_s: f64,
    /// DMA bytes per bus cycle of the device's DMA transactions, each counted from its
    /// address phase to its last data phase plus the turnaround after it.
    pub dma_bytes_per_bus_cycle: f64,
    /// That against the bus limit, [`BUS_BYTES_PER_CLOCK`].
    pub dma_bus_ratio: f64,
    /// Data phases per DMA transaction (the bursts' mean length, in dwords).
    pub dma_dwords_per_txn: f64,
    /// Share of all the run's clocks that DMA transactions took.
    pub dma_bus_share: f64,
    /// Clean build of the Verilated model crate, seconds (with `--build`).
    pub build_clean_s: Option<f64>,
    /// Rebuild after touching one RTL file, seconds (with `--build`).
    pub build_rebuild_s: Option<f64>,
    /// Every figure with its spread.
    pub detail: Vec<(String, Figure)>,
    /// Repetitions per figure.
    pub reps: usize,
}

fn per_s(n: f64, t: f64) -> f64 {
    if t > 0.0 {
        n / t
    } else {
        0.0
    }
}

fn bare(model: &str, cycles: u64, vcd: Option<&Path>) -> Result<f64, BenchError> {
    let mut m = Model::of(model, vcd)?;
    m.run_bare(4, true);
    let t = Instant::now();
    m.run_bare(cycles, false);
    let dt = t.elapsed().as_secs_f64();
    m.close_trace()?;
    Ok(per_s(cycles as f64, dt))
}

fn machine(model: &str, cycles_vcd: Option<&Path>) -> Result<Machine, BenchError> {
    let cfg =
        MachineConfig { model: model.to_string(), vcd: cycles_vcd.map(Path::to_path_buf), ..MachineConfig::default() };
    Ok(Machine::new(&cfg)?)
}

fn idle(model: &str, cycles: u64) -> Result<f64, BenchError> {
    let mut m = machine(model, None)?;
    m.run_until(4);
    let t = Instant::now();
    m.run_until(4 + cycles);
    Ok(per_s(cycles as f64, t.elapsed().as_secs_f64()))
}

/// Returns (transactions per second, cycles per transaction).
fn mmio(device: &dyn Device, cycles: u64) -> Result<(f64, f64), BenchError> {
    let (bar, off) = device
        .scratch_register()
        .ok_or_else(|| format!("device {} declares no scratch register for the MMIO workload", device.name()))?;
    let mut m = machine(device.model(), None)?;
    let count = Rc::new(Cell::new(0u64));
    let c = count.clone();
    m.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let Some(f) = enumerate(cpu, &ResourcePlan::default()) else { return };
            let reg = f.bars.get(bar).copied().flatten().map_or(0, |b| b.base) + off;
            loop {
                cpu.mem_write32(reg, 0x5A5A_0000 | (c.get() as u32 & 0xFFFF));
                let _ = cpu.mem_read32(reg);
                c.set(c.get() + 2);
            }
        }),
    );
    // Let enumeration finish before timing.
    m.run_until(2_000);
    let (c0, t) = (count.get(), Instant::now());
    m.run_until(2_000 + cycles);
    let dt = t.elapsed().as_secs_f64();
    let n = (count.get() - c0) as f64;
    Ok((per_s(n, dt), if n > 0.0 { cycles as f64 / n } else { 0.0 }))
}

fn traced(model: &str, cycles: u64, vcd: &Path) -> Result<f64, BenchError> {
    let mut m = machine(model, Some(vcd))?;
    let t = Instant::now();
    m.run_until(cycles);
    m.close_trace()?;
    Ok(per_s(cycles as f64, t.elapsed().as_secs_f64()))
}

fn irq_round_trips(device: &'static dyn Device, cycles: u64) -> Result<f64, BenchError> {
    use crate::scenario::{run, RunSettings};
    let s = RunSettings {
        device,
        scenario: device.scenarios().first().ok_or_else(|| format!("device {} has no scenario", device.name()))?,
        driver: device.drivers().first().copied().ok_or_else(|| format!("device {} has no driver", device.name()))?,
        seed: 1,
        cycles,
        vcd: None,
        reading: dirql_host::videoport::SyncReading::Current,
        cpus: 2,
    };
    let t = Instant::now();
    let r = run(&s)?;
    Ok(per_s(r.interrupts as f64, t.elapsed().as_secs_f64()))
}

/// Seeds explored per measurement of exploration throughput.
const EXPLORE_SEEDS: u64 = 16;

/// `dirql explore` of the device's first scenario and driver (live checking, no waveform,
/// every core): seeds per second, and the simulated cycles per second that makes.
fn exploration(device: &'static dyn Device, cycles: u64, jobs: usize) -> Result<(f64, f64), BenchError> {
    use crate::explore::{explore, ExploreSettings, Strategy};
    let scenario = device.scenarios().first().ok_or_else(|| format!("device {} has no scenario", device.name()))?;
    let driver = device.drivers().first().copied().ok_or_else(|| format!("device {} has no driver", device.name()))?;
    let s = ExploreSettings {
        device,
        scenario,
        driver,
        rtl: None,
        first_seed: 1,
        shard: None,
        seeds: EXPLORE_SEEDS,
        jobs,
        cycles,
        reading: dirql_host::videoport::SyncReading::Current,
        cpus: 2,
        replay_dir: std::env::temp_dir(),
        strategy: Strategy::Random,
        shrink: false,
        functional_coverage: false,
        rtl_coverage_dir: None,
    };
    let t = Instant::now();
    let r = explore(&s)?;
    let dt = t.elapsed().as_secs_f64();
    Ok((per_s(r.seeds_run as f64, dt), per_s((r.seeds_run * cycles) as f64, dt)))
}

/// 32-bit PCI moves at most one dword per clock, in a burst's data phases.
pub const BUS_BYTES_PER_CLOCK: f64 = 4.0;

/// The device's DMA as seen on the bus: the device's own memory transactions (its MSI
/// writes left out), followed from the wired signals as the checker's decoder does.
#[derive(Clone, Copy, Debug, Default)]
struct DmaCount {
    /// A transaction is on the bus: (address-phase cycle, the device masters it and it is
    /// DMA).
    txn: Option<(u64, bool)>,
    bytes: u64,
    data_phases: u64,
    transactions: u64,
    /// Clocks of the device's DMA transactions, address phase to last data phase plus the
    /// turnaround after.
    bus_cycles: u64,
}

impl DmaCount {
    fn feed(&mut self, f: &dirql_sim::Frame) {
        if !f.rst_n {
            self.txn = None;
            return;
        }
        let Some((start, dma)) = self.txn else {
            if !f.frame_n {
                // Address phase: the device drives AD; a memory command (C/BE# 6, 7, C, E,
                // F) outside the MSI window.
                let mem = matches!(f.cbe_n & 0xF, 0x6 | 0x7 | 0xC | 0xE | 0xF);
                let dma = f.ad_drivers & 2 != 0 && mem && !dirql_sim::MSI_WINDOW.contains(&f.ad);
                self.txn = Some((f.cycle, dma));
            }
            return;
        };
        if dma && !f.irdy_n && !f.trdy_n {
            self.data_phases += 1;
            self.bytes += u64::from((!f.cbe_n & 0xF).count_ones());
        }
        // Over as the decoder sees it (check/decode.rs): FRAME# high and the final phase
        // ended, or the master gave up.
        if f.frame_n && (f.irdy_n || !f.trdy_n || !f.stop_n) {
            self.txn = None;
            if dma {
                self.transactions += 1;
                self.bus_cycles += f.cycle - start + 2;
            }
        }
    }
}

/// CPU seconds this process has used (user + system).
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes only into the zeroed struct we pass.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// The device's DMA in its first scenario: (bytes per simulated second, bytes per CPU
/// second, bytes per DMA bus cycle, data phases per transaction, share of the clocks).
fn dma(device: &'static dyn Device, cycles: u64) -> Result<(f64, f64, f64, f64, f64), BenchError> {
    use crate::scenario::{run_with, FrameTap, RunOptions, RunSettings};
    let s = RunSettings {
        device,
        scenario: device.scenarios().first().ok_or_else(|| format!("device {} has no scenario", device.name()))?,
        driver: device.drivers().first().copied().ok_or_else(|| format!("device {} has no driver", device.name()))?,
        seed: 1,
        cycles,
        vcd: None,
        reading: dirql_host::videoport::SyncReading::Current,
        cpus: 2,
    };
    let count = Rc::new(std::cell::RefCell::new(DmaCount::default()));
    let c = count.clone();
    let tap = FrameTap(Rc::new(std::cell::RefCell::new(move |f: &dirql_sim::Frame| c.borrow_mut().feed(f))));
    let t = cpu_seconds();
    let r = run_with(&s, &RunOptions { tap: Some(tap), ..RunOptions::default() })?;
    let cpu = cpu_seconds() - t;
    let d = *count.borrow();
    let (bytes, clocks) = (d.bytes as f64, r.cycles as f64);
    Ok((
        per_s(bytes, clocks * dirql_sim::PERIOD_NS as f64 * 1e-9),
        per_s(bytes, cpu),
        if d.bus_cycles > 0 { bytes / d.bus_cycles as f64 } else { 0.0 },
        if d.transactions > 0 { d.data_phases as f64 / d.transactions as f64 } else { 0.0 },
        if clocks > 0.0 { d.bus_cycles as f64 / clocks } else { 0.0 },
    ))
}

/// Runs `dirql check` on `wave` in a child process; returns (seconds, peak RSS in MB of
/// that child).
fn check(wave: &Path) -> Result<(f64, f64), BenchError> {
    let exe = std::env::current_exe().map_err(io("the running dirql binary"))?;
    let t = Instant::now();
    let child = Command::new(exe)
        .arg("check")
        .arg(wave)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let (status, ru) = wait_with_rusage(pid)?;
    let dt = t.elapsed().as_secs_f64();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) == 2 {
        let mut err = String::new();
        if let Some(mut e) = child.stderr {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        return Err(BenchError::Tool(format!("dirql check {} failed: {err}", wave.display())));
    }
    Ok((dt, ru.ru_maxrss as f64 / 1024.0))
}

/// Waits for the child `pid`; returns its wait status and its own resource usage (so the
/// peak memory of each check is its own, not the largest of all children so far).
fn wait_with_rusage(pid: libc::pid_t) -> Result<(libc::c_int, libc::rusage), BenchError> {
    let mut status: libc::c_int = 0;
    // SAFETY: wait4 writes only into the status and the zeroed rusage we pass; `pid` is a
    // child of ours that nothing else waits for (its `Child` handle is never waited on).
    let (r, ru) = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        let r = libc::wait4(pid, &mut status, 0, &mut ru);
        (r, ru)
    };
    if r != pid {
        return Err(BenchError::Tool(format!("wait4 for dirql check: {}", std::io::Error::last_os_error())));
    }
    Ok((status, ru))
}

fn time_cargo(root: &Path, target: &Path) -> Result<f64, BenchError> {
    let t = Instant::now();
    let st = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-q", "-p", "dirql-sim"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(root)
        .status()
        .map_err(|e| e.to_string())?;
    if !st.success() {
        return Err(BenchError::Tool(format!("cargo build in {} failed: {st}", root.display())));
    }
    Ok(t.elapsed().as_secs_f64())
}

/// Clean build, then a rebuild after touching one RTL file of the device's model (the first
/// of `devices/<model>/rtl/*.v`; its contents are restored: a trailing comment is appended
/// and removed).
fn build_times(root: &Path, model: &str, reps: usize) -> Result<(f64, f64), BenchError> {
    let target = std::env::temp_dir().join(format!("dirql-bench-target-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&target);
    let clean = time_cargo(root, &target)?;
    let dir = root.join("devices").join(model).join("rtl");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "v"))
        .collect();
    files.sort();
    let rtl = files.first().cloned().ok_or_else(|| format!("no .v file in {}", dir.display()))?;
    let orig = std::fs::read_to_string(&rtl).map_err(|e| format!("{}: {e}", rtl.display()))?;
    let mut times = Vec::new();
    for i in 0..reps.max(1) {
        std::fs::write(&rtl, format!("{orig}// bench touch {i}\n")).map_err(|e| e.to_string())?;
        let r = time_cargo(root, &target);
        std::fs::write(&rtl, &orig).map_err(|e| e.to_string())?;
        times.push(r?);
    }
    let _ = std::fs::remove_dir_all(&target);
    Ok((clean, Figure::of(times).median))
}

/// Runs every measurement.
pub fn bench(s: &BenchSettings, mut progress: impl FnMut(&str)) -> Result<BenchReport, BenchError> {
    std::fs::create_dir_all(&s.scratch)
        .map_err(io(format!("cannot create the scratch folder {}", s.scratch.display())))?;
    let mut v: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    let mut push = |k: &'static str, x: f64| v.entry(k).or_default().push(x);
    let trace_path = s.scratch.join("bench-trace.vcd");
    let trace_fst_path = s.scratch.join("bench-trace.fst");
    let mut dma_seen = false;
    for rep in 0..s.reps {
        progress(&format!("repetition {}/{}", rep + 1, s.reps));
        let b = bare(s.device.model(), s.cycles, None)?;
        let i = idle(s.device.model(), s.cycles)?;
        let (m, cpt) = mmio(s.device, s.cycles)?;
        let bt = bare(s.device.model(), s.trace_cycles, Some(&trace_path))?;
        let t = traced(s.device.model(), s.trace_cycles, &trace_path)?;
        let bft = bare(s.device.model(), s.trace_cycles, Some(&trace_fst_path))?;
        let tf = traced(s.device.model(), s.trace_cycles, &trace_fst_path)?;
        let irq = irq_round_trips(s.device, s.cycles)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (seeds, explored) = exploration(s.device, s.explore_cycles, cores)?;
        // A device that masters no DMA in its first repetition is not measured again.
        if rep == 0 || dma_seen {
            let (sim, cpu, per_cycle, dwords, share) = dma(s.device, s.cycles)?;
            dma_seen = sim > 0.0;
            if dma_seen {
                push("dma_bytes_per_sim_s", sim);
                push("dma_bytes_per_cpu_s", cpu);
                push("dma_bytes_per_bus_cycle", per_cycle);
                push("dma_bus_ratio", per_cycle / BUS_BYTES_PER_CLOCK);
                push("dma_dwords_per_txn", dwords);
                push("dma_bus_share", share);
            }
        }
        push("bare_cycles_per_s", b);
        push("idle_cycles_per_s", i);
        push("idle_ratio", i / b);
        push("mmio_txn_per_s", m);
        push("mmio_cycles_per_txn", cpt);
        let limit = if cpt > 0.0 { b / cpt } else { 0.0 };
        push("bus_limit_txn_per_s", limit);
        push("mmio_ratio", if limit > 0.0 { m / limit } else { 0.0 });
        push("bare_trace_cycles_per_s", bt);
        push("trace_cycles_per_s", t);
        push("trace_ratio", t / bt);
        push("bare_trace_fst_cycles_per_s", bft);
        push("trace_fst_cycles_per_s", tf);
        push("trace_fst_ratio", tf / bft);
        push("fst_vs_vcd_trace_ratio", tf / t);
        push("irq_round_trips_per_s", irq);
        push("explore_seeds_per_s", seeds);
        push("explore_cycles_per_s", explored);
        push("explore_ratio", explored / (cores as f64 * b));
    }
    progress("checking a large VCD and an FST of the same run");
    let check_vcd = s.scratch.join("bench-check.vcd");
    let check_fst = s.scratch.join("bench-check.fst");
    traced(s.device.model(), s.check_cycles, &check_vcd)?;
    traced(s.device.model(), s.check_cycles, &check_fst)?;
    let mb = |p: &Path| std::fs::metadata(p).map(|m| m.len() as f64 / 1e6).map_err(|e| e.to_string());
    let (size, fst_size) = (mb(&check_vcd)?, mb(&check_fst)?);
    let (mut rss, mut fst_rss) = (0.0f64, 0.0f64);
    for _ in 0..s.reps {
        let (dt, r) = check(&check_vcd)?;
        push("check_mb_per_s", per_s(size, dt));
        push("check_cycles_per_s", per_s(s.check_cycles as f64, dt));
        rss = rss.max(r);
        let (dt, r) = check(&check_fst)?;
        push("check_fst_cycles_per_s", per_s(s.check_cycles as f64, dt));
        fst_rss = fst_rss.max(r);
    }
    for p in [&check_vcd, &check_fst, &trace_path, &trace_fst_path] {
        let _ = std::fs::remove_file(p);
    }
    let (build_clean_s, build_rebuild_s) = match &s.build {
        Some(root) => {
            progress("timing a clean build and a rebuild after an RTL edit");
            let (c, r) = build_times(root, s.device.model(), s.reps.min(3))?;
            (Some(c), Some(r))
        }
        None => (None, None),
    };
    let detail: Vec<(String, Figure)> = v.into_iter().map(|(k, xs)| (k.to_string(), Figure::of(xs))).collect();
    let med = |k: &str| detail.iter().find(|(n, _)| n == k).map_or(0.0, |(_, f)| f.median);
    Ok(BenchReport {
        bare_cycles_per_s: med("bare_cycles_per_s"),
        idle_cycles_per_s: med("idle_cycles_per_s"),
        idle_ratio: med("idle_ratio"),
        mmio_txn_per_s: med("mmio_txn_per_s"),
        mmio_cycles_per_txn: med("mmio_cycles_per_txn"),
        bus_limit_txn_per_s: med("bus_limit_txn_per_s"),
        mmio_ratio: med("mmio_ratio"),
        irq_round_trips_per_s: med("irq_round_trips_per_s"),
        explore_seeds_per_s: med("explore_seeds_per_s"),
        explore_cycles_per_s: med("explore_cycles_per_s"),
        explore_ratio: med("explore_ratio"),
        trace_cycles_per_s: med("trace_cycles_per_s"),
        bare_trace_cycles_per_s: med("bare_trace_cycles_per_s"),
        trace_ratio: med("trace_ratio"),
        trace_fst_cycles_per_s: med("trace_fst_cycles_per_s"),
        bare_trace_fst_cycles_per_s: med("bare_trace_fst_cycles_per_s"),
        trace_fst_ratio: med("trace_fst_ratio"),
        fst_vs_vcd_trace_ratio: med("fst_vs_vcd_trace_ratio"),
        check_mb_per_s: med("check_mb_per_s"),
        check_file_mb: size,
        check_peak_rss_mb: rss,
        check_cycles_per_s: med("check_cycles_per_s"),
        check_fst_cycles_per_s: med("check_fst_cycles_per_s"),
        check_fst_file_mb: fst_size,
        check_fst_peak_rss_mb: fst_rss,
        dma_bytes_per_sim_s: med("dma_bytes_per_sim_s"),
        dma_bytes_per_cpu_s: med("dma_bytes_per_cpu_s"),
        dma_bytes_per_bus_cycle: med("dma_bytes_per_bus_cycle"),
        dma_bus_ratio: med("dma_bus_ratio"),
        dma_dwords_per_txn: med("dma_dwords_per_txn"),
        dma_bus_share: med("dma_bus_share"),
        build_clean_s,
        build_rebuild_s,
        detail,
        reps: s.reps,
    })
}

/// The table people read.
pub fn table(r: &BenchReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let f = |k: &str| r.detail.iter().find(|(n, _)| n == k).map(|(_, f)| f.clone());
    let row = |s: &mut String, name: &str, key: &str, unit: &str, goal: &str| {
        if let Some(x) = f(key) {
            let _ = writeln!(s, "  {name:<34} {:>14.0} {unit:<10} [{:.0} .. {:.0}]  {goal}", x.median, x.min, x.max);
        }
    };
    let ratio = |s: &mut String, name: &str, key: &str, goal: f64| {
        if let Some(x) = f(key) {
            let ok = if x.median >= goal { "meets" } else { "MISSES" };
            let _ = writeln!(
                s,
                "  {name:<34} {:>14.3} {:<10} [{:.3} .. {:.3}]  goal >= {goal} ({ok})",
                x.median, "", x.min, x.max
            );
        }
    };
    let _ = writeln!(s, "dirql bench: median of {} repetitions [min .. max]", r.reps);
    row(&mut s, "bare (C++ loop, no host)", "bare_cycles_per_s", "cycles/s", "the limit");
    row(&mut s, "idle co-simulation", "idle_cycles_per_s", "cycles/s", "");
    ratio(&mut s, "  idle / bare", "idle_ratio", 0.8);
    row(&mut s, "register traffic (MMIO)", "mmio_txn_per_s", "txn/s", "");
    row(&mut s, "  bus cycles per transaction", "mmio_cycles_per_txn", "cycles", "");
    row(&mut s, "  bus limit (bare / cycles per txn)", "bus_limit_txn_per_s", "txn/s", "");
    ratio(&mut s, "  mmio / bus limit", "mmio_ratio", 0.5);
    row(&mut s, "interrupt round trips", "irq_round_trips_per_s", "irq/s", "");
    row(&mut s, "exploration (first scenario, all cores)", "explore_seeds_per_s", "seeds/s", "");
    row(&mut s, "  simulated cycles explored", "explore_cycles_per_s", "cycles/s", "");
    ratio(&mut s, "  explored / (cores x bare)", "explore_ratio", 0.8);
    if f("dma_bytes_per_sim_s").is_some() {
        let _ = writeln!(s, "  bus-master DMA (first scenario, live checking):");
        row(&mut s, "  DMA per simulated second", "dma_bytes_per_sim_s", "bytes/s", "");
        row(&mut s, "  DMA per CPU second", "dma_bytes_per_cpu_s", "bytes/s", "");
        let dec = |s: &mut String, name: &str, key: &str, unit: &str, note: &str| {
            if let Some(x) = f(key) {
                let _ =
                    writeln!(s, "  {name:<34} {:>14.3} {unit:<10} [{:.3} .. {:.3}]  {note}", x.median, x.min, x.max);
            }
        };
        dec(
            &mut s,
            "  DMA bytes per bus cycle",
            "dma_bytes_per_bus_cycle",
            "bytes",
            "address phase to last data phase + turnaround",
        );
        dec(&mut s, "  DMA / bus limit (4 bytes/clock)", "dma_bus_ratio", "", "32-bit PCI, one dword per data phase");
        dec(&mut s, "  dwords per DMA transaction", "dma_dwords_per_txn", "", "n");
        if let Some(n) = f("dma_dwords_per_txn").map(|x| x.median) {
            let _ = writeln!(
                s,
                "  {:<34} {:>14.3} {:<10} writes of that length: 4n/(n+2) (a read takes one clock more)",
                "  their bound",
                BUS_BYTES_PER_CLOCK * n / (n + 2.0),
                "bytes"
            );
        }
        dec(&mut s, "  share of the clocks in DMA", "dma_bus_share", "", "");
    }
    row(&mut s, "bare with Verilator's tracer", "bare_trace_cycles_per_s", "cycles/s", "");
    row(&mut s, "co-simulation with VCD", "trace_cycles_per_s", "cycles/s", "");
    ratio(&mut s, "  traced / bare traced", "trace_ratio", 0.8);
    row(&mut s, "bare with Verilator's FST tracer", "bare_trace_fst_cycles_per_s", "cycles/s", "");
    row(&mut s, "co-simulation with FST", "trace_fst_cycles_per_s", "cycles/s", "");
    ratio(&mut s, "  FST traced / bare FST traced", "trace_fst_ratio", 0.8);
    if let Some(x) = f("fst_vs_vcd_trace_ratio") {
        let _ =
            writeln!(s, "  {:<34} {:>14.3} {:<10} [{:.3} .. {:.3}]", "  FST / VCD traced", x.median, "", x.min, x.max);
    }
    if let Some(x) = f("check_mb_per_s") {
        let ok = if x.median >= 100.0 { "meets" } else { "MISSES" };
        let _ = writeln!(
            s,
            "  {:<34} {:>14.1} {:<10} [{:.1} .. {:.1}]  goal >= 100 ({ok}); {:.0} MB file, peak RSS {:.1} MB",
            "dirql check", x.median, "MB/s", x.min, x.max, r.check_file_mb, r.check_peak_rss_mb
        );
    }
    row(&mut s, "dirql check on the VCD", "check_cycles_per_s", "cycles/s", "");
    if let Some(x) = f("check_fst_cycles_per_s") {
        let _ = writeln!(
            s,
            "  {:<34} {:>14.0} {:<10} [{:.0} .. {:.0}]  {:.2} MB file ({:.0}x smaller), peak RSS {:.1} MB",
            "dirql check on an FST of that run",
            x.median,
            "cycles/s",
            x.min,
            x.max,
            r.check_fst_file_mb,
            r.check_file_mb / r.check_fst_file_mb.max(1e-9),
            r.check_fst_peak_rss_mb
        );
    }
    if let (Some(c), Some(b)) = (r.build_clean_s, r.build_rebuild_s) {
        let ok = if b <= 5.0 { "meets" } else { "MISSES" };
        let _ = writeln!(s, "  {:<34} {:>14.1} s", "clean build (dirql-sim)", c);
        let _ = writeln!(s, "  {:<34} {:>14.1} s          goal <= 5 ({ok})", "rebuild after an RTL edit", b);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirql_sim::Frame;

    /// The bus idle at `cycle`.
    fn idle(cycle: u64) -> Frame {
        Frame {
            cycle,
            rst_n: true,
            frame_n: true,
            irdy_n: true,
            trdy_n: true,
            devsel_n: true,
            stop_n: true,
            ..Frame::default()
        }
    }

    /// A transaction from `at`: address phase by `master` (bit of `ad_drivers`) with command
    /// `cmd` at `addr`, then `phases` data phases (C/BE# `cbe_n`) with one wait state
    /// before the first; returns its frames and the first idle cycle after it.
    fn txn(at: u64, master: u8, cmd: u8, addr: u32, phases: u64, cbe_n: u8) -> (Vec<Frame>, u64) {
        let mut v = vec![Frame { frame_n: false, cbe_n: cmd, ad: addr, ad_drivers: master, ..idle(at) }];
        let reader = if cmd & 1 == 0 { 3 - master } else { master };
        v.push(Frame { frame_n: false, irdy_n: false, devsel_n: false, cbe_n, ad_drivers: reader, ..idle(at + 1) });
        for k in 0..phases {
            let last = k + 1 == phases;
            v.push(Frame {
                frame_n: last,
                irdy_n: false,
                trdy_n: false,
                devsel_n: false,
                cbe_n,
                ad_drivers: reader,
                ..idle(at + 2 + k)
            });
        }
        (v, at + 2 + phases)
    }

    #[test]
    fn dma_counts_the_devices_memory_bursts_with_their_address_phase_and_turnaround() {
        let mut d = DmaCount::default();
        let mut frames = vec![idle(1)];
        // The device writes 3 dwords (all bytes) to host RAM: 5 clocks from the address
        // phase to the last data phase (one wait state), 6 with the turnaround.
        let (t, next) = txn(2, 2, 0x7, 0x0010_0000, 3, 0x0);
        frames.extend(t);
        frames.push(idle(next));
        // The device reads 2 dwords, one byte lane disabled in each: 4 + 1 clocks.
        let (t, next) = txn(next + 1, 2, 0x6, 0x0010_1000, 2, 0x8);
        frames.extend(t);
        frames.push(idle(next));
        // Not DMA: its MSI write, and a host read the device answers (it drives AD).
        let (t, next) = txn(next + 1, 2, 0x7, 0xFEE0_0000, 1, 0x0);
        frames.extend(t);
        frames.push(idle(next));
        let (t, next) = txn(next + 1, 1, 0x6, 0xE000_0010, 1, 0x0);
        frames.extend(t);
        frames.push(idle(next));
        for f in &frames {
            d.feed(f);
        }
        assert_eq!((d.transactions, d.data_phases, d.bytes), (2, 5, 12 + 6));
        assert_eq!(d.bus_cycles, 6 + 5);
    }
}
