//! Harm ⇒ failure: over seeds, for the reference and for every driver and RTL twin, a run
//! whose own ground truth saw harm (a fence that never completed, a retrace nobody
//! serviced, an ISR inside a routine meant to exclude it, ...) must have a failing rule.
//! A run with harm and every rule passing is a false pass. The reference must show
//! neither harm nor a failure, on one CPU and on two. `make mutants` runs the same
//! judgement over 1000+ seeds; here a modest number keeps `make test` quick.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use dirql_display::RTL_VARIANTS;
use dirql_host::videoport::SyncReading;
use dirql_testbenches::device::Device as _;
use dirql_testbenches::scenario::{run_with, RunOptions, RunResult, RunSettings};

/// Seeds per (scenario, driver, CPUs) in `make test`.
const SEEDS: u64 = 4;

fn run(scenario: &str, driver: &str, cpus: u8, seed: u64, opts: &RunOptions) -> RunResult {
    let sc = dirql_display::scenario(scenario).unwrap();
    let s = RunSettings {
        device: &dirql_display::DISPLAY,
        scenario: sc,
        driver: dirql_display::twin(driver).unwrap(),
        seed,
        cycles: sc.default_cycles,
        vcd: None,
        reading: SyncReading::Current,
        cpus,
    };
    run_with(&s, opts).unwrap()
}

fn failing(r: &RunResult) -> Vec<&str> {
    r.rules.iter().filter(|x| x.verdict != "pass").map(|x| x.name.as_str()).collect()
}

#[test]
fn the_reference_does_no_harm_and_passes_on_one_and_two_cpus() {
    for sc in dirql_display::scenarios::SCENARIOS {
        for cpus in [1, 2] {
            for seed in 1..=SEEDS {
                let r = run(sc.name, "reference", cpus, seed, &RunOptions::default());
                assert!(r.harm.is_empty(), "{} cpus={cpus} seed={seed}: harm {:?}", sc.name, r.harm);
                assert_eq!(failing(&r), Vec::<&str>::new(), "{} cpus={cpus} seed={seed}", sc.name);
                assert!(r.interrupts >= 5, "{} cpus={cpus} seed={seed}: {} interrupts", sc.name, r.interrupts);
            }
        }
    }
}

#[test]
fn every_twin_that_does_harm_fails_a_rule() {
    let mut harmful = 0;
    let mut runs = 0;
    for v in dirql_display::DISPLAY.drivers().into_iter().filter(|v| v.scenario.is_some()) {
        for cpus in [1, 2] {
            for seed in 1..=SEEDS {
                let r = run(v.scenario.unwrap(), v.name, cpus, seed, &RunOptions::default());
                runs += 1;
                if !r.harm.is_empty() {
                    harmful += 1;
                    assert!(
                        !failing(&r).is_empty(),
                        "FALSE PASS: driver {} cpus={cpus} seed={seed} did harm {:?} and every rule passed",
                        v.name,
                        r.harm
                    );
                }
            }
        }
    }
    for v in RTL_VARIANTS.iter().filter(|v| v.scenario.is_some()) {
        for seed in 1..=SEEDS {
            let opts = RunOptions { rtl: Some(v), ..RunOptions::default() };
            let r = run(v.scenario.unwrap(), "reference", 2, seed, &opts);
            runs += 1;
            if !r.harm.is_empty() {
                harmful += 1;
                assert!(!failing(&r).is_empty(), "FALSE PASS: RTL {} seed={seed} did harm {:?}", v.name, r.harm);
            }
        }
    }
    // The sweep judged something: several twins do harm on every seed.
    assert!(harmful >= 20, "only {harmful} of {runs} twin runs did harm: the oracles see nothing");
}

/// The oracles themselves can fire: a twin that stalls fences and one that leaves the
/// retrace unserviced are seen doing so (else the sweep above would pass vacuously).
#[test]
fn the_harm_oracles_see_the_harm_their_twins_do() {
    let r = run("mode-set", "steals-status", 2, 1, &RunOptions::default());
    assert!(r.harm.iter().any(|h| h.kind == "fence-stalled"), "{:?}", r.harm);
    let r = run("msi", "msi-wrong-source", 2, 1, &RunOptions::default());
    assert!(r.harm.iter().any(|h| h.kind == "retrace-unserviced"), "{:?}", r.harm);
    let r = run("mode-set", "split-sequence", 2, 1, &RunOptions::default());
    assert!(r.harm.iter().any(|h| h.kind == "mode-not-set"), "{:?}", r.harm);
    // The engine left stopped on an invalid command word: every later fence stalls.
    for cpus in [1, 2] {
        let r = run("cmd-error", "no-engine-reset", cpus, 1, &RunOptions::default());
        assert!(r.harm.iter().any(|h| h.kind == "fence-stalled"), "cpus={cpus}: {:?}", r.harm);
        // FIFO_LOW never acknowledged: the latch stays set.
        let r = run("cmd-flood", "fifo-low-unclaimed", cpus, 1, &RunOptions::default());
        assert!(r.harm.iter().any(|h| h.kind == "source-left-latched"), "cpus={cpus}: {:?}", r.harm);
    }
    let r = run("vblank", "forbidden-call", 2, 1, &RunOptions::default());
    assert!(r.harm.iter().any(|h| h.kind == "run-stopped"), "{:?}", r.harm);
    let mut s = RunSettings {
        device: &dirql_display::DISPLAY,
        scenario: dirql_display::scenario("sync-readings").unwrap(),
        driver: dirql_display::twin("reference").unwrap(),
        seed: 1,
        cycles: 20_000,
        vcd: None,
        reading: SyncReading::ReactOs,
        cpus: 2,
    };
    let r = run_with(&s, &RunOptions::default()).unwrap();
    assert!(r.harm.iter().any(|h| h.kind == "isr-in-exclusive-routine"), "reactos: {:?}", r.harm);
    assert!(failing(&r).contains(&"sync-isolation"), "reactos: {:?}", failing(&r));
    s.reading = SyncReading::Current;
    let r = run_with(&s, &RunOptions::default()).unwrap();
    assert!(r.harm.is_empty(), "current: {:?}", r.harm);
}
