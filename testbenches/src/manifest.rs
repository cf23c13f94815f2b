//! The run manifest: a small JSON file beside every waveform a run writes
//! (`FILE.vcd.run.json`, `FILE.fst.run.json`) that says what the waveform is of and how
//! far the run got. It is written when the run starts (`completed: false`) and again when
//! it ends, so a run killed or cut short leaves a manifest that says so, for VCD and FST
//! alike. `dirql check FILE` reads it: the scenario's not-exercised declarations apply as
//! in the live run, and a waveform whose run did not complete fails `run-completed` with
//! the cycle it ends at — checking it afterwards never passes where the live run did not.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::check::{RuleReport, Violation};
use crate::device::Registry;
use crate::scenario::{judge_exercised, RUN_RULE};

/// What a waveform is of, and how far its run got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunManifest {
    /// Device name (manifests written before devices were plug-ins have none: the
    /// default device).
    #[serde(default)]
    pub device: String,
    /// Scenario name.
    pub scenario: String,
    /// Driver variant.
    pub driver: String,
    /// RTL variant.
    pub rtl: String,
    /// Seed.
    pub seed: u64,
    /// CPUs.
    pub cpus: u8,
    /// VideoPortSynchronizeExecution reading.
    pub reading: String,
    /// Cycles the run was asked for.
    pub cycles_asked: u64,
    /// The run finished (normally or by a stop it reported); false while it runs, and
    /// after a kill.
    pub completed: bool,
    /// Cycles simulated, once completed.
    pub cycles: u64,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
    /// The device in slot 1 of a two-slot run (on the same bus and INTA# line), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
}

/// The manifest's path beside `wave`.
pub fn path_of(wave: &Path) -> PathBuf {
    let mut s = wave.as_os_str().to_owned();
    s.push(".run.json");
    PathBuf::from(s)
}

impl RunManifest {
    /// Writes it beside `wave` (errors are the caller's to report).
    pub fn write(&self, wave: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path_of(wave), text + "\n")
    }

    /// The manifest beside `wave`: `None` when there is none (a waveform from elsewhere),
    /// an error naming the file when it cannot be read.
    pub fn read(wave: &Path) -> Option<Result<RunManifest, String>> {
        let p = path_of(wave);
        let text = std::fs::read_to_string(&p).ok()?;
        Some(serde_json::from_str(&text).map_err(|e| format!("{}: not a dirql run manifest: {e}", p.display())))
    }

    /// Applies the live run's judgement to rules checked from its waveform, which ends at
    /// `last_cycle`: the scenario's not-exercised declarations (the scenario looked up in
    /// `registry`), and `run-completed`.
    pub fn judge(&self, rules: &mut Vec<RuleReport>, last_cycle: u64, registry: &Registry) {
        let why = match (&self.stopped, self.completed) {
            (Some(w), _) => Some((self.cycles, w.clone())),
            (None, false) => Some((
                last_cycle,
                format!(
                    "the run never finished: its waveform ends at cycle {last_cycle} of the {} asked (killed, or \
                     still running)",
                    self.cycles_asked
                ),
            )),
            (None, true) => None,
        };
        match registry.scenario(&self.scenario) {
            Some((_, sc)) => judge_exercised(rules, sc, why.is_some(), last_cycle),
            None => crate::check::judge_exercised(rules, &[], last_cycle),
        }
        rules.push(RuleReport {
            name: RUN_RULE.to_string(),
            verdict: if why.is_some() { "fail" } else { "pass" },
            checked: 1,
            exercised: true,
            violations: why.into_iter().map(|(c, w)| Violation::new(c, w)).collect(),
        });
    }
}
