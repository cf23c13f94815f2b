//! Rule `interrupt-latency`: the device's INTA# follows its interrupt state within the
//! latencies it declares ([`DeviceProfile::assert_latency`],
//! [`DeviceProfile::dismiss_latency`]). While an enabled source is pending
//! ([`DeviceProfile::pending`]) and INTx is allowed (Interrupt Disable clear, MSI off, as
//! configuration software wrote them on the bus), INTA# is asserted no later than the
//! assertion latency after the clock edge that latched the source; once nothing is
//! pending, or INTx is no longer allowed, INTA# is released no later than the dismissal
//! latency after the data phase of the write that did it (PCI 3.0 §2.2.6: INTA# is a
//! level that follows the function's interrupt condition; §6.2.2 Interrupt Disable;
//! §6.8.3.3 with MSI enabled the pin is not used).
//!
//! Timing on the waveform: a source latched at clock edge k shows in the probes in
//! interval k, so "within 1 cycle" means INTA# low in that same interval; a data phase in
//! interval k takes effect at edge k+1, so "within 1 cycle" means INTA# high in interval
//! k+1. The measured latencies are reported as the rule checks them (maximum seen).

use dirql_sim::Frame;

use super::{Ctx, DeviceProfile, Ledger, Rule, Violation};

/// The rule's state.
pub struct InterruptLatency {
    profile: DeviceProfile,
    /// Since when INTA# should be asserted (pending, INTx allowed).
    want_since: Option<u64>,
    /// Since when INTA# should be released (nothing pending or INTx not allowed), and the
    /// cycle of the data phase that made it so, if one did.
    unwant_since: Option<(u64, Option<u64>)>,
    reported_assert: bool,
    reported_release: bool,
    /// The data phase of the previous interval.
    last_phase: Option<u64>,
    /// Something was pending in the previous cycle.
    prev_pending: bool,
    /// Largest assertion and release latencies seen, in cycles.
    worst: (u64, u64),
    prev_dev_inta_n: bool,
    /// What it checked and found.
    ledger: Ledger,
}

const SIGS: &[&str] = &["dev_inta_n", "latched", "enabled", "@gates", "frame_n", "irdy_n", "trdy_n", "ad"];

impl InterruptLatency {
    /// A fresh rule for the device described by `profile`.
    pub fn new(profile: DeviceProfile) -> Self {
        InterruptLatency {
            profile,
            want_since: None,
            unwant_since: None,
            reported_assert: false,
            reported_release: false,
            last_phase: None,
            prev_pending: false,
            worst: (0, 0),
            prev_dev_inta_n: true,
            ledger: Ledger::default(),
        }
    }

    /// The largest (assertion, release) latencies seen so far, in cycles.
    pub fn worst(&self) -> (u64, u64) {
        self.worst
    }
}

impl InterruptLatency {
    /// A repeat of `f` would go on timing INTA# late (asserted or released).
    fn timing(&self, f: &Frame) -> bool {
        (self.want_since.is_some() && f.dev_inta_n && !self.reported_assert)
            || (self.unwant_since.is_some() && !f.dev_inta_n && !self.reported_release)
    }
}

impl Rule for InterruptLatency {
    fn name(&self) -> &'static str {
        "interrupt-latency"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if !f.rst_n {
            *self = InterruptLatency { ledger: std::mem::take(&mut self.ledger), ..Self::new(self.profile) };
            return;
        }
        let pending = (self.profile.pending)(f);
        let want = pending != 0 && ctx.intx_allowed;
        let low = !f.dev_inta_n;
        // One check per episode of pending sources: INTA# follows it (INTx allowed) or
        // stays released (MSI on, Interrupt Disable set).
        if pending != 0 && !self.prev_pending {
            self.ledger.checked += 1;
        }
        self.prev_pending = pending != 0;
        if want {
            self.unwant_since = None;
            let since = *self.want_since.get_or_insert_with(|| {
                self.reported_assert = false;
                f.cycle
            });
            // Latency 1 = asserted in the interval of the latching edge (module doc).
            let late = f.cycle - since + 1;
            if low {
                if self.prev_dev_inta_n {
                    self.worst.0 = self.worst.0.max(late);
                }
            } else if late > self.profile.assert_latency && !self.reported_assert {
                self.reported_assert = true;
                self.ledger.violations.push(
                    Violation::new(
                        f.cycle,
                        format!(
                            "{} pending and enabled since cycle {since} with INTx allowed, but INTA# is not asserted \
                             {late} cycles later (the device declares {} cycle(s))",
                            self.profile.source_names(pending),
                            self.profile.assert_latency
                        ),
                    )
                    .signals(SIGS),
                );
            }
        } else {
            self.want_since = None;
            let (since, by) = *self.unwant_since.get_or_insert_with(|| {
                self.reported_release = false;
                (f.cycle, self.last_phase)
            });
            // From the data phase that dismissed it (latency 1 = released in the next
            // interval), or from the cycle the condition ended without one.
            let start = by.unwrap_or(since.saturating_sub(1));
            let late = f.cycle - start;
            if !low {
                if !self.prev_dev_inta_n {
                    self.worst.1 = self.worst.1.max(late);
                }
            } else if late > self.profile.dismiss_latency && !self.reported_release {
                self.reported_release = true;
                let why = match by {
                    Some(w) => format!("the data phase at cycle {w} left nothing pending that may use INTA#"),
                    None => format!("nothing that may use INTA# has been pending since cycle {since}"),
                };
                self.ledger.violations.push(
                    Violation::new(
                        f.cycle,
                        format!(
                            "INTA# still asserted {late} cycles after {why} (the device declares {} cycle(s) to \
                             release it){}",
                            self.profile.dismiss_latency,
                            if ctx.intx_allowed {
                                ""
                            } else {
                                "; INTx is not allowed (Interrupt Disable set or MSI on)"
                            }
                        ),
                    )
                    .signals(SIGS),
                );
            }
        }
        self.last_phase = ctx.phase.map(|p| p.cycle);
        self.prev_dev_inta_n = f.dev_inta_n;
    }

    /// Only a latency still being timed moves: INTA# wanted (`want_since` set) but not
    /// asserted, or unwanted (`unwant_since` set) but still asserted, and not yet reported.
    /// Otherwise pending, INTA# and the episode are the previous cycle's (no edge, no worst
    /// case to update) and `last_phase` is already `None` (no data phase then).
    fn on_repeat(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if self.timing(f) {
            self.on_frame(f, ctx);
        }
    }

    /// Not timing INTA#: its repeats do nothing. Timing it: every repeat.
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
