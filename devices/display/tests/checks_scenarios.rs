//! Rules on real runs, beyond the reference-passes / broken-twin-fails matrix of
//! `scenarios.rs`: the reading of VpHighPriority that lets the ISR overlap a synchronized
//! routine is caught by `sync-isolation` at the cycle the host model reports, and the
//! shared line exercises the FALSE path of `isr-ownership`.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use dirql_host::videoport::SyncReading;
use dirql_testbenches::check::RuleReport;
use dirql_testbenches::scenario::{run, RunResult, RunSettings};

fn run_with(scenario: &str, reading: SyncReading, seed: u64) -> RunResult {
    run_on(scenario, reading, seed, 2)
}

fn run_on(scenario: &str, reading: SyncReading, seed: u64, cpus: u8) -> RunResult {
    let sc = dirql_display::scenario(scenario).unwrap();
    run(&RunSettings {
        device: &dirql_display::DISPLAY,
        scenario: sc,
        driver: dirql_display::twin("reference").unwrap(),
        seed,
        cycles: sc.default_cycles,
        vcd: None,
        reading,
        cpus,
    })
    .unwrap()
}

fn rule<'a>(r: &'a RunResult, name: &str) -> &'a RuleReport {
    r.rules.iter().find(|x| x.name == name).unwrap()
}

#[test]
fn sync_isolation_reports_the_overlap_only_the_raise_only_reading_allows() {
    for seed in [1, 2, 3] {
        for reading in [SyncReading::Current, SyncReading::Legacy] {
            let r = run_with("sync-readings", reading, seed);
            let s = rule(&r, "sync-isolation");
            assert_eq!(s.verdict, "pass", "{reading:?} seed {seed}: {:?}", s.violations.first());
            assert!(s.checked > 10, "{reading:?}: only {} synchronized routines seen", s.checked);
            assert_eq!(r.sync_overlap_cycles, 0);
        }
        let r = run_with("sync-readings", SyncReading::ReactOs, seed);
        assert!(r.sync_overlap_cycles > 0, "the scenario must produce the overlap under reactos");
        let s = rule(&r, "sync-isolation");
        assert_eq!(s.verdict, "fail", "seed {seed}: the overlap went unreported");
        let v = &s.violations[0];
        assert!(
            v.message.contains("without the interrupt lock") || v.message.contains("a priority meant to exclude it"),
            "{}",
            v.message
        );
        assert_eq!(v.routine, Some("ISR"));
        // Every other rule still passes: the overlap is this rule's finding alone.
        for other in r.rules.iter().filter(|x| x.name != "sync-isolation") {
            assert_eq!(other.verdict, "pass", "seed {seed}: {} {:?}", other.name, other.violations.first());
        }
    }
}

#[test]
fn isr_ownership_checks_both_answers_on_a_shared_line() {
    for seed in [1, 4, 9] {
        let r = run_with("shared-line", SyncReading::Current, seed);
        let o = rule(&r, "isr-ownership");
        assert_eq!(o.verdict, "pass", "seed {seed}: {:?}", o.violations.first());
        assert!(
            r.unclaimed > 0 || r.second_device.as_ref().is_some_and(|d| d.raised > 0),
            "seed {seed}: the second device never raised"
        );
        assert!(
            o.checked >= r.interrupts,
            "seed {seed}: {} ISR returns checked for {} interrupts",
            o.checked,
            r.interrupts
        );
    }
}

/// On one CPU the raise-only reading runs the VpHighPriority routine at DISPATCH_LEVEL
/// without the lock, which on the bus and in the routine codes looks like VpLowPriority:
/// only `host.exclusive` (the caller expected exclusion) tells, and the ISR preempting the
/// routine on its own CPU must fail sync-isolation (the sweep's former false pass).
#[test]
fn sync_isolation_catches_the_isr_preempting_an_exclusive_routine_on_one_cpu() {
    for seed in [1, 2, 3] {
        let r = run_on("sync-readings", SyncReading::ReactOs, seed, 1);
        assert!(!r.harm.is_empty(), "seed {seed}: the overlap must do harm on one CPU");
        let s = rule(&r, "sync-isolation");
        assert_eq!(s.verdict, "fail", "seed {seed}: the preemption went unreported");
        assert!(
            s.violations[0].message.contains("on the same CPU, preempting it"),
            "seed {seed}: {}",
            s.violations[0].message
        );
        let ok = run_on("sync-readings", SyncReading::Current, seed, 1);
        assert_eq!(rule(&ok, "sync-isolation").verdict, "pass", "seed {seed}: current on one CPU");
    }
}
