//! Harm oracles: what a scenario knows went wrong in the run, judged by the driver's and
//! the OS's own ground truth rather than by the rules. A fence that never completed, a
//! source the device raised that nobody serviced, an ISR inside a routine its caller synchronized
//! to exclude it, a register that read back wrong, a run that crashed: each is harm, and
//! when there is harm some rule must fail (a run with harm and every rule passing is a
//! false pass, the worst bug a checker can have). `dirql run --json` carries the list as
//! `harm`; the sweep in `tests/harm.rs` and `make mutants` hold the rules to it.
//!
//! The oracles deliberately do not read the rules' inputs the rules' way: they count what
//! the driver asked for and got (fences, mode sets, read-backs), what the device's
//! documented timing promises (e.g. a display's retrace every frame), and what the OS model saw happen
//! (an ISR dispatched while a routine expecting exclusion ran).

use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;

/// One harm the run did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Harm {
    /// What kind of harm: `fence-stalled`, `mode-not-set`, `register-read-wrong`,
    /// `isr-in-exclusive-routine`, `second-device-unserviced`,
    /// `source-unserviced`, `run-stopped`; a device's own: e.g. the network adapter's
    /// `rx-frame-unconsumed`.
    pub kind: &'static str,
    /// Cycle at which it became harm.
    pub cycle: u64,
    /// What happened, with the values.
    pub detail: String,
}

/// Harm collected during a run, shared by the scenario's jobs and observers (one thread).
#[derive(Clone, Debug, Default)]
pub struct HarmLog(Rc<RefCell<Vec<Harm>>>);

/// Harm entries kept per kind (a stalled engine stalls every later fence too).
const PER_KIND: usize = 4;

impl HarmLog {
    /// Records harm of `kind` at `cycle` (the first few of each kind are kept).
    pub fn record(&self, kind: &'static str, cycle: u64, detail: String) {
        let mut v = self.0.borrow_mut();
        if v.iter().filter(|h| h.kind == kind).count() < PER_KIND {
            v.push(Harm { kind, cycle, detail });
        }
    }

    /// Everything recorded, by cycle.
    pub fn take(&self) -> Vec<Harm> {
        let mut v = std::mem::take(&mut *self.0.borrow_mut());
        v.sort_by_key(|h| h.cycle);
        v
    }
}
