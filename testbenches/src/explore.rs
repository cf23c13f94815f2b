//! `dirql explore`: many seeds of one scenario and driver, in parallel, without tracing;
//! the first failing seed is then replayed with a waveform and must give the same verdict.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use crossbeam_channel::{bounded, unbounded};
use dirql_host::adapter::Variant;
use dirql_host::videoport::SyncReading;
use serde::Serialize;

use crate::scenario::{run, RunSettings, Scenario};

/// What to explore.
#[derive(Clone, Debug)]
pub struct ExploreSettings {
    /// Scenario.
    pub scenario: &'static Scenario,
    /// Driver variant.
    pub driver: &'static Variant,
    /// First seed; seeds `first .. first + seeds` are run.
    pub first_seed: u64,
    /// Number of seeds.
    pub seeds: u64,
    /// Worker threads.
    pub jobs: usize,
    /// Cycles per run.
    pub cycles: u64,
    /// Reading of VideoPortSynchronizeExecution.
    pub reading: SyncReading,
    /// Virtual CPUs.
    pub cpus: u8,
    /// Where the replay's waveform goes.
    pub replay_dir: PathBuf,
}

/// The replay of the first failing seed.
#[derive(Clone, Debug, Serialize)]
pub struct Replay {
    /// Its waveform.
    pub vcd: String,
    /// True when the traced replay failed the same rules as the untraced run.
    pub same_verdict: bool,
    /// Rules the replay failed.
    pub failed_rules: Vec<String>,
    /// First violation of the replay: cycle and message.
    pub first_violation: Option<(u64, String)>,
}

/// The summary of an exploration.
#[derive(Clone, Debug, Serialize)]
pub struct ExploreReport {
    /// Scenario.
    pub scenario: &'static str,
    /// Driver.
    pub driver: &'static str,
    /// Seeds run.
    pub seeds_run: u64,
    /// Seeds whose run failed.
    pub failures: u64,
    /// Failing seeds per rule.
    pub failures_by_rule: BTreeMap<String, u64>,
    /// Smallest failing seed.
    pub first_failing_seed: Option<u64>,
    /// How many seeds, counted from the first, it took to reach it.
    pub seeds_to_first_failure: Option<u64>,
    /// One line that replays it with a waveform.
    pub replay_command: Option<String>,
    /// The replay.
    pub replay: Option<Replay>,
    /// Worker threads used.
    pub jobs: usize,
    /// Wall time.
    pub elapsed_s: f64,
    /// Throughput.
    pub seeds_per_s: f64,
}

struct Outcome {
    seed: u64,
    failed: Vec<String>,
    error: Option<String>,
}

fn settings(s: &ExploreSettings, seed: u64, vcd: Option<PathBuf>) -> RunSettings {
    RunSettings {
        scenario: s.scenario,
        driver: s.driver,
        seed,
        cycles: s.cycles,
        vcd,
        reading: s.reading,
        cpus: s.cpus,
    }
}

fn failed_rules(r: &crate::scenario::RunResult) -> Vec<String> {
    r.rules.iter().filter(|x| x.verdict != "pass").map(|x| x.name.clone()).collect()
}

/// Runs the exploration. Errors are setup errors (the simulator could not start).
pub fn explore(s: &ExploreSettings) -> Result<ExploreReport, String> {
    let start = Instant::now();
    let jobs = s.jobs.max(1);
    let (seed_tx, seed_rx) = bounded::<u64>(jobs * 4);
    let (out_tx, out_rx) = unbounded::<Outcome>();
    let tty = std::io::stderr().is_terminal();
    let mut by_rule: BTreeMap<String, u64> = BTreeMap::new();
    let (mut done, mut failures, mut first_fail) = (0u64, 0u64, None::<u64>);
    let mut setup_error = None;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let (rx, tx) = (seed_rx.clone(), out_tx.clone());
            scope.spawn(move || {
                for seed in rx {
                    let o = match run(&settings(s, seed, None)) {
                        Ok(r) => Outcome { seed, failed: failed_rules(&r), error: None },
                        Err(e) => Outcome { seed, failed: vec![], error: Some(e.to_string()) },
                    };
                    if tx.send(o).is_err() {
                        break;
                    }
                }
            });
        }
        drop(out_tx);
        scope.spawn(move || {
            for seed in s.first_seed..s.first_seed.saturating_add(s.seeds) {
                if seed_tx.send(seed).is_err() {
                    break;
                }
            }
        });
        for o in out_rx.iter() {
            done += 1;
            if let Some(e) = o.error {
                setup_error.get_or_insert(e);
            } else if !o.failed.is_empty() {
                failures += 1;
                first_fail = Some(first_fail.map_or(o.seed, |f: u64| f.min(o.seed)));
                for r in o.failed {
                    *by_rule.entry(r).or_default() += 1;
                }
            }
            if tty && (done % 16 == 0 || done == s.seeds) {
                let el = start.elapsed().as_secs_f64();
                let rate = done as f64 / el.max(1e-9);
                let eta = (s.seeds - done) as f64 / rate.max(1e-9);
                eprint!("\rexplore: {done}/{} seeds  {failures} failing  {rate:.1} seeds/s  ETA {eta:.0}s   ", s.seeds);
                let _ = std::io::stderr().flush();
            }
        }
    });
    if tty {
        eprintln!();
    }
    if let Some(e) = setup_error {
        return Err(e);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut report = ExploreReport {
        scenario: s.scenario.name,
        driver: s.driver.name,
        seeds_run: done,
        failures,
        failures_by_rule: by_rule,
        first_failing_seed: first_fail,
        seeds_to_first_failure: first_fail.map(|f| f - s.first_seed + 1),
        replay_command: None,
        replay: None,
        jobs,
        elapsed_s: elapsed,
        seeds_per_s: done as f64 / elapsed.max(1e-9),
    };
    if let Some(seed) = first_fail {
        let vcd = s.replay_dir.join(format!("{}-{}-seed{seed}.vcd", s.scenario.name, s.driver.name));
        report.replay_command = Some(format!(
            "dirql run {} --driver {} --seed {seed} --cycles {} --reading {} --cpus {} --vcd {}",
            s.scenario.name,
            s.driver.name,
            s.cycles,
            s.reading.name(),
            s.cpus,
            vcd.display()
        ));
        // Untraced verdict of this seed, for the comparison.
        let untraced = run(&settings(s, seed, None)).map_err(|e| e.to_string())?;
        let traced = run(&settings(s, seed, Some(vcd.clone()))).map_err(|e| e.to_string())?;
        let first_violation = traced
            .rules
            .iter()
            .flat_map(|r| r.violations.iter())
            .min_by_key(|v| v.cycle)
            .map(|v| (v.cycle, v.message.clone()));
        report.replay = Some(Replay {
            vcd: vcd.display().to_string(),
            same_verdict: failed_rules(&untraced) == failed_rules(&traced) && untraced.rules == traced.rules,
            failed_rules: failed_rules(&traced),
            first_violation,
        });
    }
    Ok(report)
}
