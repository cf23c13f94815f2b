//! `dirql explore`: many seeds of one scenario and driver, in parallel, without tracing;
//! the first failing seed is then replayed with a waveform and must give the same verdict.
//! Every run's harm (crate::harm, its own ground truth) is counted beside its verdict: a
//! seed with harm and every rule passing is a false pass of the checker, reported with the
//! command that replays it (docs/exploration.md).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use crossbeam_channel::{bounded, unbounded};
use dirql_host::videoport::SyncReading;
use serde::Serialize;

use dirql_sim::{format_forced, Schedule};

use crate::device::{Device, RtlTwin, Twin};
use crate::harm::Harm;
use crate::scenario::{run_with, RunError, RunOptions, RunResult, RunSettings, Scenario};

/// How each explored run makes its scheduling choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Strategy {
    /// Every choice uniformly random from the run's seed.
    Random,
    /// The baseline schedule with `depth` random deviations at random depths (PCT).
    Pct {
        /// Change points per run.
        depth: u32,
    },
    /// Coverage-guided: a corpus of schedules that reached new functional-coverage cells,
    /// each seed either a fresh random run or a mutation of one of them (crate::coverage;
    /// docs/exploration.md).
    Coverage,
}

/// One of `count` machines' share of an exploration's seeds: the seeds `first + i` with
/// `i % count == index` (`dirql explore --shard K/N`; `dirql merge` joins the shards).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u64,
    /// Shards in all.
    pub count: u64,
}

impl Shard {
    /// Whether `seed` of the range starting at `first` is this shard's.
    pub fn has(self, first: u64, seed: u64) -> bool {
        (seed - first) % self.count == self.index
    }
}

/// What to explore.
#[derive(Clone, Debug)]
pub struct ExploreSettings {
    /// The scenario's device.
    pub device: &'static dyn Device,
    /// Scenario.
    pub scenario: &'static Scenario,
    /// Driver: the device's reference or one of its twins.
    pub driver: &'static Twin,
    /// A broken-RTL twin of the device (`None`: the reference RTL).
    pub rtl: Option<&'static RtlTwin>,
    /// First seed; seeds `first .. first + seeds` are run (those of `shard` only, when set).
    pub first_seed: u64,
    /// This machine's share of the seeds, when the exploration is split across machines.
    pub shard: Option<Shard>,
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
    /// How choices are made.
    pub strategy: Strategy,
    /// Shrink the first failure to the fewest forced choices that still fail.
    pub shrink: bool,
    /// Functional coverage of every explored seed, added up (`--coverage`,
    /// `--functional-coverage`; always on with [`Strategy::Coverage`]).
    pub functional_coverage: bool,
    /// RTL coverage: each seed's coverage.dat under `DIR/seeds/`, merged into
    /// `DIR/coverage.dat` with lcov and HTML beside it (`--coverage`).
    pub rtl_coverage_dir: Option<PathBuf>,
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
    /// The seed range explored: `first_seed .. first_seed + seeds`.
    pub first_seed: u64,
    /// Seeds in the range (all shards' together).
    pub seeds: u64,
    /// The share of the range this run explored, when sharded.
    pub shard: Option<Shard>,
    /// The reading and the CPUs of every run (so that shards of different explorations are
    /// not merged).
    pub reading: &'static str,
    /// Virtual CPUs.
    pub cpus: u8,
    /// Cycles per run.
    pub cycles: u64,
    /// Seeds run.
    pub seeds_run: u64,
    /// Every failing seed, in order.
    pub failing_seeds: Vec<u64>,
    /// Seeds whose run failed.
    pub failures: u64,
    /// Failing seeds per rule.
    pub failures_by_rule: BTreeMap<String, u64>,
    /// Per failing rule: how many seeds, counted from the first, it took to fail it first
    /// (a race twin's rule of effect, e.g. `register-integrity`, against its rule of promise).
    pub first_failure_by_rule: BTreeMap<String, u64>,
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
    /// Strategy used.
    pub strategy: Strategy,
    /// The first failure, shrunk: forced choices (`INDEX=VALUE,...`; empty = the baseline
    /// schedule already fails).
    pub shrunk_schedule: Option<String>,
    /// Forced choices before and after shrinking, and the runs shrinking took.
    pub shrink_stats: Option<(usize, usize, u64)>,
    /// RTL variant (`reference` unless a broken twin was asked for).
    pub rtl: &'static str,
    /// Seeds whose run did harm by its own ground truth (`harm` of `dirql run --json`),
    /// whether a rule failed or not.
    pub harmed_seeds: u64,
    /// Harmed seeds per kind of harm.
    pub harm_by_kind: BTreeMap<String, u64>,
    /// Seeds with harm and every rule passing: false passes, each a failed check of the
    /// checker (explore then exits 1).
    pub false_passes: u64,
    /// The smallest of them, replayed and described.
    pub first_false_pass: Option<FalsePass>,
    /// Functional coverage of the explored seeds, added up (with coverage asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub functional_coverage: Option<crate::coverage::CoverageReport>,
    /// For every functional-coverage cell hit: how many seeds, counted from the first, it
    /// took to hit it first (what docs/exploration.md compares strategies by).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_first_hit: Option<BTreeMap<String, u64>>,
    /// RTL coverage merged over the explored seeds (with `--coverage`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtl_coverage: Option<crate::coverage_rtl::RtlCoverage>,
}

/// A seed that did harm while every rule passed.
#[derive(Clone, Debug, Serialize)]
pub struct FalsePass {
    /// Seed.
    pub seed: u64,
    /// One line that replays it (`dirql run ... --json`, whose `harm` shows the harm).
    pub replay_command: String,
    /// True when that replay, as printed, again did harm with every rule passing.
    pub reproduced: bool,
    /// The harm the run recorded.
    pub harm: Vec<Harm>,
    /// Every rule (all passed), with the number of events it judged.
    pub rules_passed: Vec<(String, u64)>,
}

struct Outcome {
    seed: u64,
    failed: Vec<String>,
    harm: Vec<&'static str>,
    error: Option<RunError>,
    coverage: Option<crate::coverage::CoverageReport>,
    /// The run's choices as a forced schedule (recorded: the coverage strategy).
    schedule: Option<BTreeMap<u64, u64>>,
    /// Choices the run made.
    choices: u64,
}

fn options(s: &ExploreSettings, seed: u64, horizon: u64) -> RunOptions {
    let schedule = match s.strategy {
        Strategy::Random | Strategy::Coverage => None,
        Strategy::Pct { depth } => Some(Schedule::Pct { seed, depth, horizon }),
    };
    RunOptions { schedule, rtl: s.rtl, ..RunOptions::default() }
}

/// The options of one explored seed: its strategy's schedule (`forced` for a coverage
/// mutation), and the coverage asked for.
fn seed_options(s: &ExploreSettings, seed: u64, horizon: u64, made: Option<Schedule>) -> RunOptions {
    let mut o = options(s, seed, horizon);
    if made.is_some() {
        o.schedule = made;
    }
    o.functional_coverage = s.functional_coverage || s.strategy == Strategy::Coverage;
    o.record = s.strategy == Strategy::Coverage;
    o.rtl_coverage = s.rtl_coverage_dir.as_ref().map(|d| d.join("seeds").join(format!("seed{seed}.dat")));
    o
}

fn run_seed(s: &ExploreSettings, seed: u64, horizon: u64, made: Option<Schedule>) -> Outcome {
    match run_with(&settings(s, seed, None), &seed_options(s, seed, horizon, made)) {
        Ok(r) => Outcome {
            seed,
            failed: failed_rules(&r),
            harm: harm_kinds(&r),
            error: None,
            schedule: r.recorded_schedule.as_deref().map(|t| match t.parse::<Schedule>() {
                Ok(Schedule::Forced(m)) => m,
                _ => BTreeMap::new(),
            }),
            choices: r.choices,
            coverage: r.functional_coverage,
        },
        Err(e) => {
            Outcome { seed, failed: vec![], harm: vec![], error: Some(e), coverage: None, schedule: None, choices: 0 }
        }
    }
}

fn settings(s: &ExploreSettings, seed: u64, vcd: Option<PathBuf>) -> RunSettings {
    RunSettings {
        device: s.device,
        scenario: s.scenario,
        driver: s.driver,
        seed,
        cycles: s.cycles,
        vcd,
        reading: s.reading,
        cpus: s.cpus,
    }
}

fn failed_rules(r: &RunResult) -> Vec<String> {
    r.rules.iter().filter(|x| x.verdict != "pass").map(|x| x.name.clone()).collect()
}

/// Runs the exploration. Errors are setup errors (the simulator could not start).
pub fn explore(s: &ExploreSettings) -> Result<ExploreReport, RunError> {
    let start = Instant::now();
    let jobs = s.jobs.max(1);
    // PCT places its change points among as many choices as the baseline run makes.
    let horizon = match s.strategy {
        Strategy::Random | Strategy::Coverage => 0,
        Strategy::Pct { .. } => {
            let base =
                RunOptions { schedule: Some(Schedule::Forced(BTreeMap::new())), rtl: s.rtl, ..RunOptions::default() };
            run_with(&settings(s, 0, None), &base)?.choices.max(1)
        }
    };
    let (seed_tx, seed_rx) = bounded::<(u64, Option<Schedule>)>(jobs * 4);
    let (out_tx, out_rx) = unbounded::<Outcome>();
    let tty = std::io::stderr().is_terminal();
    // Seeds this run explores (its shard's share of the range).
    let ours = match s.shard {
        None => s.seeds,
        Some(sh) => (0..s.seeds).filter(|i| i % sh.count == sh.index).count() as u64,
    };
    let mut t = Tally::default();
    let mut setup_error = None;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let (rx, tx) = (seed_rx.clone(), out_tx.clone());
            scope.spawn(move || {
                for (seed, forced) in rx {
                    let o = run_seed(s, seed, horizon, forced);
                    if tx.send(o).is_err() {
                        break;
                    }
                }
            });
        }
        drop(out_tx);
        let seeds: Vec<u64> = (s.first_seed..s.first_seed.saturating_add(s.seeds))
            .filter(|&seed| s.shard.is_none_or(|sh| sh.has(s.first_seed, seed)))
            .collect();
        let show = |t: &Tally| {
            let (done, failures, false_passes) = (t.done, t.failures, t.false_passes);
            if tty && (done % 16 == 0 || done == ours) {
                let el = start.elapsed().as_secs_f64();
                let rate = done as f64 / el.max(1e-9);
                let eta = ours.saturating_sub(done) as f64 / rate.max(1e-9);
                eprint!(
                    "\rexplore: {done}/{ours} seeds  {failures} failing  {false_passes} false pass(es)  {rate:.1} seeds/s  \
                     ETA {eta:.0}s   "
                );
                let _ = std::io::stderr().flush();
            }
        };
        if s.strategy == Strategy::Coverage {
            // In generations of a fixed size, each seed's schedule made from the corpus as it
            // stood when its generation began, and the corpus grown in seed order after it: so
            // the exploration is the same whatever order the workers finish in.
            let mut corpus = Corpus::default();
            for generation in seeds.chunks(GENERATION) {
                if crate::signals::pending().is_some() {
                    break;
                }
                for &seed in generation {
                    if seed_tx.send((seed, corpus.schedule_for(seed))).is_err() {
                        break;
                    }
                }
                let mut got: Vec<Outcome> = out_rx.iter().take(generation.len()).collect();
                got.sort_by_key(|o| o.seed);
                for o in got {
                    if let Some(e) = o.error {
                        setup_error.get_or_insert(e);
                        continue;
                    }
                    corpus.learn(&o);
                    t.add(o);
                    show(&t);
                }
            }
            drop(seed_tx);
        } else {
            scope.spawn(move || {
                for seed in seeds {
                    if crate::signals::pending().is_some() || seed_tx.send((seed, None)).is_err() {
                        break;
                    }
                }
            });
            for o in out_rx.iter() {
                if let Some(e) = o.error {
                    setup_error.get_or_insert(e);
                    continue;
                }
                t.add(o);
                show(&t);
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
    let Tally {
        done,
        failures,
        by_rule,
        first_by_rule,
        first_fail,
        harmed,
        harm_by_kind,
        false_passes,
        first_false_pass,
        mut failing,
        coverage,
        first_hit,
        first_fail_schedule,
        first_false_schedule,
    } = t;
    failing.sort_unstable();
    let covered = s.functional_coverage || s.strategy == Strategy::Coverage;
    let rtl_coverage = match &s.rtl_coverage_dir {
        Some(dir) => Some(merge_rtl_coverage(dir).map_err(|e| RunError::Coverage(e.to_string()))?),
        None => None,
    };
    let mut report = ExploreReport {
        scenario: s.scenario.name,
        driver: s.driver.name,
        first_seed: s.first_seed,
        seeds: s.seeds,
        shard: s.shard,
        reading: s.reading.name(),
        cpus: s.cpus,
        cycles: s.cycles,
        seeds_run: done,
        failing_seeds: failing,
        failures,
        failures_by_rule: by_rule,
        first_failure_by_rule: first_by_rule.into_iter().map(|(r, seed)| (r, seed - s.first_seed + 1)).collect(),
        first_failing_seed: first_fail,
        seeds_to_first_failure: first_fail.map(|f| f - s.first_seed + 1),
        replay_command: None,
        replay: None,
        jobs,
        elapsed_s: elapsed,
        seeds_per_s: done as f64 / elapsed.max(1e-9),
        strategy: s.strategy,
        shrunk_schedule: None,
        shrink_stats: None,
        rtl: s.rtl.map_or("reference", |v| v.name),
        harmed_seeds: harmed,
        harm_by_kind,
        false_passes,
        first_false_pass: None,
        functional_coverage: coverage.filter(|_| covered),
        coverage_first_hit: covered
            .then(|| first_hit.into_iter().map(|(c, seed)| (c, seed - s.first_seed + 1)).collect()),
        rtl_coverage,
    };
    // The coverage strategy's seeds ran the schedules it made: those are what is replayed.
    let forced = |m: Option<BTreeMap<u64, u64>>| {
        m.filter(|_| s.strategy == Strategy::Coverage).map(|m| RunOptions {
            schedule: Some(Schedule::Forced(m)),
            rtl: s.rtl,
            ..RunOptions::default()
        })
    };
    if let Some(seed) = first_false_pass {
        report.first_false_pass = Some(describe_false_pass(s, seed, horizon, forced(first_false_schedule))?);
    }
    if let Some(seed) = first_fail {
        let original = forced(first_fail_schedule).unwrap_or_else(|| options(s, seed, horizon));
        let (replay_opts, forced_text) = if s.shrink {
            let (forced, stats) = shrink(s, seed, &original)?;
            let text = format_forced(&forced);
            report.shrunk_schedule = Some(text.clone());
            report.shrink_stats = Some(stats);
            (RunOptions { schedule: Some(Schedule::Forced(forced)), ..RunOptions::default() }, Some(text))
        } else {
            (original, None)
        };
        let rtl = s.rtl.map_or(String::new(), |v| format!("-rtl-{}", v.name));
        let vcd = s.replay_dir.join(format!("{}-{}{rtl}-seed{seed}.vcd", s.scenario.name, s.driver.name));
        let as_run = match &replay_opts.schedule {
            Some(Schedule::Forced(m)) => format_forced(m),
            _ => String::new(),
        };
        let schedule_arg = match (&forced_text, s.strategy) {
            (Some(t), _) => format!(" --schedule '{t}'"),
            (None, Strategy::Random) => String::new(),
            (None, Strategy::Coverage) => format!(" --schedule '{as_run}'"),
            (None, Strategy::Pct { .. }) => " (PCT run: replay it with --shrink to get a --schedule)".into(),
        };
        report.replay_command = Some(format!("{}{schedule_arg} --vcd {}", run_command(s, seed), vcd.display()));
        // The untraced verdict of exactly what is replayed, for the comparison.
        let untraced = run_with(&settings(s, seed, None), &replay_opts)?;
        let traced = run_with(&settings(s, seed, Some(vcd.clone())), &replay_opts)?;
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

/// What the explored seeds came to, as their outcomes arrive (in any order).
#[derive(Debug, Default)]
struct Tally {
    done: u64,
    failures: u64,
    by_rule: BTreeMap<String, u64>,
    first_by_rule: BTreeMap<String, u64>,
    first_fail: Option<u64>,
    harmed: u64,
    harm_by_kind: BTreeMap<String, u64>,
    false_passes: u64,
    first_false_pass: Option<u64>,
    failing: Vec<u64>,
    coverage: Option<crate::coverage::CoverageReport>,
    first_hit: BTreeMap<String, u64>,
    /// The forced schedules of the first failing seed and of the first false pass, as run
    /// (the coverage strategy's seeds are not their seed's uniform choices).
    first_fail_schedule: Option<BTreeMap<u64, u64>>,
    first_false_schedule: Option<BTreeMap<u64, u64>>,
}

impl Tally {
    fn add(&mut self, o: Outcome) {
        self.done += 1;
        if let Some(c) = &o.coverage {
            for cell in c.hit_cells() {
                let e = self.first_hit.entry(cell).or_insert(o.seed);
                *e = (*e).min(o.seed);
            }
            match self.coverage.as_mut() {
                // The same device's groups: a mismatch cannot happen within one exploration.
                Some(t) => t.merge(c).unwrap_or_default(),
                None => self.coverage = Some(c.clone()),
            }
        }
        if !o.failed.is_empty() && self.first_fail.is_none_or(|f| o.seed < f) {
            self.first_fail_schedule = o.schedule.clone();
        }
        if !o.harm.is_empty() && o.failed.is_empty() && self.first_false_pass.is_none_or(|f| o.seed < f) {
            self.first_false_schedule = o.schedule.clone();
        }
        if !o.harm.is_empty() {
            self.harmed += 1;
            for k in &o.harm {
                *self.harm_by_kind.entry((*k).to_string()).or_default() += 1;
            }
            if o.failed.is_empty() {
                self.false_passes += 1;
                self.first_false_pass = Some(self.first_false_pass.map_or(o.seed, |f| f.min(o.seed)));
            }
        }
        if !o.failed.is_empty() {
            self.failures += 1;
            self.failing.push(o.seed);
            self.first_fail = Some(self.first_fail.map_or(o.seed, |f| f.min(o.seed)));
            for r in o.failed {
                let first = self.first_by_rule.entry(r.clone()).or_insert(o.seed);
                *first = (*first).min(o.seed);
                *self.by_rule.entry(r).or_default() += 1;
            }
        }
    }
}

/// `dirql run` of one seed as explored (no schedule, no waveform, no output option).
fn run_command(s: &ExploreSettings, seed: u64) -> String {
    let rtl = s.rtl.map_or(String::new(), |v| format!(" --rtl {}", v.name));
    format!(
        "dirql run {} --driver {}{rtl} --seed {seed} --cycles {} --reading {} --cpus {}",
        s.scenario.name,
        s.driver.name,
        s.cycles,
        s.reading.name(),
        s.cpus
    )
}

fn harm_kinds(r: &RunResult) -> Vec<&'static str> {
    let mut k: Vec<&'static str> = r.harm.iter().map(|h| h.kind).collect();
    k.sort_unstable();
    k.dedup();
    k
}

/// Runs a false-pass seed again, recording its schedule when it is not the seed's own
/// uniform choices (PCT), and checks the printed replay does the same.
fn describe_false_pass(
    s: &ExploreSettings,
    seed: u64,
    horizon: u64,
    forced: Option<RunOptions>,
) -> Result<FalsePass, RunError> {
    let as_run = forced.clone().unwrap_or_else(|| options(s, seed, horizon));
    let opts = RunOptions { record: true, ..as_run };
    let r = run_with(&settings(s, seed, None), &opts)?;
    let (cmd, replay) = match (s.strategy, forced) {
        (Strategy::Random, _) | (Strategy::Coverage, None) => {
            (format!("{} --json", run_command(s, seed)), options(s, seed, horizon))
        }
        (Strategy::Pct { .. } | Strategy::Coverage, _) => {
            let text = r.recorded_schedule.clone().unwrap_or_else(|| "baseline".into());
            let forced = match text.parse::<Schedule>() {
                Ok(Schedule::Forced(m)) => m,
                _ => BTreeMap::new(),
            };
            let o = RunOptions { schedule: Some(Schedule::Forced(forced)), rtl: s.rtl, ..RunOptions::default() };
            (format!("{} --schedule '{text}' --json", run_command(s, seed)), o)
        }
    };
    let again = run_with(&settings(s, seed, None), &replay)?;
    Ok(FalsePass {
        seed,
        replay_command: cmd,
        reproduced: !again.harm.is_empty() && failed_rules(&again).is_empty(),
        harm: r.harm.clone(),
        rules_passed: r.rules.iter().map(|x| (x.name.clone(), x.checked)).collect(),
    })
}

/// Seeds per generation of the coverage strategy: each generation's schedules are made
/// from the corpus as the previous generations left it.
const GENERATION: usize = 16;

/// The coverage strategy's corpus: the runs that hit a functional-coverage cell no earlier
/// run had (their recorded choices and how many they made), and every cell hit so far.
#[derive(Default)]
struct Corpus {
    entries: Vec<(BTreeMap<u64, u64>, u64)>,
    seen: std::collections::HashSet<String>,
}

impl Corpus {
    /// The schedule seed `seed` runs: `None` (its own uniform choices, a fresh run) for one
    /// seed in four and while the corpus is empty, else a splice (as fuzzers mutate the
    /// inputs that reached new code): an entry's choices up to a point drawn at random, so
    /// the run goes where that one went, and the seed's own random choices from there on.
    fn schedule_for(&self, seed: u64) -> Option<Schedule> {
        if self.entries.is_empty() {
            return None;
        }
        let mut r = dirql_sim::Rng::new(seed ^ 0x9E37_79B9_7F4A_7C15);
        if r.below_or_eq(3) == 0 {
            return None;
        }
        let (prefix, choices) = &self.entries[r.below_or_eq(self.entries.len() as u64 - 1) as usize];
        let upto = r.below_or_eq((*choices).max(1));
        Some(Schedule::Splice { prefix: prefix.clone(), upto, seed })
    }

    /// Keeps `o`'s choices when it hit a cell no earlier run had.
    fn learn(&mut self, o: &Outcome) {
        let Some(c) = &o.coverage else { return };
        let mut new = false;
        for cell in c.hit_cells() {
            new |= self.seen.insert(cell);
        }
        if let (true, Some(m)) = (new, &o.schedule) {
            self.entries.push((m.clone(), o.choices));
        }
    }
}

/// Merges the per-seed coverage.dat files under `dir/seeds` into `dir/coverage.dat` and
/// makes its lcov and HTML reports.
fn merge_rtl_coverage(dir: &std::path::Path) -> Result<crate::coverage_rtl::RtlCoverage, String> {
    let seeds = dir.join("seeds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&seeds)
        .map_err(|e| format!("{}: {e}", seeds.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dat"))
        .collect();
    files.sort();
    let dat = dir.join("coverage.dat");
    crate::coverage_rtl::merge_dat(&files, &dat).map_err(|e| e.to_string())?;
    crate::coverage_rtl::reports(&dat, dir, true).map_err(|e| e.to_string())
}

/// Forced choices before shrinking, after, and the runs it took.
type ShrinkStats = (usize, usize, u64);

/// Largest number of runs shrinking may spend.
const SHRINK_BUDGET: u64 = 4_000;

/// Reduces a failing run to the fewest forced choices that still fail one of the rules it
/// failed (delta debugging over the recorded non-baseline choices, then one at a time).
/// Returns the forced choices and (choices before, after, runs spent).
fn shrink(
    s: &ExploreSettings,
    seed: u64,
    original: &RunOptions,
) -> Result<(BTreeMap<u64, u64>, ShrinkStats), RunError> {
    let rec = run_with(
        &settings(s, seed, None),
        &RunOptions { schedule: original.schedule.clone(), record: true, ..RunOptions::default() },
    )?;
    let target = failed_rules(&rec);
    let full: BTreeMap<u64, u64> = rec
        .recorded_schedule
        .as_deref()
        .map(|t| match t.parse::<Schedule>() {
            Ok(Schedule::Forced(m)) => m,
            _ => BTreeMap::new(),
        })
        .unwrap_or_default();
    let mut runs = 0u64;
    let fails = |m: &BTreeMap<u64, u64>, runs: &mut u64| -> bool {
        *runs += 1;
        let o = RunOptions { schedule: Some(Schedule::Forced(m.clone())), ..RunOptions::default() };
        run_with(&settings(s, seed, None), &o)
            .map(|r| failed_rules(&r).iter().any(|x| target.contains(x)))
            .unwrap_or(false)
    };
    let before = full.len();
    if fails(&BTreeMap::new(), &mut runs) {
        return Ok((BTreeMap::new(), (before, 0, runs)));
    }
    if !fails(&full, &mut runs) {
        // Not reproducible as a forced schedule (should not happen): keep it whole.
        return Ok((full, (before, before, runs)));
    }
    let mut items: Vec<(u64, u64)> = full.into_iter().collect();
    let mut n = 2usize;
    while items.len() >= 2 && runs < SHRINK_BUDGET {
        let chunk = items.len().div_ceil(n);
        let mut reduced = false;
        let parts = n;
        for i in 0..parts {
            let lo = (i * chunk).min(items.len());
            let hi = ((i + 1) * chunk).min(items.len());
            if lo == hi {
                continue;
            }
            let candidate: Vec<(u64, u64)> = items[..lo].iter().chain(&items[hi..]).copied().collect();
            if fails(&candidate.iter().copied().collect(), &mut runs) {
                items = candidate;
                n = (n - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if n >= items.len() {
                break;
            }
            n = (2 * n).min(items.len());
        }
    }
    // One at a time, so no single choice left can go.
    let mut i = 0;
    while i < items.len() && items.len() > 1 && runs < SHRINK_BUDGET {
        let candidate: Vec<(u64, u64)> = items.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, &x)| x).collect();
        if fails(&candidate.iter().copied().collect(), &mut runs) {
            items = candidate;
        } else {
            i += 1;
        }
    }
    let after = items.len();
    Ok((items.into_iter().collect(), (before, after, runs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(seed: u64, failed: &[&str], harm: &[&'static str]) -> Outcome {
        Outcome {
            seed,
            failed: failed.iter().map(|s| s.to_string()).collect(),
            harm: harm.to_vec(),
            error: None,
            coverage: None,
            schedule: None,
            choices: 0,
        }
    }

    /// Harm with a failing rule is caught; harm with every rule passing is a false pass,
    /// whatever order the outcomes arrive in; a failure without harm is neither.
    #[test]
    fn harm_with_every_rule_passing_is_counted_as_a_false_pass() {
        let mut t = Tally::default();
        t.add(o(7, &[], &["fence-stalled"]));
        t.add(o(3, &["no-lost-interrupt"], &["fence-stalled", "source-unserviced"]));
        t.add(o(5, &[], &["retrace-unserviced"]));
        t.add(o(2, &["sync-isolation"], &[]));
        t.add(o(1, &[], &[]));
        assert_eq!((t.done, t.failures, t.harmed, t.false_passes), (5, 2, 3, 2));
        assert_eq!(t.first_false_pass, Some(5));
        assert_eq!(t.first_fail, Some(2));
        assert_eq!(t.harm_by_kind.get("fence-stalled"), Some(&2));
        assert_eq!(t.harm_by_kind.get("source-unserviced"), Some(&1));
    }
}
