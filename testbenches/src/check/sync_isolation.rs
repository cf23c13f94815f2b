//! Rule `sync-isolation`: while a routine synchronized with the ISR runs — routine code 4
//! with the interrupt lock held, or at an IRQL at or above the device's — no ISR runs on
//! any CPU and no ISR-originated access reaches the adapter (VideoPortSynchronizeExecution,
//! semantics.md §2 and §4(a)). Under a reading of the priorities that only raises IRQL on
//! the calling CPU (ReactOS's VpHighPriority) the ISR can still run on the other CPU: the
//! rule reports the overlap that reading allows.

use dirql_sim::{Frame, Routine};

use super::{is_write, phase_cpu, Ctx, DeviceIrql, DeviceProfile, Rule, Target, Violation, TRACED_CPUS};

/// The rule's state.
pub struct SyncIsolation {
    dirql: DeviceIrql,
    /// Per CPU: a synchronized routine is running since this cycle.
    sync_since: [Option<u64>; TRACED_CPUS],
    /// An overlap is being reported (once per synchronized routine).
    reported: [bool; TRACED_CPUS],
    access_reported: [bool; TRACED_CPUS],
    prev_synced: [bool; TRACED_CPUS],
    /// Adapter registers the ISR has accessed (learned from the waveform): the state it
    /// shares with the driver's other routines.
    isr_shared: Vec<Target>,
    /// Shared registers already reported as touched by an unsynchronized DPC.
    dpc_reported: Vec<Target>,
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
            isr_shared: Vec::new(),
            dpc_reported: Vec::new(),
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
        // State shared with the ISR, touched from a DPC outside a synchronized routine
        // (hwvid-interrupt.md: routines that share registers or memory with HwVidInterrupt
        // must use VideoPortSynchronizeExecution; a DPC at DISPATCH_LEVEL does not exclude
        // the ISR, which can run on the other CPU meanwhile).
        if let Some(ph) = ctx.phase {
            let t = ctx.target(ph);
            if matches!(t, Target::Bar0(_) | Target::Bar1(_)) {
                if let Some(c) = phase_cpu(ph) {
                    match f.routine_of(c) {
                        Some(Routine::Isr) if !self.isr_shared.contains(&t) => self.isr_shared.push(t),
                        Some(Routine::Dpc) if self.isr_shared.contains(&t) && !self.dpc_reported.contains(&t) => {
                            self.dpc_reported.push(t);
                            self.violations.push(
                                Violation::new(
                                    ph.cycle,
                                    format!(
                                        "CPU{c} DPC {} {t:?} at cycle {}, a register the ISR also accesses, outside \
                                         VideoPortSynchronizeExecution: the ISR can run on the other CPU meanwhile",
                                        if is_write(ph) { "wrote" } else { "read" },
                                        ph.cycle
                                    ),
                                )
                                .on(c, Some(Routine::Dpc))
                                .signals(SIGS),
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
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
