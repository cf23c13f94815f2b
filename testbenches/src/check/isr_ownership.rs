//! Rule `isr-ownership`: an ISR returns FALSE exactly when none of its adapter's enabled
//! sources is pending at its status read, and a FALSE-returning ISR touches nothing else
//! on the adapter (hwvid-interrupt.md: "if its adapter did not interrupt, return FALSE at
//! once — the line is shared"; semantics.md §3).
//!
//! "Pending" is latched & enabled, from the device probes 0 and 1 in the cycle of the
//! ISR's first status read (a read the profile's `status_shows` recognises).
//! A source that latches or clears in exactly that cycle could go either way, so the rule
//! calls a source pending only when the probes agree in the cycle before and the cycle of
//! the read, and not pending only when they agree it is not.

use dirql_sim::{Frame, Routine};

use super::{is_write, phase_cpu, Ctx, DeviceProfile, IsrSpan, Ledger, Rule, Target, Violation, TRACED_CPUS};

#[derive(Clone, Debug, Default)]
struct Run {
    span: IsrSpan,
    /// Cycle of the first status read and the pending sources around it (before, at).
    status: Option<(u64, u32, u32)>,
    /// Pending sources at entry.
    pending_at_entry: u32,
    /// Posted writes of the code it interrupted may still drain: ignore this CPU's writes
    /// until its first read has completed (a read pushes them out, semantics.md §6).
    posted_at_entry: bool,
    read_done: bool,
    /// First access other than a status or enable read: cycle and what.
    touched: Option<(u64, String)>,
    /// Entered for a message (MSI): its vector says whose interrupt it is, and a message is
    /// never shared, so there is no ownership to judge.
    by_message: bool,
}

/// The rule's state.
pub struct IsrOwnership {
    profile: DeviceProfile,
    runs: Vec<Run>,
    /// Per CPU: it took a message since its last ISR entry.
    took: [bool; TRACED_CPUS],
    prev_pending: u32,
    /// What it checked and found.
    ledger: Ledger,
}

impl IsrOwnership {
    /// A fresh rule for the device described by `profile`.
    pub fn new(profile: DeviceProfile) -> Self {
        IsrOwnership {
            profile,
            runs: vec![Run::default(); TRACED_CPUS],
            took: [false; TRACED_CPUS],
            prev_pending: 0,
            ledger: Ledger::default(),
        }
    }

    /// A status read: one that shows the device's sources ([`DeviceProfile::status_shows`]).
    fn is_status_read(&self, t: Target, ph: &super::DataPhase) -> bool {
        (self.profile.status_shows)(t, ph.data, ph.be).is_some()
    }
}

fn describe(profile: &DeviceProfile, t: Target, write: bool) -> String {
    let what = if write { "write to" } else { "read of" };
    match t {
        Target::Config => format!("configuration {what} the device"),
        Target::Other => format!("{what} another address of the device"),
        _ => format!("{what} {}", profile.describe(t)),
    }
}

impl Rule for IsrOwnership {
    fn name(&self) -> &'static str {
        "isr-ownership"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        let pending = (self.profile.latched)(f) & (self.profile.enabled)(f);
        for cpu in 0..TRACED_CPUS {
            if f.msi_taken(cpu).is_some() {
                self.took[cpu] = true;
            }
            if self.runs[cpu].span.update(f, cpu) {
                self.runs[cpu] = Run {
                    span: self.runs[cpu].span,
                    pending_at_entry: pending,
                    posted_at_entry: f.posted != 0,
                    by_message: std::mem::take(&mut self.took[cpu]),
                    ..Run::default()
                };
            }
        }
        if let Some(ph) = ctx.phase {
            if let Some(cpu) = phase_cpu(ph).filter(|&c| self.runs[c].span.entered.is_some()) {
                let t = ctx.target(ph);
                let write = is_write(ph);
                let status = !write && self.is_status_read(t, ph);
                let benign = !write && (status || self.profile.benign_reads.contains(&t));
                let run = &mut self.runs[cpu];
                if status && run.status.is_none() {
                    run.status = Some((ph.cycle, self.prev_pending, pending));
                }
                let stale_write = write && run.posted_at_entry && !run.read_done;
                if !benign && !stale_write && run.touched.is_none() {
                    run.touched = Some((ph.cycle, describe(&self.profile, t, write)));
                }
                if !write {
                    run.read_done = true;
                }
            }
        }
        for cpu in 0..TRACED_CPUS {
            let Some(claimed) = f.isr_return(cpu) else { continue };
            let run = std::mem::take(&mut self.runs[cpu]);
            self.runs[cpu].span = run.span;
            // A message handler's ownership is its vector's: nothing judged, nothing counted.
            if run.by_message {
                continue;
            }
            self.ledger.checked += 1;
            let entered = run.span.entered.unwrap_or(f.cycle);
            let sigs: &[&'static str] =
                &["latched", "enabled", "isr_ret", "bus_cpu", "ad", "cpu0_routine", "cpu1_routine"];
            let v = |msg: String| Violation::new(f.cycle, msg).on(cpu, Some(Routine::Isr)).signals(sigs);
            match (claimed, run.status) {
                (true, None) => self.ledger.violations.push(v(format!(
                    "CPU{cpu} ISR (entered at cycle {entered}) returned TRUE without reading the adapter's interrupt \
                     status: it claims the interrupt without knowing its adapter raised it"
                ))),
                (true, Some((at, before, now))) if before | now == 0 => self.ledger.violations.push(v(format!(
                    "CPU{cpu} ISR (entered at cycle {entered}) returned TRUE although at its status read (cycle {at}) \
                     none of the device's enabled sources was pending (latched & enabled = 0, latched = \
                     {:#x}, enabled = {:#x}): it claimed an interrupt that is not its own (shared line)",
                    f.dev[0], f.dev[1]
                ))),
                (false, Some((at, before, now))) if before & now != 0 => self.ledger.violations.push(v(format!(
                    "CPU{cpu} ISR (entered at cycle {entered}) returned FALSE although at its status read (cycle {at}) \
                     its device had {} pending and enabled (latched & enabled = {:#x}): the interrupt is left to \
                     no one",
                    self.profile.source_names(before & now),
                    before & now
                ))),
                (false, None) if run.pending_at_entry & pending != 0 => self.ledger.violations.push(v(format!(
                    "CPU{cpu} ISR (entered at cycle {entered}) returned FALSE without reading the adapter's status \
                     while {} was pending and enabled",
                    self.profile.source_names(run.pending_at_entry & pending)
                ))),
                _ => {}
            }
            if !claimed {
                if let Some((at, what)) = run.touched {
                    self.ledger.violations.push(
                        Violation::new(
                            at,
                            format!(
                                "CPU{cpu} ISR (entered at cycle {entered}) returned FALSE at cycle {} but touched the \
                                 adapter beyond its status read: {what} at cycle {at} (an ISR that does not own the \
                                 interrupt must touch nothing else)",
                                f.cycle
                            ),
                        )
                        .on(cpu, Some(Routine::Isr))
                        .signals(&[
                            "frame_n",
                            "cbe_n",
                            "ad",
                            "bus_cpu",
                            "isr_ret",
                            "cpu0_routine",
                            "cpu1_routine",
                        ]),
                    );
                }
            }
        }
        self.prev_pending = pending;
    }

    /// Nothing to do: the sources pending are the previous cycle's (`prev_pending` already),
    /// no CPU enters an ISR (IsrSpan::update is idempotent on an unchanged routine), no
    /// message is taken, no data phase, no ISR returns.
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
