//! Rule `time-budget`: the whole time an ISR invocation runs, and a DPC, is bounded
//! ([`DeviceProfile::isr_budget_cycles`], [`DeviceProfile::dpc_budget_cycles`]; by default
//! Microsoft's guidance of 25 µs per ISR and 100 µs per DPC). Not one unbroken stall: an
//! ISR that polls a register in a loop, each read short, is over its budget all the same
//! (hwvid-interrupt.md: "return quickly"; semantics.md §3).
//!
//! An ISR invocation runs from its first cycle in the ISR routine to its return pulse
//! (`host.isr_ret`); the cycles it spins for the interrupt lock before are the OS's entry,
//! not the ISR's. A DPC runs from its first cycle in the DPC routine until its CPU leaves
//! DPC work (routine DPC, or a synchronized routine or spin it called), without the cycles
//! ISRs took from it meanwhile.

use dirql_sim::{Frame, Routine};

use super::{Ctx, DeviceProfile, Ledger, Rule, Violation, TRACED_CPUS};

#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: Option<u64>,
    /// Cycles counted against the budget.
    used: u64,
    reported: bool,
}

/// The rule's state.
pub struct TimeBudget {
    profile: DeviceProfile,
    isr: [Span; TRACED_CPUS],
    dpc: [Span; TRACED_CPUS],
    /// Longest ISR and DPC seen, in cycles.
    worst: (u64, u64),
    /// What it checked and found.
    ledger: Ledger,
}

const SIGS: &[&str] = &["cpu0_routine", "cpu0_irql", "cpu1_routine", "cpu1_irql", "isr_ret", "bus_cpu"];

impl TimeBudget {
    /// A fresh rule for the device described by `profile`.
    pub fn new(profile: DeviceProfile) -> Self {
        TimeBudget {
            profile,
            isr: [Span::default(); TRACED_CPUS],
            dpc: [Span::default(); TRACED_CPUS],
            worst: (0, 0),
            ledger: Ledger::default(),
        }
    }

    /// The longest (ISR, DPC) run times seen so far, in cycles.
    pub fn worst(&self) -> (u64, u64) {
        self.worst
    }

    fn over(&mut self, cycle: u64, cpu: usize, what: &str, start: u64, used: u64, budget: u64) {
        let r = if what == "ISR" { Routine::Isr } else { Routine::Dpc };
        self.ledger.violations.push(
            Violation::new(
                cycle,
                format!(
                    "CPU{cpu} {what} running since cycle {start} has used {used} cycles ({} ns), over its budget of \
                     {budget} cycles ({} ns)",
                    used * dirql_sim::PERIOD_NS,
                    budget * dirql_sim::PERIOD_NS
                ),
            )
            .on(cpu, Some(r))
            .signals(SIGS),
        );
    }
}

impl Rule for TimeBudget {
    fn name(&self) -> &'static str {
        "time-budget"
    }

    fn on_frame(&mut self, f: &Frame, _ctx: &Ctx<'_>) {
        let (isr_budget, dpc_budget) = (self.profile.isr_budget_cycles, self.profile.dpc_budget_cycles);
        for c in 0..TRACED_CPUS {
            let r = f.routine_of(c);
            // ISR: from its first cycle in the routine to its return pulse.
            if r == Some(Routine::Isr) && self.isr[c].start.is_none() {
                self.isr[c] = Span { start: Some(f.cycle), ..Span::default() };
            }
            if r == Some(Routine::Spin) && self.isr[c].used <= 1 {
                // Still spinning for the interrupt lock on entry: the ISR starts after it.
                self.isr[c] = Span::default();
            }
            if let Some(start) = self.isr[c].start {
                self.isr[c].used = f.cycle - start + 1;
                let s = self.isr[c];
                if s.used > isr_budget && !s.reported {
                    self.isr[c].reported = true;
                    self.over(f.cycle, c, "ISR", start, s.used, isr_budget);
                }
                if f.isr_return(c).is_some() || !matches!(r, Some(Routine::Isr | Routine::Spin)) {
                    self.ledger.checked += 1;
                    self.worst.0 = self.worst.0.max(s.used);
                    self.isr[c] = Span::default();
                }
            }
            // DPC: its own cycles while the CPU does DPC work.
            let dpc_work = matches!(r, Some(Routine::Dpc | Routine::Sync | Routine::Spin));
            match (self.dpc[c].start, r) {
                (None, Some(Routine::Dpc)) => self.dpc[c] = Span { start: Some(f.cycle), used: 1, reported: false },
                (Some(_), Some(Routine::Isr)) => {}
                (Some(start), _) if dpc_work => {
                    self.dpc[c].used += 1;
                    let s = self.dpc[c];
                    if s.used > dpc_budget && !s.reported {
                        self.dpc[c].reported = true;
                        self.over(f.cycle, c, "DPC", start, s.used, dpc_budget);
                    }
                }
                (Some(_), _) => {
                    self.ledger.checked += 1;
                    self.worst.1 = self.worst.1.max(self.dpc[c].used);
                    self.dpc[c] = Span::default();
                }
                _ => {}
            }
        }
    }

    /// With no ISR or DPC being timed nothing moves: a CPU in the ISR or a DPC now was in it
    /// in the previous cycle, which started its span. Anything timed goes through `on_frame`.
    fn on_repeat(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if self.isr.iter().chain(&self.dpc).any(|s| s.start.is_some()) {
            self.on_frame(f, ctx);
        }
    }

    /// Nothing timed: its repeats do nothing. While an ISR or DPC is timed, every repeat.
    fn quiet_until(&self, _f: &Frame) -> u64 {
        if self.isr.iter().chain(&self.dpc).any(|s| s.start.is_some()) {
            0
        } else {
            u64::MAX
        }
    }

    fn finish(&mut self, last_cycle: u64) {
        let _ = last_cycle;
        for c in 0..TRACED_CPUS {
            for s in [self.isr[c], self.dpc[c]] {
                if s.start.is_some() {
                    self.ledger.checked += 1;
                }
            }
        }
    }

    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}
