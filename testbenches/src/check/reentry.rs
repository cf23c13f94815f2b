//! Rule `no-spurious-reentry`: every delivery of the line runs the ISR exactly once, and
//! the ISR never runs on two CPUs at once (the interrupt object's spin lock excludes it,
//! semantics.md §1; a level-triggered controller delivers only while the line is low,
//! §6).
//!
//! Checked: (a) two CPUs in the ISR in the same cycle; (b) an ISR entered with no delivery
//! by the interrupt controller since the previous ISR entry (a routine called as an ISR
//! without an interrupt); (c) a second delivery before any ISR ran for the first; (d) a
//! delivery while the shared INTA# line was released in the interval before and in the
//! delivery's own.
//!
//! Message-signalled interrupts: (e) a CPU takes an MSI vector that no MSI write on the
//! bus sent it (an interrupt out of nothing); an ISR entry is matched by a message taken
//! on that CPU (`host.msi`) as it is by a delivery of the line.
//!
//! A re-delivery because a TRUE-returning ISR left INTA# asserted at end of interrupt is
//! the other rule's finding (`isr-dismissal`), not counted here twice: the controller
//! rightly takes a line that is still low.

use dirql_sim::{Frame, Routine, PIC_DELIVER};

use super::{msi_write, Ctx, IsrSpan, Ledger, Rule, Violation, TRACED_CPUS};

/// The rule's state.
pub struct NoSpuriousReentry {
    spans: [IsrSpan; TRACED_CPUS],
    /// Per CPU (two-slot runs): in an interrupt dispatch the other device's ISR began,
    /// ahead of this device's in the shared line's chain.
    chained: [bool; TRACED_CPUS],
    /// Deliveries not yet matched by an ISR entry (and the cycle of the oldest).
    credit: Option<u64>,
    /// Messages taken per CPU, not yet matched by an ISR entry there.
    msi_credit: [u32; TRACED_CPUS],
    /// MSI writes seen on the bus and not yet taken: (CPU, vector).
    msi_sent: Vec<(usize, u8)>,
    overlap: bool,
    prev_inta_n: bool,
    /// What it checked and found.
    ledger: Ledger,
}

impl Default for NoSpuriousReentry {
    fn default() -> Self {
        Self::new()
    }
}

impl NoSpuriousReentry {
    /// A fresh rule.
    pub fn new() -> Self {
        NoSpuriousReentry {
            spans: [IsrSpan::default(); TRACED_CPUS],
            chained: [false; TRACED_CPUS],
            credit: None,
            msi_credit: [0; TRACED_CPUS],
            msi_sent: Vec::new(),
            overlap: false,
            prev_inta_n: true,
            ledger: Ledger::default(),
        }
    }
}

const SIGS: &[&str] =
    &["inta_n", "pic_deliver", "pic_in_service", "pic_eoi", "lock_owner", "cpu0_routine", "cpu1_routine"];

impl Rule for NoSpuriousReentry {
    fn name(&self) -> &'static str {
        "no-spurious-reentry"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if let Some(m) = ctx.phase.and_then(msi_write) {
            self.msi_sent.push(m);
        }
        if f.msi != 0 {
            for cpu in 0..TRACED_CPUS {
                let Some(vector) = f.msi_taken(cpu) else { continue };
                self.ledger.checked += 1;
                self.msi_credit[cpu] += 1;
                match self.msi_sent.iter().position(|&s| s == (cpu, vector)) {
                    Some(i) => {
                        self.msi_sent.swap_remove(i);
                    }
                    None => self.ledger.violations.push(
                        Violation::new(
                            f.cycle,
                            format!(
                                "CPU{cpu} took MSI vector {vector:#04x} although no MSI write of that vector to it \
                                 is on the bus since it last took one: an interrupt out of nothing"
                            ),
                        )
                        .on(cpu, f.routine_of(cpu))
                        .signals(&["msi", "ad", "ad_drivers", "cpu0_routine", "cpu1_routine"]),
                    ),
                }
            }
        }
        if f.pic & PIC_DELIVER != 0 {
            self.ledger.checked += 1;
            if self.prev_inta_n && f.inta_n {
                self.ledger.violations.push(
                    Violation::new(
                        f.cycle,
                        "the interrupt controller delivered the line although INTA# was released in the interval \
                         before and in this one: a level-sensitive line was taken with nothing asserting it"
                            .into(),
                    )
                    .signals(SIGS),
                );
            }
            if let Some(first) = self.credit {
                self.ledger.violations.push(
                    Violation::new(
                        f.cycle,
                        format!(
                            "second delivery of the line with no ISR run for the delivery at cycle {first}: the \
                             interrupt controller took the line again before the first was serviced"
                        ),
                    )
                    .signals(SIGS),
                );
            } else {
                self.credit = Some(f.cycle);
            }
        }
        for cpu in 0..TRACED_CPUS {
            // Raw codes: this runs for every CPU in every cycle.
            let r = f.routine[cpu];
            let entry = self.spans[cpu].update(f, cpu);
            if r == Routine::ForeignIsr as u8 {
                // A shared line: the other device's ISR, first in the chain, took this
                // delivery (whether it had one is that device's rule's to judge).
                if !self.chained[cpu] {
                    self.credit = None;
                }
                self.chained[cpu] = true;
                continue;
            }
            let chained = self.chained[cpu];
            if chained && r != Routine::Isr as u8 && r != Routine::Spin as u8 {
                self.chained[cpu] = false;
            }
            // Entered after the other device's ISR in one dispatch: the same delivery.
            if !entry || chained {
                continue;
            }
            if self.msi_credit[cpu] > 0 {
                self.msi_credit[cpu] -= 1;
            } else if self.credit.take().is_none() {
                self.ledger.violations.push(
                    Violation::new(
                        f.cycle,
                        format!(
                            "CPU{cpu} entered the ISR with no delivery of the line (nor a message taken there) \
                             since the previous ISR entry: the ISR runs without an interrupt to service"
                        ),
                    )
                    .on(cpu, Some(Routine::Isr))
                    .signals(SIGS),
                );
            }
        }
        // The CPUs in the ISR, in an array (this runs every cycle: no allocation).
        let mut in_isr = [0usize; TRACED_CPUS];
        let mut n = 0;
        for c in (0..TRACED_CPUS).filter(|&c| f.routine_of(c) == Some(Routine::Isr)) {
            in_isr[n] = c;
            n += 1;
        }
        if n > 1 && !self.overlap {
            self.ledger.violations.push(
                Violation::new(
                    f.cycle,
                    format!(
                        "the ISR runs on CPU{} and CPU{} at once (interrupt lock owner: {}): the interrupt object's \
                         spin lock did not exclude the second entry",
                        in_isr[0],
                        in_isr[1],
                        match f.lock_owner {
                            0 => "none".to_string(),
                            n => format!("CPU{}", n - 1),
                        }
                    ),
                )
                .on(in_isr[1], Some(Routine::Isr))
                .signals(SIGS),
            );
        }
        self.overlap = n > 1;
        self.prev_inta_n = f.inta_n;
    }

    /// Nothing to do: no MSI write or message taken, no delivery, no ISR entry (IsrSpan is
    /// idempotent on an unchanged routine), and two CPUs in the ISR now were two in the
    /// previous cycle too (`overlap` already set, nothing new to report).
    fn on_repeat(&mut self, _f: &Frame, _ctx: &Ctx<'_>) {}

    /// Its quiet repeats do nothing (above), however many.
    fn quiet_until(&self, _f: &Frame) -> u64 {
        u64::MAX
    }

    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}
