//! Rule `irql-discipline`: services are called only at the IRQL they allow, HwVidInterrupt
//! calls only the services `seeds/hwvid-interrupt.md` lists, a stall from the ISR or at a
//! raised IRQL stays within its bound, and a VpHighPriority routine returns within its
//! bound. The video port model stops the machine with a bug check when one of these is
//! broken and puts the stop code on the waveform (driver note kind 3); this rule reads it
//! there, and also measures stalls on the signals itself (op marker 8 while in the ISR or
//! above DISPATCH_LEVEL), so a long stall is caught even with the model's own bound off.

use dirql_host::stop_codes;
use dirql_sim::{Frame, Routine};

use super::{Ctx, Ledger, Rule, Violation, TRACED_CPUS};
use dirql_host::{Op, NOTE_BUG_CHECK};

const SIGS: &[&str] =
    &["cpu0_routine", "cpu1_routine", "cpu0_irql", "cpu1_irql", "cpu0_op", "cpu1_op", "cpu0_note", "cpu1_note"];

/// The rule's state.
pub struct IrqlDiscipline {
    stall_max_cycles: u64,
    prev_routine: [u8; TRACED_CPUS],
    prev_irql: [u8; TRACED_CPUS],
    stall_since: [Option<u64>; TRACED_CPUS],
    stall_reported: [bool; TRACED_CPUS],
    /// What it checked and found.
    ledger: Ledger,
}

impl IrqlDiscipline {
    /// A rule with the stall bound in cycles (the video port's `isr_stall_max_us` times
    /// cycles per microsecond).
    pub fn new(stall_max_cycles: u64) -> Self {
        IrqlDiscipline {
            stall_max_cycles,
            prev_routine: [0; TRACED_CPUS],
            prev_irql: [0; TRACED_CPUS],
            stall_since: [None; TRACED_CPUS],
            stall_reported: [false; TRACED_CPUS],
            ledger: Ledger::default(),
        }
    }
}

fn stop_code(note: u32) -> Option<&'static str> {
    if note & 0xF000_0000 != NOTE_BUG_CHECK {
        return None;
    }
    let i = (note & 0xFFF) as usize;
    stop_codes::ALL.get(i.wrapping_sub(1)).copied()
}

impl IrqlDiscipline {
    /// A repeat of `f` would go on timing a stall in an ISR or above DISPATCH_LEVEL.
    fn timing(&self, f: &Frame) -> bool {
        (0..TRACED_CPUS).any(|c| {
            f.op[c] == Op::Stall as u8
                && (f.routine[c] == Routine::Isr as u8 || f.irql[c] > 2)
                && !self.stall_reported[c]
        })
    }
}

impl Rule for IrqlDiscipline {
    fn name(&self) -> &'static str {
        "irql-discipline"
    }

    fn on_frame(&mut self, f: &Frame, _ctx: &Ctx<'_>) {
        for c in 0..TRACED_CPUS {
            let (routine, irql, op) = (f.routine[c], f.irql[c], f.op[c]);
            // A bug check the model raised for a discipline breach.
            if routine == Routine::BugCheck as u8 && self.prev_routine[c] != Routine::BugCheck as u8 {
                let was = Routine::from_code(self.prev_routine[c]).unwrap_or(Routine::Idle);
                match stop_code(f.note[c]) {
                    Some(code) if stop_codes::IRQL_DISCIPLINE.contains(&code) => {
                        self.ledger.violations.push(
                            Violation::new(
                                f.cycle,
                                format!(
                                    "CPU{c} stopped in bug check {code} at IRQL {} while in {}",
                                    self.prev_irql[c],
                                    was.name()
                                ),
                            )
                            .on(c, Some(was))
                            .signals(SIGS),
                        );
                    }
                    // Other stop codes (spin lock misuse, storms) are run-completed's.
                    _ => {}
                }
            }
            // Stalls measured on the signals: op Stall from the ISR or above DISPATCH.
            let restricted = routine == Routine::Isr as u8 || irql > 2;
            if op == Op::Stall as u8 && restricted {
                let since = *self.stall_since[c].get_or_insert_with(|| {
                    self.ledger.checked += 1;
                    f.cycle
                });
                if !self.stall_reported[c] && f.cycle - since > self.stall_max_cycles {
                    self.stall_reported[c] = true;
                    self.ledger.violations.push(
                        Violation::new(
                            f.cycle,
                            format!(
                                "CPU{c} has stalled (VideoPortStallExecution) since cycle {since} at IRQL {irql} in {}: \
                                 longer than the {}-cycle bound for an ISR or a raised IRQL",
                                Routine::from_code(routine).unwrap_or(Routine::Idle).name(),
                                self.stall_max_cycles
                            ),
                        )
                        .on(c, Routine::from_code(routine))
                        .signals(SIGS),
                    );
                }
            } else {
                self.stall_since[c] = None;
                self.stall_reported[c] = false;
            }
            if routine == Routine::Isr as u8 && self.prev_routine[c] != Routine::Isr as u8 {
                self.ledger.checked += 1;
            }
            self.prev_routine[c] = routine;
            self.prev_irql[c] = irql;
        }
    }

    /// Only a restricted stall not yet reported moves (its length is measured against the
    /// bound every cycle); otherwise the routine is the previous cycle's (no bug check
    /// edge, no ISR entry) and the stall state was settled by the same values then.
    fn on_repeat(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if self.timing(f) {
            self.on_frame(f, ctx);
        }
    }

    /// No restricted stall timed: its repeats do nothing. Timing one: every repeat.
    fn quiet_until(&self, f: &Frame) -> u64 {
        if self.timing(f) {
            0
        } else {
            u64::MAX
        }
    }

    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Checker, RuleReport};

    fn frame(cycle: u64, routine: Routine, irql: u8, op: u8, note: u32) -> Frame {
        Frame {
            cycle,
            rst_n: true,
            frame_n: true,
            irdy_n: true,
            trdy_n: true,
            devsel_n: true,
            stop_n: true,
            inta_n: true,
            dev_inta_n: true,
            routine: [routine as u8, 0],
            irql: [irql, 0],
            op: [op, 0],
            note: [note, 0],
            ..Frame::default()
        }
    }

    fn run(frames: &[Frame]) -> RuleReport {
        let mut c = Checker::new(vec![Box::new(IrqlDiscipline::new(330))]);
        for f in frames {
            c.feed(f);
        }
        c.finish().remove(0)
    }

    #[test]
    fn a_discipline_bug_check_is_reported_at_its_cycle_with_its_stop_code() {
        let idx = stop_codes::ALL.iter().position(|c| *c == stop_codes::VIDEO_PORT_ISR_FORBIDDEN_CALL).unwrap() as u32;
        let frames = [
            frame(1, Routine::Isr, 16, 0, 0),
            frame(2, Routine::Isr, 16, 0, 0),
            frame(3, Routine::BugCheck, 16, 0, NOTE_BUG_CHECK | (idx + 1)),
        ];
        let r = run(&frames);
        assert_eq!(r.verdict, "fail");
        assert_eq!(r.violations[0].cycle, 3);
        assert!(r.violations[0].message.contains("VIDEO_PORT_ISR_FORBIDDEN_CALL"), "{}", r.violations[0].message);
        assert!(r.violations[0].message.contains("ISR"));
    }

    #[test]
    fn other_bug_checks_and_clean_runs_pass() {
        let idx = stop_codes::ALL.iter().position(|c| *c == stop_codes::SPIN_LOCK_NOT_OWNED).unwrap() as u32;
        let frames =
            [frame(1, Routine::Thread, 0, 0, 0), frame(2, Routine::BugCheck, 0, 0, NOTE_BUG_CHECK | (idx + 1))];
        assert_eq!(run(&frames).verdict, "pass");
        // A short stall in the ISR, and a long one at PASSIVE: both allowed.
        let mut frames: Vec<Frame> = (1..=100).map(|c| frame(c, Routine::Isr, 16, Op::Stall as u8, 0)).collect();
        frames.extend((101..=2000).map(|c| frame(c, Routine::Thread, 0, Op::Stall as u8, 0)));
        assert_eq!(run(&frames).verdict, "pass");
    }

    #[test]
    fn a_long_stall_in_the_isr_is_caught_on_the_signals_once() {
        let frames: Vec<Frame> = (1..=1000).map(|c| frame(c, Routine::Isr, 16, Op::Stall as u8, 0)).collect();
        let r = run(&frames);
        assert_eq!(r.violations.len(), 1);
        assert_eq!(r.violations[0].cycle, 332, "first cycle past 330 cycles of stall starting at cycle 1");
    }
}
