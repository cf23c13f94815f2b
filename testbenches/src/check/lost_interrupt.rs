//! Rule `no-lost-interrupt`: every assertion of the adapter's INTA# is seen by an ISR. An
//! interrupt raised while the ISR was excluded — the interrupt lock held by a synchronized
//! routine, IRQL raised, the line masked or still in service — must be delivered once the
//! exclusion ends (semantics.md §1, §6: INTA# is level-sensitive and stays asserted until
//! the driver clears the condition).
//!
//! An assertion (falling edge of the adapter's own INTA#) counts as seen when a CPU running
//! the ISR completes a read of the adapter at or after it. Violations: (a) the assertion is
//! withdrawn by clearing the latched source before any ISR saw it (somebody else ate the
//! interrupt — withdrawing it by clearing the enable only defers it and is not counted);
//! (b) no ISR sees it within [`DeviceProfile::delivery_bound`] cycles in which nothing
//! excluded the ISR; (c) at the end of the waveform it has been excluded for longer than
//! that bound and never seen.
//!
//! Per source, whatever INTA# did (a source that latches while INTA# is already low makes
//! no edge of its own): every source that latches in the device and is enabled while it is
//! latched ([`DeviceProfile::pending`]) must be seen by an ISR — a status read that shows
//! it ([`DeviceProfile::status_shows`]), or the message handler of its vector — before it
//! is cleared. Violations: (g) cleared unseen, naming the last write to the adapter;
//! (h) pending unseen for [`DeviceProfile::delivery_bound`] cycles in which it could have
//! been delivered (INTx allowed and nothing excluding the ISR, or MSI on and some CPU
//! below the device IRQL): the device did not interrupt, or the interrupt went nowhere.
//!
//! (j) A write to a read-write interrupt register ([`DeviceProfile::rw_probes`]: the
//! enable) shows in its probe the next cycle: a device that ignores the enable it was given
//! never interrupts for those sources.
//!
//! (i) Every source event the device's interrupt block receives with its latch armed
//! ([`DeviceProfile::events`], probed from the block's inputs, not its state) is latched
//! the next cycle: a latch that drops one loses the interrupt before anybody could see it.
//!
//! (k) A source event the device receives while the source is enabled but the driver holds
//! its latch clear ([`DeviceProfile::held_events`]), with no
//! ISR running on any CPU, is lost: the hold belongs inside an ISR's dismissal (clear, then
//! set again), and a driver that leaves it clear never sees that source again.
//!
//! Message-signalled interrupts are edges, not a level: an MSI write the device mastered on
//! the bus (to the x86 MSI window) must be taken by the CPU it addresses (`host.msi` shows
//! that CPU taking its vector). Violations: (d) not taken within the bound of cycles in
//! which that CPU ran below the device IRQL; (e) a second write of the same vector to the
//! same CPU while the first is still untaken (the local APIC merges them: two interrupts,
//! one ISR); (f) still excluded at the end of the waveform for longer than the bound.

use dirql_sim::{Frame, Routine, OFFLINE_IRQL, PIC_IN_SERVICE, PIC_MASKED};

use super::{
    is_write, msi_write, phase_cpu, Ctx, DeviceIrql, DeviceProfile, IsrSpan, Ledger, Rule, Target, Violation,
    TRACED_CPUS,
};

#[derive(Clone, Debug)]
struct Assertion {
    at: u64,
    sources: u32,
    deliverable: u64,
    /// Current exclusion: since when, and why.
    excluded: Option<(u64, Exclusion)>,
    /// The last exclusion that ended: (start, end, why).
    last_exclusion: Option<(u64, u64, Exclusion)>,
    reported: bool,
}

/// Why the ISR cannot run in a cycle: kept as values and written out only in a violation's
/// message (a check that runs every cycle builds no string).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exclusion {
    Masked,
    InService,
    /// The interrupt lock held by this CPU, running this routine (`None`: unknown).
    Lock(usize, Option<Routine>),
    /// The ISR running on this CPU.
    Isr(usize),
    /// The other device's ISR, ahead in the shared line's chain, running on this CPU.
    ForeignIsr(usize),
    /// This CPU at this IRQL, the device IRQL then.
    Irql(usize, u8, u8),
}

impl std::fmt::Display for Exclusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Exclusion::Masked => f.write_str("the line masked at the interrupt controller"),
            Exclusion::InService => f.write_str("the previous interrupt still in service (no EOI yet)"),
            Exclusion::Lock(c, r) => write!(f, "the interrupt lock held by CPU{c} ({})", r.map_or("?", Routine::name)),
            Exclusion::Isr(c) => write!(f, "the ISR running on CPU{c}"),
            Exclusion::ForeignIsr(c) => {
                write!(f, "the other device's ISR, ahead in the shared line's chain, running on CPU{c}")
            }
            Exclusion::Irql(c, irql, dirql) => write!(f, "CPU{c} at IRQL {irql} (device IRQL {dirql})"),
        }
    }
}

/// An MSI written on the bus and not yet taken by its CPU.
#[derive(Clone, Debug)]
struct Message {
    cpu: usize,
    vector: u8,
    at: u64,
    deliverable: u64,
    /// Since when its CPU has been at or above the device IRQL, if it is now.
    excluded: Option<u64>,
    reported: bool,
}

const MSI_SIGS: &[&str] = &["msi", "ad", "ad_drivers", "cpu0_irql", "cpu1_irql", "cpu0_routine", "cpu1_routine"];

/// One source's latch, from the cycle it rose in the device's raw status.
#[derive(Clone, Copy, Debug, Default)]
struct Latch {
    /// Cycle it latched, while it is latched.
    at: Option<u64>,
    /// It was pending (latched and enabled) at some cycle since.
    enabled: bool,
    /// An ISR saw it.
    seen: bool,
    /// Cycles it could have been delivered, pending and unseen.
    deliverable: u64,
    reported: bool,
}

/// The rule's state.
pub struct NoLostInterrupt {
    latches: [Latch; 32],
    /// Armed source events of the previous cycle: each must have latched.
    prev_events: u32,
    /// Sources already reported under (k) (once per source and run).
    held_reported: u32,
    /// A write to a read-write interrupt register in the previous cycle: (probe, bits,
    /// value written, cycle).
    rw_written: Option<(usize, u32, u32, u64)>,
    /// Per CPU: the sources the vector of the message it took last stands for, until its
    /// ISR is entered.
    took: [u32; TRACED_CPUS],
    /// Per CPU: the sources the message handler it runs answers for (MSI: a status read by
    /// the handler of another message sees a source it will not service).
    handling: [u32; TRACED_CPUS],
    messages: Vec<Message>,
    profile: DeviceProfile,
    dirql: DeviceIrql,
    spans: [IsrSpan; TRACED_CPUS],
    open: Option<Assertion>,
    prev_dev_inta_n: bool,
    prev_raw: u32,
    prev_enable: u32,
    /// Last write to the adapter: cycle, CPU, routine, where.
    last_write: Option<(u64, Option<usize>, Option<Routine>, Target)>,
    /// What it checked and found.
    ledger: Ledger,
}

const SIGS: &[&str] = &[
    "dev_inta_n",
    "latched",
    "enabled",
    "pic_masked",
    "pic_in_service",
    "lock_owner",
    "cpu0_irql",
    "cpu1_irql",
    "cpu0_routine",
    "cpu1_routine",
];

impl NoLostInterrupt {
    /// A fresh rule for the device described by `profile`.
    pub fn new(profile: DeviceProfile) -> Self {
        let dirql = DeviceIrql(None, profile.default_dirql);
        NoLostInterrupt {
            latches: [Latch::default(); 32],
            prev_events: 0,
            held_reported: 0,
            rw_written: None,
            took: [0; TRACED_CPUS],
            handling: [0; TRACED_CPUS],
            messages: Vec::new(),
            profile,
            dirql,
            spans: [IsrSpan::default(); TRACED_CPUS],
            open: None,
            prev_dev_inta_n: true,
            prev_raw: 0,
            prev_enable: 0,
            last_write: None,
            ledger: Ledger::default(),
        }
    }

    /// Why the ISR cannot run this cycle, if something excludes it.
    fn exclusion(&self, f: &Frame) -> Option<Exclusion> {
        if f.pic & PIC_MASKED != 0 {
            return Some(Exclusion::Masked);
        }
        if f.pic & PIC_IN_SERVICE != 0 {
            return Some(Exclusion::InService);
        }
        if f.lock_owner != 0 {
            let c = usize::from(f.lock_owner - 1);
            let r = if c < TRACED_CPUS { f.routine_of(c) } else { None };
            return Some(Exclusion::Lock(c, r));
        }
        for c in 0..TRACED_CPUS {
            if f.routine[c] == Routine::Isr as u8 {
                return Some(Exclusion::Isr(c));
            }
            if f.routine[c] == Routine::ForeignIsr as u8 {
                return Some(Exclusion::ForeignIsr(c));
            }
            // The controller may have chosen a raised CPU: it waits for that one.
            if f.irql[c] >= self.dirql.get() && f.irql[c] != OFFLINE_IRQL {
                return Some(Exclusion::Irql(c, f.irql[c], self.dirql.get()));
            }
        }
        None
    }

    /// Whether a message could be taken this cycle: some online CPU below the device IRQL
    /// and no ISR running (the message may be addressed to that CPU).
    fn message_deliverable(&self, f: &Frame) -> bool {
        (0..TRACED_CPUS).all(|c| f.routine_of(c) != Some(Routine::Isr))
            && (0..TRACED_CPUS).all(|c| f.irql[c] < self.dirql.get() || f.irql[c] == OFFLINE_IRQL)
            && (0..TRACED_CPUS).any(|c| f.irql[c] < self.dirql.get())
    }

    /// Per-source accounting: (g) and (h) of the module doc.
    fn on_sources(&mut self, f: &Frame, ctx: &Ctx<'_>, entered: [bool; TRACED_CPUS]) {
        let p = &self.profile;
        let (raw, pending) = ((p.raw)(f), (p.pending)(f));
        // (i) An event the interrupt block received with its latch armed shows latched the
        // next cycle, whatever else was written in that clock (a W1C of another source, or
        // of its own: the event wins).
        let dropped = self.prev_events & !raw;
        self.ledger.checked += u64::from(self.prev_events.count_ones());
        if dropped != 0 {
            self.ledger.violations.push(
                Violation::new(
                    f.cycle,
                    format!(
                        "the device's interrupt block received a {} event at cycle {} with its latch armed, and it is \
                         not latched at cycle {}: the latch dropped it, and no ISR will ever see it",
                        self.profile.source_names(dropped),
                        f.cycle - 1,
                        f.cycle
                    ),
                )
                .signals(&["dev_events", "latched", "enabled", "@gates"]),
            );
        }
        self.prev_events = (p.events)(f);
        // (k) An enabled source's event thrown away by a hold the driver left in place.
        let held = (p.held_events)(f) & (p.enabled)(f);
        let in_isr = (0..TRACED_CPUS).any(|c| f.routine_of(c) == Some(Routine::Isr));
        if held != 0 && !in_isr {
            self.ledger.checked += u64::from(held.count_ones());
            let new = held & !self.held_reported;
            if new != 0 {
                self.held_reported |= new;
                self.ledger.violations.push(
                    Violation::new(
                        f.cycle,
                        format!(
                            "the device received a {} event at cycle {} with the source enabled but its latch held clear \
                             by the driver (the device's hold, as its profile's `held_events` reads the probes) and no ISR \
                             running: the event latches nothing, the interrupt is lost — a dismissal must release the \
                             hold again before the ISR returns",
                            self.profile.source_names(new),
                            f.cycle
                        ),
                    )
                    .signals(&["dev_events", "latched", "enabled", "@gates"]),
                );
            }
        }
        // (j) An enable the driver wrote is the enable the device has: a write to a
        // read-write interrupt register shows in its probe the next cycle.
        if let Some((probe, bits, value, at)) = self.rw_written.take() {
            let now = f.dev.get(probe).copied().unwrap_or(0) & bits;
            self.ledger.checked += 1;
            if now != value & bits {
                self.ledger.violations.push(
                    Violation::new(
                        f.cycle,
                        format!(
                            "the driver wrote {:#x} to an interrupt register at cycle {at}, but the device holds {now:#x} \
                             at cycle {}: the write was not taken, and the sources it enables cannot interrupt",
                            value & bits,
                            f.cycle
                        ),
                    )
                    .signals(&["enabled", "frame_n", "irdy_n", "trdy_n", "ad"]),
                );
            }
        }
        if let Some(ph) = ctx.phase.filter(|ph| is_write(ph) && ph.be & 1 != 0) {
            let t = ctx.target(ph);
            if let Some(&(_, probe, bits)) = p.rw_probes.iter().find(|(r, _, _)| *r == t) {
                self.rw_written = Some((probe, bits, ph.data, ph.cycle));
            }
        }
        // What ISRs saw this cycle: entry into the handler of a message, or a status read —
        // with MSI on, only of the sources that handler answers for: a message handler that
        // reads another message's source in its status register leaves it to that message's handler.
        let mut seen = 0u32;
        for c in (0..TRACED_CPUS).filter(|&c| entered[c]) {
            self.handling[c] = std::mem::take(&mut self.took[c]);
            seen |= self.handling[c];
        }
        if let Some(ph) = ctx.phase.filter(|ph| !is_write(ph)) {
            if let Some(c) = phase_cpu(ph).filter(|&c| self.spans[c].entered.is_some()) {
                let shows = (p.status_shows)(ctx.target(ph), ph.data, ph.be).unwrap_or(0);
                seen |= if ctx.msi_enabled { shows & self.handling[c] } else { shows };
            }
        }
        let last_exclusion = self.open.as_ref().and_then(|a| a.last_exclusion);
        let deliverable =
            (ctx.intx_allowed && self.exclusion(f).is_none()) || (ctx.msi_enabled && self.message_deliverable(f));
        let bound = p.delivery_bound;
        for b in 0..p.sources.len().min(32) {
            let bit = 1u32 << b;
            let l = &mut self.latches[b];
            match (l.at, raw & bit != 0) {
                (None, true) => *l = Latch { at: Some(f.cycle), ..Latch::default() },
                (Some(at), false) => {
                    if l.enabled && !l.seen {
                        self.ledger.checked += 1;
                    }
                    if l.enabled && !l.seen {
                        let by = match self.last_write {
                            Some((w, cpu, r, t)) => {
                                format!(
                                    "; the last write to the device was to {} by {} at cycle {w}",
                                    self.profile.describe(t),
                                    who(cpu, r)
                                )
                            }
                            None => String::new(),
                        };
                        let mut v = Violation::new(
                            f.cycle,
                            format!(
                                "{} latched at cycle {at} and enabled, was cleared at cycle {} before any ISR saw it (no status read by an ISR showed it, no handler of its message ran): the interrupt is lost{by}",
                                p.sources[b], f.cycle
                            ),
                        )
                        .signals(SIGS);
                        if let Some((_, Some(c), r, _)) = self.last_write {
                            v = v.on(c, r);
                        }
                        self.ledger.violations.push(v);
                    }
                    *l = Latch::default();
                    continue;
                }
                _ => {}
            }
            if l.at.is_none() {
                continue;
            }
            if seen & bit != 0 && !l.seen {
                l.seen = true;
                self.ledger.checked += u64::from(l.enabled || pending & bit != 0);
            }
            if pending & bit != 0 {
                l.enabled = true;
                if !l.seen && deliverable {
                    l.deliverable += 1;
                    if l.deliverable == bound && !l.reported {
                        l.reported = true;
                        let how = if ctx.msi_enabled { "MSI on" } else { "INTx allowed" };
                        let after = match last_exclusion {
                            Some((s, e, why)) => format!("; it was excluded by {why} from cycle {s} to {e}"),
                            None => String::new(),
                        };
                        self.ledger.violations.push(
                            Violation::new(
                                f.cycle,
                                format!(
                                    "{} latched at cycle {} and enabled has not been seen by any ISR after {bound} cycles in which it could have been delivered ({how}, nothing excluding the ISR{after}): the device did not interrupt, or the interrupt went nowhere",
                                    p.sources[b],
                                    l.at.unwrap_or(f.cycle)
                                ),
                            )
                            .signals(SIGS),
                        );
                    }
                }
            }
        }
    }
}

impl NoLostInterrupt {
    /// MSI writes on the bus, matched against the vectors the CPUs take.
    fn on_messages(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if let Some((cpu, vector)) = ctx.phase.and_then(msi_write) {
            self.ledger.checked += 1;
            match self.messages.iter().find(|m| (m.cpu, m.vector) == (cpu, vector)) {
                Some(first) => {
                    let first_at = first.at;
                    self.ledger.violations.push(
                        Violation::new(
                            f.cycle,
                            format!(
                                "MSI vector {vector:#04x} to CPU{cpu} written again at cycle {} while the one written \
                                 at cycle {first_at} was not yet taken: the local APIC merges them and one interrupt \
                                 is lost",
                                f.cycle
                            ),
                        )
                        .signals(MSI_SIGS),
                    );
                }
                None => self.messages.push(Message {
                    cpu,
                    vector,
                    at: f.cycle,
                    deliverable: 0,
                    excluded: None,
                    reported: false,
                }),
            }
        }
        if self.messages.is_empty() {
            return;
        }
        if f.msi != 0 {
            for cpu in 0..TRACED_CPUS {
                if let Some(v) = f.msi_taken(cpu) {
                    if let Some(i) = self.messages.iter().position(|m| (m.cpu, m.vector) == (cpu, v)) {
                        self.messages.remove(i);
                    }
                }
            }
        }
        let dirql = self.dirql.get();
        let bound = self.profile.delivery_bound;
        for m in &mut self.messages {
            // A message to a CPU the waveform does not trace is never seen taken: reported below.
            let excluded = f.irql.get(m.cpu).is_some_and(|&irql| irql >= dirql);
            if excluded {
                m.excluded.get_or_insert(f.cycle);
                continue;
            }
            m.excluded = None;
            m.deliverable += 1;
            if m.deliverable == bound && !m.reported {
                m.reported = true;
                self.ledger.violations.push(
                    Violation::new(
                        f.cycle,
                        format!(
                            "MSI vector {:#04x} to CPU{} written at cycle {} has not been taken after {bound} cycles \
                             in which CPU{} ran below the device IRQL {dirql}: the message was not delivered",
                            m.vector, m.cpu, m.at, m.cpu
                        ),
                    )
                    .signals(MSI_SIGS),
                );
            }
        }
    }
}

fn who(cpu: Option<usize>, r: Option<Routine>) -> String {
    match cpu {
        Some(c) => format!("CPU{c} ({})", r.map_or("?", Routine::name)),
        None => "the host bridge".into(),
    }
}

impl NoLostInterrupt {
    /// A repeat of `f` must go through `on_frame`: an interrupt, a message or an unseen
    /// pending source waits, or a source event shows.
    fn timing(&self, f: &Frame) -> bool {
        let p = &self.profile;
        if !self.messages.is_empty() || self.open.is_some() || (p.events)(f) != 0 || (p.held_events)(f) != 0 {
            return true;
        }
        let pending = (p.pending)(f);
        (0..p.sources.len().min(32))
            .any(|b| pending & (1 << b) != 0 && self.latches[b].at.is_some() && !self.latches[b].seen)
    }
}

impl Rule for NoLostInterrupt {
    fn name(&self) -> &'static str {
        "no-lost-interrupt"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        self.dirql.update(f);
        let entered: [bool; TRACED_CPUS] = std::array::from_fn(|cpu| self.spans[cpu].update(f, cpu));
        for cpu in 0..TRACED_CPUS {
            if let Some(v) = f.msi_taken(cpu) {
                self.took[cpu] = self.profile.message_sources(v);
            }
        }
        let (raw, enable) = ((self.profile.raw)(f), (self.profile.enabled)(f));
        if let Some(ph) = ctx.phase {
            let cpu = phase_cpu(ph);
            if is_write(ph) {
                self.last_write = Some((ph.cycle, cpu, cpu.and_then(|c| f.routine_of(c)), ctx.target(ph)));
            }
            if let (Some(c), Some(a)) = (cpu, self.open.as_ref()) {
                if self.spans[c].entered.is_some() && ph.cycle >= a.at {
                    // Reached by an ISR — a status read, or an acknowledge written without
                    // one (whether that ISR had the right to claim is isr-ownership's
                    // question): the interrupt was not lost.
                    self.open = None;
                }
            }
        }
        self.on_messages(f, ctx);
        self.on_sources(f, ctx, entered);
        if self.prev_dev_inta_n && !f.dev_inta_n {
            // Judged per source when the device's sources are on the waveform (on_sources).
            if raw & enable == 0 {
                self.ledger.checked += 1;
            }
            self.open = Some(Assertion {
                at: f.cycle,
                sources: raw & enable,
                deliverable: 0,
                excluded: None,
                last_exclusion: None,
                reported: false,
            });
        } else if !self.prev_dev_inta_n && f.dev_inta_n {
            if let Some(a) = self.open.take() {
                let withdrawn_by_enable = self.prev_raw & self.prev_enable & raw & !enable != 0;
                if !withdrawn_by_enable && !a.reported {
                    let by = match self.last_write {
                        Some((w, cpu, r, t)) => {
                            format!(
                                ", last write to the device: {} by {} at cycle {w}",
                                self.profile.describe(t),
                                who(cpu, r)
                            )
                        }
                        None => String::new(),
                    };
                    let mut v = Violation::new(
                        f.cycle,
                        format!(
                            "INTA# asserted at cycle {} ({}) was withdrawn at cycle {} before any ISR read the adapter: \
                             the latched source was cleared behind the ISR's back and the interrupt is lost{by}",
                            a.at,
                            self.profile.source_names(a.sources),
                            f.cycle
                        ),
                    )
                    .signals(SIGS);
                    if let Some((_, Some(c), r, _)) = self.last_write {
                        v = v.on(c, r);
                    }
                    self.ledger.violations.push(v);
                }
            }
        }
        let excl = self.exclusion(f);
        if let Some(a) = self.open.as_mut() {
            match (excl, a.excluded.take()) {
                (Some(why), None) => a.excluded = Some((f.cycle, why)),
                (Some(_), Some(cur)) => a.excluded = Some(cur),
                (None, prev) => {
                    if let Some((s, why)) = prev {
                        a.last_exclusion = Some((s, f.cycle, why));
                    }
                    a.deliverable += 1;
                    // With the device's sources on the waveform, the per-source ledger
                    // reports an undelivered interrupt (h), by name.
                    let ledger = a.sources != 0;
                    if a.deliverable == self.profile.delivery_bound && !a.reported && !ledger {
                        a.reported = true;
                        let after = match a.last_exclusion {
                            Some((s, e, why)) => format!("; it was excluded by {why} from cycle {s} to {e}"),
                            None => "; nothing excluded the ISR meanwhile".into(),
                        };
                        self.ledger.violations.push(
                            Violation::new(
                                f.cycle,
                                format!(
                                    "INTA# asserted at cycle {} ({}) has not been seen by any ISR after {} cycles in \
                                     which nothing excluded the ISR{after}: the interrupt was not delivered",
                                    a.at,
                                    self.profile.source_names(a.sources),
                                    a.deliverable
                                ),
                            )
                            .signals(SIGS),
                        );
                    }
                }
            }
        }
        self.prev_dev_inta_n = f.dev_inta_n;
        self.prev_raw = raw;
        self.prev_enable = enable;
    }

    /// What counts cycles goes through `on_frame`: MSI writes waiting to be taken, an open
    /// INTA# assertion, a pending source not yet seen (their deliverable cycles), and source
    /// events (each is checked, every cycle it shows). Otherwise nothing moves: no edge of
    /// INTA# or of a latch (raw is the previous cycle's), no data phase (so no enable
    /// written the cycle before), no message taken, no ISR entered.
    fn on_repeat(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if self.timing(f) {
            self.on_frame(f, ctx);
        }
    }

    /// Nothing waiting or showing (above): its repeats do nothing. Else every repeat.
    fn quiet_until(&self, f: &Frame) -> u64 {
        if self.timing(f) {
            0
        } else {
            u64::MAX
        }
    }

    fn finish(&mut self, last_cycle: u64) {
        for m in std::mem::take(&mut self.messages) {
            if let Some(s) = m.excluded.filter(|&s| !m.reported && last_cycle - s >= self.profile.delivery_bound) {
                self.ledger.violations.push(
                    Violation::new(
                        s,
                        format!(
                            "MSI vector {:#04x} to CPU{} written at cycle {} was never taken: CPU{} at or above the \
                             device IRQL from cycle {s} to the end of the waveform (cycle {last_cycle})",
                            m.vector, m.cpu, m.at, m.cpu
                        ),
                    )
                    .signals(MSI_SIGS),
                );
            }
        }
        if let Some(a) = self.open.take() {
            if let Some((s, why)) =
                a.excluded.filter(|(s, _)| !a.reported && last_cycle - s >= self.profile.delivery_bound)
            {
                self.ledger.violations.push(
                    Violation::new(
                        s,
                        format!(
                            "INTA# asserted at cycle {} ({}) was never delivered: {why} from cycle {s} to the end of \
                             the waveform (cycle {last_cycle}) — the exclusion never ended",
                            a.at,
                            self.profile.source_names(a.sources)
                        ),
                    )
                    .signals(SIGS),
                );
            }
        }
    }

    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}
