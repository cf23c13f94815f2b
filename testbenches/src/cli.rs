//! The `dirql` command line: run scenarios, explore seeds, check waveforms, measure. Exit 0
//! when every check passes, 1 when a check fails, 2 on bad input. It knows devices only
//! through the list it is given ([`main`]).

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufReader, IsTerminal, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use dirql_host::videoport::SyncReading;
use dirql_sim::TraceFormat;
use serde_json::json;

use crate::bench::{bench, table as bench_table, BenchSettings};
use crate::check;
use crate::check::{hierarchy_file_of, read_fst_recovering, read_vcd, Checker, FstRecovery, RuleReport, SourceTiming};
use crate::device::{driver as find_driver, rtl_twin, Device, Registry, RtlTwin, Scenario, Twin};
use crate::explore::{explore, ExploreSettings, Shard, Strategy};
use crate::gtkw::{write_gtkw, Decode, DecodeLog};
use crate::html::{write_page, ExploreSummary, Page};
use crate::manifest::{self, RunManifest};
use crate::report::{explore_junit, junit, rules_table, run_notes, timing_svg, timing_table};
use crate::scenario::{run_with, FrameTap, Progress, RunOptions, RunSettings, TapFn};

#[derive(Parser)]
#[command(
    name = "dirql",
    version,
    about = "Hardware/software co-simulation of interrupt-driven PCI devices and their miniport drivers"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List scenarios, driver variants and RTL variants.
    List(ListArgs),
    /// Run a scenario and check it live, cycle by cycle.
    Run(RunArgs),
    /// Run many seeds of a scenario in parallel and replay the first failure with a waveform.
    Explore(ExploreArgs),
    /// Measure every layer against Verilator's own speed (prints figures; no pass/fail).
    Bench(BenchArgs),
    /// Check a waveform written by `dirql run`.
    Check(CheckArgs),
    /// Join the JSON reports of an exploration's shards (`explore --shard K/N --json`).
    Merge(MergeArgs),
}

/// Arguments of `dirql merge`.
#[derive(Args)]
struct MergeArgs {
    /// The shards' reports (`dirql explore --shard K/N --json > FILE`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Machine-readable output (the report one unsharded `explore --json` gives).
    #[arg(long)]
    json: bool,
    /// Where the merged coverage.dat, lcov and HTML go when the shards have RTL coverage.
    #[arg(long, default_value = "build/coverage/merged")]
    coverage_dir: PathBuf,
}

/// Arguments of `dirql list`.
#[derive(Args)]
struct ListArgs {
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// Arguments of `dirql run`.
#[derive(Args)]
struct RunArgs {
    /// Scenario name (see `dirql list`).
    scenario: String,
    /// Driver variant (see `dirql list`).
    #[arg(long, default_value = "reference")]
    driver: String,
    /// RTL variant of the adapter (see `dirql list`): a broken twin's pins come from the
    /// wrapper's pin-fault stage.
    #[arg(long, default_value = "reference")]
    rtl: String,
    /// Seed of the scheduler: the same seed gives the same run, byte for byte.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Cycles to simulate (default: the scenario's own).
    #[arg(long)]
    cycles: Option<u64>,
    /// Write the waveform (VCD) here.
    #[arg(long, conflicts_with = "wave")]
    vcd: Option<PathBuf>,
    /// Write the waveform here, in the format its name ends in: `.vcd` or `.fst`
    /// (Verilator's FST writer: compressed, for long runs; GTKWave opens it).
    #[arg(long)]
    wave: Option<PathBuf>,
    /// Reading of VideoPortSynchronizeExecution: current, legacy or reactos.
    #[arg(long, default_value = "current")]
    reading: String,
    /// Virtual CPUs (1 or 2).
    #[arg(long, default_value_t = 2)]
    cpus: u8,
    /// Inject a fault (repeatable): `bad-parity` (wrong PAR on every 7th write data
    /// phase), `master-abort` (every 50th memory/I/O transaction sent where nobody
    /// answers), `target-abort` (the adapter answers every 50th memory/I/O transaction
    /// with target abort), `retry-storm` (the adapter answers every transaction started
    /// in cycles 5000-5600 with retry), `drop-line` (the interrupt controller does not see
    /// INTA# in cycles 3000-9000), `slow-line` (every delivery 40 cycles late),
    /// `stale-irr` (every 4th end of interrupt the controller delivers the line again
    /// whatever its level: spurious interrupts), `drop-msi` (every 3rd MSI write accepted
    /// on the bus and thrown away), `stuck-grant` (from cycle 5000 the arbiter parks GNT#
    /// on the device for ever: the host's accesses never start). A fault on the line or on
    /// MSI given with a scenario that uses neither is refused. See docs/robustness.md.
    #[arg(long = "fault")]
    faults: Vec<String>,
    /// Forced schedule instead of the seed's choices: `INDEX=VALUE,...` (as printed by
    /// `dirql explore`); every other choice takes its baseline.
    #[arg(long)]
    schedule: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Also write a JUnit XML report here (one test case per rule).
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write the timing histograms (SVG) here instead of beside the waveform.
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Write a report page into this folder: one self-contained HTML file (verdicts, each
    /// violation drawn with the transactions around it and its replay command, timing).
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
    #[command(flatten)]
    coverage: CoverageArgs,
}

/// Coverage options of `dirql run` and `dirql explore` (docs/coverage.md).
#[derive(Args)]
struct CoverageArgs {
    /// Functional coverage (the hardware/software interplay, from the frames) and RTL line
    /// and toggle coverage (a coverage model of the device, built once into target/coverage):
    /// coverage.dat, lcov and an HTML report in --coverage-dir.
    #[arg(long)]
    coverage: bool,
    /// Functional coverage only (no coverage model needed).
    #[arg(long)]
    functional_coverage: bool,
    /// Where --coverage writes coverage.dat, coverage.info and html/ (default:
    /// build/coverage/<scenario>-<driver>[-seed<N>]).
    #[arg(long)]
    coverage_dir: Option<PathBuf>,
}

/// Arguments of `dirql explore`.
#[derive(Args)]
struct ExploreArgs {
    /// Scenario name.
    scenario: String,
    /// Driver variant.
    #[arg(long, default_value = "reference")]
    driver: String,
    /// RTL variant of the device (see `dirql list`).
    #[arg(long, default_value = "reference")]
    rtl: String,
    /// Number of seeds.
    #[arg(long, default_value_t = 1000)]
    seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1)]
    first_seed: u64,
    /// Worker threads (default: every core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Cycles per run (default: the scenario's own).
    #[arg(long)]
    cycles: Option<u64>,
    /// Reading of VideoPortSynchronizeExecution: current, legacy or reactos.
    #[arg(long, default_value = "current")]
    reading: String,
    /// Virtual CPUs (1 or 2).
    #[arg(long, default_value_t = 2)]
    cpus: u8,
    /// Where the replay's waveform goes.
    #[arg(long, default_value = "build/waves")]
    replay_dir: PathBuf,
    /// How choices are made: `random` (uniform from each seed), `pct` (the baseline
    /// schedule with a few random deviations at random depths) or `coverage` (mutations of
    /// the schedules that reached new functional-coverage cells).
    #[arg(long, default_value = "random")]
    strategy: String,
    /// Deviations per run with `--strategy pct`.
    #[arg(long, default_value_t = 2)]
    depth: u32,
    /// Do not shrink the first failure.
    #[arg(long)]
    no_shrink: bool,
    /// Write JUnit XML: one test case per failing rule, with the replay command.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a report page into this folder: one self-contained HTML file (failing seeds by
    /// rule, the shrunk schedule, the replay's violations drawn, its replay command).
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
    /// Run only this machine's share of the seeds: `K/N` (shard K of N, K from 0), or `N`
    /// with K from `SLURM_ARRAY_TASK_ID` or `JOB_COMPLETION_INDEX` (Slurm arrays,
    /// Kubernetes Indexed Jobs); `dirql merge` joins the shards' `--json` reports.
    #[arg(long)]
    shard: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    coverage: CoverageArgs,
}

/// Arguments of `dirql bench`.
#[derive(Args)]
struct BenchArgs {
    /// The device to measure (default: the first registered; see `dirql list`).
    #[arg(long)]
    device: Option<String>,
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Cycles per untraced measurement.
    #[arg(long, default_value_t = 1_000_000)]
    cycles: u64,
    /// Also time a clean build and a rebuild after touching one RTL file (run from the
    /// repository root).
    #[arg(long)]
    build: bool,
    /// Folder for the temporary waveforms.
    #[arg(long, default_value = "build/bench")]
    scratch: PathBuf,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

/// Arguments of `dirql check`.
#[derive(Args)]
struct CheckArgs {
    /// The device the waveform is of (default: the one its run manifest names, else the
    /// first registered).
    #[arg(long)]
    device: Option<String>,
    /// The waveform: FST when its name ends in `.fst`, else VCD.
    #[arg(value_name = "VCD|FST")]
    vcd: PathBuf,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Also write a JUnit XML report here (one test case per rule).
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a GTKWave save file beside the waveform, centred on the first violation.
    #[arg(long)]
    gtkw: bool,
    /// Write the timing histograms (SVG) here instead of beside the waveform.
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Functional coverage of the waveform (the same table `dirql run --coverage` gives;
    /// RTL coverage needs the run itself).
    #[arg(long)]
    coverage: bool,
    /// Write a report page into this folder: one self-contained HTML file (verdicts, each
    /// violation drawn with the transactions around it, timing).
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
}

/// Why a command could not give a verdict: bad input (exit 2, the message names the input
/// and the fix), or a failure of dirql itself (exit 2 as well, but said as such, so a user
/// does not look for a mistake in what they typed).
enum Failure {
    /// The input is wrong: the message names it and the fix.
    BadInput(String),
    /// dirql could not do what was asked for a reason that is not the input's.
    Internal(String),
}

/// Bad input, as most errors are.
#[allow(non_snake_case)]
fn BadInput(msg: String) -> Failure {
    Failure::BadInput(msg)
}

/// Runs the `dirql` command line over `devices` (the first is the default device) and
/// returns its exit code: 0 when every check passes, 1 when a check fails, 2 on bad input.
/// The in-tree `dirql` registers its devices in `cli/src/main.rs`; a device out of tree
/// calls this from its own `main` with its own list.
pub fn main(devices: &'static [&'static dyn Device]) -> ExitCode {
    let registry = match Registry::new(devices) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("dirql: internal error: bad device registration: {e}");
            return ExitCode::from(2);
        }
    };
    let cli = Cli::parse();
    // RTL coverage needs the coverage models: a build without them hands the command to
    // the coverage build (crate::coverage_rtl), which it builds once.
    let wants_rtl = match &cli.cmd {
        Cmd::Run(a) => a.coverage.coverage,
        Cmd::Explore(a) => a.coverage.coverage,
        _ => false,
    };
    if wants_rtl && !crate::coverage_rtl::available() {
        return match crate::coverage_rtl::reexec_in_coverage_build() {
            Ok(st) => ExitCode::from(st.code().map_or(2, |c| c.clamp(0, 255) as u8)),
            Err(msg) => {
                eprintln!("dirql: --coverage: {msg}");
                ExitCode::from(2)
            }
        };
    }
    crate::signals::install();
    let outcome = match cli.cmd {
        Cmd::List(a) => list(&registry, &a),
        Cmd::Run(a) => run(&registry, a),
        Cmd::Explore(a) => explore_cmd(&registry, a),
        Cmd::Bench(a) => bench_cmd(&registry, a),
        Cmd::Check(a) => check_cmd(&registry, a),
        Cmd::Merge(a) => merge_cmd(a),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(Failure::BadInput(msg)) => {
            eprintln!("dirql: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(msg)) => {
            eprintln!("dirql: internal error: {msg}");
            ExitCode::from(2)
        }
    }
}

/// `dirql run`.
fn run(registry: &Registry, a: RunArgs) -> Result<bool, Failure> {
    let mut injected = dirql_sim::Faults::default();
    let mut line = dirql_sim::LineFaults::default();
    let mut kinds = Vec::new();
    for f in &a.faults {
        let Some(kind) = FAULTS.iter().find(|k| k.name == f) else {
            let known: Vec<&str> = FAULTS.iter().map(|k| k.name).collect();
            return Err(BadInput(format!("unknown --fault '{f}'; use one of: {}", known.join(", "))));
        };
        (kind.arm)(&mut injected, &mut line);
        kinds.push(kind);
    }
    let (device, sc, drv, reading) = resolve(registry, &a.scenario, &a.driver, &a.reading, a.cpus)?;
    let rtl = resolve_rtl(device, &a.rtl)?;
    let replay = run_replay_command(&a);
    let schedule = a
        .schedule
        .clone()
        .map(|t| t.parse::<dirql_sim::Schedule>().map_err(|e| BadInput(format!("--schedule: {e}"))))
        .transpose()?;
    let vcd = waveform_path(a.vcd, a.wave)?;
    let cycles = a.cycles.unwrap_or(sc.default_cycles);
    if cycles == 0 {
        return Err(BadInput("--cycles 0: give at least one cycle".into()));
    }
    let probe =
        RunSettings { device, scenario: sc, driver: drv, seed: a.seed, cycles, vcd: None, reading, cpus: a.cpus };
    fault_applies(registry, &kinds, &probe)?;
    let progress = (cycles >= LONG_RUN).then(|| progress_on_terminal(Some(cycles))).flatten();
    let settings = RunSettings {
        device,
        scenario: sc,
        driver: drv,
        seed: a.seed,
        cycles,
        vcd: vcd.clone(),
        reading,
        cpus: a.cpus,
    };
    let cov_dir = a.coverage.coverage.then(|| {
        a.coverage
            .coverage_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("build/coverage/{}-{}-seed{}", sc.name, drv.name, a.seed)))
    });
    if let Some(d) = &cov_dir {
        std::fs::create_dir_all(d).map_err(|e| BadInput(format!("--coverage-dir {}: {e}", d.display())))?;
    }
    // The decode the save file and the page show: only when one of them is written.
    let (tap, decode_log) = decode_tap(device.profile(), vcd.is_some() || a.html.is_some());
    let opts = RunOptions {
        schedule,
        faults: injected,
        line_faults: line,
        rtl: Some(rtl),
        progress,
        functional_coverage: a.coverage.coverage || a.coverage.functional_coverage,
        rtl_coverage: cov_dir.as_ref().map(|d| d.join("coverage.dat")),
        tap,
        ..RunOptions::default()
    };
    let r = run_with(&settings, &opts).map_err(|e| BadInput(e.to_string()))?;
    let decode = decode_log.map(|l| l.replace(DecodeLog::new(device.profile())).finish());
    let rtl_cov = match &cov_dir {
        Some(d) => {
            Some(crate::coverage_rtl::reports(&d.join("coverage.dat"), d, true).map_err(|e| BadInput(e.to_string()))?)
        }
        None => None,
    };
    let suite = format!("{}.{}.seed{}", r.scenario, r.driver, r.seed);
    let extras = write_extras(
        &r.rules,
        &r.timing,
        &Extras {
            vcd: vcd.as_deref(),
            gtkw: vcd.is_some(),
            report_dir: a.report_dir.as_deref(),
            junit: a.junit.as_deref(),
            suite: &suite,
            profile: device.profile(),
            decode: decode.as_ref(),
        },
    )?;
    let mut extras = extras;
    if let Some(dir) = &a.html {
        let rtl = if r.rtl == "reference" { String::new() } else { format!("  rtl={}", r.rtl) };
        let page = Page {
            title: format!("dirql run {}  driver={}{rtl}  seed={}  cycles={}", r.scenario, r.driver, r.seed, r.cycles),
            verdict: r.verdict,
            rules: &r.rules,
            notes: Some(run_notes(&r)),
            timing: &r.timing,
            profile: device.profile(),
            txns: decode.as_ref().map_or(&[], |d| &d.txns[..]),
            replay: Some(replay),
            explore: None,
            files: wave_files(vcd.as_deref()),
        };
        let name = format!("{}-{}-seed{}.html", r.scenario, r.driver, r.seed);
        let p = write_page(&page, dir, &name).map_err(|e| {
            BadInput(format!(
                "--html {}: cannot write the report page there ({e}); give a folder dirql can create or write to",
                dir.display()
            ))
        })?;
        extras.push(p.display().to_string());
    }
    if a.json {
        let mut j = serde_json::to_value(&r).map_err(|e| Failure::Internal(e.to_string()))?;
        j["timing"] = json!(r.timing);
        j["files"] = json!(extras);
        if let Some(c) = &rtl_cov {
            j["rtl_coverage"] = json!(c);
        }
        println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else {
        let rtl = if r.rtl == "reference" { String::new() } else { format!("  rtl={}", r.rtl) };
        println!("dirql run {}  driver={}{rtl}  seed={}  cycles={}", r.scenario, r.driver, r.seed, r.cycles);
        print!("{}", rules_table(&r.rules));
        print!("{}", run_notes(&r));
        print!("{}", timing_table(&r.timing));
        if let Some(c) = &r.functional_coverage {
            print!("{}", c.table(HOLES_SHOWN));
        }
        if let Some(c) = &rtl_cov {
            print!("{}", crate::coverage_rtl::table(c));
        }
        println!("verdict: {}", r.verdict.to_uppercase());
        if let Some(v) = &r.waveform {
            println!("waveform: {v}");
        }
        for f in &extras {
            println!("wrote: {f}");
        }
    }
    Ok(r.verdict == "pass")
}

/// `dirql explore`.
fn explore_cmd(registry: &Registry, a: ExploreArgs) -> Result<bool, Failure> {
    let strategy = match a.strategy.as_str() {
        "random" => Strategy::Random,
        "pct" if a.depth >= 1 => Strategy::Pct { depth: a.depth },
        "pct" => return Err(BadInput("--depth must be at least 1 with --strategy pct".into())),
        "coverage" => Strategy::Coverage,
        other => return Err(BadInput(format!("unknown --strategy '{other}'; use random, pct or coverage"))),
    };
    let (device, sc, drv, reading) = resolve(registry, &a.scenario, &a.driver, &a.reading, a.cpus)?;
    let rtl = resolve_rtl(device, &a.rtl)?;
    if a.seeds == 0 || a.jobs == Some(0) {
        return Err(BadInput("--seeds and --jobs must be at least 1".into()));
    }
    let jobs = a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let shard = a.shard.as_deref().map(parse_shard).transpose()?;
    let settings = ExploreSettings {
        device,
        scenario: sc,
        driver: drv,
        rtl: Some(rtl).filter(|v| v.name != "reference"),
        first_seed: a.first_seed,
        shard,
        seeds: a.seeds,
        jobs,
        cycles: a.cycles.unwrap_or(sc.default_cycles),
        reading,
        cpus: a.cpus,
        replay_dir: a.replay_dir,
        strategy,
        shrink: !a.no_shrink,
        functional_coverage: a.coverage.coverage || a.coverage.functional_coverage,
        rtl_coverage_dir: a.coverage.coverage.then(|| {
            a.coverage.coverage_dir.clone().unwrap_or_else(|| {
                let shard = shard.map_or(String::new(), |s| format!("-shard{}of{}", s.index, s.count));
                PathBuf::from(format!("build/coverage/{}-{}{shard}", sc.name, drv.name))
            })
        }),
    };
    if let Some(d) = &settings.rtl_coverage_dir {
        // A fresh folder of seed files: an earlier exploration's would be merged in.
        let seeds = d.join("seeds");
        let _ = std::fs::remove_dir_all(&seeds);
        std::fs::create_dir_all(&seeds).map_err(|e| BadInput(format!("--coverage-dir {}: {e}", d.display())))?;
    }
    let r = explore(&settings).map_err(|e| BadInput(e.to_string()))?;
    let page = a.html.as_deref().map(|dir| explore_page(registry, device, &r, dir)).transpose()?;
    if let Some(p) = &a.junit {
        std::fs::write(p, explore_junit(&r))
            .map_err(|e| BadInput(format!("cannot write the JUnit file {}: {e}", p.display())))?;
    }
    if a.json {
        let mut j = serde_json::to_value(&r).map_err(|e| Failure::Internal(e.to_string()))?;
        if let Some(p) = &page {
            j["html"] = json!(p.display().to_string());
        }
        println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else {
        let rtl = if r.rtl == "reference" { String::new() } else { format!("  rtl={}", r.rtl) };
        println!(
            "dirql explore {}  driver={}{rtl}  seeds={} ({} jobs)  {:.1} seeds/s",
            r.scenario, r.driver, r.seeds_run, r.jobs, r.seeds_per_s
        );
        println!("  failing seeds: {}", r.failures);
        for (rule, n) in &r.failures_by_rule {
            println!("    {rule:<20} {n}");
        }
        if let (Some(seed), Some(k)) = (r.first_failing_seed, r.seeds_to_first_failure) {
            println!("  first failing seed: {seed} (found after {k} seed(s))");
        }
        if let (Some(t), Some((b, a, runs))) = (&r.shrunk_schedule, r.shrink_stats) {
            let shown = if t == "baseline" {
                "baseline (no forced choice: the nominal schedule already fails)"
            } else {
                t.as_str()
            };
            println!("  shrunk: {b} forced choice(s) -> {a} in {runs} run(s): {shown}");
        }
        if let Some(rep) = &r.replay {
            println!("  replayed with a waveform: {} (same verdict: {})", rep.vcd, rep.same_verdict);
            if let Some((c, m)) = &rep.first_violation {
                println!("    first violation at cycle {c}: {m}");
            }
        }
        if let Some(cmd) = &r.replay_command {
            println!("  replay: {cmd}");
        }
        let kinds: Vec<String> = r.harm_by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let kinds = if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) };
        println!("  harmed seeds: {}{kinds}", r.harmed_seeds);
        println!("  false passes (harm, every rule passing): {}", r.false_passes);
        if let Some(c) = &r.functional_coverage {
            print!("{}", c.table(HOLES_SHOWN));
        }
        if let Some(c) = &r.rtl_coverage {
            print!("{}", crate::coverage_rtl::table(c));
        }
        if let Some(fp) = &r.first_false_pass {
            println!(
                "  FALSE PASS: seed {} did harm and every rule passed (replay reproduces it: {}):",
                fp.seed, fp.reproduced
            );
            for h in &fp.harm {
                println!("    {} at cycle {}: {}", h.kind, h.cycle, h.detail);
            }
            println!("    replay: {}", fp.replay_command);
        }
        if let Some(p) = &page {
            println!("wrote: {}", p.display());
        }
        let verdict = match (r.failures, r.false_passes) {
            (0, 0) => "PASS",
            (_, 0) => "FAIL",
            _ => "FAIL (false pass: harm that no rule reported; the checker missed it)",
        };
        println!("verdict: {verdict}");
    }
    Ok(r.failures == 0 && r.false_passes == 0)
}

/// `--shard K/N`, or `--shard N` with K from the batch system's array index.
fn parse_shard(text: &str) -> Result<Shard, Failure> {
    let bad = |why: String| BadInput(format!("--shard {text}: {why} (fix: --shard K/N with 0 <= K < N, e.g. 0/4)"));
    let (k, n) = match text.split_once('/') {
        Some((k, n)) => (k.trim().to_string(), n),
        None => {
            let from_env = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"]
                .iter()
                .find_map(|v| std::env::var(v).ok().map(|k| (*v, k)));
            match from_env {
                Some((_, k)) => (k, text),
                None => {
                    return Err(bad(
                        "no shard index: give K/N, or set SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX".into()
                    ))
                }
            }
        }
    };
    let index: u64 = k.parse().map_err(|_| bad(format!("the index `{k}` is not a number")))?;
    let count: u64 = n.trim().parse().map_err(|_| bad(format!("the count `{n}` is not a number")))?;
    if count == 0 || index >= count {
        return Err(bad(format!("shard {index} of {count} does not exist")));
    }
    Ok(Shard { index, count })
}

/// `dirql merge`.
fn merge_cmd(a: MergeArgs) -> Result<bool, Failure> {
    let mut parts = Vec::new();
    for f in &a.files {
        let shown = f.display().to_string();
        let text = std::fs::read_to_string(f).map_err(|e| BadInput(format!("cannot read {shown}: {e}")))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| BadInput(format!("{shown}: not JSON ({e}); fix: write it with `dirql explore ... --json`")))?;
        parts.push((shown, v));
    }
    let mut m = crate::merge::merge(&parts).map_err(|e| BadInput(e.to_string()))?;
    let dats = crate::merge::rtl_coverage_files(&parts);
    if !dats.is_empty() {
        if dats.len() != parts.len() {
            return Err(BadInput(
                "some shards have RTL coverage and some do not (fix: explore every shard with --coverage)".into(),
            ));
        }
        if let Some(missing) = dats.iter().find(|p| !p.exists()) {
            return Err(BadInput(format!(
                "{}: a shard's coverage.dat is not here (fix: copy each shard's --coverage-dir to where its JSON says,                  or run the merge where the shards ran)",
                missing.display()
            )));
        }
        let dir = &a.coverage_dir;
        std::fs::create_dir_all(dir).map_err(|e| BadInput(format!("--coverage-dir {}: {e}", dir.display())))?;
        let dat = dir.join("coverage.dat");
        crate::coverage_rtl::merge_dat(&dats, &dat).map_err(|e| BadInput(e.to_string()))?;
        let c = crate::coverage_rtl::reports(&dat, dir, true).map_err(|e| BadInput(e.to_string()))?;
        m["rtl_coverage"] = json!(c);
    }
    let n = |f: &str| m[f].as_u64().unwrap_or(0);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&m).unwrap_or_default());
    } else {
        println!(
            "dirql merge {}  driver={}  seeds={} in {} shard(s)",
            m["scenario"].as_str().unwrap_or("?"),
            m["driver"].as_str().unwrap_or("?"),
            n("seeds_run"),
            parts.len()
        );
        println!("  failing seeds: {}", n("failures"));
        for (rule, k) in m["failures_by_rule"].as_object().into_iter().flatten() {
            println!("    {rule:<20} {k}");
        }
        if let Some(seed) = m["first_failing_seed"].as_u64() {
            println!("  first failing seed: {seed} (found after {} seed(s))", n("seeds_to_first_failure"));
        }
        if let Some(cmd) = m["replay_command"].as_str() {
            println!("  replay: {cmd}");
        }
        println!("  harmed seeds: {}", n("harmed_seeds"));
        println!("  false passes (harm, every rule passing): {}", n("false_passes"));
        if let Ok(c) = serde_json::from_value::<crate::coverage::CoverageReport>(m["functional_coverage"].clone()) {
            print!("{}", c.table(HOLES_SHOWN));
        }
        if let Ok(c) = serde_json::from_value::<crate::coverage_rtl::RtlCoverage>(m["rtl_coverage"].clone()) {
            print!("{}", crate::coverage_rtl::table(&c));
        }
        if let Some(cmd) = m["first_false_pass"]["replay_command"].as_str() {
            println!("  FALSE PASS: seed {}; replay: {cmd}", m["first_false_pass"]["seed"]);
        }
        println!("verdict: {}", if n("failures") == 0 && n("false_passes") == 0 { "PASS" } else { "FAIL" });
    }
    Ok(n("failures") == 0 && n("false_passes") == 0)
}

/// `dirql bench`.
fn bench_cmd(registry: &Registry, a: BenchArgs) -> Result<bool, Failure> {
    if a.reps == 0 || a.cycles < 10_000 {
        return Err(BadInput(format!("--reps {} --cycles {}: need reps >= 1 and cycles >= 10000", a.reps, a.cycles)));
    }
    let device = match &a.device {
        Some(n) => registry.device(n).ok_or_else(|| unknown_device(registry, n))?,
        None => registry.default_device(),
    };
    let root = if a.build {
        let cwd = std::env::current_dir().map_err(|e| Failure::Internal(e.to_string()))?;
        if !cwd.join("Cargo.toml").exists() || !cwd.join("sim/build.rs").exists() {
            return Err(BadInput(format!("--build: {} is not the dirql repository root", cwd.display())));
        }
        Some(cwd)
    } else {
        None
    };
    let settings = BenchSettings {
        device,
        reps: a.reps,
        cycles: a.cycles,
        explore_cycles: device.scenarios().first().map_or(20_000, |sc| sc.default_cycles),
        trace_cycles: a.cycles / 4,
        check_cycles: a.cycles * 4,
        scratch: a.scratch,
        build: root,
    };
    let r = bench(&settings, |m| eprintln!("bench: {m}")).map_err(|e| match e {
        crate::bench::BenchError::Io { .. } => BadInput(e.to_string()),
        e => Failure::Internal(e.to_string()),
    })?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
    } else {
        print!("{}", bench_table(&r));
    }
    Ok(true)
}

fn unknown_device(registry: &Registry, name: &str) -> Failure {
    BadInput(format!("unknown --device '{name}'; known: {}", names(registry.devices().iter().map(|d| d.name()))))
}

/// `dirql check`: the device is the one the run's manifest names, else `--device`, else
/// the default.
fn check_cmd(registry: &Registry, a: CheckArgs) -> Result<bool, Failure> {
    let vcd = a.vcd;
    let shown = vcd.display().to_string();
    let file = File::open(&vcd).map_err(|e| BadInput(format!("cannot open {shown}: {e}")))?;
    let manifest = RunManifest::read(&vcd).transpose().map_err(BadInput)?;
    let device = match (a.device.as_deref(), manifest.as_ref().map(|m| m.device.as_str()).filter(|d| !d.is_empty())) {
        (Some(n), Some(m)) if n != m => {
            return Err(BadInput(format!(
                "--device {n}: the run manifest {} says this waveform is of device {m}",
                manifest::path_of(&vcd).display()
            )))
        }
        (Some(n), _) | (None, Some(n)) => registry.device(n).ok_or_else(|| unknown_device(registry, n))?,
        (None, None) => registry.default_device(),
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = BufReader::with_capacity(1 << 20, ByteProgress::new(file, size));
    let mut coverage = a.coverage.then(|| crate::coverage::FunctionalCoverage::new(device.profile()));
    let mut checker = Checker::for_device(device);
    // The decode the save file and the page show: only when one of them is written.
    let mut decode_log = (a.gtkw || a.html.is_some()).then(|| DecodeLog::new(device.profile()));
    if let Some(p) = manifest.as_ref().and_then(|m| m.partner.as_deref()) {
        checker = checker.with_partner(registry.device(p).ok_or_else(|| unknown_device(registry, p))?);
    }
    let (frames, recovered) = match TraceFormat::of_path(&vcd) {
        TraceFormat::Fst => {
            quiet_reader_panics();
            // Consulted only if the writer never closed the file (a hard kill).
            let hier = hierarchy_file_of(&vcd);
            let side = File::open(&hier).map(BufReader::new);
            read_fst_recovering(&shown, progress, &hier.display().to_string(), side, |f| {
                checker.feed(f);
                if let Some(c) = coverage.as_mut() {
                    c.feed(f);
                }
                if let Some(d) = decode_log.as_mut() {
                    d.feed(f);
                }
            })
            .map(|r| (r.frames, r.recovered))
            .map_err(|e| BadInput(e.to_string()))
        }
        TraceFormat::Vcd => read_vcd(&shown, progress, |f| {
            checker.feed(f);
            if let Some(c) = coverage.as_mut() {
                c.feed(f);
            }
            if let Some(d) = decode_log.as_mut() {
                d.feed(f);
            }
        })
        .map(|n| (n, None))
        .map_err(|e| BadInput(e.to_string())),
    }?;
    let last_cycle = checker.last_cycle();
    let decode = decode_log.map(DecodeLog::finish);
    let (mut rules, timing) = checker.finish_all();
    // The live run's judgement, from the manifest it left beside the waveform.
    let note = match &manifest {
        Some(m) => {
            m.judge(&mut rules, last_cycle, registry);
            None
        }
        None => {
            check::judge_exercised(&mut rules, &[], last_cycle);
            Some(format!(
                "  no run manifest ({}): every rule that checked nothing fails, and whether the run \
                 completed is not known\n",
                manifest::path_of(&vcd).display()
            ))
        }
    };
    let timing = timing.sources().to_vec();
    let pass = rules.iter().all(|r| r.verdict == "pass");
    let verdict = if pass { "pass" } else { "fail" };
    let suite = vcd.file_stem().map_or("waveform".into(), |s| s.to_string_lossy().into_owned());
    let extras = write_extras(
        &rules,
        &timing,
        &Extras {
            vcd: Some(&vcd),
            gtkw: a.gtkw,
            report_dir: a.report_dir.as_deref(),
            junit: a.junit.as_deref(),
            suite: &suite,
            profile: device.profile(),
            decode: decode.as_ref(),
        },
    )?;
    let mut extras = extras;
    if let Some(dir) = &a.html {
        let replay =
            manifest.as_ref().map_or_else(|| format!("dirql check {shown}"), |m| manifest_run_command(m, &vcd));
        let page = Page {
            title: format!("dirql check {shown}  cycles={frames}"),
            verdict,
            rules: &rules,
            notes: note.clone().or_else(|| recovered.as_ref().map(|r| recovered_note(r, frames))),
            timing: &timing,
            profile: device.profile(),
            txns: decode.as_ref().map_or(&[], |d| &d.txns[..]),
            replay: Some(replay),
            explore: None,
            files: wave_files(Some(&vcd)),
        };
        let name = format!("{suite}.html");
        let p = write_page(&page, dir, &name).map_err(|e| {
            BadInput(format!(
                "--html {}: cannot write the report page there ({e}); give a folder dirql can create or write to",
                dir.display()
            ))
        })?;
        extras.push(p.display().to_string());
    }
    if a.json {
        let mut j = json!({ "file": shown, "device": device.name(), "cycles": frames, "verdict": verdict, "rules": rules, "timing": timing, "files": extras });
        if let Some(r) = &recovered {
            j["recovered"] = json!(r);
            j["recovered"]["up_to_cycle"] = json!(frames);
        }
        if let Some(c) = &coverage {
            j["functional_coverage"] = json!(c.report());
        }
        println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
    } else {
        println!("dirql check {shown}  cycles={frames}");
        if let Some(r) = &recovered {
            print!("{}", recovered_note(r, frames));
        }
        if let Some(n) = &note {
            print!("{n}");
        }
        print!("{}", rules_table(&rules));
        print!("{}", timing_table(&timing));
        if let Some(c) = &coverage {
            print!("{}", c.report().table(HOLES_SHOWN));
        }
        println!("verdict: {}", verdict.to_uppercase());
        for f in &extras {
            println!("wrote: {f}");
        }
    }
    Ok(pass)
}

/// What a `--fault` acts on, and so what a scenario must do for it to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FaultTarget {
    /// Bus transactions: every scenario has them.
    Bus,
    /// The INTA# line into the interrupt controller: a driver must connect a line interrupt.
    Line,
    /// MSI writes: a driver must connect message-signalled interrupts.
    Messages,
}

/// A `--fault` of `dirql run`.
struct FaultKind {
    name: &'static str,
    target: FaultTarget,
    arm: fn(&mut dirql_sim::Faults, &mut dirql_sim::LineFaults),
}

/// Every `--fault`, as its help text lists them (docs/robustness.md).
const FAULTS: &[FaultKind] = &[
    FaultKind { name: "bad-parity", target: FaultTarget::Bus, arm: |f, _| f.bad_parity_every = Some(7) },
    FaultKind { name: "master-abort", target: FaultTarget::Bus, arm: |f, _| f.master_abort_every = Some(50) },
    FaultKind {
        name: "target-abort",
        target: FaultTarget::Bus,
        arm: |f, _| f.target_abort_every = Some(TARGET_ABORT_EVERY),
    },
    FaultKind { name: "retry-storm", target: FaultTarget::Bus, arm: |f, _| f.retry_window = Some(RETRY_STORM) },
    FaultKind {
        name: "stuck-grant",
        target: FaultTarget::Bus,
        arm: |f, _| f.stuck_grant_from = Some(STUCK_GRANT_FROM),
    },
    FaultKind { name: "drop-line", target: FaultTarget::Line, arm: |_, l| l.drop_window = Some((3_000, 9_000)) },
    FaultKind { name: "slow-line", target: FaultTarget::Line, arm: |_, l| l.extra_latency = 40 },
    FaultKind { name: "stale-irr", target: FaultTarget::Line, arm: |_, l| l.redeliver_every = Some(4) },
    FaultKind { name: "drop-msi", target: FaultTarget::Messages, arm: |f, _| f.drop_msi_every = Some(3) },
];

/// A fault on the INTA# line or on MSI writes given with a scenario whose drivers use no
/// such interrupt would change nothing, and the run would pass as if it had been tried:
/// bad input, naming the scenarios it applies to. What a scenario uses is found by running
/// it up to its drivers' interrupt setup ([`crate::scenario::interrupts_of`]).
fn fault_applies(registry: &Registry, kinds: &[&FaultKind], s: &RunSettings) -> Result<(), Failure> {
    let needs = |k: &FaultKind, u: crate::scenario::InterruptUse| match k.target {
        FaultTarget::Bus => true,
        FaultTarget::Line => u.line,
        FaultTarget::Messages => u.messages,
    };
    if kinds.iter().all(|k| k.target == FaultTarget::Bus) {
        return Ok(());
    }
    let probe = |s: &RunSettings| crate::scenario::interrupts_of(s).map_err(|e| Failure::Internal(e.to_string()));
    let used = probe(s)?;
    let Some(bad) = kinds.iter().find(|k| !needs(k, used)) else { return Ok(()) };
    let mut applies = Vec::new();
    for d in registry.devices() {
        let Some(reference) = d.drivers().first().copied() else { continue };
        for sc in d.scenarios() {
            let other =
                RunSettings { device: *d, scenario: sc, driver: reference, cycles: sc.default_cycles, ..s.clone() };
            if needs(bad, probe(&other)?) {
                applies.push(sc.name);
            }
        }
    }
    let (none, on) = match bad.target {
        FaultTarget::Line => ("no interrupt on the INTA# line", "that line"),
        _ => ("no message-signalled interrupts (MSI)", "MSI writes"),
    };
    Err(BadInput(format!(
        "--fault {} does not apply to scenario {}: its drivers connect {none}, and {} acts on {on}, so the run would \
         test nothing; it applies to: {}",
        bad.name,
        s.scenario.name,
        bad.name,
        if applies.is_empty() { "no registered scenario".to_string() } else { applies.join(", ") }
    )))
}

/// `--fault stuck-grant`: the arbiter parks GNT# on the device from this cycle on (after
/// every scenario's setup, before the end of its default run).
const STUCK_GRANT_FROM: u64 = 5_000;

/// Holes named per group in the text table (`--json` names them all).
const HOLES_SHOWN: usize = 12;

/// `--fault target-abort`: every this many memory/I/O transactions is answered with target
/// abort (the same rate as `master-abort`).
const TARGET_ABORT_EVERY: u32 = 50;
/// `--fault retry-storm`: transactions started in these cycles are answered with retry; 600
/// cycles outlast the bridge's budget (64 re-issues, about 5 cycles each), so the storm
/// exhausts it once.
const RETRY_STORM: (u64, u64) = (5_000, 5_600);

/// The waveform a run writes: `--vcd` (VCD, as always) or `--wave` (the format its name
/// ends in). A `.fst` name given to `--vcd`, or a `--wave` name ending in neither, is bad
/// input: the file would not hold what its name says.
fn waveform_path(vcd: Option<PathBuf>, wave: Option<PathBuf>) -> Result<Option<PathBuf>, Failure> {
    if let Some(v) = &vcd {
        if TraceFormat::of_path(v) == TraceFormat::Fst {
            return Err(BadInput(format!(
                "--vcd {}: --vcd writes VCD, and this name ends in .fst; to write FST use --wave {}",
                v.display(),
                v.display()
            )));
        }
    }
    if let Some(w) = &wave {
        let ext = w.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
        if !matches!(ext.as_deref(), Some("vcd" | "fst")) {
            return Err(BadInput(format!(
                "--wave {}: the format follows the name; end it in .vcd or .fst",
                w.display()
            )));
        }
    }
    Ok(vcd.or(wave))
}

/// What `dirql check` says of an FST its writer never closed, read with its side file.
fn recovered_note(r: &FstRecovery, frames: u64) -> String {
    format!(
        "  incomplete: its writer never closed it ({})\n  \
         recovered with the hierarchy from {}: checked up to cycle {frames}, the end of the last of its {} whole \
         value-change block(s); the {} byte(s) after it are lost\n",
        r.reason, r.hierarchy, r.blocks, r.lost_bytes
    )
}

/// `read_fst` turns a panic of the FST reader on a damaged file into the exit-2 message
/// that names the file; the default hook would print the panic first, as if dirql had
/// crashed. Panics anywhere else print as always.
fn quiet_reader_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_reader = info
            .location()
            .is_some_and(|l| ["fst-reader-", "lz4_flex-", "miniz_oxide-"].iter().any(|c| l.file().contains(c)));
        if !in_reader {
            default(info);
        }
    }));
}

/// Runs this long or longer show progress (on a terminal).
const LONG_RUN: u64 = 2_000_000;

/// Progress on stderr, only when stderr is a terminal: cycles done, rate and, when the
/// total is known, ETA.
fn progress_on_terminal(total: Option<u64>) -> Option<Progress> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let start = Instant::now();
    Some(Progress(std::sync::Arc::new(move |cycle| {
        let secs = start.elapsed().as_secs_f64().max(1e-6);
        let rate = cycle as f64 / secs;
        let eta = total.map_or(String::new(), |t| format!(", ETA {:.0} s", t.saturating_sub(cycle) as f64 / rate));
        eprint!("\r  {cycle} cycles, {:.0} kcycles/s{eta}   ", rate / 1000.0);
        if total.is_some_and(|t| cycle + crate::check::PROGRESS_EVERY > t) {
            eprintln!();
        }
    })))
}

/// A reader that shows how far through the file a check is (terminal only).
struct ByteProgress<R> {
    inner: R,
    done: u64,
    size: u64,
    next: u64,
    start: Instant,
    on: bool,
}

impl<R: Read> ByteProgress<R> {
    fn new(inner: R, size: u64) -> Self {
        let on = std::io::stderr().is_terminal() && size >= 64 << 20;
        ByteProgress { inner, done: 0, size, next: 0, start: Instant::now(), on }
    }
}

impl<R: Seek> Seek for ByteProgress<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        // FST is read by blocks, not front to back: progress is the position reached.
        let at = self.inner.seek(pos)?;
        self.done = at;
        Ok(at)
    }
}

impl<R: Read> Read for ByteProgress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.on && (self.done >= self.next || n == 0) {
            self.next = self.done + (16 << 20);
            let secs = self.start.elapsed().as_secs_f64().max(1e-6);
            let rate = self.done as f64 / secs;
            let eta = self.size.saturating_sub(self.done) as f64 / rate.max(1.0);
            eprint!("\r  {} / {} MB, {:.0} MB/s, ETA {:.0} s   ", self.done >> 20, self.size >> 20, rate / 1e6, eta);
            if n == 0 {
                eprintln!();
            }
        }
        Ok(n)
    }
}

/// A frame tap that feeds a [`DecodeLog`] for the device described by `profile`, and the
/// log, when `on` (else nothing: a run that writes neither a save file nor a page decodes
/// nothing).
#[allow(clippy::type_complexity)]
fn decode_tap(profile: &'static check::DeviceProfile, on: bool) -> (Option<FrameTap>, Option<Rc<RefCell<DecodeLog>>>) {
    if !on {
        return (None, None);
    }
    let log = Rc::new(RefCell::new(DecodeLog::new(profile)));
    let l = log.clone();
    let f: Rc<RefCell<TapFn>> = Rc::new(RefCell::new(move |fr: &dirql_sim::Frame| l.borrow_mut().feed(fr)));
    (Some(FrameTap(f)), Some(log))
}

/// The command that replays a run as it was asked for, writing its waveform (where it
/// wrote one, else where `make sim` puts them).
fn run_replay_command(a: &RunArgs) -> String {
    use std::fmt::Write as _;
    let mut c = format!("dirql run {} --driver {} --seed {}", a.scenario, a.driver, a.seed);
    if a.rtl != "reference" {
        let _ = write!(c, " --rtl {}", a.rtl);
    }
    if let Some(n) = a.cycles {
        let _ = write!(c, " --cycles {n}");
    }
    if a.reading != "current" {
        let _ = write!(c, " --reading {}", a.reading);
    }
    if a.cpus != 2 {
        let _ = write!(c, " --cpus {}", a.cpus);
    }
    for f in &a.faults {
        let _ = write!(c, " --fault {f}");
    }
    if let Some(t) = &a.schedule {
        let _ = write!(c, " --schedule {t}");
    }
    match (&a.vcd, &a.wave) {
        (Some(v), _) => {
            let _ = write!(c, " --vcd {}", v.display());
        }
        (None, Some(w)) => {
            let _ = write!(c, " --wave {}", w.display());
        }
        (None, None) => {
            let _ = write!(c, " --vcd build/waves/{}-{}-seed{}.vcd", a.scenario, a.driver, a.seed);
        }
    }
    c
}

/// The command that runs again what the manifest says `wave` is of (a fault or a forced
/// schedule is not in the manifest: the run's own command line had them).
fn manifest_run_command(m: &RunManifest, wave: &Path) -> String {
    use std::fmt::Write as _;
    let mut c = format!("dirql run {} --driver {} --seed {}", m.scenario, m.driver, m.seed);
    if m.rtl != "reference" {
        let _ = write!(c, " --rtl {}", m.rtl);
    }
    if m.reading != "current" {
        let _ = write!(c, " --reading {}", m.reading);
    }
    if m.cpus != 2 {
        let _ = write!(c, " --cpus {}", m.cpus);
    }
    let flag = if TraceFormat::of_path(wave) == TraceFormat::Fst { "--wave" } else { "--vcd" };
    let _ = write!(c, " --cycles {} {flag} {}", m.cycles_asked, wave.display());
    c
}

/// The files a page links for the waveform `wave`: it, and the save file beside it when
/// there is one.
fn wave_files(wave: Option<&Path>) -> Vec<(String, PathBuf)> {
    let Some(w) = wave else { return Vec::new() };
    let format = if TraceFormat::of_path(w) == TraceFormat::Fst { "FST" } else { "VCD" };
    let mut v = vec![(format!("waveform ({format})"), w.to_path_buf())];
    let g = crate::gtkw::gtkw_path(w);
    if g.exists() {
        v.push(("GTKWave save file".to_string(), g));
    }
    v
}

/// The page of an exploration: its summary, and the replay of its first failure checked
/// from the replay's waveform (as `dirql check` would, with the decode; the save file and
/// decode are written beside that waveform). Returns the page's path.
fn explore_page(
    registry: &Registry,
    device: &'static dyn Device,
    r: &crate::explore::ExploreReport,
    dir: &Path,
) -> Result<PathBuf, Failure> {
    let profile = device.profile();
    let (mut rules, mut timing, mut decode, mut files) = (Vec::new(), Vec::new(), Decode::default(), Vec::new());
    if let Some(rep) = &r.replay {
        let wave = PathBuf::from(&rep.vcd);
        let shown = wave.display().to_string();
        let manifest = RunManifest::read(&wave).transpose().map_err(BadInput)?;
        let mut checker = Checker::for_device(device);
        if let Some(p) = manifest.as_ref().and_then(|m| m.partner.as_deref()) {
            checker = checker.with_partner(registry.device(p).ok_or_else(|| unknown_device(registry, p))?);
        }
        let mut log = DecodeLog::new(profile);
        let file = File::open(&wave).map_err(|e| BadInput(format!("cannot open the replay {shown}: {e}")))?;
        let feed = |f: &dirql_sim::Frame| {
            checker.feed(f);
            log.feed(f);
        };
        match TraceFormat::of_path(&wave) {
            TraceFormat::Fst => crate::check::read_fst(&shown, BufReader::new(file), feed)
                .map(|_| ())
                .map_err(|e| BadInput(e.to_string()))?,
            TraceFormat::Vcd => {
                read_vcd(&shown, BufReader::new(file), feed).map(|_| ()).map_err(|e| BadInput(e.to_string()))?
            }
        }
        let last = checker.last_cycle();
        let (mut rl, tm) = checker.finish_all();
        match &manifest {
            Some(m) => m.judge(&mut rl, last, registry),
            None => check::judge_exercised(&mut rl, &[], last),
        }
        rules = rl;
        timing = tm.sources().to_vec();
        decode = log.finish();
        let first =
            rules.iter().flat_map(|r| r.violations.iter().map(move |v| (v.cycle, r.name.as_str()))).min_by_key(|x| x.0);
        write_gtkw(&wave, first, profile, Some(&decode))
            .map_err(|e| BadInput(format!("cannot write beside {shown}: {e}")))?;
        files = wave_files(Some(&wave));
    }
    let summary = ExploreSummary {
        seeds_run: r.seeds_run,
        failures: r.failures,
        by_rule: r.failures_by_rule.iter().map(|(k, n)| (k.clone(), *n)).collect(),
        first_failing: r.first_failing_seed.zip(r.seeds_to_first_failure),
        shrunk: r.shrunk_schedule.clone().map(|t| (t, r.shrink_stats)),
        false_passes: (r.false_passes, r.first_false_pass.as_ref().map(|f| f.replay_command.clone())),
    };
    let rtl = if r.rtl == "reference" { String::new() } else { format!("  rtl={}", r.rtl) };
    let page = Page {
        title: format!("dirql explore {}  driver={}{rtl}  seeds={}", r.scenario, r.driver, r.seeds_run),
        verdict: if r.failures == 0 && r.false_passes == 0 { "pass" } else { "fail" },
        rules: &rules,
        notes: None,
        timing: &timing,
        profile,
        txns: &decode.txns,
        replay: r.replay_command.clone(),
        explore: Some(summary),
        files,
    };
    let name = format!("explore-{}-{}.html", r.scenario, r.driver);
    write_page(&page, dir, &name).map_err(|e| {
        BadInput(format!(
            "--html {}: cannot write the report page there ({e}); give a folder dirql can create or write to",
            dir.display()
        ))
    })
}

/// Which optional reports to write, and for what.
struct Extras<'a> {
    /// The waveform they are beside.
    vcd: Option<&'a Path>,
    /// Write the GTKWave save file.
    gtkw: bool,
    /// Where the timing SVGs go (default: beside the waveform).
    report_dir: Option<&'a Path>,
    /// Where the JUnit report goes.
    junit: Option<&'a Path>,
    /// The JUnit suite's name.
    suite: &'a str,
    /// The device (its probes' and registers' names).
    profile: &'static check::DeviceProfile,
    /// The run's decode, for the save file (none: it shows the signals only).
    decode: Option<&'a Decode>,
}

/// Writes the optional reports: JUnit, the GTKWave save file, the timing SVGs. Returns
/// the paths written.
fn write_extras(rules: &[RuleReport], timing: &[SourceTiming], x: &Extras<'_>) -> Result<Vec<String>, Failure> {
    let Extras { vcd, gtkw, report_dir, junit: junit_path, suite, profile, decode } = *x;
    let mut out = Vec::new();
    let io = |p: &Path, e: std::io::Error| BadInput(format!("cannot write {}: {e}", p.display()));
    if let Some(p) = junit_path {
        // Its folder is made as the waveform's is.
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        }
        std::fs::write(p, junit(suite, rules)).map_err(|e| io(p, e))?;
        out.push(p.display().to_string());
    }
    if let (Some(v), true) = (vcd, gtkw) {
        let first =
            rules.iter().flat_map(|r| r.violations.iter().map(move |v| (v.cycle, r.name.as_str()))).min_by_key(|x| x.0);
        let written = write_gtkw(v, first, profile, decode).map_err(|e| io(v, e))?;
        out.extend(written.iter().map(|p| p.display().to_string()));
    }
    let dir =
        report_dir.map(Path::to_path_buf).or_else(|| vcd.map(|v| v.parent().unwrap_or(Path::new(".")).to_path_buf()));
    if let Some(dir) = dir {
        let stem = vcd.and_then(Path::file_stem).map_or("dirql".into(), |s| s.to_string_lossy().into_owned());
        // Asked for (`--report-dir`): a failure is the user's to fix. Beside the waveform by
        // default: a folder that cannot take them (read-only) costs the SVGs, not the verdict.
        let skip = |p: &Path, e: std::io::Error| -> Result<(), Failure> {
            if report_dir.is_some() {
                return Err(io(p, e));
            }
            eprintln!(
                "dirql: note: timing SVGs not written, {} cannot take them ({e}); --report-dir DIR writes them there",
                p.display()
            );
            Ok(())
        };
        if !timing.is_empty() {
            if let Err(e) = std::fs::create_dir_all(&dir) {
                skip(&dir, e)?;
                return Ok(out);
            }
        }
        for t in timing {
            let p = dir.join(format!("{stem}.timing-{}.svg", t.source.to_lowercase()));
            match std::fs::write(&p, timing_svg(t)) {
                Ok(()) => out.push(p.display().to_string()),
                Err(e) => {
                    skip(&p, e)?;
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// The scenario (and its device), driver, reading and CPU count a run or an exploration
/// names, checked; the error names the bad one and lists the good ones.
fn resolve(
    registry: &Registry,
    scenario: &str,
    driver: &str,
    reading: &str,
    cpus: u8,
) -> Result<(&'static dyn Device, &'static Scenario, &'static Twin, SyncReading), Failure> {
    let (device, sc) = registry.scenario(scenario).ok_or_else(|| {
        BadInput(format!("unknown scenario '{scenario}'; known: {}", registry.scenario_names().join(", ")))
    })?;
    let drv = find_driver(device, driver).ok_or_else(|| {
        BadInput(format!(
            "unknown driver '{driver}' for device {} (scenario {scenario}); known: {}",
            device.name(),
            names(device.drivers().iter().map(|v| v.name))
        ))
    })?;
    let reading = SyncReading::from_name(reading)
        .ok_or_else(|| BadInput(format!("unknown --reading '{reading}'; use one of: current, legacy, reactos")))?;
    if !(1..=2).contains(&cpus) {
        return Err(BadInput(format!("--cpus {cpus} is out of range; the model has 1 or 2 CPUs")));
    }
    Ok((device, sc, drv, reading))
}

/// `device`'s RTL variant called `name`; the error lists the good ones.
fn resolve_rtl(device: &dyn Device, name: &str) -> Result<&'static RtlTwin, Failure> {
    rtl_twin(device, name).ok_or_else(|| {
        BadInput(format!(
            "unknown --rtl '{name}' for device {}; known: {}",
            device.name(),
            names(device.rtl_twins().iter().map(|v| v.name))
        ))
    })
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

/// `dirql list`: every device with its scenarios, drivers and RTL variants. The top-level
/// `scenarios`, `drivers` and `rtl` of `--json` (and the text's sections) are every
/// device's together, as before devices were plug-ins; `devices` has them per device.
fn list(registry: &Registry, a: &ListArgs) -> Result<bool, Failure> {
    // A variant as listed: a broken one also names the rule it breaks and its scenario.
    let variant = |name: &str, description: &str, breaks: Option<&str>, scenario: Option<&str>| {
        let mut o = json!({ "name": name, "description": description });
        if let (Some(b), Some(s)) = (breaks, scenario) {
            o["breaks"] = json!(b);
            o["scenario"] = json!(s);
        }
        o
    };
    let devices = registry.devices();
    if a.json {
        let drivers_of = |d: &dyn Device| -> Vec<serde_json::Value> {
            d.drivers()
                .iter()
                .map(|v| {
                    let mut o = variant(v.name, v.description, v.breaks, v.scenario);
                    if !v.also_breaks.is_empty() {
                        o["also_breaks"] = json!(v.also_breaks);
                    }
                    o
                })
                .collect()
        };
        let rtl_of = |d: &dyn Device| -> Vec<serde_json::Value> {
            d.rtl_twins().iter().map(|v| variant(v.name, v.description, v.breaks, v.scenario)).collect()
        };
        let per_device: Vec<_> = devices
            .iter()
            .map(|d| {
                json!({
                    "name": d.name(),
                    "description": d.description(),
                    "scenarios": d.scenarios(),
                    "drivers": drivers_of(*d),
                    "rtl": rtl_of(*d),
                })
            })
            .collect();
        let j = json!({
            "devices": per_device,
            "scenarios": devices.iter().flat_map(|d| d.scenarios().iter()).collect::<Vec<_>>(),
            "drivers": devices.iter().flat_map(|d| drivers_of(*d)).collect::<Vec<_>>(),
            "rtl": devices.iter().flat_map(|d| rtl_of(*d)).collect::<Vec<_>>(),
            "readings": SyncReading::ALL.iter().map(|r| r.name()).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&j).unwrap_or_default());
        return Ok(true);
    }
    for d in devices {
        if devices.len() > 1 {
            println!("device {}: {}", d.name(), d.description());
        }
        println!("scenarios:");
        for s in d.scenarios() {
            println!("  {:<14} {} (default {} cycles)", s.name, s.description, s.default_cycles);
        }
        println!("drivers:");
        for v in d.drivers() {
            match (v.breaks, v.scenario) {
                (Some(b), Some(s)) => println!("  {:<14} breaks {b} (scenario {s}): {}", v.name, v.description),
                _ => println!("  {:<14} {}", v.name, v.description),
            }
            if !v.also_breaks.is_empty() {
                println!("  {:<14}   and may break downstream, never first: {}", "", v.also_breaks.join(", "));
            }
        }
        println!("rtl (--rtl):");
        for v in d.rtl_twins() {
            match (v.breaks, v.scenario) {
                (Some(b), Some(s)) => println!("  {:<18} breaks {b} (scenario {s}): {}", v.name, v.description),
                _ => println!("  {:<18} {}", v.name, v.description),
            }
        }
    }
    Ok(true)
}
