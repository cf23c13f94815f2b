//! Rule `dma-ordering`: a driver consumes what a device's DMA wrote only once it has
//! reached host memory, and the device touches only the descriptors the driver handed it.
//!
//! A device's Memory Write into host RAM is posted: the host bridge queues it upstream,
//! and a CPU that reads RAM directly (coherent caches, no bus) does not see it until it
//! lands. A read completion never passes a posted write (PCI 3.0 §3.2.5, appendix E), so a
//! driver that reads the device pushes every write the device made before into RAM. An
//! MSI is itself a posted write, queued behind the device's data; INTA# is a wire that
//! passes them. Hence, on INTA#, the driver must read the device before it looks at what
//! the device announced (../shared/reference/seeds/ndis-miniport-synchronize-interrupt.md;
//! Linux tg3's `tg3_interrupt`: "it is possible for the interrupt to arrive at the CPU
//! before the status block posted prior to the interrupt").
//!
//! Checked, from the waveform alone (the device's writes as data phases on the bus, their
//! landing as `host.dma_landed`, the CPUs' reads of RAM as `host.cpuN_ram_read`):
//!
//! (a) **stale consumption**: a CPU reads a host-RAM dword while a device write of it is
//! still on its way, and that write was *announced*: the device raised a source (a source
//! event, [`DeviceProfile::events`]) after it and before an ISR that this read follows —
//! the last ISR entered on the reading CPU, or any ISR that returned TRUE since (its DPC
//! may run elsewhere). A write made after the announcement the ISR answers is not judged:
//! a driver that reads such a descriptor as "not yet done" leaves it to the next interrupt.
//! For MSI the rule takes the last source event before the ISR entry, which may be later
//! than the message the ISR answers: it is stricter than the ordering the message gives,
//! never laxer.
//!
//! (b) **ring ownership**: for each ring the profile declares ([`RingDecl`]) the rule
//! follows the driver's writes of its base, size and tail (doorbell) registers on the bus,
//! and the device's slot by its own accesses: the device owns the slots from its head up
//! to the tail, exclusive. Every device data phase into the ring's descriptors must be on
//! a slot it owns; it owns its head from its first access until it has written the slot
//! back and gone on to any other address (then the head moves on).
//!
//! (c) **announced write-backs are consumed**: a slot of a declared ring the device wrote
//! back and then announced (an event of the ring's [`RingDecl::sources`]) whose source an
//! ISR on CPU c then acknowledged ([`DeviceProfile::acknowledges`], the write issued by the
//! ISR: `host.bus_issuer`) is read by some CPU — a dword of its descriptor, after the
//! write-back landed — before CPU c, after that ISR returned, is back below DISPATCH_LEVEL
//! (KeLowerIrql has then run the DPCs it queued, and the DPC it preempted, if any) and
//! every DPC running on another CPU then has ended (a driver's DPCs share the causes). An acknowledged announcement whose
//! descriptor nobody looked at leaves the descriptor to a later interrupt, however fast
//! the bridge: the ordering bug of a driver that looks at the ring before it reads and
//! acknowledges the device, with no stale read at all when the write-back lands between
//! the look and the read. An acknowledgement outside an ISR is not judged.
//!
//! Two slots: `host.dma_landed` counts every device's writes, and each slot's view shows
//! only its own device as bus master, so with two devices that both master DMA the count
//! would run ahead of this device's writes (lax, never a false alarm); `nic-shared-inta`
//! pairs the network adapter with the display adapter, which masters none.
//!
//! Not judged: a CPU write to a dword a device write to which is still on its way (the
//! landing then overwrites it); reads of RAM before the first ISR (nothing announced yet);
//! the head after a soft reset (the profile declares no reset register; rings are
//! programmed once).

use std::collections::VecDeque;

use dirql_sim::{Command, Frame, Routine};

use super::{phase_cpu, Ctx, DeviceProfile, IsrSpan, Ledger, RingDecl, Rule, Violation, TRACED_CPUS};

/// A device write into host RAM seen on the bus and not yet landed.
#[derive(Clone, Copy, Debug)]
struct InFlight {
    /// Its place among the device writes (wrapping, as `host.dma_landed` counts).
    index: u16,
    /// Dword address.
    addr: u32,
    data: u32,
    /// Cycle of its data phase.
    cycle: u64,
}

/// What the rule knows of one declared ring.
#[derive(Clone, Copy, Debug, Default)]
struct RingState {
    base: Option<u32>,
    size: u32,
    tail: u32,
    /// The slot the device is on or goes to next.
    head: u32,
    /// The device wrote the head slot back: it moves on at its next access elsewhere.
    written_back: bool,
}

impl RingState {
    /// Slots the device owns from `head`: (tail - head) mod size; none with the ring off or
    /// the tail out of range.
    fn owned(&self) -> u32 {
        if self.size == 0 || self.tail >= self.size {
            return 0;
        }
        (self.tail + self.size - self.head % self.size) % self.size
    }

    fn distance(&self, slot: u32) -> u32 {
        (slot + self.size - self.head % self.size) % self.size
    }
}

/// IRQL DISPATCH_LEVEL: DPCs run at it; below it a CPU has run the DPCs it queued.
const DISPATCH_LEVEL: u8 = 2;

/// Where a written-back slot stands (`dma-ordering` (c)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owed {
    /// Written back, not yet announced.
    Written,
    /// Announced by a source event at this cycle; its source not yet acknowledged.
    Announced(u64),
    /// Announced at `announced`, acknowledged at `at` by an ISR on `cpu`; `returned` once
    /// that ISR returned.
    Acked { cpu: usize, at: u64, announced: u64, returned: bool },
    /// `cpu` is back below DISPATCH_LEVEL (the DPCs it queued have run: KeLowerIrql drains
    /// them, and a DPC that does nothing takes no time, so it need not show); DPCs still
    /// running on the CPUs in `waiting` (bit N: CPU N) may have taken the causes the ISR
    /// handed over (a driver's DPCs share them).
    Draining { cpu: usize, at: u64, announced: u64, waiting: u8 },
}

/// A slot the device wrote back, owed to the driver's servicing.
#[derive(Clone, Copy, Debug)]
struct WriteBack {
    ring: usize,
    slot: u32,
    /// The last of its data phases among the device writes (as `host.dma_landed` counts).
    last_index: u16,
    cycle: u64,
    owed: Owed,
}

/// The rule's state.
pub struct DmaOrdering {
    profile: DeviceProfile,
    /// Device write data phases into host RAM seen so far (wrapping).
    pushed: u16,
    in_flight: VecDeque<InFlight>,
    /// Cycle of the device's latest source event.
    last_event: Option<u64>,
    spans: [IsrSpan; TRACED_CPUS],
    /// Per CPU: (ISR entry cycle, the last source event before it) of the last ISR it
    /// entered.
    entered: [Option<(u64, Option<u64>)>; TRACED_CPUS],
    /// The same for the latest ISR that returned TRUE (anywhere), with its CPU.
    claimed: Option<(usize, u64, Option<u64>)>,
    rings: Vec<RingState>,
    /// Device writes landed, as of this cycle.
    landed: u16,
    /// Written-back slots not yet read by the driver after they landed.
    write_backs: Vec<WriteBack>,
    /// The device's scratch for [`DeviceProfile::acknowledges`].
    ack_state: u32,
    /// Per CPU: inside a DPC (nested ISRs, spins and synchronized routines included).
    in_dpc: [bool; TRACED_CPUS],
    /// The waveform traces host RAM (`host.dma_landed` or `host.cpuN_ram_read` nonzero
    /// once): a waveform written before they existed reads 0 there, and (c) cannot tell an
    /// unread descriptor from an untraced read, so it judges nothing.
    traced: bool,
    /// This device has written host RAM (in this view of the bus).
    wrote_ram: bool,
    ledger: Ledger,
}

impl DmaOrdering {
    /// A fresh rule for the device `p` describes.
    pub fn new(p: DeviceProfile) -> Self {
        DmaOrdering {
            profile: p,
            pushed: 0,
            in_flight: VecDeque::new(),
            last_event: None,
            spans: [IsrSpan::default(); TRACED_CPUS],
            entered: [None; TRACED_CPUS],
            claimed: None,
            rings: vec![RingState::default(); p.rings.len()],
            landed: 0,
            write_backs: Vec::new(),
            ack_state: 0,
            in_dpc: [false; TRACED_CPUS],
            traced: false,
            wrote_ram: false,
            ledger: Ledger::default(),
        }
    }

    /// The ring and slot whose descriptor holds the dword at `addr`, if any.
    fn slot_of(&self, addr: u32) -> Option<(usize, u32)> {
        self.rings.iter().zip(self.profile.rings).enumerate().find_map(|(i, (r, d))| {
            let off = addr.wrapping_sub(r.base?);
            (r.size > 0 && d.desc_bytes > 0 && off < r.size.saturating_mul(d.desc_bytes))
                .then_some((i, off / d.desc_bytes))
        })
    }

    /// A CPU read `addr`: a written-back slot it belongs to is consumed once its write-back
    /// has landed.
    fn consume(&mut self, addr: u32) {
        let Some((ring, slot)) = self.slot_of(addr) else { return };
        let landed = self.landed;
        let before = self.write_backs.len();
        self.write_backs
            .retain(|w| !(w.ring == ring && w.slot == slot && landed.wrapping_sub(w.last_index) as i16 > 0));
        self.ledger.checked += (before - self.write_backs.len()) as u64;
    }

    /// The device wrote into a ring slot (its data phase number `index`): a write-back.
    fn written_back(&mut self, f: &Frame, ring: usize, slot: u32, index: u16) {
        match self.write_backs.iter_mut().find(|w| w.ring == ring && w.slot == slot && w.owed == Owed::Written) {
            Some(w) => w.last_index = index,
            None => {
                // A slot written back again: an earlier tenure not yet acknowledged is not
                // judged any more (the slot was handed back).
                self.write_backs
                    .retain(|w| !(w.ring == ring && w.slot == slot && !matches!(w.owed, Owed::Acked { .. })));
                self.write_backs.push(WriteBack { ring, slot, last_index: index, cycle: f.cycle, owed: Owed::Written });
            }
        }
    }

    /// An acknowledgement of `sources` in a data phase issued by `isr_cpu` (`None`: not by
    /// an ISR).
    fn acknowledged(&mut self, f: &Frame, sources: u32, isr_cpu: Option<usize>) {
        let decls: &[RingDecl] = self.profile.rings;
        self.write_backs.retain_mut(|w| {
            let Owed::Announced(announced) = w.owed else { return true };
            if decls[w.ring].sources & sources == 0 {
                return true;
            }
            match isr_cpu {
                Some(cpu) => {
                    w.owed = Owed::Acked { cpu, at: f.cycle, announced, returned: false };
                    true
                }
                None => false,
            }
        });
    }

    /// Per CPU: ISR returns and DPC spans, against the acknowledged write-backs.
    fn servicing(&mut self, f: &Frame) {
        let mut ended = 0u8;
        for (cpu, in_dpc) in self.in_dpc.iter_mut().enumerate() {
            let r = f.routine_of(cpu);
            // An ISR (this device's, or the other device's chained after it on a shared line)
            // interrupts the DPC; the other driver's own code after it means it ended.
            let ends = *in_dpc
                && !matches!(
                    r,
                    Some(Routine::Dpc | Routine::Isr | Routine::ForeignIsr | Routine::Spin | Routine::Sync)
                );
            *in_dpc = (*in_dpc && !ends) || (!*in_dpc && r == Some(Routine::Dpc));
            ended |= u8::from(ends) << cpu;
        }
        let running = self.in_dpc.iter().enumerate().fold(0u8, |m, (i, &d)| m | u8::from(d) << i);
        let returned = (0..TRACED_CPUS).fold(0u8, |m, c| m | u8::from(f.isr_return(c).is_some()) << c);
        let below_dispatch = (0..TRACED_CPUS).fold(0u8, |m, c| m | u8::from(f.irql[c] < DISPATCH_LEVEL) << c);
        let decls: &[RingDecl] = self.profile.rings;
        let mut late = Vec::new();
        self.write_backs.retain_mut(|w| {
            match &mut w.owed {
                Owed::Acked { cpu, at, announced, returned: ret } => {
                    let bit = 1u8 << *cpu;
                    if returned & bit != 0 && *at < f.cycle {
                        *ret = true;
                    }
                    if *ret && below_dispatch & bit != 0 {
                        w.owed = Owed::Draining { cpu: *cpu, at: *at, announced: *announced, waiting: running & !bit };
                    }
                }
                Owed::Draining { waiting, .. } => *waiting &= !ended,
                _ => {}
            }
            if let Owed::Draining { cpu, at, announced, waiting: 0 } = w.owed {
                late.push((cpu, decls[w.ring].name, w.slot, w.cycle, announced, at));
                return false;
            }
            true
        });
        for (cpu, ring, slot, written, announced, at) in late {
            if self.traced {
                let r = f.routine_of(cpu);
                self.ledger.checked += 1;
                self.ledger.violations.push(
                    Violation::new(
                        f.cycle,
                        format!(
                            "CPU{cpu} is back below DISPATCH_LEVEL after its ISR (its DPCs run) and no DPC \
                             runs elsewhere, and no CPU had read slot {slot} of the {ring} ring since the device wrote it back (cycle {written}, announced by a source event at cycle \
                             {announced}) and that ISR acknowledged its source (cycle {at}): an acknowledged descriptor \
                             left for a later interrupt (did the driver look at the ring before it read and acknowledged \
                             the device?)"
                        ),
                    )
                    .on(cpu, r)
                    .signals(&["dev_events", "cpu0_ram_read", "cpu1_ram_read", "dma_landed", "cpu0_routine", "cpu1_routine"]),
                );
            }
        }
    }

    /// The announcement a read by `cpu` follows: (the ISR's CPU, its entry, the source event
    /// before it), the later of the two candidates.
    fn announced(&self, cpu: usize) -> Option<(usize, u64, u64)> {
        let own = self.entered[cpu].and_then(|(s, e)| e.map(|e| (cpu, s, e)));
        let claimed = self.claimed.and_then(|(c, s, e)| e.map(|e| (c, s, e)));
        match (own, claimed) {
            (Some(a), Some(b)) => Some(if b.2 > a.2 { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    fn check_read(&mut self, f: &Frame, cpu: usize, addr: u32) {
        let Some((isr_cpu, entry, event)) = self.announced(cpu) else { return };
        if !self.wrote_ram {
            // This device has written no host RAM: the read is not of its DMA (on a shared
            // bus, another device's driver's).
            return;
        }
        self.ledger.checked += 1;
        let Some(w) = self.in_flight.iter().find(|w| w.addr == addr && w.cycle < event) else { return };
        let whose =
            if isr_cpu == cpu { "its ISR".to_string() } else { format!("the ISR that returned TRUE on CPU{isr_cpu}") };
        self.ledger.violations.push(
            Violation::new(
                f.cycle,
                format!(
                    "CPU{cpu} read host RAM {addr:#010x} while the device's Memory Write of it (data phase at cycle {}, \
                     data {:#010x}) had not reached host memory; the device announced it (a source event at cycle \
                     {event}, before {whose} was entered at cycle {entry}): the driver consumed stale data. With \
                     INTA#, which passes posted writes, the driver must read the device first (the read's completion \
                     pushes the device's writes into host RAM); an MSI is ordered behind them",
                    w.cycle, w.data
                ),
            )
            .on(cpu, f.routine_of(cpu))
            .signals(&[
                if cpu == 0 { "cpu0_ram_read" } else { "cpu1_ram_read" },
                "dma_landed",
                "dev_events",
                "dev_inta_n",
                "cpu0_routine",
                "cpu1_routine",
            ]),
        );
    }

    /// The driver's writes of a ring's registers, and the device's accesses to its slots.
    fn rings(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        let Some(ph) = ctx.phase else { return };
        let write = matches!(ph.cmd, Some(Command::MemWrite | Command::MemWriteInvalidate));
        if !ph.by_device {
            if !write || ph.be != 0xF {
                return;
            }
            let t = ctx.target(ph);
            let decls: &[RingDecl] = self.profile.rings;
            for (r, d) in self.rings.iter_mut().zip(decls) {
                if t == d.base {
                    *r = RingState { base: Some(ph.data), head: 0, ..*r };
                } else if t == d.size {
                    *r = RingState { size: ph.data, head: 0, ..*r };
                } else if t == d.tail {
                    r.tail = ph.data;
                }
            }
            return;
        }
        if !matches!(ph.cmd, Some(Command::MemRead | Command::MemReadLine | Command::MemReadMultiple)) && !write {
            return;
        }
        let decls: &[RingDecl] = self.profile.rings;
        for (r, d) in self.rings.iter_mut().zip(decls) {
            let Some(base) = r.base else { continue };
            let off = ph.addr.wrapping_sub(base);
            let in_ring = r.size > 0 && d.desc_bytes > 0 && off < r.size.saturating_mul(d.desc_bytes);
            if !in_ring {
                if r.written_back {
                    r.head = (r.head + 1) % r.size.max(1);
                    r.written_back = false;
                }
                continue;
            }
            let slot = off / d.desc_bytes;
            self.ledger.checked += 1;
            if slot == r.head % r.size && r.written_back {
                // The rest of the write-back of the slot it is on.
                continue;
            }
            if r.written_back {
                r.head = (r.head + 1) % r.size;
                r.written_back = false;
            }
            if r.distance(slot) < r.owned() {
                r.head = slot;
                r.written_back = write;
                continue;
            }
            let what = if write { "wrote" } else { "read" };
            self.ledger.violations.push(
                Violation::new(
                    f.cycle,
                    format!(
                        "the device {what} {:#010x}, slot {slot} of the {} ring, which the driver had not handed it: \
                         the device owns slots {} up to the tail {} (exclusive) of {} ({} owned)",
                        ph.addr,
                        d.name,
                        r.head,
                        r.tail,
                        r.size,
                        r.owned()
                    ),
                )
                .signals(&["ad", "ad_drivers", "frame_n", "probe3", "cpu0_routine", "cpu1_routine"]),
            );
        }
    }
}

impl Rule for DmaOrdering {
    fn name(&self) -> &'static str {
        "dma-ordering"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if !f.rst_n {
            *self = DmaOrdering { ledger: std::mem::take(&mut self.ledger), ..DmaOrdering::new(self.profile) };
            return;
        }
        // Landed: the first `dma_landed` device writes (wrapping).
        self.landed = f.dma_landed;
        self.traced |= f.dma_landed != 0 || f.ram_read != [0; TRACED_CPUS];
        while self.in_flight.front().is_some_and(|w| f.dma_landed.wrapping_sub(w.index) as i16 > 0) {
            self.in_flight.pop_front();
        }
        for cpu in 0..TRACED_CPUS {
            if self.spans[cpu].update(f, cpu) {
                self.entered[cpu] = Some((f.cycle, self.last_event));
            }
            if f.isr_return(cpu) == Some(true) {
                if let Some((s, e)) = self.entered[cpu] {
                    if self.claimed.is_none_or(|(_, _, c)| e > c) {
                        self.claimed = Some((cpu, s, e));
                    }
                }
            }
        }
        if f.ram_read != [0; TRACED_CPUS] {
            for cpu in 0..TRACED_CPUS {
                if let Some(addr) = f.ram_read(cpu) {
                    self.check_read(f, cpu, addr);
                    if !self.write_backs.is_empty() {
                        self.consume(addr);
                    }
                }
            }
        }
        // A data phase of this interval reaches the bridge at the next edge: after this
        // cycle's reads.
        if let Some(ph) = ctx.phase {
            if ph.by_device
                && matches!(ph.cmd, Some(Command::MemWrite | Command::MemWriteInvalidate))
                && dirql_sim::HOST_RAM.contains(&ph.addr)
            {
                let index = self.pushed;
                self.wrote_ram = true;
                self.in_flight.push_back(InFlight { index, addr: ph.addr & !3, data: ph.data, cycle: f.cycle });
                self.pushed = self.pushed.wrapping_add(1);
                if let Some((ring, slot)) = self.slot_of(ph.addr) {
                    self.written_back(f, ring, slot, index);
                }
            } else if !ph.by_device && !self.rings.is_empty() {
                let acked = (self.profile.acknowledges)(&mut self.ack_state, ctx.target(ph), ph);
                if acked != 0 && !self.write_backs.is_empty() {
                    let by_isr = (ph.issuer & 0xF) == Routine::Isr as u16;
                    self.acknowledged(f, acked, phase_cpu(ph).filter(|_| by_isr));
                }
            }
        }
        if !self.rings.is_empty() {
            self.rings(f, ctx);
            self.servicing(f);
        }
        let events = (self.profile.events)(f);
        if events != 0 {
            self.last_event = Some(f.cycle);
            let decls: &[RingDecl] = self.profile.rings;
            for w in &mut self.write_backs {
                if w.owed == Owed::Written && w.cycle < f.cycle && decls[w.ring].sources & events != 0 {
                    w.owed = Owed::Announced(f.cycle);
                }
            }
        }
    }

    /// Without rings (and so no write-back owed) and no host-RAM read pulse in it, a quiet
    /// repeat (`on_repeat` is `on_frame` here) changes nothing but `last_event`, which a
    /// source event stamps with its cycle: `landed` and `traced` take the same values, the
    /// in-flight queue was popped by the same count, the ISR spans are idempotent on an
    /// unchanged routine, no ISR returns and no data phase. A run of repeats leaves the
    /// stamp of the last one. With rings every repeat goes through `on_frame`.
    fn quiet_until(&self, f: &Frame) -> u64 {
        if self.rings.is_empty() && self.write_backs.is_empty() && f.ram_read == [0; TRACED_CPUS] {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Checker, Target, NO_DEVICE};

    static RINGS: &[RingDecl] = &[RingDecl {
        name: "RX",
        base: Target::Bar(0, 0x30),
        size: Target::Bar(0, 0x34),
        tail: Target::Bar(0, 0x3C),
        desc_bytes: 16,
        sources: 1,
    }];

    /// One device with BAR0 at 0x8000_0000, source events in probe 7 and one ring.
    static P: DeviceProfile = DeviceProfile {
        bars: &[Some(super::super::BarDecl { size: 0x1000, io: false })],
        events: |f| f.dev[7],
        // A write of 1s to BAR0+0x10 acknowledges those sources.
        acknowledges: |_, t, ph| {
            if t == Target::Bar(0, 0x10) && ph.cmd == Some(Command::MemWrite) {
                ph.data
            } else {
                0
            }
        },
        rings: RINGS,
        ..NO_DEVICE
    };

    const RAM: u32 = 0x1000_0000;

    /// A bus of frames: each helper appends cycles.
    #[derive(Default)]
    struct Bus(Vec<Frame>);

    impl Bus {
        fn idle(&mut self, n: usize) {
            for _ in 0..n {
                let last = self.0.last().copied().unwrap_or_default();
                self.0.push(Frame {
                    cycle: self.0.len() as u64 + 1,
                    rst_n: true,
                    frame_n: true,
                    irdy_n: true,
                    trdy_n: true,
                    devsel_n: true,
                    stop_n: true,
                    cbe_n: 0xF,
                    routine: last.routine,
                    irql: last.irql,
                    dma_landed: last.dma_landed,
                    ..Frame::default()
                });
            }
        }
        fn last(&mut self) -> &mut Frame {
            self.0.last_mut().expect("a frame")
        }
        /// A one-dword transaction: address phase, one data phase.
        fn txn(&mut self, by_device: bool, cmd: Command, addr: u32, data: u32) {
            self.idle(1);
            let f = self.last();
            f.frame_n = false;
            f.ad = addr;
            f.cbe_n = cmd as u8;
            f.ad_drivers = if by_device { 2 } else { 1 };
            self.idle(1);
            let f = self.last();
            f.irdy_n = false;
            f.trdy_n = false;
            f.devsel_n = false;
            f.ad = data;
            f.cbe_n = 0;
            self.idle(1);
        }
        fn config_bar0(&mut self) {
            self.idle(1);
            let f = self.last();
            f.frame_n = false;
            f.ad = 0x10;
            f.idsel = true;
            f.cbe_n = Command::ConfigWrite as u8;
            f.ad_drivers = 1;
            self.idle(1);
            let f = self.last();
            f.irdy_n = false;
            f.trdy_n = false;
            f.devsel_n = false;
            f.ad = 0x8000_0000;
            f.cbe_n = 0;
            self.idle(1);
        }
        fn check(&self) -> Vec<Violation> {
            let mut c = Checker::with_rules(&P, vec![Box::new(DmaOrdering::new(P))]);
            for f in &self.0 {
                c.feed(f);
            }
            c.finish().remove(0).violations
        }
    }

    /// The device writes a descriptor's status, raises a source, the ISR on CPU0 starts and
    /// CPU0 reads the status: with the write landed before the read (`flush`) or not.
    fn isr_reads_status(flush: bool) -> Vec<Violation> {
        let mut b = Bus::default();
        b.idle(2);
        b.txn(true, Command::MemWrite, RAM + 8, 1);
        b.last().dev[7] = 1;
        b.idle(3);
        b.last().routine[0] = Routine::Isr as u8;
        b.idle(2);
        if flush {
            b.last().dma_landed = 1;
            b.idle(1);
        }
        b.last().ram_read[0] = RAM + 8 + 1;
        b.idle(2);
        b.last().dma_landed = 1;
        b.idle(2);
        b.check()
    }

    #[test]
    fn a_read_of_an_announced_write_before_it_landed_is_stale_and_after_it_is_not() {
        let v = isr_reads_status(false);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].message.contains("0x10000008") && v[0].message.contains("stale"), "{}", v[0].message);
        assert!(isr_reads_status(true).is_empty());
    }

    #[test]
    fn a_write_after_the_announcement_is_not_judged() {
        let mut b = Bus::default();
        b.idle(2);
        b.last().dev[7] = 1;
        b.idle(2);
        b.last().routine[0] = Routine::Isr as u8;
        b.txn(true, Command::MemWrite, RAM + 8, 1);
        b.last().ram_read[0] = RAM + 8 + 1;
        b.idle(2);
        assert!(b.check().is_empty());
    }

    /// The driver hands the device RX slots 0..tail; the device then reads `slot`.
    fn device_reads_slot(tail: u32, slot: u32) -> Vec<Violation> {
        let mut b = Bus::default();
        b.idle(2);
        b.config_bar0();
        b.txn(false, Command::MemWrite, 0x8000_0030, RAM);
        b.txn(false, Command::MemWrite, 0x8000_0034, 16);
        b.txn(false, Command::MemWrite, 0x8000_003C, tail);
        for s in 0..=slot {
            b.txn(true, Command::MemRead, RAM + 16 * s, 0);
            b.txn(true, Command::MemWrite, RAM + 16 * s + 8, 1);
        }
        b.check()
    }

    /// The RX ring programmed, slot 0 handed over; the device writes it back and raises
    /// source 0; CPU0's ISR acknowledges it (a W1C it issues), reads slot 0 after the
    /// write-back landed or not (`reads`), returns, and CPU0 drops below DISPATCH_LEVEL.
    fn isr_acknowledges_write_back(reads: bool) -> Vec<Violation> {
        let mut b = Bus::default();
        b.idle(2);
        b.config_bar0();
        b.txn(false, Command::MemWrite, 0x8000_0030, RAM);
        b.txn(false, Command::MemWrite, 0x8000_0034, 16);
        b.txn(false, Command::MemWrite, 0x8000_003C, 1);
        b.txn(true, Command::MemWrite, RAM + 8, 1);
        b.idle(1);
        b.last().dma_landed = 1;
        b.last().dev[7] = 1;
        b.idle(2);
        b.last().routine[0] = Routine::Isr as u8;
        b.last().irql[0] = 5;
        b.txn(false, Command::MemWrite, 0x8000_0010, 1);
        // The ISR's write: issued by CPU0's ISR.
        let n = b.0.len();
        for f in &mut b.0[n - 3..] {
            f.bus_cpu = 1;
            f.bus_issuer = Routine::Isr as u16 | 5 << 8;
        }
        if reads {
            b.last().ram_read[0] = RAM + 8 + 1;
            b.idle(2);
        }
        b.last().isr_ret = 2;
        b.last().routine[0] = Routine::Thread as u8;
        b.last().irql[0] = 0;
        b.idle(3);
        b.check()
    }

    #[test]
    fn an_acknowledged_write_back_nobody_read_is_left_for_a_later_interrupt() {
        let v = isr_acknowledges_write_back(false);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].message.contains("slot 0 of the RX ring") && v[0].message.contains("acknowledged"),
            "{}",
            v[0].message
        );
        assert!(isr_acknowledges_write_back(true).is_empty());
    }

    #[test]
    fn a_waveform_without_the_host_ram_trace_is_not_judged_for_unread_descriptors() {
        let mut b = Bus::default();
        b.idle(2);
        b.config_bar0();
        b.txn(false, Command::MemWrite, 0x8000_0030, RAM);
        b.txn(false, Command::MemWrite, 0x8000_0034, 16);
        b.txn(false, Command::MemWrite, 0x8000_003C, 1);
        b.txn(true, Command::MemWrite, RAM + 8, 1);
        b.last().dev[7] = 1;
        b.idle(2);
        b.last().routine[0] = Routine::Isr as u8;
        b.last().irql[0] = 5;
        b.txn(false, Command::MemWrite, 0x8000_0010, 1);
        let n = b.0.len();
        for f in &mut b.0[n - 3..] {
            f.bus_cpu = 1;
            f.bus_issuer = Routine::Isr as u16 | 5 << 8;
        }
        b.last().isr_ret = 2;
        b.last().routine[0] = Routine::Thread as u8;
        b.last().irql[0] = 0;
        b.idle(3);
        // No host.dma_landed, no host.cpuN_ram_read: nothing to judge (c) by.
        assert!(b.0.iter().all(|f| f.dma_landed == 0 && f.ram_read == [0; TRACED_CPUS]));
        assert!(b.check().is_empty());
    }

    #[test]
    fn the_device_touches_only_the_slots_handed_over() {
        assert!(device_reads_slot(3, 2).is_empty());
        let v = device_reads_slot(3, 3);
        assert_eq!(v.len(), 2, "the read and the write-back of slot 3: {v:?}");
        assert!(v[0].message.contains("slot 3 of the RX ring"), "{}", v[0].message);
        // Tail 0: nothing handed over at all.
        assert!(!device_reads_slot(0, 0).is_empty());
    }
}
