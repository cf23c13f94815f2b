//! Rule `register-integrity`: every CRTC data write lands in the register the driver meant.
//! The driver says what it means with note kind 1 ({index, value}, contracts.md §3) while
//! the write is on the bus; the adapter says where it landed with probe dev[6] ([8] valid,
//! [7:0] index, [23:16] data, contracts.md §2). The classic way to get it wrong: an ISR on
//! another CPU changes the CRTC index between the driver's index write and data write
//! (semantics.md §4).
//!
//! The CRTC index is itself state the driver means: code interrupted between its index and
//! data writes (on this CPU, or on another one) still counts on it. So an ISR must leave
//! the index as it found it: at every ISR return the adapter's index (probe dev[2]) must
//! equal its value at ISR entry, unless another CPU wrote the index meanwhile (then that
//! CPU, not the ISR, moved it).

use dirql_sim::{Command, Frame, Routine};

use dirql_testbenches::check::{io_byte, phase_cpu, Ctx, IsrSpan, Ledger, Rule, Target, Violation, TRACED_CPUS};

use crate::regs::{VGA_CRTC_DATA, VGA_CRTC_INDEX};

/// Driver note kind of an intended CRTC write (contracts.md §3).
pub const NOTE_CRTC: u32 = 1;
/// Cycles after the data phase within which the adapter must report the register write.
const LAND_WINDOW: u64 = 3;

#[derive(Clone, Copy, Debug)]
struct Pending {
    cycle: u64,
    cpu: usize,
    routine: Option<Routine>,
    index: u8,
    value: u8,
}

/// The rule's state.
pub struct RegisterIntegrity {
    pending: Option<Pending>,
    /// Last CRTC index write on the bus: cycle, CPU, routine, value.
    last_index: Option<(u64, Option<usize>, Option<Routine>, u8)>,
    spans: [IsrSpan; TRACED_CPUS],
    /// Per CPU, while its ISR runs: the CRTC index at entry, and whether another CPU wrote
    /// the index since.
    isr_index: [Option<(u8, bool)>; TRACED_CPUS],
    /// What it checked and found.
    ledger: Ledger,
}

const SIGS: &[&str] =
    &["ad", "cbe_n", "bus_cpu", "crtc_index", "crtc_write", "cpu0_note", "cpu1_note", "cpu0_routine", "cpu1_routine"];

impl Default for RegisterIntegrity {
    fn default() -> Self {
        Self::new()
    }
}

impl RegisterIntegrity {
    /// A fresh rule.
    pub fn new() -> Self {
        RegisterIntegrity {
            pending: None,
            last_index: None,
            spans: [IsrSpan::default(); TRACED_CPUS],
            isr_index: [None; TRACED_CPUS],
            ledger: Ledger::default(),
        }
    }

    fn culprit(&self) -> String {
        match self.last_index {
            Some((c, Some(cpu), r, v)) => {
                format!(
                    "; the CRTC index was last set to {v:#04x} by CPU{cpu} ({}) at cycle {c}",
                    r.map_or("?", Routine::name)
                )
            }
            Some((c, None, _, v)) => format!("; the CRTC index was last set to {v:#04x} at cycle {c}"),
            None => String::new(),
        }
    }

    fn judge(&mut self, p: Pending, landed: Option<(u8, u8)>, at: u64) {
        let msg = match landed {
            Some((i, d)) if i == p.index && d == p.value => return,
            Some((i, d)) => format!(
                "CPU{} ({}) meant CR{:02X} := {:#04x} with its data write at cycle {}, but the adapter wrote CR{i:02X} := \
                 {d:#04x}{}",
                p.cpu,
                p.routine.map_or("?", Routine::name),
                p.index,
                p.value,
                p.cycle,
                self.culprit()
            ),
            None => format!(
                "CPU{} ({}) meant CR{:02X} := {:#04x} with its data write at cycle {}, but the adapter reported no CRTC \
                 register written within {LAND_WINDOW} cycles (dev[6] valid never set){}",
                p.cpu,
                p.routine.map_or("?", Routine::name),
                p.index,
                p.value,
                p.cycle,
                self.culprit()
            ),
        };
        self.ledger.violations.push(Violation::new(at, msg).on(p.cpu, p.routine).signals(SIGS));
    }
}

impl RegisterIntegrity {
    /// ISR entry and return on each CPU: the CRTC index it found must be the one it leaves.
    fn isr_preserves_index(&mut self, f: &Frame) {
        let index = f.dev[2] as u8;
        for cpu in 0..TRACED_CPUS {
            if self.spans[cpu].update(f, cpu) {
                self.isr_index[cpu] = Some((index, false));
            }
            if f.isr_return(cpu).is_none() {
                continue;
            }
            let Some((found, foreign)) = self.isr_index[cpu].take() else { continue };
            self.ledger.checked += 1;
            if index != found && !foreign {
                self.ledger.violations.push(
                    Violation::new(
                        f.cycle,
                        format!(
                            "CPU{cpu} ISR returned with the CRTC index at {index:#04x}; it found it at {found:#04x}: \
                             code interrupted between its index and data writes now writes the wrong register{}",
                            self.culprit()
                        ),
                    )
                    .on(cpu, Some(Routine::Isr))
                    .signals(&[
                        "crtc_index",
                        "isr_ret",
                        "ad",
                        "bus_cpu",
                        "cpu0_routine",
                        "cpu1_routine",
                    ]),
                );
            }
        }
    }
}

impl Rule for RegisterIntegrity {
    fn name(&self) -> &'static str {
        "register-integrity"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        self.isr_preserves_index(f);
        let landed = (f.dev[6] & 0x100 != 0).then(|| (f.dev[6] as u8, (f.dev[6] >> 16) as u8));
        if let Some(p) = self.pending {
            if let Some(l) = landed {
                self.pending = None;
                self.judge(p, Some(l), f.cycle);
            } else if f.cycle > p.cycle + LAND_WINDOW {
                self.pending = None;
                self.judge(p, None, p.cycle);
            }
        }
        let Some(ph) = ctx.phase.filter(|p| p.cmd == Some(Command::IoWrite)) else { return };
        let Target::Bar(1, off) = ctx.target(ph) else { return };
        let cpu = phase_cpu(ph);
        let routine = cpu.and_then(|c| f.routine_of(c));
        if let Some(i) = io_byte(ph, off, VGA_CRTC_INDEX) {
            self.last_index = Some((ph.cycle, cpu, routine, i));
            for (c, run) in self.isr_index.iter_mut().enumerate() {
                if let Some((_, foreign)) = run.as_mut().filter(|_| cpu != Some(c)) {
                    *foreign = true;
                }
            }
        }
        let Some(_data) = io_byte(ph, off, VGA_CRTC_DATA) else { return };
        let Some(c) = cpu.filter(|&c| c < TRACED_CPUS) else { return };
        let note = f.note[c];
        if note >> 28 != NOTE_CRTC {
            return;
        }
        self.ledger.checked += 1;
        if let Some(p) = self.pending.take() {
            self.judge(p, None, p.cycle);
        }
        let p = Pending { cycle: ph.cycle, cpu: c, routine, index: (note >> 8) as u8, value: note as u8 };
        // The probe may already show the write in the data phase's own cycle.
        if let Some(l) = landed {
            self.judge(p, Some(l), f.cycle);
        } else {
            self.pending = Some(p);
        }
    }

    /// Only a data write waiting for the adapter to report where it landed moves (its
    /// window is counted in cycles); otherwise no ISR enters or returns, the CRTC index is
    /// the previous cycle's and there is no data phase.
    fn on_repeat(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if self.pending.is_some() {
            self.on_frame(f, ctx);
        }
    }

    /// No CRTC write waiting to land: its repeats do nothing.
    fn quiet_until(&self, _f: &Frame) -> u64 {
        if self.pending.is_some() {
            0
        } else {
            u64::MAX
        }
    }

    fn finish(&mut self, _last_cycle: u64) {
        if let Some(p) = self.pending.take() {
            self.judge(p, None, p.cycle);
        }
    }

    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}
