//! Signal-level checkers. Every rule reads only [`Frame`]s — the wired PCI bus and the
//! traced host state, cycle by cycle — so the same rule code runs live during a run and
//! afterwards on a VCD, and both give the same verdict.

mod decode;
mod isr_dismissal;
mod vcd_source;

use dirql_sim::{Frame, PERIOD_NS};
use serde::Serialize;

pub use decode::{DataPhase, PciDecoder};
pub use isr_dismissal::IsrDismissal;
pub use vcd_source::{read_vcd, VcdError, REQUIRED_SIGNALS};

/// What the rules need to know about the device under test (the adapter-specific part).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceProfile {
    /// Offset in BAR0 of the register an ISR acknowledges interrupts in.
    pub ack_offset: u32,
    /// Its name, for messages.
    pub ack_name: &'static str,
}

impl DeviceProfile {
    /// The dirql adapter.
    pub fn dirql() -> Self {
        DeviceProfile { ack_offset: dirql_host::adapter::regs::REG_INT_STATUS, ack_name: "INT_STATUS" }
    }
}

/// One violation of a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// Cycle at which it shows on the waveform.
    pub cycle: u64,
    /// The same in simulated nanoseconds (the VCD's time axis).
    pub time_ns: u64,
    /// What is wrong, with the values involved.
    pub message: String,
}

impl Violation {
    /// A violation at `cycle`.
    pub fn new(cycle: u64, message: String) -> Self {
        Violation { cycle, time_ns: cycle * PERIOD_NS, message }
    }
}

/// A rule: reads frames, collects violations.
pub trait Rule {
    /// The rule's name, as in reports and in a broken variant's `breaks`.
    fn name(&self) -> &'static str;
    /// One cycle, with the data phase the decoder saw complete in it and BAR0 as
    /// configured.
    fn on_frame(&mut self, f: &Frame, phase: Option<&DataPhase>, bar0: Option<u32>);
    /// End of the waveform.
    fn finish(&mut self, _last_cycle: u64) {}
    /// Number of events the rule checked (ISRs, bursts, ...).
    fn checked(&self) -> u64;
    /// Violations so far.
    fn violations(&self) -> &[Violation];
}

/// The verdict on one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleReport {
    /// Rule name.
    pub name: String,
    /// `pass` or `fail`.
    pub verdict: &'static str,
    /// Events checked.
    pub checked: u64,
    /// Every violation, first first.
    pub violations: Vec<Violation>,
}

/// All rules over one waveform.
pub struct Checker {
    decoder: PciDecoder,
    rules: Vec<Box<dyn Rule>>,
    last_cycle: u64,
}

impl Checker {
    /// Every rule, for the dirql adapter.
    pub fn for_dirql() -> Self {
        Checker::new(vec![Box::new(IsrDismissal::new(DeviceProfile::dirql()))])
    }

    /// A checker running `rules`.
    pub fn new(rules: Vec<Box<dyn Rule>>) -> Self {
        Checker { decoder: PciDecoder::default(), rules, last_cycle: 0 }
    }

    /// One cycle.
    #[inline]
    pub fn feed(&mut self, f: &Frame) {
        let ph = self.decoder.feed(f);
        let bar0 = self.decoder.bar0();
        for r in &mut self.rules {
            r.on_frame(f, ph.as_ref(), bar0);
        }
        self.last_cycle = f.cycle;
    }

    /// Ends the waveform and returns the verdicts, rule by rule.
    pub fn finish(mut self) -> Vec<RuleReport> {
        let last = self.last_cycle;
        self.rules
            .iter_mut()
            .map(|r| {
                r.finish(last);
                RuleReport {
                    name: r.name().to_string(),
                    verdict: if r.violations().is_empty() { "pass" } else { "fail" },
                    checked: r.checked(),
                    violations: r.violations().to_vec(),
                }
            })
            .collect()
    }

    /// Last cycle fed.
    pub fn last_cycle(&self) -> u64 {
        self.last_cycle
    }
}
