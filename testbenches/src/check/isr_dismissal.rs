//! Rule `isr-dismissal`: every ISR that claims an interrupt (returns TRUE) has dismissed
//! it on the adapter — the acknowledging write reached the adapter before the ISR
//! returned (posted writes flushed), and the adapter's INTA# was released before the
//! interrupt controller looked at the line again at end of interrupt (hwvid-interrupt.md:
//! "it must dismiss the interrupt on its adapter before it returns TRUE"; semantics.md §6).
//!
//! What acknowledges which sources is the device's to say
//! ([`DeviceProfile::acknowledges`]: e.g. a write-1-to-clear of its status register, or a
//! write through an index/data pair).
//!
//! Per source: an ISR that returns TRUE has cleared, within the device's dismissal
//! latency of its return, every source its status reads showed it before it first wrote
//! to the device (read-backs that flush its acknowledge show what latched after its
//! decision: a new interrupt), and a message handler
//! the source its message number stands for ([`DeviceProfile::msi_source_mask`]) — not
//! just written something. A source that latched again after the handler looked is a new
//! interrupt and exempt.

use dirql_sim::{Frame, Routine, PIC_DELIVER, PIC_EOI};

use super::{is_write, Ctx, DataPhase, DeviceProfile, Ledger, Rule, Target, Violation};

/// Per-CPU view of the ISR in progress.
#[derive(Clone, Copy, Debug, Default)]
struct IsrRun {
    /// Cycle the ISR was entered.
    entered: Option<u64>,
    /// Delivery this ISR serves.
    delivered: u64,
    /// First acknowledging write of this ISR to reach the adapter.
    acked: Option<u64>,
    /// Sources this ISR must have cleared when it returns TRUE: those its status reads
    /// showed, and those its message stands for that were pending at its entry.
    must_clear: u32,
    /// Cycle of its last status read (or its entry): sources latched later are new.
    looked: u64,
    /// It has written to the device: status reads from now on are read-backs that flush
    /// its acknowledge, and what they show latched after its decision.
    wrote: bool,
    /// Sources its acknowledging writes cleared (as the device counts them): cleared, even
    /// if the device latched them again in the same clock.
    acked_bits: u32,
    /// For a message handler, the sources its message stands for (0 for the line's ISR):
    /// its status reads show other sources too, which their own messages serve.
    vector_sources: u32,
}

/// A TRUE return whose sources are checked once the dismissal latency has passed.
#[derive(Clone, Copy, Debug)]
struct Returned {
    cpu: usize,
    at: u64,
    must_clear: u32,
    looked: u64,
    acked_bits: u32,
    by_message: bool,
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
    /// Pending & enabled sources (device probes 0 & 1) in the previous cycle, and the cycle
    /// each source last rose in the latched probe: a line still low at EOI only because a source
    /// latched after the delivery is a new interrupt, not an undismissed one.
    prev_pending: u32,
    rose_at: [u64; 32],
    prev_raw: u32,
    claimed: Vec<Claimed>,
    /// TRUE returns waiting for the per-source check.
    returned: Vec<Returned>,
    /// Per CPU: the sources of the message it took last, until its ISR is entered.
    took: Vec<u32>,
    /// Per CPU: its ISR was entered for a message.
    by_message: Vec<bool>,
    /// The device's own state for recognising acknowledgements.
    ack_state: u32,
    /// What it checked and found.
    ledger: Ledger,
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
            prev_pending: 0,
            rose_at: [0; 32],
            prev_raw: 0,
            claimed: Vec::new(),
            returned: Vec::new(),
            took: vec![0; dirql_sim::Frame::default().irql.len()],
            by_message: vec![false; dirql_sim::Frame::default().irql.len()],
            ack_state: 0,
            ledger: Ledger::default(),
        }
    }

    /// The sources `ph` acknowledges (0: none), as the device declares
    /// ([`DeviceProfile::acknowledges`]).
    fn acks(&mut self, ph: &DataPhase, ctx: &Ctx<'_>) -> u32 {
        if !is_write(ph) {
            return 0;
        }
        (self.profile.acknowledges)(&mut self.ack_state, ctx.target(ph), ph)
    }
}

impl IsrDismissal {
    /// Sources a TRUE return had to clear, once the dismissal latency has passed.
    fn check_returned(&mut self, f: &Frame, pending: u32) {
        let latency = self.profile.dismiss_latency;
        let mut i = 0;
        while i < self.returned.len() {
            let r = self.returned[i];
            if f.cycle < r.at + latency {
                i += 1;
                continue;
            }
            self.returned.swap_remove(i);
            let relatched = (0..32).filter(|&b| self.rose_at[b] > r.looked).fold(0u32, |m, b| m | 1 << b);
            let left = pending & r.must_clear & !relatched & !r.acked_bits;
            if left == 0 {
                continue;
            }
            let names = self.profile.source_names(left);
            let what = if r.by_message {
                format!(
                    "the message handler returned TRUE at cycle {} but left {names}, the source its message stands for, pending: the device sends a message only on a new rising edge, so it will not interrupt again",
                    r.at
                )
            } else {
                format!(
                    "the ISR returned TRUE at cycle {} but left {names} pending, which its own status read showed it",
                    r.at
                )
            };
            self.ledger.violations.push(
                Violation::new(f.cycle, format!("CPU{} {what}", r.cpu)).on(r.cpu, Some(Routine::Isr)).signals(&[
                    "latched",
                    "enabled",
                    "isr_ret",
                    "msi",
                    "posted",
                    "bus_cpu",
                    "cpu0_routine",
                    "cpu1_routine",
                ]),
            );
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
        if let Some(ph) = ctx.phase {
            let acked = self.acks(ph, ctx);
            let cpu = usize::from(ph.bus_cpu).wrapping_sub(1);
            if let Some(run) = self.isr.get_mut(cpu).filter(|r| r.entered.is_some() && acked != 0) {
                run.acked.get_or_insert(ph.cycle);
                run.acked_bits |= acked;
            }
        }
        // Status reads before the ISR's first write: what it decided it must dismiss.
        if let Some(ph) = ctx.phase {
            let cpu = usize::from(ph.bus_cpu).wrapping_sub(1);
            if let Some(run) = self.isr.get_mut(cpu).filter(|r| r.entered.is_some() && !r.wrote) {
                if is_write(ph) {
                    run.wrote = matches!(ctx.target(ph), Target::Bar(..));
                } else if let Some(shown) = (self.profile.status_shows)(ctx.target(ph), ph.data, ph.be) {
                    run.must_clear |= shown;
                    run.looked = ph.cycle;
                }
            }
        }
        let pending = (self.profile.pending)(f);
        for cpu in 0..self.isr.len() {
            if let Some(v) = f.msi_taken(cpu) {
                self.took[cpu] = self.profile.message_sources(v);
            }
            let in_isr = f.routine_of(cpu) == Some(Routine::Isr);
            if in_isr && self.isr[cpu].entered.is_none() {
                let took = std::mem::take(&mut self.took[cpu]);
                self.by_message[cpu] = took != 0;
                self.isr[cpu] = IsrRun {
                    entered: Some(f.cycle),
                    delivered: self.last_delivery,
                    acked: None,
                    must_clear: took & pending,
                    looked: f.cycle,
                    wrote: false,
                    acked_bits: 0,
                    vector_sources: took,
                };
            }
            if let Some(claimed) = f.isr_return(cpu) {
                let run = std::mem::take(&mut self.isr[cpu]);
                let must_clear =
                    if run.vector_sources != 0 { run.must_clear & run.vector_sources } else { run.must_clear };
                if claimed && must_clear != 0 {
                    self.returned.push(Returned {
                        cpu,
                        at: f.cycle,
                        must_clear,
                        looked: run.looked,
                        acked_bits: run.acked_bits,
                        by_message: self.by_message[cpu],
                    });
                }
                if claimed {
                    self.ledger.checked += 1;
                    let entered = run.entered.unwrap_or(f.cycle);
                    if run.acked.is_none() {
                        self.ledger.violations.push(
                            Violation::new(
                                f.cycle,
                                format!(
                                "CPU{cpu} ISR (entered at cycle {entered}) returned TRUE but no acknowledging write \
                                 ({} or another the device counts) reached the device before it returned{}",
                                self.profile.ack_name,
                                if self.prev_dev_inta_n { "" } else { "; the device's INTA# is still asserted" }
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
                // Sources pending now that were already set at the delivery. With none of
                // them (and the probes showing what holds the line), the line is held by a
                // source that latched after the delivery: a new interrupt, which the
                // controller rightly delivers again. With no probe information at all the
                // rule stays strict.
                let stale =
                    (0..32).filter(|&b| self.prev_pending & (1 << b) != 0 && self.rose_at[b] <= c.delivered).count();
                let held_by_new_source = self.prev_pending != 0 && stale == 0;
                if line_low && self.last_released < c.delivered && !held_by_new_source {
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
                    self.ledger.violations.push(Violation::new(
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
        self.check_returned(f, pending);
        if f.dev_inta_n {
            self.last_released = f.cycle;
        }
        self.prev_dev_inta_n = f.dev_inta_n;
        let raw = (self.profile.latched)(f);
        let mut rose = raw & !self.prev_raw;
        while rose != 0 {
            self.rose_at[rose.trailing_zeros() as usize] = f.cycle;
            rose &= rose - 1;
        }
        self.prev_raw = raw;
        self.prev_pending = (self.profile.latched)(f) & (self.profile.enabled)(f);
    }

    /// No delivery, no EOI, no data phase, no ISR entry (an ISR running now was entered in
    /// the previous cycle), no return, no source rising: only the cycle the adapter's INTA#
    /// was last seen released moves, and a TRUE return waiting for its dismissal latency is
    /// judged through `on_frame`.
    fn on_repeat(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if !self.returned.is_empty() {
            return self.on_frame(f, ctx);
        }
        if f.dev_inta_n {
            self.last_released = f.cycle;
        }
    }

    /// With no TRUE return waiting, a repeat only stamps `last_released` with its cycle:
    /// a run of them leaves the stamp of the last one.
    fn quiet_until(&self, _f: &Frame) -> u64 {
        if self.returned.is_empty() {
            u64::MAX
        } else {
            0
        }
    }

    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}
