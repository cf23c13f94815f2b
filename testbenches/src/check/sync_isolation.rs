//! Rule `sync-isolation`: while a routine synchronized with the ISR runs — routine code 4
//! with the interrupt lock held, or at an IRQL at or above the device's — no ISR runs on
//! any CPU and no ISR-originated access reaches the adapter (VideoPortSynchronizeExecution,
//! semantics.md §2 and §4(a)). Under a reading of the priorities that only raises IRQL on
//! the calling CPU (ReactOS's VpHighPriority) the ISR can still run on the other CPU: the
//! rule reports the overlap that reading allows — also when the ISR starts in the very
//! cycle such a lock-less routine ends: nothing orders the two within the cycle (no lock
//! hands over), so the ISR may have started while the routine still ran.
//!
//! And by effect, whatever a routine is called or the priority it was synchronized at:
//! any code other than the ISR that touches a register the ISR also uses (declared by the
//! device, [`DeviceProfile::isr_shared`], or learned from the ISR's own accesses in the
//! run) at a time when an ISR could run on some CPU — the device's interrupt connected or
//! enabled, the interrupt lock not held by that CPU, and that CPU below the device IRQL or
//! another CPU online below it — is unsynchronized. VpLowPriority does not exclude the ISR,
//! nor does DISPATCH_LEVEL (semantics.md §1, §2). An access whose register the ISR is only
//! seen to use later is reported then, at the access's cycle.

use dirql_sim::{Frame, Routine, OFFLINE_IRQL};

use super::{is_write, phase_cpu, Ctx, DeviceIrql, DeviceProfile, Ledger, Rule, Target, Violation, TRACED_CPUS};

/// The rule's state.
pub struct SyncIsolation {
    dirql: DeviceIrql,
    profile_enabled: fn(&Frame) -> u32,
    describe: fn(Target) -> Option<String>,
    /// Per CPU: a synchronized routine is running since this cycle.
    sync_since: [Option<u64>; TRACED_CPUS],
    /// An overlap is being reported (once per synchronized routine).
    reported: [bool; TRACED_CPUS],
    access_reported: [bool; TRACED_CPUS],
    prev_synced: [bool; TRACED_CPUS],
    /// Per CPU, in the previous frame: it held the interrupt lock; it ran the ISR.
    /// Per CPU: since when it runs a routine its caller expects the ISR excluded from
    /// (`host.exclusive`), and whether an ISR during it was reported.
    excl_since: [Option<u64>; TRACED_CPUS],
    excl_reported: [bool; TRACED_CPUS],
    prev_locked: [bool; TRACED_CPUS],
    prev_isr: [bool; TRACED_CPUS],
    prev_irql: [u8; TRACED_CPUS],
    /// Adapter registers the ISR has accessed (learned from the waveform): the state it
    /// shares with the driver's other routines.
    isr_shared: Vec<Target>,
    /// Shared registers already reported as touched unsynchronized, by routine.
    dpc_reported: Vec<(Target, Option<Routine>)>,
    /// Registers the ISR is declared to share.
    declared: Vec<Target>,
    /// Unsynchronized accesses to registers the ISR has not (yet) been seen to use: the
    /// first per register, reported if the ISR uses it later.
    candidates: Vec<(Target, Violation)>,
    /// The device's interrupt can reach an ISR: one ran, or a source is enabled with a
    /// delivery allowed.
    connected: bool,
    /// What it checked and found.
    ledger: Ledger,
}

const SIGS: &[&str] = &["lock_owner", "exclusive", "cpu0_routine", "cpu0_irql", "cpu1_routine", "cpu1_irql", "bus_cpu"];

impl SyncIsolation {
    /// A fresh rule for the device described by `profile`.
    pub fn new(profile: DeviceProfile) -> Self {
        SyncIsolation {
            dirql: DeviceIrql(None, profile.default_dirql),
            profile_enabled: profile.enabled,
            describe: profile.register_name,
            sync_since: [None; TRACED_CPUS],
            reported: [false; TRACED_CPUS],
            isr_shared: Vec::new(),
            dpc_reported: Vec::new(),
            declared: profile.isr_shared.iter().map(|&t| register(t)).collect(),
            candidates: Vec::new(),
            connected: false,
            access_reported: [false; TRACED_CPUS],
            prev_synced: [false; TRACED_CPUS],
            prev_locked: [false; TRACED_CPUS],
            excl_since: [None; TRACED_CPUS],
            excl_reported: [false; TRACED_CPUS],
            prev_isr: [false; TRACED_CPUS],
            prev_irql: [0; TRACED_CPUS],
            ledger: Ledger::default(),
        }
    }

    /// The violation an access by CPU `c` running `r` to register `t` is, if an ISR could
    /// run meanwhile (module doc).
    fn unsynchronized(
        &self,
        f: &Frame,
        ph: &super::DataPhase,
        (c, r, locked, irql): (usize, Option<Routine>, bool, u8),
        t: Target,
    ) -> Option<Violation> {
        if !self.connected || locked {
            return None;
        }
        let dirql = self.dirql.get();
        let here = irql < dirql;
        let elsewhere = (0..TRACED_CPUS).find(|&d| d != c && f.irql[d] < dirql && f.irql[d] != OFFLINE_IRQL);
        if !here && elsewhere.is_none() {
            return None;
        }
        let name = r.map_or("?", Routine::name);
        let could = match (here, elsewhere) {
            (true, _) => format!("an ISR could preempt it on CPU{c} (IRQL {irql} below the device's {dirql})"),
            (false, Some(d)) => format!("the ISR could run on CPU{d} meanwhile (IRQL {})", f.irql[d]),
            (false, None) => unreachable!("returned above"),
        };
        Some(
            Violation::new(
                ph.cycle,
                format!(
                    "CPU{c} {name} {} {} at cycle {}, a register the ISR also uses, without the interrupt lock: \
                     {could} — synchronize with the ISR (VideoPortSynchronizeExecution at VpMediumPriority or \
                     higher, NdisMSynchronizeWithInterruptEx)",
                    if is_write(ph) { "wrote" } else { "read" },
                    (self.describe)(t).unwrap_or_else(|| format!("{t:?}")),
                    ph.cycle
                ),
            )
            .on(c, r)
            .signals(SIGS),
        )
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

/// The register a target stands for: the dword it is in (an index/data port pair is one
/// register to share).
fn register(t: Target) -> Target {
    match t {
        Target::Bar(b, o) => Target::Bar(b, o & !3),
        t => t,
    }
}

impl Rule for SyncIsolation {
    fn name(&self) -> &'static str {
        "sync-isolation"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        self.dirql.update(f);
        // State shared with the ISR, touched by other code while an ISR could run
        // (hwvid-interrupt.md: routines that share registers or memory with HwVidInterrupt
        // must use VideoPortSynchronizeExecution; a DPC at DISPATCH_LEVEL, or a routine at
        // VpLowPriority, does not exclude the ISR, which can run on the other CPU or
        // preempt it on its own).
        if (0..TRACED_CPUS).any(|c| f.routine_of(c) == Some(Routine::Isr))
            || ((self.profile_enabled)(f) != 0 && (ctx.intx_allowed || ctx.msi_enabled))
        {
            self.connected = true;
        }
        if let Some(ph) = ctx.phase {
            let t = register(ctx.target(ph));
            if matches!(t, Target::Bar(..)) {
                if let Some(c) = phase_cpu(ph) {
                    // The routine that issued it: a posted write reaches the bus later, when
                    // its CPU may run something else (older waveforms: the routine now).
                    // Who issued it, as it stood then: a posted write reaches the bus later,
                    // when its CPU may run something else, without the lock it was written
                    // under (older waveforms: the CPU as it stands now).
                    let lock_now = f.lock_owner == u8::try_from(c + 1).unwrap_or(0);
                    let (issuer, locked, irql) = match f.issuer() {
                        Some((r, lock, irql)) => (Some(r), lock, irql),
                        None => (f.routine_of(c), lock_now, f.irql[c]),
                    };
                    match issuer {
                        Some(Routine::Isr) => {
                            // Each ISR access is judged: it must not reach the adapter while a
                            // synchronized routine runs (below).
                            self.ledger.checked += 1;
                            if !self.isr_shared.contains(&t) {
                                self.isr_shared.push(t);
                            }
                            // Earlier unsynchronized accesses to what the ISR now shows it uses.
                            while let Some(i) = self.candidates.iter().position(|(ct, _)| *ct == t) {
                                let (_, v) = self.candidates.swap_remove(i);
                                self.ledger.violations.push(v);
                            }
                        }
                        Some(Routine::Bios) | None => {}
                        r => {
                            // The violation is built only where it would be kept: once per
                            // shared register and routine, or as the first candidate.
                            let shared = self.isr_shared.contains(&t) || self.declared.contains(&t);
                            let wanted = if shared {
                                !self.dpc_reported.contains(&(t, r))
                            } else {
                                !self.candidates.iter().any(|(ct, _)| *ct == t)
                            };
                            if let Some(v) =
                                wanted.then(|| self.unsynchronized(f, ph, (c, r, locked, irql), t)).flatten()
                            {
                                if shared {
                                    self.dpc_reported.push((t, r));
                                    self.ledger.violations.push(v);
                                } else {
                                    self.candidates.push((t, v));
                                }
                            }
                        }
                    }
                }
            }
        }
        // A synchronized routine that held no lock (raised IRQL only) ending in the cycle an
        // ISR starts on another CPU: no lock hand-over orders them, so the ISR may have
        // started while the routine still ran (the waveform shows one state per cycle).
        for c in 0..TRACED_CPUS {
            let synced_now = f.routine_of(c) == Some(Routine::Sync)
                && (f.lock_owner == u8::try_from(c + 1).unwrap_or(0) || f.irql[c] >= self.dirql.get());
            if !self.prev_synced[c] || self.prev_locked[c] || synced_now || self.reported[c] {
                continue;
            }
            let since = self.sync_since[c].unwrap_or(f.cycle);
            if let Some(d) =
                (0..TRACED_CPUS).find(|&d| d != c && f.routine_of(d) == Some(Routine::Isr) && !self.prev_isr[d])
            {
                self.reported[c] = true;
                let msg = format!(
                    "CPU{d} entered the ISR in the cycle CPU{c}'s synchronized routine (since cycle {since}) ended \
                     without the interrupt lock (it ran at IRQL {} only, device IRQL {}): no lock orders the two, so \
                     the ISR started while the routine ran — a reading of VpHighPriority that only raises IRQL on the \
                     calling CPU (reactos)",
                    self.prev_irql[c],
                    self.dirql.get()
                );
                self.ledger.violations.push(Violation::new(f.cycle, msg).on(d, Some(Routine::Isr)).signals(SIGS));
            }
        }
        // What the caller expected, whatever the reading did with it: a routine synchronized
        // with the ISR at a priority meant to exclude it (VpMedium/VpHighPriority,
        // NdisMSynchronizeWithInterruptEx; `host.exclusive`) during which an ISR runs on
        // any CPU, its own included, was not excluded from it (semantics.md §2).
        for c in 0..TRACED_CPUS {
            if f.exclusive & (1 << c) == 0 {
                self.excl_since[c] = None;
                continue;
            }
            if self.excl_since[c].is_none() {
                self.excl_since[c] = Some(f.cycle);
                self.excl_reported[c] = false;
                self.ledger.checked += 1;
            }
            if self.excl_reported[c] {
                continue;
            }
            if let Some(d) = (0..TRACED_CPUS).find(|&d| f.routine_of(d) == Some(Routine::Isr)) {
                self.excl_reported[c] = true;
                let since = self.excl_since[c].unwrap_or(f.cycle);
                let where_ = if d == c { "on the same CPU, preempting it".to_string() } else { format!("on CPU{d}") };
                let msg = format!(
                    "the ISR ran {where_} while CPU{c} ran a routine its caller synchronized with the ISR at a \
                     priority meant to exclude it (since cycle {since}, IRQL {}): the synchronization did not \
                     exclude the ISR",
                    f.irql[c]
                );
                self.ledger.violations.push(Violation::new(f.cycle, msg).on(d, Some(Routine::Isr)).signals(SIGS));
            }
        }
        for c in 0..TRACED_CPUS {
            self.prev_locked[c] = f.lock_owner == u8::try_from(c + 1).unwrap_or(0);
            self.prev_isr[c] = f.routine_of(c) == Some(Routine::Isr);
            self.prev_irql[c] = f.irql[c];
        }
        for c in 0..TRACED_CPUS {
            let synced = f.routine_of(c) == Some(Routine::Sync)
                && (f.lock_owner == u8::try_from(c + 1).unwrap_or(0) || f.irql[c] >= self.dirql.get());
            // An ISR taking the CPU straight out of a synchronized routine preempted it.
            if self.prev_synced[c] && f.routine_of(c) == Some(Routine::Isr) {
                self.ledger.violations.push(
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
                self.ledger.checked += 1;
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
                    self.ledger.violations.push(Violation::new(f.cycle, msg).on(d, Some(Routine::Isr)).signals(SIGS));
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
                        self.ledger.violations.push(
                            Violation::new(ph.cycle, msg).on(d, Some(Routine::Isr)).signals(&[
                                "frame_n",
                                "ad",
                                "bus_cpu",
                                "cpu0_routine",
                                "cpu1_routine",
                                "lock_owner",
                            ]),
                        );
                    }
                }
            }
        }
    }

    /// Nothing to do: the device IRQL learned and `connected` only grow and took this frame's
    /// values in the previous cycle; with no data phase no access is judged; every
    /// per-CPU state (synchronized, locked, ISR, exclusive, IRQL) equals its `prev_*` copy, so
    /// no routine ends or starts and no ISR enters; an ISR running beside a synchronized or
    /// exclusive routine now ran beside it in the previous cycle and was reported then.
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
