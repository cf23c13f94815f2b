//! Rule `register-integrity`: every CRTC data write lands in the register the driver meant.
//! The driver says what it means with note kind 1 ({index, value}, contracts.md §3) while
//! the write is on the bus; the adapter says where it landed with probe dev[6] ([8] valid,
//! [7:0] index, [23:16] data, contracts.md §2). The classic way to get it wrong: an ISR on
//! another CPU changes the CRTC index between the driver's index write and data write
//! (semantics.md §4).

use dirql_sim::{Command, Frame, Routine};

use super::{io_byte, phase_cpu, Ctx, DeviceProfile, Rule, Target, Violation, TRACED_CPUS};

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
    profile: DeviceProfile,
    pending: Option<Pending>,
    /// Last CRTC index write on the bus: cycle, CPU, routine, value.
    last_index: Option<(u64, Option<usize>, Option<Routine>, u8)>,
    checked: u64,
    violations: Vec<Violation>,
}

const SIGS: &[&str] =
    &["ad", "cbe_n", "bus_cpu", "crtc_index", "crtc_write", "cpu0_note", "cpu1_note", "cpu0_routine", "cpu1_routine"];

impl RegisterIntegrity {
    /// A fresh rule for the device described by `profile`.
    pub fn new(profile: DeviceProfile) -> Self {
        RegisterIntegrity { profile, pending: None, last_index: None, checked: 0, violations: Vec::new() }
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
        self.violations.push(Violation::new(at, msg).on(p.cpu, p.routine).signals(SIGS));
    }
}

impl Rule for RegisterIntegrity {
    fn name(&self) -> &'static str {
        "register-integrity"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
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
        let Target::Bar1(off) = ctx.target(ph) else { return };
        let cpu = phase_cpu(ph);
        let routine = cpu.and_then(|c| f.routine_of(c));
        if let Some(i) = io_byte(ph, off, self.profile.crtc_index_offset) {
            self.last_index = Some((ph.cycle, cpu, routine, i));
        }
        let Some(_data) = io_byte(ph, off, self.profile.crtc_data_offset) else { return };
        let Some(c) = cpu.filter(|&c| c < TRACED_CPUS) else { return };
        let note = f.note[c];
        if note >> 28 != NOTE_CRTC {
            return;
        }
        self.checked += 1;
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

    fn finish(&mut self, _last_cycle: u64) {
        if let Some(p) = self.pending.take() {
            self.judge(p, None, p.cycle);
        }
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
