//! What the network adapter's tests share: the settings of a run and its failing rules.

#![allow(dead_code)] // each test file uses what it needs
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use dirql_host::videoport::SyncReading;
use dirql_nic::NIC;
use dirql_testbenches::check::RuleReport;
use dirql_testbenches::device::{driver, Device};
use dirql_testbenches::scenario::{RunResult, RunSettings};

/// The settings of `scenario` with driver `drv`, at its default length.
pub fn settings(scenario: &str, drv: &str, seed: u64, cpus: u8, vcd: Option<std::path::PathBuf>) -> RunSettings {
    let sc = NIC.scenarios().iter().find(|s| s.name == scenario).unwrap();
    RunSettings {
        device: &NIC,
        scenario: sc,
        driver: driver(&NIC, drv).unwrap(),
        seed,
        cycles: sc.default_cycles,
        vcd,
        reading: SyncReading::Current,
        cpus,
    }
}

/// The rules `r` failed.
pub fn failing(r: &RunResult) -> Vec<&str> {
    r.rules.iter().filter(|x| x.verdict != "pass").map(|x| x.name.as_str()).collect()
}

/// Every rule checked from the waveform gives the verdict, the count judged and the
/// violations of the live run (`what` names the run in a failure).
pub fn assert_same_verdicts(what: &str, offline: &[RuleReport], live: &RunResult) {
    for r in offline {
        let l = live.rules.iter().find(|x| x.name == r.name).unwrap();
        assert_eq!(
            (r.verdict, r.checked, r.violations.len()),
            (l.verdict, l.checked, l.violations.len()),
            "{what}: {}",
            r.name
        );
    }
}
