//! Rule `isr-dismissal`: every ISR that claims an interrupt (returns TRUE) has dismissed
//! it on the adapter — the acknowledging write reached the adapter before the ISR
//! returned (posted writes flushed), and the adapter's INTA# was released before the
//! interrupt controller looked at the line again at end of interrupt (hwvid-interrupt.md:
//! "it must dismiss the interrupt on its adapter before it returns TRUE"; semantics.md §6).

use dirql_sim::{Frame, Routine, PIC_DELIVER, PIC_EOI};

use super::{DataPhase, DeviceProfile, Rule, Violation};
use dirql_sim::Command;

/// Per-CPU view of the ISR in progress.
#[derive(Clone, Copy, Debug, Default)]
struct IsrRun {
    /// Cycle the ISR was entered.
    entered: Option<u64>,
    /// Delivery this ISR serves.
    delivered: u64,
    /// First acknowledging write of this ISR to reach the adapter.
    acked: Option<u64>,
}

/// A claimed interrupt waiting for the controller's next look at the line.
#[derive(Clone, Copy, Debug)]
struct Claimed {
    cpu: usize,
    returned: u64,
    delivered: u64,
    acked: Option<u64>,
}

/// The rule's state.
pub struct IsrDismissal {
    profile: DeviceProfile,
    isr: Vec<IsrRun>,
    last_delivery: u64,
    /// Last cycle the adapter's INTA# was seen released.
    last_released: u64,
    prev_dev_inta_n: bool,
    claimed: Vec<Claimed>,
    checked: u64,
    violations: Vec<Violation>,
}

impl IsrDismissal {
    /// A fresh rule for the device described by `profile`.
    pub fn new(profile: DeviceProfile) -> Self {
        IsrDismissal {
            profile,
            isr: vec![IsrRun::default(); dirql_sim::Frame::default().irql.len()],
            last_delivery: 0,
            last_released: 0,
            prev_dev_inta_n: true,
            claimed: Vec::new(),
            checked: 0,
            violations: Vec::new(),
        }
    }

    fn is_ack(&self, ph: &DataPhase, bar0: Option<u32>) -> bool {
        matches!(ph.cmd, Some(Command::MemWrite | Command::MemWriteInvalidate))
            && bar0.is_some_and(|b| ph.addr == b.wrapping_add(self.profile.ack_offset))
            && ph.data != 0
    }
}

impl Rule for IsrDismissal {
    fn name(&self) -> &'static str {
        "isr-dismissal"
    }

    fn on_frame(&mut self, f: &Frame, phase: Option<&DataPhase>, bar0: Option<u32>) {
        if f.pic & PIC_DELIVER != 0 {
            self.last_delivery = f.cycle;
        }
        // Acknowledging writes: credit the ISR of the CPU that issued them.
        if let Some(ph) = phase.filter(|p| self.is_ack(p, bar0)) {
            let cpu = usize::from(ph.bus_cpu).wrapping_sub(1);
            if let Some(run) = self.isr.get_mut(cpu).filter(|r| r.entered.is_some()) {
                run.acked.get_or_insert(ph.cycle);
            }
        }
        for cpu in 0..self.isr.len() {
            let in_isr = f.routine_of(cpu) == Some(Routine::Isr);
            if in_isr && self.isr[cpu].entered.is_none() {
                self.isr[cpu] = IsrRun { entered: Some(f.cycle), delivered: self.last_delivery, acked: None };
            }
            if let Some(claimed) = f.isr_return(cpu) {
                let run = std::mem::take(&mut self.isr[cpu]);
                if claimed {
                    self.checked += 1;
                    let entered = run.entered.unwrap_or(f.cycle);
                    if run.acked.is_none() {
                        self.violations.push(Violation::new(
                            f.cycle,
                            format!(
                                "CPU{cpu} ISR (entered at cycle {entered}) returned TRUE but no acknowledging write to \
                                 {} reached the adapter before it returned{}",
                                self.profile.ack_name,
                                if self.prev_dev_inta_n { "" } else { "; the adapter's INTA# is still asserted" }
                            ),
                        ));
                    }
                    self.claimed.push(Claimed { cpu, returned: f.cycle, delivered: run.delivered, acked: run.acked });
                }
            } else if !in_isr && f.routine_of(cpu) != Some(Routine::Spin) && self.isr[cpu].entered.is_some() {
                // Left the ISR without a traced return (a bug check): forget it.
                self.isr[cpu] = IsrRun::default();
            }
        }
        // The controller looks at the line again at EOI, at the level of the interval
        // before (semantics.md §6; dirql-sim's InterruptController).
        if f.pic & PIC_EOI != 0 && !self.claimed.is_empty() {
            let line_low = !self.prev_dev_inta_n;
            for c in std::mem::take(&mut self.claimed) {
                if line_low && self.last_released < c.delivered {
                    let why = match c.acked {
                        None => format!("no acknowledging write to {} reached the adapter", self.profile.ack_name),
                        Some(w) => format!("the acknowledge reached the adapter at cycle {w} but did not release it"),
                    };
                    let late = match f.posted {
                        0 => String::new(),
                        n => format!(
                            " ({n} write(s) still waiting in the bridge's posted-write buffer: not flushed by a read)"
                        ),
                    };
                    self.violations.push(Violation::new(
                        f.cycle,
                        format!(
                            "INTA# still asserted when the interrupt controller looked again at end of interrupt; \
                             CPU{} ISR returned TRUE at cycle {} for the delivery at cycle {}, and INTA# has been low \
                             since before that delivery: {why}{late} — the line will be taken again (spurious re-entry)",
                            c.cpu, c.returned, c.delivered
                        ),
                    ));
                }
            }
        }
        if f.dev_inta_n {
            self.last_released = f.cycle;
        }
        self.prev_dev_inta_n = f.dev_inta_n;
    }

    fn checked(&self) -> u64 {
        self.checked
    }

    fn violations(&self) -> &[Violation] {
        &self.violations
    }
}
