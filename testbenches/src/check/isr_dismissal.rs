//! Rule `isr-dismissal`: every ISR that claims an interrupt (returns TRUE) has dismissed
//! it on the adapter — the acknowledging write reached the adapter before the ISR
//! returned (posted writes flushed), and the adapter's INTA# was released before the
//! interrupt controller looked at the line again at end of interrupt (hwvid-interrupt.md:
//! "it must dismiss the interrupt on its adapter before it returns TRUE"; semantics.md §6).
//!
//! An acknowledge is a non-zero write-1-to-clear to INT_STATUS, or the VGA way: a write of
//! CR11 with bit 4 = 0 through the CRTC data port while the CRTC index (tracked from the
//! writes to the index port) is 0x11 (contracts.md §1; semantics.md §4).

use dirql_sim::{Frame, Routine, PIC_DELIVER, PIC_EOI};

use super::{io_byte, Ctx, DataPhase, DeviceProfile, Rule, Target, Violation};
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
    /// CRTC index as last written on the bus.
    crtc_index: Option<u8>,
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
            crtc_index: None,
            checked: 0,
            violations: Vec::new(),
        }
    }

    /// Whether `ph` acknowledges an interrupt; tracks the CRTC index as a side effect.
    fn is_ack(&mut self, ph: &DataPhase, ctx: &Ctx<'_>) -> bool {
        match ctx.target(ph) {
            Target::Bar0(off) => {
                matches!(ph.cmd, Some(Command::MemWrite | Command::MemWriteInvalidate))
                    && off == self.profile.ack_offset
                    && ph.data != 0
            }
            Target::Bar1(off) if ph.cmd == Some(Command::IoWrite) => {
                let p = &self.profile;
                // Index and data may come in one word write: the index lane applies first.
                if let Some(i) = io_byte(ph, off, p.crtc_index_offset) {
                    self.crtc_index = Some(i);
                }
                io_byte(ph, off, p.crtc_data_offset).is_some_and(|d| {
                    self.crtc_index == Some(p.crtc_vint_index) && d & (1 << p.crtc_vint_clear_bit) == 0
                })
            }
            _ => false,
        }
    }
}

impl Rule for IsrDismissal {
    fn name(&self) -> &'static str {
        "isr-dismissal"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if f.pic & PIC_DELIVER != 0 {
            self.last_delivery = f.cycle;
        }
        // Acknowledging writes: credit the ISR of the CPU that issued them.
        if let Some(ph) = ctx.phase.filter(|p| self.is_ack(p, ctx)) {
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
                        self.violations.push(
                            Violation::new(
                                f.cycle,
                                format!(
                                "CPU{cpu} ISR (entered at cycle {entered}) returned TRUE but no acknowledging write to \
                                 {} (nor CR11 bit 4 = 0) reached the adapter before it returned{}",
                                self.profile.ack_name,
                                if self.prev_dev_inta_n { "" } else { "; the adapter's INTA# is still asserted" }
                            ),
                            )
                            .on(cpu, Some(Routine::Isr))
                            .signals(&[
                                "dev_inta_n",
                                "isr_ret",
                                "bus_cpu",
                                "posted",
                                "cpu0_routine",
                                "cpu1_routine",
                            ]),
                        );
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
                    )
                    .on(c.cpu, Some(Routine::Isr))
                    .signals(&["dev_inta_n", "pic_eoi", "pic_deliver", "isr_ret", "posted", "bus_cpu"]));
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

    fn violations_mut(&mut self) -> &mut Vec<Violation> {
        &mut self.violations
    }
}
