//! The reference driver passes every rule on every scenario, on one CPU and on two, under
//! both readings of VideoPortSynchronizeExecution that allow it (`current`, `legacy`), over a
//! few seeds — run through the command line, as a user would.
//!
//! It is also the oracle of `make mutants` (docs/mutants.md): cargo-mutants runs this test
//! alone against each mutant of the miniport and the OS model, and a mutant is *caught*
//! exactly when some `dirql run` exits non-zero (a rule failed, the run did not complete,
//! or the binary panicked). It does not look at the harm oracles on purpose: a mutant that
//! does harm while every rule passes must survive here, so that the classifier
//! (`scripts/mutants.py`) can report it as a false pass.
//!
//! `DIRQL_ORACLE_SEEDS` (a count, default 3) widens the sweep.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// The readings under which the reference must pass everywhere (`reactos` lets the ISR run
/// inside a VpHighPriority routine, which `sync-isolation` reports: docs/rules.md).
const READINGS: &[&str] = &["current", "legacy"];

/// Scenarios as `dirql list --json` gives them.
fn scenarios() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_dirql")).args(["list", "--json"]).output().expect("dirql runs");
    assert!(out.status.success(), "dirql list --json failed: {}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("dirql list --json is JSON");
    let names: Vec<String> = j["scenarios"]
        .as_array()
        .expect("a scenarios array")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .map(String::from)
        .collect();
    assert!(names.len() >= 5, "only {} scenarios listed", names.len());
    names
}

/// A run that has not finished after this long hangs (a mutant looping in driver code never
/// reaches its last cycle; a run takes about a second). It is killed here: cargo-mutants'
/// own timeout (60 s) kills this test but not the runs it started, which then spin on.
/// Not a timing assertion: the verdict is the same failure a deadlock gets.
const HANG: std::time::Duration = std::time::Duration::from_secs(45);

/// `cmd`'s output, or `None` (the child killed) when it has not exited within `limit`.
fn output_within(cmd: &mut Command, limit: std::time::Duration) -> Option<std::process::Output> {
    use std::process::Stdio;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("dirql runs");
    // Read the pipes meanwhile, so a large report cannot block the child on a full pipe.
    let (mut so, mut se) = (child.stdout.take().expect("piped"), child.stderr.take().expect("piped"));
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut so, &mut b).map(|_| b).unwrap_or_default()
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut se, &mut b).map(|_| b).unwrap_or_default()
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait on dirql") {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Some(std::process::Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// One run's outcome: `None` when every rule passed, else what a reader needs to replay it.
fn run(scenario: &str, reading: &str, cpus: u8, seed: u64) -> Option<String> {
    let (cpus_s, seed_s) = (cpus.to_string(), seed.to_string());
    let args = ["run", scenario, "--reading", reading, "--cpus", &cpus_s, "--seed", &seed_s, "--json"];
    let shown = format!("dirql {}", args.join(" "));
    let Some(out) = output_within(Command::new(env!("CARGO_BIN_EXE_dirql")).args(args), HANG) else {
        return Some(format!("{shown}: no result in {} s: a hang (killed)", HANG.as_secs()));
    };
    let code = out.status.code();
    let j: Option<serde_json::Value> = serde_json::from_slice(&out.stdout).ok();
    let verdict = j.as_ref().and_then(|j| j["verdict"].as_str()).unwrap_or("(no JSON)");
    if code == Some(0) && verdict == "pass" {
        return None;
    }
    // The first failing rule and its first violation, or whatever the run printed.
    let why = j
        .as_ref()
        .and_then(|j| j["rules"].as_array())
        .and_then(|rs| rs.iter().find(|r| r["verdict"] != "pass"))
        .map(|r| format!("{}: {}", r["name"], r["violations"][0]["message"]))
        .unwrap_or_else(|| String::from_utf8_lossy(&out.stderr).lines().take(5).collect::<Vec<_>>().join("\n"));
    Some(format!("{shown}: exit {code:?}, verdict {verdict}: {why}"))
}

#[test]
fn reference_passes_every_scenario_on_one_and_two_cpus() {
    let seeds: u64 = std::env::var("DIRQL_ORACLE_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut work = Vec::new();
    for sc in scenarios() {
        for reading in READINGS {
            for cpus in [2u8, 1] {
                for seed in 1..=seeds {
                    work.push((sc.clone(), *reading, cpus, seed));
                }
            }
        }
    }
    // Two workers (the machine's cores); the first failure stops both, since a mutant is
    // caught as soon as one run fails.
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let Some((sc, reading, cpus, seed)) = work.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                    if let Some(f) = run(sc, reading, *cpus, *seed) {
                        failed.store(true, Ordering::Relaxed);
                        failures.lock().unwrap().push(f);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "the reference driver failed:\n{}", failures.join("\n"));
}
