//! Rule `deferred-work`: the deferred half of an interrupt happens. An ISR does the least it
//! can at DIRQL and leaves the rest to its DPC (hwvid-interrupt.md: "queue a DPC for the
//! work"; NDIS: MiniportInterrupt asks for MiniportInterruptDPC): a device whose fence
//! completions, received frames or retrace work wait in that DPC is stuck when the DPC is
//! not queued or never runs, although every interrupt was claimed and dismissed correctly.
//! Two checks, on the waveform alone:
//!
//! (a) **a queued DPC runs**: an ISR that returned TRUE having queued a DPC (`host.isr_ret`
//! code 3, docs/waveform.md) is followed by a DPC on the same CPU (KeInsertQueueDpc queues on
//! the current processor) within [`DeviceProfile::dpc_latency_cycles`] of its return. Any
//! cycle of DPC work on that CPU from the return on counts: two DPCs back to back show as one
//! stretch of routine DPC, and an ISR that preempted a DPC returns into it, so the rule
//! cannot tell the queued DPC from the one it interrupted and does not try (it never calls
//! a DPC missing that may have run).
//!
//! (b) **a claimed deferred source queues the DPC**: an ISR that returns TRUE after a status
//! read before its first write showed an enabled source the device's profile lists in
//! [`DeviceProfile::deferred_sources`] (for a message handler: one of its message's sources,
//! pending at its entry) has queued a DPC (code 3, not 2), unless a DPC an earlier ISR queued
//! on that CPU is still to run (a driver may skip the call then).
//!
//! (c) **the deferred half re-enables what it serviced**: an interrupt episode — from an ISR
//! entry until no ISR runs, no DPC an ISR queued is still to run, no DPC runs and the posted
//! writes have drained — leaves every deferred source that was enabled at the episode's first
//! ISR entry enabled again (the device's enable probes). The ISR may mask a source for its
//! DPC to service and unmask (hwvid-interrupt.md; NDIS's MiniportInterrupt /
//! MiniportInterruptDPC pair); a DPC that skips its work, or rewrites the enable mask with a
//! source dropped, leaves that source's interrupts off for good although every interrupt that
//! came was served. Turning a source off is a thread's decision (a request), not the side
//! effect of servicing it.

use dirql_sim::{Frame, Routine};

use super::{phase_cpu, Ctx, DeviceProfile, Ledger, Rule, Target, Violation, TRACED_CPUS};

/// One ISR invocation being watched.
#[derive(Clone, Copy, Debug, Default)]
struct IsrRun {
    entered: Option<u64>,
    /// Its first write to a BAR has happened: later status reads do not count.
    wrote: bool,
    /// Deferred sources it saw, and the cycle it first saw one.
    seen: u32,
    seen_at: u64,
}

/// A DPC queued by an ISR, not yet seen running.
#[derive(Clone, Copy, Debug)]
struct Queued {
    cpu: usize,
    /// The ISR's return cycle.
    at: u64,
}

/// The rule's state.
pub struct DeferredWork {
    profile: DeviceProfile,
    isr: [IsrRun; TRACED_CPUS],
    /// Per CPU: the sources of the message it took since its last ISR entry.
    took: [u32; TRACED_CPUS],
    queued: Vec<Queued>,
    /// (c) The open episode: its first ISR entry, and the deferred sources enabled then.
    episode: Option<(u64, u32)>,
    /// What it checked and found.
    ledger: Ledger,
}

const SIGS: &[&str] = &["isr_ret", "cpu0_routine", "cpu0_irql", "cpu1_routine", "cpu1_irql"];

impl DeferredWork {
    /// A fresh rule for the device described by `profile`.
    pub fn new(profile: DeviceProfile) -> Self {
        DeferredWork {
            profile,
            isr: [IsrRun::default(); TRACED_CPUS],
            took: [0; TRACED_CPUS],
            queued: Vec::new(),
            episode: None,
            ledger: Ledger::default(),
        }
    }
}

impl DeferredWork {
    /// (c) Opens an episode at an ISR entry; judges it when it is over.
    fn episode_check(&mut self, f: &Frame) {
        let deferred = self.profile.deferred_sources;
        if deferred == 0 {
            return;
        }
        let in_isr = (0..TRACED_CPUS).any(|c| f.routine_of(c) == Some(Routine::Isr));
        let in_dpc = (0..TRACED_CPUS).any(|c| f.routine_of(c) == Some(Routine::Dpc));
        match self.episode {
            None if in_isr => self.episode = Some((f.cycle, (self.profile.enabled)(f) & deferred)),
            Some((from, must)) if !in_isr && !in_dpc && self.queued.is_empty() && f.posted == 0 => {
                self.episode = None;
                if must == 0 {
                    return;
                }
                self.ledger.checked += 1;
                let off = must & !(self.profile.enabled)(f);
                if off != 0 {
                    self.ledger.violations.push(
                        Violation::new(
                            f.cycle,
                            format!(
                                "the interrupt episode that began with an ISR at cycle {from} is over (no ISR runs, no \
                                 DPC is queued or running, no write is posted) and left {} disabled, which was \
                                 enabled when it began: the driver serviced it and never re-enabled it, so its \
                                 interrupts are off for good",
                                self.profile.source_names(off)
                            ),
                        )
                        .signals(&[
                            "enabled",
                            "isr_ret",
                            "cpu0_routine",
                            "cpu1_routine",
                            "posted",
                        ]),
                    );
                }
            }
            _ => {}
        }
    }
}

impl Rule for DeferredWork {
    fn name(&self) -> &'static str {
        "deferred-work"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        let deferred = self.profile.deferred_sources;
        // (b) What each ISR saw at its status reads before its first write.
        if let Some(ph) = ctx.phase {
            if let Some(cpu) = phase_cpu(ph).filter(|&c| self.isr[c].entered.is_some() && !self.isr[c].wrote) {
                let t = ctx.target(ph);
                if super::is_write(ph) {
                    self.isr[cpu].wrote = matches!(t, Target::Bar(..));
                } else if let Some(shown) = (self.profile.status_shows)(t, ph.data, ph.be) {
                    let seen = shown & (self.profile.enabled)(f) & deferred;
                    let run = &mut self.isr[cpu];
                    if run.seen == 0 && seen != 0 {
                        run.seen_at = ph.cycle;
                    }
                    run.seen |= seen;
                }
            }
        }
        let pending = (self.profile.pending)(f);
        for cpu in 0..TRACED_CPUS {
            if let Some(v) = f.msi_taken(cpu) {
                self.took[cpu] = self.profile.message_sources(v);
            }
            if f.routine_of(cpu) == Some(Routine::Isr) && self.isr[cpu].entered.is_none() {
                // A message handler's own sources are its message's: pending at its entry,
                // whether or not it reads a status register.
                let took = std::mem::take(&mut self.took[cpu]);
                self.isr[cpu] =
                    IsrRun { entered: Some(f.cycle), wrote: false, seen: took & pending & deferred, seen_at: f.cycle };
                if took != 0 {
                    // Its status reads count only for its message's sources.
                    self.isr[cpu].wrote = true;
                }
            }
            let Some(claimed) = f.isr_return(cpu) else { continue };
            let run = std::mem::take(&mut self.isr[cpu]);
            if !claimed {
                continue;
            }
            if f.isr_queued_dpc(cpu) {
                self.queued.push(Queued { cpu, at: f.cycle });
            } else if deferred != 0 {
                self.ledger.checked += 1;
                // A driver may skip the call while the DPC an earlier ISR queued on this CPU
                // has not run yet (KeInsertQueueDpc would return FALSE): that DPC does the work.
                let pending_dpc = self.queued.iter().any(|q| q.cpu == cpu);
                if run.seen != 0 && !pending_dpc {
                    let entered = run.entered.unwrap_or(f.cycle);
                    self.ledger.violations.push(
                        Violation::new(
                            f.cycle,
                            format!(
                                "CPU{cpu} ISR (entered at cycle {entered}) claimed the interrupt having seen {} at \
                                 cycle {}, whose service the driver finishes in its DPC, but returned without \
                                 queueing a DPC (isr_ret = 2): that work is never done",
                                self.profile.source_names(run.seen),
                                run.seen_at
                            ),
                        )
                        .on(cpu, Some(Routine::Isr))
                        .signals(SIGS),
                    );
                }
            }
        }
        // (a) DPC work on a CPU discharges every DPC queued there until now (the return
        // pulse and the DPC's first cycle can share a frame: both are registered on the
        // same clock edge).
        for c in 0..TRACED_CPUS {
            if f.routine_of(c) == Some(Routine::Dpc) {
                let before = self.queued.len();
                self.queued.retain(|q| q.cpu != c);
                self.ledger.checked += (before - self.queued.len()) as u64;
            }
        }
        // (a) A queued DPC that has not run within the bound.
        let bound = self.profile.dpc_latency_cycles;
        let mut late = Vec::new();
        self.queued.retain(|q| {
            let over = f.cycle > q.at + bound;
            if over {
                late.push(*q);
            }
            !over
        });
        for q in late {
            self.ledger.checked += 1;
            let routine = f.routine_of(q.cpu);
            self.ledger.violations.push(
                Violation::new(
                    f.cycle,
                    format!(
                        "CPU{} ISR returned TRUE at cycle {} having queued a DPC (isr_ret = 3), and no DPC has run on \
                         CPU{} in the {bound} cycles since (the device's DPC latency bound); the CPU is at IRQL {} in {}",
                        q.cpu,
                        q.at,
                        q.cpu,
                        f.irql[q.cpu],
                        routine.map_or("an unknown routine", Routine::name)
                    ),
                )
                .on(q.cpu, routine)
                .signals(SIGS),
            );
        }
        self.episode_check(f);
    }

    /// A quiet repeat (`on_repeat` is `on_frame` here) changes nothing until a queued DPC
    /// runs late: no data phase, no message taken, no ISR return; an ISR running now was
    /// entered in the previous frame (`entered` set); a DPC running now discharged its
    /// CPU's queue then; the episode opened or closed then on the same signals and queue.
    /// What is left is the lateness check, which reads the cycle: repeats are skipped up to
    /// the first cycle a queued DPC is late at, exclusive.
    fn quiet_until(&self, _f: &Frame) -> u64 {
        let bound = self.profile.dpc_latency_cycles;
        self.queued.iter().map(|q| q.at + bound).min().unwrap_or(u64::MAX)
    }

    fn finish(&mut self, last_cycle: u64) {
        // An episode still open at the end is not judged: its DPC may re-enable after it.
        // A DPC queued less than the bound before the end may still have run after it: not
        // judged.
        let _ = last_cycle;
    }

    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}
