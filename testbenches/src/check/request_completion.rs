//! Rule `request-completion`: what the driver was asked to do, it does. Every request the OS
//! hands the miniport (a VIDEO_REQUEST_PACKET to HwVidStartIO) completes within the device's
//! bound ([`DeviceProfile::request_budget_cycles`]), and with success unless its caller said
//! it may fail. The OS model traces each request on the issuing CPU's note (kind 4,
//! [`dirql_host::request`]): issued, then completed with its status.
//!
//! It judges the harm that interrupt rules cannot see because the bus is legal: a request
//! refused or reported failed, a fence waited for in vain because the DPC that completes
//! fences skipped its work or the adapter lost the fence word, a mode the adapter never
//! reported committed. Each shows as a request completed with an error, or one that never
//! completes.

use dirql_host::request::{RequestNote, RequestState, STATUS_SATURATED};
use dirql_sim::Frame;

use super::{Ctx, DeviceProfile, Ledger, Rule, Violation, TRACED_CPUS};

/// A request seen issued and not yet completed.
#[derive(Clone, Copy, Debug)]
struct Pending {
    seq: u8,
    function: u16,
    issued: u64,
    /// Its overrun is reported (once).
    reported: bool,
}

/// The rule's state.
pub struct RequestCompletion {
    bound: u64,
    /// Per CPU: the last request note seen (a driver note may cover it for a while and
    /// restore it: the same note again is no new event).
    last: [Option<u32>; TRACED_CPUS],
    pending: [Option<Pending>; TRACED_CPUS],
    ledger: Ledger,
}

const SIGS: &[&str] = &["cpu0_note", "cpu1_note", "cpu0_op", "cpu1_op", "cpu0_routine", "cpu1_routine"];

impl RequestCompletion {
    /// A fresh rule for the device described by `profile`.
    pub fn new(profile: DeviceProfile) -> Self {
        RequestCompletion {
            bound: profile.request_budget_cycles,
            last: [None; TRACED_CPUS],
            pending: [None; TRACED_CPUS],
            ledger: Ledger::default(),
        }
    }

    fn overrun(&mut self, cpu: usize, p: Pending, still: bool) {
        if still {
            self.ledger.checked += 1;
        }
        let at = p.issued + self.bound + 1;
        let how = if still { "has not completed" } else { "completed only" };
        self.ledger.violations.push(
            Violation::new(
                at,
                format!(
                    "CPU{cpu} request #{} (control function {:#05x}) issued at cycle {} {how} after more than the \
                     device's bound of {} cycles: what the driver was asked to do does not get done",
                    p.seq, p.function, p.issued, self.bound
                ),
            )
            .on(cpu, None)
            .signals(SIGS),
        );
    }
}

impl Rule for RequestCompletion {
    fn name(&self) -> &'static str {
        "request-completion"
    }

    fn on_frame(&mut self, f: &Frame, _ctx: &Ctx<'_>) {
        for cpu in 0..TRACED_CPUS {
            if let Some(p) = self.pending[cpu].filter(|p| !p.reported && f.cycle > p.issued + self.bound) {
                self.pending[cpu] = Some(Pending { reported: true, ..p });
                self.overrun(cpu, p, true);
            }
            let note = f.note[cpu];
            if self.last[cpu] == Some(note) {
                continue;
            }
            // Another slot's request (a two-slot run): that device's rule judges it.
            let Some(req) = RequestNote::decode(note).filter(|r| r.slot == f.slot) else { continue };
            self.last[cpu] = Some(note);
            match req.state {
                RequestState::Pending { function } => {
                    self.pending[cpu] = Some(Pending { seq: req.seq, function, issued: f.cycle, reported: false });
                }
                RequestState::Done { status } => {
                    self.ledger.checked += 1;
                    let p = self.pending[cpu].take().filter(|p| p.seq == req.seq);
                    if let Some(p) = p.filter(|p| !p.reported && f.cycle > p.issued + self.bound) {
                        self.overrun(cpu, p, false);
                    }
                    if status != 0 && !req.may_fail {
                        let what = p.map_or(String::new(), |p| {
                            format!(" (control function {:#05x}, issued at cycle {})", p.function, p.issued)
                        });
                        self.ledger.violations.push(
                            Violation::new(
                                f.cycle,
                                format!(
                                    "CPU{cpu} request #{}{what} completed with status {status}{}, and its caller \
                                     required success: the driver refused, skipped or failed what it was asked",
                                    req.seq,
                                    if status == STATUS_SATURATED { " or more" } else { "" }
                                ),
                            )
                            .on(cpu, None)
                            .signals(SIGS),
                        );
                    }
                }
            }
        }
    }

    /// A quiet repeat (`on_repeat` is `on_frame` here) shows the notes of the previous
    /// frame, already followed (`last`, or a note that is no request); what is left is the
    /// overrun check of a pending request, which reads the cycle: repeats are skipped up to
    /// the last cycle before the first unreported pending request is over its bound.
    fn quiet_until(&self, _f: &Frame) -> u64 {
        self.pending.iter().flatten().filter(|p| !p.reported).map(|p| p.issued + self.bound).min().unwrap_or(u64::MAX)
    }

    fn finish(&mut self, last_cycle: u64) {
        for cpu in 0..TRACED_CPUS {
            if let Some(p) = self.pending[cpu].filter(|p| !p.reported && last_cycle > p.issued + self.bound) {
                self.overrun(cpu, p, true);
            }
            // A request issued less than the bound before the end may still complete after it:
            // not judged.
        }
    }

    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}
