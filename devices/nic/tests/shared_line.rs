//! `nic-shared-inta`: the network adapter (slot 0) and the display adapter (slot 1) on one
//! bus and one INTA# line, each device's rules on its own slot's view of the waveform.
//! The reference pair passes on one and two CPUs, with both devices' interrupts taken and
//! both drivers' rules exercised; a driver that claims the other device's interrupts, and
//! one that never dismisses its own, fail their rules, live and from the waveform alike.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use dirql_display::DISPLAY;
use dirql_nic::NIC;
use dirql_testbenches::check::{read_vcd, Checker};
use dirql_testbenches::device::{Device, Registry};
use dirql_testbenches::manifest::RunManifest;
use dirql_testbenches::scenario::{run, RunResult, RunSettings};

const SHARED: &str = "nic-shared-inta";

mod common;
use common::failing;

fn settings(drv: &str, seed: u64, cpus: u8, vcd: Option<std::path::PathBuf>) -> RunSettings {
    common::settings(SHARED, drv, seed, cpus, vcd)
}

fn checked(r: &RunResult, rule: &str) -> u64 {
    r.rules.iter().find(|x| x.name == rule).map_or(0, |x| x.checked)
}

#[test]
fn both_drivers_serve_their_own_device_on_the_shared_line() {
    for cpus in [1, 2] {
        for seed in 1..=3 {
            let r = run(&settings("reference", seed, cpus, None)).unwrap();
            assert!(r.harm.is_empty(), "cpus={cpus} seed={seed}: {:?}", r.harm);
            assert_eq!(failing(&r), Vec::<&str>::new(), "cpus={cpus} seed={seed}");
            // Each slot's ISR ran, claimed its own and dismissed: the rules of both judged.
            for rule in ["isr-ownership", "isr-dismissal", "display:isr-ownership", "display:isr-dismissal"] {
                assert!(checked(&r, rule) >= 5, "cpus={cpus} seed={seed}: {rule} checked {}", checked(&r, rule));
            }
        }
    }
}

#[test]
fn claiming_the_other_devices_interrupts_fails_isr_ownership_first() {
    for cpus in [1, 2] {
        let r = run(&settings("nic-claims-shared", 1, cpus, None)).unwrap();
        let first = r
            .rules
            .iter()
            .filter(|x| x.verdict != "pass")
            .min_by_key(|x| x.violations.first().map_or(u64::MAX, |v| v.cycle))
            .unwrap();
        assert_eq!(first.name, "isr-ownership", "cpus={cpus}");
        // The harm is the display's: its retraces go unserviced.
        assert!(r.harm.iter().any(|h| h.kind == "retrace-unserviced"), "cpus={cpus}: {:?}", r.harm);
    }
}

#[test]
fn never_dismissing_on_the_shared_line_fails_isr_dismissal() {
    let r = run(&settings("nic-no-ack", 2, 2, None)).unwrap();
    assert!(failing(&r).contains(&"isr-dismissal"), "{:?}", failing(&r));
    assert!(!r.harm.is_empty());
}

#[test]
fn the_two_slot_waveform_gives_the_live_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    for drv in ["reference", "nic-claims-shared", "nic-no-ack"] {
        let p = dir.path().join(format!("{drv}.vcd"));
        let live = run(&settings(drv, 2, 2, Some(p.clone()))).unwrap();
        let m = RunManifest::read(&p).unwrap().unwrap();
        assert_eq!(m.partner.as_deref(), Some("display"), "{drv}: the manifest names slot 1's device");
        let mut c = Checker::for_device(&NIC).with_partner(&DISPLAY);
        read_vcd("t", std::io::BufReader::new(std::fs::File::open(&p).unwrap()), |f| c.feed(f)).unwrap();
        let last = c.last_cycle();
        let mut offline = c.finish();
        // As `dirql check` does: the live run's judgement from its manifest (a rule that
        // checked nothing fails unless the scenario declares it; run-completed).
        static BOTH: &[&dyn Device] = &[&NIC, &DISPLAY];
        m.judge(&mut offline, last, &Registry::new(BOTH).unwrap());
        assert_eq!(offline.len(), live.rules.len(), "{drv}: every rule of both slots, and run-completed");
        common::assert_same_verdicts(drv, &offline, &live);
    }
}
