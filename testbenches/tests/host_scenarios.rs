//! The host-side scenarios' own observations (RunResult fields that the signal-level rules
//! do not cover): where the readings of VideoPortSynchronizeExecution differ on two CPUs,
//! and ISR chaining on the shared INTA# line.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use dirql_host::adapter::Variant;
use dirql_host::videoport::SyncReading;
use dirql_testbenches::scenario::{run, RunResult, RunSettings, Scenario};

fn run_with(scenario: &str, driver: &str, seed: u64, reading: SyncReading) -> RunResult {
    let sc = Scenario::by_name(scenario).expect("scenario exists");
    run(&RunSettings {
        scenario: sc,
        driver: Variant::by_name(driver).expect("driver exists"),
        seed,
        cycles: sc.default_cycles,
        vcd: None,
        reading,
        cpus: 2,
    })
    .expect("run starts")
}

#[test]
fn sync_readings_isr_overlaps_a_high_priority_routine_only_under_reactos() {
    for seed in 1..=4 {
        for reading in SyncReading::ALL {
            let r = run_with("sync-readings", "reference", seed, reading);
            assert!(r.stopped.is_none(), "{} seed {seed}: {:?}", reading.name(), r.stopped);
            assert!(r.interrupts >= 5, "{} seed {seed}: only {} interrupts", reading.name(), r.interrupts);
            match reading {
                SyncReading::ReactOs => assert!(
                    r.sync_overlap_cycles > 0,
                    "seed {seed}: reactos VpHighPriority takes no lock, yet the ISR on CPU1 never overlapped it"
                ),
                _ => assert_eq!(
                    r.sync_overlap_cycles,
                    0,
                    "{} seed {seed}: the ISR ran during a VpHighPriority routine",
                    reading.name()
                ),
            }
        }
    }
}

#[test]
fn shared_line_reference_leaves_the_other_devices_interrupts_to_its_isr() {
    for seed in 1..=4 {
        let r = run_with("shared-line", "reference", seed, SyncReading::Current);
        assert_eq!(r.verdict, "pass", "seed {seed}: {:?}", r.rules);
        let d = r.second_device.clone().unwrap();
        assert!(d.raised >= 4, "seed {seed}: the second device raised only {} interrupts", d.raised);
        assert_eq!(d.serviced + u64::from(d.pending_at_end), d.raised, "seed {seed}: {d:?}");
        assert_eq!((r.unclaimed, r.storms), (0, 0), "seed {seed}");
        // Both devices' interrupts were taken: more than the second device's alone.
        assert!(r.interrupts > d.serviced, "seed {seed}: no display interrupt among {}", r.interrupts);
    }
}

#[test]
fn other_scenarios_have_no_second_device_and_no_storm() {
    let r = run_with("vblank", "reference", 1, SyncReading::Current);
    assert!(r.second_device.is_none());
    assert_eq!(r.storms, 0);
    assert!(r.bug_check.is_none());
}

#[test]
fn never_dismissing_storms_and_the_os_disables_the_line() {
    let r = run_with("vblank", "no-ack", 1, SyncReading::Current);
    assert_eq!(r.storms, 1);
    let at = r.line_disabled_at.unwrap();
    assert!(at > 2000 && at < 20_000, "line disabled at cycle {at}");
    // The storm threshold (500 deliveries with the line still low at EOI) was reached.
    assert!(r.interrupts >= 500, "{} deliveries", r.interrupts);
}
