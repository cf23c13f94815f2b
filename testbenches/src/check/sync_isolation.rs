//! Rule `sync-isolation`: while a routine synchronized with the ISR runs — routine code 4
//! with the interrupt lock held, or at an IRQL at or above the device's — no ISR runs on
//! any CPU and no ISR-originated access reaches the adapter (VideoPortSynchronizeExecution,
//! semantics.md §2 and §4(a)). Under a reading of the priorities that only raises IRQL on
//! the calling CPU (ReactOS's VpHighPriority) the ISR can still run on the other CPU: the
//! rule reports the overlap that reading allows.

use dirql_sim::{Frame, Routine};

use super::{phase_cpu, Ctx, DeviceIrql, DeviceProfile, Rule, Violation, TRACED_CPUS};

/// The rule's state.
pub struct SyncIsolation {
    dirql: DeviceIrql,
    /// Per CPU: a synchronized routine is running since this cycle.
    sync_since: [Option<u64>; TRACED_CPUS],
    /// An overlap is being reported (once per synchronized routine).
    reported: [bool; TRACED_CPUS],
    access_reported: [bool; TRACED_CPUS],
    prev_synced: [bool; TRACED_CPUS],
    checked: u64,
    violations: Vec<Violation>,
}

const SIGS: &[&str] = &["lock_owner", "cpu0_routine", "cpu0_irql", "cpu1_routine", "cpu1_irql", "bus_cpu"];

impl SyncIsolation {
    /// A fresh rule for the device described by `profile`.
    pub fn new(profile: DeviceProfile) -> Self {
        SyncIsolation {
            dirql: DeviceIrql(None, profile.default_dirql),
            sync_since: [None; TRACED_CPUS],
            reported: [false; TRACED_CPUS],
            access_reported: [false; TRACED_CPUS],
            prev_synced: [false; TRACED_CPUS],
            checked: 0,
            violations: Vec::new(),
        }
    }

    fn how(&self, f: &Frame, c: usize) -> String {
        let lock = f.lock_owner == u8::try_from(c + 1).unwrap_or(0);
        if lock {
            format!("holding the interrupt lock at IRQL {}", f.irql[c])
        } else {
            format!(
                "at IRQL {} (device IRQL {}) without the interrupt lock — a reading of VpHighPriority that only \
                 raises IRQL on the calling CPU (reactos) leaves the ISR free to run on another CPU",
                f.irql[c],
                self.dirql.get()
            )
        }
    }
}

impl Rule for SyncIsolation {
    fn name(&self) -> &'static str {
        "sync-isolation"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        self.dirql.update(f);
        for c in 0..TRACED_CPUS {
            let synced = f.routine_of(c) == Some(Routine::Sync)
                && (f.lock_owner == u8::try_from(c + 1).unwrap_or(0) || f.irql[c] >= self.dirql.get());
            // An ISR taking the CPU straight out of a synchronized routine preempted it.
            if self.prev_synced[c] && f.routine_of(c) == Some(Routine::Isr) {
                self.violations.push(
                    Violation::new(
                        f.cycle,
                        format!(
                            "CPU{c} entered the ISR straight out of a synchronized routine (running since cycle {}): \
                             the ISR preempted the routine it must be excluded from",
                            self.sync_since[c].unwrap_or(f.cycle)
                        ),
                    )
                    .on(c, Some(Routine::Isr))
                    .signals(SIGS),
                );
            }
            if synced && self.sync_since[c].is_none() {
                self.sync_since[c] = Some(f.cycle);
                self.reported[c] = false;
                self.access_reported[c] = false;
                self.checked += 1;
            }
            if !synced && f.routine_of(c) != Some(Routine::Isr) {
                self.sync_since[c] = None;
            }
            self.prev_synced[c] = synced;
        }
        for c in 0..TRACED_CPUS {
            let Some(since) = self.sync_since[c].filter(|_| self.prev_synced[c]) else { continue };
            for d in (0..TRACED_CPUS).filter(|&d| d != c) {
                if f.routine_of(d) != Some(Routine::Isr) {
                    continue;
                }
                if !self.reported[c] {
                    self.reported[c] = true;
                    let msg = format!(
                        "CPU{d} runs the ISR while CPU{c} runs a synchronized routine (since cycle {since}, {})",
                        self.how(f, c)
                    );
                    self.violations.push(Violation::new(f.cycle, msg).on(d, Some(Routine::Isr)).signals(SIGS));
                }
                if let Some(ph) = ctx.phase.filter(|p| phase_cpu(p) == Some(d)) {
                    if !self.access_reported[c] {
                        self.access_reported[c] = true;
                        let msg = format!(
                            "CPU{d} ISR's {} access to {:#010x} reached the adapter at cycle {} while CPU{c} runs a \
                             synchronized routine (since cycle {since})",
                            ph.cmd.map_or("reserved-command".to_string(), |c| format!("{c:?}")),
                            ph.addr,
                            ph.cycle
                        );
                        self.violations.push(Violation::new(ph.cycle, msg).on(d, Some(Routine::Isr)).signals(&[
                            "frame_n",
                            "ad",
                            "bus_cpu",
                            "cpu0_routine",
                            "cpu1_routine",
                            "lock_owner",
                        ]));
                    }
                }
            }
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
