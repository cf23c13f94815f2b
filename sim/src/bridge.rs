//! The host bridge: the CPU side's only way onto the PCI bus. It masters conventional PCI
//! transactions signal by signal (PCI Local Bus Spec 3.0, ch. 3), holds MMIO writes in a
//! posted-write buffer (3.2.5: posting; a read pushes every earlier posted write ahead of
//! it), and reports every way a target can answer.
//!
//! Timing convention: [`PciHostBridge::tick`] for cycle k sees the bus of interval k-1 (what
//! is sampled at edge k) and chooses what the host drives in interval k.

use std::collections::VecDeque;

use crate::{Bus, Cycle, Drive, PinFault};

/// PCI bus commands (C/BE#[3:0] in the address phase), spec table 3-1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Command {
    /// I/O Read.
    IoRead = 0b0010,
    /// I/O Write.
    IoWrite = 0b0011,
    /// Memory Read.
    MemRead = 0b0110,
    /// Memory Write.
    MemWrite = 0b0111,
    /// Configuration Read (type 0: the bridge asserts the device's IDSEL).
    ConfigRead = 0b1010,
    /// Configuration Write.
    ConfigWrite = 0b1011,
    /// Memory Read Multiple.
    MemReadMultiple = 0b1100,
    /// Memory Read Line.
    MemReadLine = 0b1110,
    /// Memory Write and Invalidate.
    MemWriteInvalidate = 0b1111,
}

impl Command {
    /// True for commands whose data flows from the master to the target.
    pub fn is_write(self) -> bool {
        matches!(self, Command::IoWrite | Command::MemWrite | Command::ConfigWrite | Command::MemWriteInvalidate)
    }

    /// True for configuration commands.
    pub fn is_config(self) -> bool {
        matches!(self, Command::ConfigRead | Command::ConfigWrite)
    }

    /// The command for a C/BE# code, if it is one the bridge issues.
    pub fn from_code(c: u8) -> Option<Self> {
        use Command::*;
        Some(match c {
            0b0010 => IoRead,
            0b0011 => IoWrite,
            0b0110 => MemRead,
            0b0111 => MemWrite,
            0b1010 => ConfigRead,
            0b1011 => ConfigWrite,
            0b1100 => MemReadMultiple,
            0b1110 => MemReadLine,
            0b1111 => MemWriteInvalidate,
            _ => return None,
        })
    }
}

/// One data phase: the dword (written, or read back) and its byte enables (active high).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase {
    /// Data written, or data read once complete.
    pub data: u32,
    /// Byte enables, bit n = byte lane n (active high; driven inverted on C/BE#).
    pub be: u8,
}

/// A transaction a CPU asks of the bridge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Bus command.
    pub cmd: Command,
    /// Byte address of the first data phase (dword aligned for memory and config).
    pub addr: u32,
    /// The data phases, in address order (linear burst).
    pub phases: Vec<Phase>,
    /// Who asked: the CPU index (used for tracing and for handing back the completion).
    pub origin: u8,
    /// Who asked, as it stood when it asked, for tracing (`host.bus_issuer`): [3:0] the
    /// routine code ([`crate::Routine`]), [4] it held the interrupt lock, [12:8] its IRQL.
    /// A posted write reaches the bus later, when its CPU may be elsewhere.
    pub issuer: u16,
    /// Caller's tag, returned in the [`Completion`].
    pub tag: u64,
}

impl Request {
    /// A single-dword transaction with all byte enables.
    pub fn single(cmd: Command, addr: u32, data: u32, origin: u8, tag: u64) -> Self {
        Request { cmd, addr, phases: vec![Phase { data, be: 0xF }], origin, issuer: 0, tag }
    }
}

/// How a transaction ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every data phase completed.
    Ok,
    /// No target claimed it (no DEVSEL#): reads return all ones (spec 3.3.3.1).
    MasterAbort,
    /// The target signalled target abort (STOP# with DEVSEL# deasserted).
    TargetAbort,
    /// The target kept answering retry beyond the bridge's budget.
    RetryExhausted,
}

/// The bridge's answer to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The request's tag.
    pub tag: u64,
    /// The request's origin.
    pub origin: u8,
    /// How it ended.
    pub status: Status,
    /// For reads, one dword per requested phase (all ones where nothing was read).
    pub data: Vec<u32>,
    /// Cycle at which it ended.
    pub cycle: Cycle,
}

/// Something the bridge noticed that a report should name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BridgeEvent {
    /// No DEVSEL# for the transaction at `addr` (reads return all ones).
    MasterAbort {
        /// When.
        cycle: Cycle,
        /// Command.
        cmd: Command,
        /// Address.
        addr: u32,
    },
    /// Target abort at `addr`: STOP# with DEVSEL# deasserted after DEVSEL# had been
    /// asserted (PCI 3.0 §3.3.3.2.1). Reads return all ones, as x86 host bridges complete a
    /// CPU read that the target aborted.
    TargetAbort {
        /// When.
        cycle: Cycle,
        /// Address.
        addr: u32,
    },
    /// A target reported a data parity error (PERR#) on a write the bridge mastered.
    ParityError {
        /// When PERR# was seen.
        cycle: Cycle,
    },
    /// An MSI write accepted on the bus and dropped by [`Faults::drop_msi_every`].
    MsiDropped {
        /// When the write completed.
        cycle: Cycle,
        /// Message Address.
        addr: u32,
        /// Message Data.
        data: u32,
    },
    /// Retry budget exhausted at `addr`.
    RetryExhausted {
        /// When.
        cycle: Cycle,
        /// Address.
        addr: u32,
        /// Retries seen.
        retries: u32,
    },
}

/// Settings of the bridge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BridgeConfig {
    /// Posted-write buffer depth; 0 disables posting (every write waits for completion).
    pub posted_depth: usize,
    /// Cycles a posted write waits in the buffer before the bridge starts it on the bus,
    /// unless a later read pushes it out first.
    pub drain_delay: u32,
    /// Retries of one transaction before it is given up.
    pub retry_limit: u32,
    /// Injected faults.
    pub faults: Faults,
    /// Cycles a write a device masters into host RAM (DMA, or an MSI) waits in the
    /// bridge's upstream posted-write queue before it reaches memory (or the local APIC),
    /// in order, unless a read completion pushes it out first (PCI 3.0 3.2.5 and
    /// appendix E: a read completion never passes a posted write). 0: at once.
    pub upstream_delay: u32,
}

impl Default for BridgeConfig {
    fn default() -> Self {
        BridgeConfig { posted_depth: 4, drain_delay: 12, retry_limit: 64, faults: Faults::default(), upstream_delay: 0 }
    }
}

/// Host RAM as devices see it on the bus: a Memory Read or Write a device masters into this
/// window is claimed by the host bridge (DMA; fast DEVSEL#, no wait states, bursts).
pub const HOST_RAM: std::ops::Range<u32> = 0x1000_0000..0x1100_0000;

/// Host RAM, by dword (sparse: only what was written). It also knows which device writes
/// are still on their way to it (in the bridge's upstream queue), for the `dma-ordering`
/// rule's trace (`host.dma_landed`) and for harm oracles (`Cpu::host_peek_eventual`).
#[derive(Clone, Debug, Default)]
pub struct HostMemory {
    words: std::collections::HashMap<u32, u32>,
    /// Device writes queued upstream and not yet in RAM, by dword: (data, byte enables),
    /// oldest first.
    in_flight: std::collections::HashMap<u32, VecDeque<(u32, u8)>>,
    /// Device writes that reached RAM since reset.
    landed: u64,
}

impl HostMemory {
    /// The dword at `addr` (its low two bits ignored); 0 where nothing was written.
    pub fn read32(&self, addr: u32) -> u32 {
        self.words.get(&(addr >> 2)).copied().unwrap_or(0)
    }

    /// Writes the bytes `be` selects (bit n = byte lane n) of `data` into the dword at `addr`.
    pub fn write(&mut self, addr: u32, data: u32, be: u8) {
        let mask = (0..4).filter(|l| be & (1 << l) != 0).fold(0u32, |m, l| m | 0xFF << (8 * l));
        let w = self.words.entry(addr >> 2).or_insert(0);
        *w = (*w & !mask) | (data & mask);
    }

    /// A device's write of the bytes `be` selects of `data` at `addr` entered the bridge's
    /// upstream queue: RAM does not show it yet.
    pub fn queue_device_write(&mut self, addr: u32, data: u32, be: u8) {
        self.in_flight.entry(addr >> 2).or_default().push_back((data, be));
    }

    /// The oldest queued device write (of [`HostMemory::queue_device_write`]) reaches RAM.
    pub fn land_device_write(&mut self, addr: u32, data: u32, be: u8) {
        self.write(addr, data, be);
        self.landed += 1;
        if let Some(q) = self.in_flight.get_mut(&(addr >> 2)) {
            q.pop_front();
            if q.is_empty() {
                self.in_flight.remove(&(addr >> 2));
            }
        }
    }

    /// Device writes that reached RAM since reset.
    pub fn device_writes_landed(&self) -> u64 {
        self.landed
    }

    /// The dword at `addr` as it will be once every device write queued for it has
    /// landed, when one is queued (`None`: RAM already shows what the device wrote).
    pub fn in_flight_value(&self, addr: u32) -> Option<u32> {
        let q = self.in_flight.get(&(addr >> 2))?;
        Some(q.iter().fold(self.read32(addr), |w, &(data, be)| {
            let mask = (0..4).filter(|l| be & (1 << l) != 0).fold(0u32, |m, l| m | 0xFF << (8 * l));
            (w & !mask) | (data & mask)
        }))
    }
}

/// A write a device mastered, waiting in the bridge's upstream queue.
#[derive(Clone, Copy, Debug)]
enum Upstream {
    /// Into host RAM.
    Write { addr: u32, data: u32, be: u8 },
    /// A message for a local APIC.
    Msi(MsiMessage),
}

/// The bridge as target of a device's access to host RAM.
#[derive(Clone, Copy, Debug)]
struct HostAccess {
    write: bool,
    /// Address of the data phase under way.
    addr: u32,
    /// A read: the turnaround clock is over and data is on AD.
    data_on: bool,
}

/// Faults the bridge injects on purpose, to show that each ends in a report, never a hang.
///
/// The first two are the master's own doing. The target's answers (target abort, retry)
/// and the broken-RTL variants are made by the wrapper's pin-fault stage, which the
/// bridge arms through `h_fault_i` in the address phase of the transaction concerned
/// ([`PinFault`]); the bridge then learns of them only from the bus, like any master.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Every Nth memory or I/O transaction is sent to an address nobody decodes (top bit
    /// flipped): a real master abort on the bus.
    pub master_abort_every: Option<u32>,
    /// Every Nth write data phase is driven with wrong PAR: the target must answer PERR#.
    pub bad_parity_every: Option<u32>,
    /// Every Nth MSI write is accepted on the bus (TRDY#) and then thrown away instead of
    /// being delivered, as an interrupt-remapping entry that is missing would: the device
    /// believes it signalled, no CPU ever hears of it.
    pub drop_msi_every: Option<u32>,
    /// Every Nth memory or I/O address phase (re-issues counted) is answered with target
    /// abort by the pin-fault stage.
    pub target_abort_every: Option<u32>,
    /// Every address phase in cycles `from..to` (re-issues included) is answered with
    /// retry by the pin-fault stage: a retry storm. A transaction caught in it is issued
    /// again until the window closes or [`BridgeConfig::retry_limit`] is used up.
    pub retry_window: Option<(Cycle, Cycle)>,
    /// A broken-RTL variant of the device: the pin-fault stage applies it to every
    /// transaction of the run.
    pub rtl_mutant: Option<PinFault>,
    /// From this cycle on the arbiter parks GNT# on the device in slot 0 and never takes
    /// it back (a stuck arbiter): the bridge's own transactions never start, and a CPU
    /// waiting for one waits for ever (the machine's progress watchdog stops the run).
    pub stuck_grant_from: Option<Cycle>,
}

/// The x86 MSI address window (Intel SDM vol. 3, 11.11.1): a memory write here is an
/// interrupt message, not memory.
pub const MSI_WINDOW: std::ops::RangeInclusive<u32> = 0xFEE0_0000..=0xFEEF_FFFF;

/// A message-signalled interrupt the bridge received as target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsiMessage {
    /// Cycle the write completed.
    pub cycle: Cycle,
    /// Address written (encodes the destination CPU on x86).
    pub addr: u32,
    /// Data written (the vector; the low bits carry the message number with multiple
    /// messages).
    pub data: u32,
}

/// A request refused by [`PciHostBridge::submit`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The posted-write buffer is full; try again next cycle.
    #[error("posted-write buffer full")]
    PostedFull,
    /// A request with no data phase.
    #[error("request at {addr:#010x} has no data phase")]
    Empty {
        /// Address of the request.
        addr: u32,
    },
}

/// What the master is doing on the bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Not on the bus.
    Idle,
    /// Drove the address phase in the previous interval.
    Address,
    /// In data phases; `since` counts intervals since the address phase.
    Data { since: u32, devsel_seen: bool },
    /// Target stopped us with FRAME# still asserted: one last phase with FRAME# high.
    Stopping { since: u32, devsel_seen: bool },
    /// One released cycle after the transaction (turnaround).
    Release,
}

struct Active {
    req: Request,
    /// Data phases completed so far.
    done: usize,
    /// `done` when the current (re-)issue started: no progress since means a retry.
    issued_at: usize,
    /// Read data collected.
    read: Vec<u32>,
    retries: u32,
    posted: bool,
}

/// The host bridge as bus master.
pub struct PciHostBridge {
    cfg: BridgeConfig,
    queue: VecDeque<Request>,
    posted: VecDeque<(Request, Cycle)>,
    active: Option<Active>,
    state: State,
    /// What we drove in the previous interval (bus-master fields only are meaningful).
    prev: Drive,
    completions: Vec<Completion>,
    events: Vec<BridgeEvent>,
    transactions: u64,
    /// Transactions and write phases counted for fault injection.
    fault_txn: u32,
    fault_phase: u32,
    fault_target_abort: u32,
    /// `h_fault_i` when no single transaction is armed: the RTL variant, or 0.
    idle_fault: u8,
    /// The device holds the bus: GNT# given.
    granted: Option<u8>,
    /// The slot granted last (round robin between the two REQ#s of a two-slot model).
    last_grant: u8,
    /// Slot 1's REQ# is asserted (two-slot models: [`PciHostBridge::set_slot1_request`]).
    req1: bool,
    /// As target: an MSI write being received (address, data so far).
    target: Option<(u32, Option<u32>)>,
    target_release: bool,
    msis: Vec<MsiMessage>,
    /// MSI writes received, counted for fault injection.
    fault_msi: u32,
    /// Host RAM, for the devices' DMA and the CPUs' own accesses (shared with the CPUs,
    /// which reach it without the bus).
    ram: std::rc::Rc<std::cell::RefCell<HostMemory>>,
    /// Device writes on their way to host RAM (and messages to the local APICs), in order,
    /// each with the cycle it arrives.
    upstream: VecDeque<(Cycle, Upstream)>,
    /// A device's access to host RAM under way.
    host_access: Option<HostAccess>,
}

const RELEASED: Drive = Drive::idle();

impl PciHostBridge {
    /// A bridge with nothing queued.
    pub fn new(cfg: BridgeConfig) -> Self {
        PciHostBridge {
            cfg,
            queue: VecDeque::new(),
            posted: VecDeque::new(),
            active: None,
            state: State::Idle,
            prev: RELEASED,
            completions: Vec::new(),
            events: Vec::new(),
            transactions: 0,
            fault_txn: 0,
            fault_phase: 0,
            fault_target_abort: 0,
            idle_fault: cfg.faults.rtl_mutant.map_or(0, PinFault::armed),
            granted: None,
            last_grant: 1,
            req1: false,
            target: None,
            target_release: false,
            msis: Vec::new(),
            fault_msi: 0,
            ram: Default::default(),
            upstream: VecDeque::new(),
            host_access: None,
        }
    }

    /// Host RAM as the CPUs see it (what the devices' writes have reached), shared: the
    /// CPUs read and write it without the bus (coherent caches).
    pub fn ram(&self) -> std::rc::Rc<std::cell::RefCell<HostMemory>> {
        self.ram.clone()
    }

    /// Device writes (and messages) not yet in host RAM (or at a local APIC).
    pub fn upstream_depth(&self) -> usize {
        self.upstream.len()
    }

    /// Puts every queued upstream write into host RAM, in order (a read completion pushes
    /// them ahead of itself).
    fn flush_upstream(&mut self) {
        while let Some((_, u)) = self.upstream.pop_front() {
            self.retire(u);
        }
    }

    fn retire(&mut self, u: Upstream) {
        match u {
            Upstream::Write { addr, data, be, .. } => self.ram.borrow_mut().land_device_write(addr, data, be),
            Upstream::Msi(msg) => self.msis.push(msg),
        }
    }

    /// Retires the upstream writes whose delay is over, in order.
    fn drain_upstream(&mut self, now: Cycle) {
        while self.upstream.front().is_some_and(|&(at, _)| at <= now) {
            if let Some((_, u)) = self.upstream.pop_front() {
                self.retire(u);
            }
        }
    }

    /// Queues a device's write (or message) upstream: it arrives `upstream_delay` cycles
    /// from `now`, at once when that is 0.
    fn post_upstream(&mut self, now: Cycle, u: Upstream) {
        if let Upstream::Write { addr, data, be } = u {
            self.ram.borrow_mut().queue_device_write(addr, data, be);
        }
        self.upstream.push_back((now + Cycle::from(self.cfg.upstream_delay), u));
        if self.cfg.upstream_delay == 0 {
            self.drain_upstream(now);
        }
    }

    /// The bridge's settings.
    pub fn config(&self) -> &BridgeConfig {
        &self.cfg
    }

    /// Hands a request to the bridge. Memory writes are posted while there is room (the
    /// CPU may go on at once: `Ok(true)`); everything else waits for its [`Completion`]
    /// (`Ok(false)`).
    pub fn submit(&mut self, req: Request, now: Cycle) -> Result<bool, SubmitError> {
        if req.phases.is_empty() {
            return Err(SubmitError::Empty { addr: req.addr });
        }
        let postable = matches!(req.cmd, Command::MemWrite | Command::MemWriteInvalidate);
        if postable && self.cfg.posted_depth > 0 {
            if self.posted.len() >= self.cfg.posted_depth {
                return Err(SubmitError::PostedFull);
            }
            let ready = now + Cycle::from(self.cfg.drain_delay);
            self.posted.push_back((req, ready));
            return Ok(true);
        }
        self.queue.push_back(req);
        Ok(false)
    }

    /// True when `req` is a write the bridge would post but its posted-write buffer is full
    /// (so [`PciHostBridge::submit`] would refuse it).
    pub fn posted_full(&self, req: &Request) -> bool {
        matches!(req.cmd, Command::MemWrite | Command::MemWriteInvalidate)
            && self.cfg.posted_depth > 0
            && self.posted.len() >= self.cfg.posted_depth
    }

    /// Completed non-posted requests since the last call.
    pub fn take_completions(&mut self) -> std::vec::Drain<'_, Completion> {
        self.completions.drain(..)
    }

    /// True when completions are waiting to be taken.
    pub fn has_completions(&self) -> bool {
        !self.completions.is_empty()
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<BridgeEvent> {
        std::mem::take(&mut self.events)
    }

    /// Writes waiting in the posted-write buffer (including one on the bus).
    pub fn posted_depth(&self) -> usize {
        self.posted.len() + usize::from(self.active.as_ref().is_some_and(|a| a.posted))
    }

    /// True when nothing is queued, posted or on the bus.
    pub fn is_quiet(&self) -> bool {
        self.active.is_none()
            && self.queue.is_empty()
            && self.posted.is_empty()
            && self.state == State::Idle
            && self.granted.is_none()
            && self.target.is_none()
            && !self.target_release
            && self.host_access.is_none()
            && self.upstream.is_empty()
    }

    /// MSI messages received since the last call.
    pub fn take_msis(&mut self) -> std::vec::Drain<'_, MsiMessage> {
        self.msis.drain(..)
    }

    /// True when MSI messages are waiting to be taken.
    pub fn has_msis(&self) -> bool {
        !self.msis.is_empty()
    }

    /// Transactions started on the bus so far (retries included).
    pub fn transactions(&self) -> u64 {
        self.transactions
    }

    /// What the bridge drives on `h_fault_i` while it arms no single transaction (always
    /// the case while it [is quiet](PciHostBridge::is_quiet)).
    pub fn idle_fault(&self) -> u8 {
        self.idle_fault
    }

    /// The command and address of the request tagged `tag`, on the bus or waiting for it
    /// (what a CPU stuck on its access was waiting for).
    pub fn request_of(&self, tag: u64) -> Option<(Command, u32)> {
        let active = self.active.as_ref().map(|a| &a.req);
        active
            .into_iter()
            .chain(self.queue.iter())
            .chain(self.posted.iter().map(|(r, _)| r))
            .find(|r| r.tag == tag)
            .map(|r| (r.cmd, r.addr))
    }

    /// The origin of the transaction on the bus, if any.
    pub fn bus_owner(&self) -> Option<u8> {
        self.active.as_ref().map(|a| a.req.origin)
    }

    /// Who issued the transaction on the bus, if any ([`Request::issuer`]).
    pub fn bus_issuer(&self) -> Option<u16> {
        self.active.as_ref().map(|a| a.req.issuer)
    }

    /// Slot 1's REQ# as it stood in the previous interval (two-slot models; set before
    /// [`PciHostBridge::tick`]).
    pub fn set_slot1_request(&mut self, asserted: bool) {
        self.req1 = asserted;
    }

    /// Advances one cycle: `bus` is the wired bus of the previous interval; the host's
    /// master signals for this interval are written into `d`.
    pub fn tick(&mut self, now: Cycle, bus: &Bus, d: &mut Drive) {
        let mut next = Drive { fault: self.idle_fault, ..RELEASED };
        // PAR covers AD and C/BE# of the previous interval (spec 3.7.1), driven by whoever
        // drove AD then.
        if self.prev.ad_oe != 0 {
            next.par = ((self.prev.ad.count_ones() + u32::from(self.prev.cbe_n & 0xF).count_ones()) & 1) as u8;
            next.par_oe = 1;
            // Fault: wrong parity on every Nth write data phase (after an IRDY# phase).
            if let Some(n) = self.cfg.faults.bad_parity_every.filter(|&n| n > 0) {
                if self.prev.irdy_n == 0 {
                    self.fault_phase += 1;
                    if self.fault_phase.is_multiple_of(n) {
                        next.par ^= 1;
                    }
                }
            }
        }
        if bus.perr_n == 0 {
            self.events.push(BridgeEvent::ParityError { cycle: now });
        }
        self.serve_as_target(now, bus, &mut next);
        match self.state {
            State::Idle => self.start(now, bus, &mut next),
            State::Release => {
                self.state = State::Idle;
                // Starting in this very interval would give a fast back-to-back transaction;
                // the bridge always leaves one idle clock (spec 3.4.2), so nothing here.
            }
            State::Address => {
                self.state = State::Data { since: 1, devsel_seen: false };
                self.drive_phase(&mut next);
            }
            State::Data { since, devsel_seen } | State::Stopping { since, devsel_seen } => {
                let stopping = matches!(self.state, State::Stopping { .. });
                self.data_phase(now, bus, &mut next, since + 1, devsel_seen || bus.devsel_n == 0, stopping);
            }
        }
        self.prev = next;
        d.frame_n = next.frame_n;
        d.irdy_n = next.irdy_n;
        d.cbe_n = next.cbe_n;
        d.ad = next.ad;
        d.ad_oe = next.ad_oe;
        d.par = next.par;
        d.par_oe = next.par_oe;
        d.idsel = next.idsel;
        d.idsel1 = next.idsel1;
        d.gnt_n = next.gnt_n;
        d.gnt1_n = next.gnt1_n;
        d.devsel_n = next.devsel_n;
        d.trdy_n = next.trdy_n;
        d.stop_n = next.stop_n;
        d.fault = next.fault;
    }

    /// The bridge as arbiter and as target of the device's MSI writes (spec 3.4 and 6.8):
    /// GNT# goes to the device while it requests and the bridge has nothing of its own on
    /// the bus; a memory write into [`MSI_WINDOW`] is claimed with fast DEVSEL# and no wait
    /// states, and becomes an [`MsiMessage`].
    fn serve_as_target(&mut self, now: Cycle, bus: &Bus, next: &mut Drive) {
        if !self.upstream.is_empty() {
            self.drain_upstream(now);
        }
        let req = [bus.req_n == 0, self.req1];
        let stuck = self.cfg.faults.stuck_grant_from.is_some_and(|at| now >= at);
        if stuck {
            self.granted = Some(0);
        }
        if self.granted.is_none() && self.target.is_none() && !self.target_release && !req[0] && !req[1] {
            return; // nobody else wants the bus: the common case, kept cheap
        }
        // Arbitration: one grant at a time, never while our own transaction is under way;
        // with two requesters (a two-slot model), round robin.
        if let Some(g) = self.granted {
            let keep = stuck
                || req[usize::from(g)]
                || self.target.is_some()
                || self.host_access.is_some()
                || bus.frame_n == 0
                || bus.irdy_n == 0;
            if !keep {
                self.granted = None;
            }
        } else if (req[0] || req[1]) && self.state == State::Idle && self.active.is_none() {
            let other = 1 - self.last_grant;
            let g = if req[usize::from(other)] { other } else { self.last_grant };
            self.granted = Some(g);
            self.last_grant = g;
        }
        next.gnt_n = u8::from(self.granted != Some(0));
        next.gnt1_n = u8::from(self.granted != Some(1));
        if self.target_release {
            // One clock driving DEVSEL#/TRDY# high after the last phase (sustained tri-state).
            self.target_release = false;
        }
        if self.serve_host_ram(now, bus, next) {
            return;
        }
        let ours = self.prev.frame_n == 0 || self.prev.irdy_n == 0;
        match self.target {
            None => {
                // An address phase someone else drove: FRAME# newly asserted, not by us.
                let fresh = bus.frame_n == 0 && self.prev.frame_n == 1 && self.prev.irdy_n == 1 && !ours;
                if fresh && self.granted.is_some() && HOST_RAM.contains(&bus.ad) {
                    self.claim_host_ram(bus, next);
                } else if fresh
                    && self.granted.is_some()
                    && Command::from_code(bus.cbe_n) == Some(Command::MemWrite)
                    && MSI_WINDOW.contains(&bus.ad)
                {
                    self.target = Some((bus.ad, None));
                    next.devsel_n = 0;
                    next.trdy_n = 0;
                }
            }
            Some((addr, data)) => {
                let mut data = data;
                if bus.irdy_n == 0 && bus.trdy_n == 0 {
                    data = Some(bus.ad);
                    self.fault_msi = self.fault_msi.wrapping_add(1);
                    match self.cfg.faults.drop_msi_every.filter(|&n| n > 0) {
                        Some(n) if self.fault_msi.is_multiple_of(n) => {
                            self.events.push(BridgeEvent::MsiDropped { cycle: now, addr, data: bus.ad });
                        }
                        _ => self.post_upstream(now, Upstream::Msi(MsiMessage { cycle: now, addr, data: bus.ad })),
                    }
                }
                if bus.frame_n == 1 && data.is_some() {
                    // Last phase done (an MSI is one dword; a longer burst is disconnected).
                    self.target = None;
                    self.target_release = true;
                } else {
                    self.target = Some((addr, data));
                    next.devsel_n = 0;
                    if data.is_some() {
                        // A second dword is not a message: disconnect without data.
                        next.stop_n = 0;
                    } else {
                        next.trdy_n = 0;
                    }
                }
            }
        }
    }

    /// Claims a device's Memory Read or Write into [`HOST_RAM`] seen in its address phase:
    /// fast DEVSEL#; a write takes data from the next clock, a read drives it after the
    /// turnaround clock. A read first pushes every queued upstream write into RAM.
    fn claim_host_ram(&mut self, bus: &Bus, next: &mut Drive) {
        use Command::*;
        let write = match Command::from_code(bus.cbe_n) {
            Some(MemWrite | MemWriteInvalidate) => true,
            Some(MemRead | MemReadLine | MemReadMultiple) => false,
            _ => return,
        };
        if !write {
            self.flush_upstream();
        }
        self.host_access = Some(HostAccess { write, addr: bus.ad & !3, data_on: false });
        next.devsel_n = 0;
        if write {
            next.trdy_n = 0;
        }
    }

    /// One clock of a device's access to host RAM; false when there is none.
    fn serve_host_ram(&mut self, now: Cycle, bus: &Bus, next: &mut Drive) -> bool {
        let Some(mut a) = self.host_access else { return false };
        let done = bus.irdy_n == 0 && bus.trdy_n == 0;
        if a.write {
            if done {
                self.post_upstream(now, Upstream::Write { addr: a.addr, data: bus.ad, be: !bus.cbe_n & 0xF });
                a.addr = a.addr.wrapping_add(4);
            }
        } else {
            if self.prev.ad_oe != 0 {
                // PAR of the read data we drove, over the C/BE# the master drove with it.
                next.par = ((self.prev.ad.count_ones() + u32::from(bus.cbe_n & 0xF).count_ones()) & 1) as u8;
                next.par_oe = 1;
            }
            if done {
                a.addr = a.addr.wrapping_add(4);
            }
        }
        let last = done && bus.frame_n == 1;
        // The master gave up (FRAME# and IRDY# released without a final data phase).
        let gone = bus.frame_n == 1 && bus.irdy_n == 1 && a.data_on;
        if last || gone {
            self.host_access = None;
            self.target_release = true;
            return true;
        }
        next.devsel_n = 0;
        if a.write {
            next.trdy_n = 0;
        } else {
            a.data_on = true;
            next.trdy_n = 0;
            next.ad = self.ram.borrow().read32(a.addr);
            next.ad_oe = 1;
        }
        self.host_access = Some(a);
        true
    }

    fn start(&mut self, now: Cycle, bus: &Bus, next: &mut Drive) {
        if bus.frame_n == 0
            || bus.irdy_n == 0
            || self.granted.is_some()
            || self.target.is_some()
            || self.host_access.is_some()
        {
            return; // someone else's transaction is still on the bus, or the device has GNT#
        }
        if self.active.is_some() {
            // A transaction the target retried or disconnected: re-issue the rest.
            self.address_phase(now, next);
            return;
        }
        // Ordering (spec 3.2.5, appendix E): a waiting read or non-posted write first
        // pushes every posted write out; otherwise posted writes go once their delay is up.
        let flush = !self.queue.is_empty();
        let take_posted = self.posted.front().is_some_and(|(_, ready)| flush || *ready <= now);
        let (req, posted) = if take_posted {
            match self.posted.pop_front() {
                Some((r, _)) => (r, true),
                None => return,
            }
        } else if self.posted.is_empty() {
            match self.queue.pop_front() {
                Some(r) => (r, false),
                None => return,
            }
        } else {
            return;
        };
        let n = req.phases.len();
        self.active = Some(Active { req, done: 0, issued_at: 0, read: Vec::with_capacity(n), retries: 0, posted });
        self.address_phase(now, next);
    }

    fn address_phase(&mut self, now: Cycle, next: &mut Drive) {
        let Some(a) = self.active.as_mut() else { return };
        self.transactions += 1;
        a.issued_at = a.done;
        next.frame_n = 0;
        next.ad = a.req.addr.wrapping_add(4 * a.done as u32);
        if let Some(n) = self.cfg.faults.master_abort_every.filter(|&n| n > 0 && !a.req.cmd.is_config()) {
            self.fault_txn += 1;
            if self.fault_txn.is_multiple_of(n) {
                next.ad ^= 0x8000_0000; // nobody decodes it: a real master abort
            }
        }
        // The target's answers: armed in the pin-fault stage with this address phase.
        if let Some(n) = self.cfg.faults.target_abort_every.filter(|&n| n > 0 && !a.req.cmd.is_config()) {
            self.fault_target_abort += 1;
            if self.fault_target_abort.is_multiple_of(n) {
                next.fault = PinFault::TargetAbort.armed();
            }
        }
        if self.cfg.faults.retry_window.is_some_and(|(from, to)| (from..to).contains(&now)) {
            next.fault = PinFault::Retry.armed();
        }
        next.ad_oe = 1;
        next.cbe_n = a.req.cmd as u8;
        // Type 0 configuration: the device number (address bits 15:11, as configuration
        // mechanism #1 has it) selects whose IDSEL is asserted; slot N is device N.
        let device = (a.req.addr >> 11) & 0x1F;
        next.idsel = u8::from(a.req.cmd.is_config() && device == 0);
        next.idsel1 = u8::from(a.req.cmd.is_config() && device == 1);
        self.state = State::Address;
    }

    /// Drives data phase `done` of the active request.
    fn drive_phase(&self, next: &mut Drive) {
        let Some(a) = self.active.as_ref() else { return };
        let ph = a.req.phases[a.done];
        next.irdy_n = 0;
        next.frame_n = u8::from(a.done + 1 == a.req.phases.len());
        next.cbe_n = !ph.be & 0xF;
        next.idsel = self.prev.idsel;
        next.idsel1 = self.prev.idsel1;
        if a.req.cmd.is_write() {
            next.ad = ph.data;
            next.ad_oe = 1;
        }
    }

    fn data_phase(&mut self, now: Cycle, bus: &Bus, next: &mut Drive, since: u32, devsel: bool, stopping: bool) {
        let Some(a) = self.active.as_mut() else {
            self.state = State::Idle;
            return;
        };
        // A data phase completes on an edge where IRDY# and TRDY# were both asserted.
        if self.prev.irdy_n == 0 && bus.trdy_n == 0 {
            if !a.req.cmd.is_write() {
                a.read.push(bus.ad);
            }
            a.done += 1;
        }
        if a.done == a.req.phases.len() {
            self.finish(now, Status::Ok);
            return;
        }
        if bus.stop_n == 0 {
            if self.prev.frame_n == 0 {
                // Spec 3.3.3.2: the master deasserts FRAME# and keeps IRDY# asserted until
                // the stop completes; nothing more moves unless TRDY# comes with it.
                self.state = State::Stopping { since, devsel_seen: devsel };
                next.irdy_n = 0;
                next.frame_n = 1;
                next.cbe_n = self.prev.cbe_n;
                next.idsel = self.prev.idsel;
                next.idsel1 = self.prev.idsel1;
                if a.req.cmd.is_write() {
                    next.ad = self.prev.ad;
                    next.ad_oe = 1;
                }
                return;
            }
            // Target abort: STOP# with DEVSEL# deasserted after it had been asserted.
            self.stopped(now, devsel && bus.devsel_n != 0);
            return;
        }
        if stopping {
            // FRAME# already released and the target let STOP# go without finishing the
            // last phase: treat as a disconnect and re-issue the rest.
            self.stopped(now, false);
            return;
        }
        if !devsel && since >= 5 {
            // No DEVSEL# by the subtractive-decode clock (spec 3.3.3.1): master abort.
            let (cmd, addr) = (a.req.cmd, a.req.addr);
            self.events.push(BridgeEvent::MasterAbort { cycle: now, cmd, addr });
            self.finish(now, Status::MasterAbort);
            return;
        }
        self.state = State::Data { since, devsel_seen: devsel };
        self.drive_phase(next);
    }

    /// The target ended the transaction early with STOP#: retry, disconnect or abort.
    fn stopped(&mut self, now: Cycle, target_abort: bool) {
        let Some(a) = self.active.as_mut() else { return };
        if target_abort {
            let addr = a.req.addr;
            self.events.push(BridgeEvent::TargetAbort { cycle: now, addr });
            self.finish(now, Status::TargetAbort);
            return;
        }
        // Retry (nothing moved) counts against the budget; a disconnect that made
        // progress resets it. The rest is re-issued after the idle clock.
        if a.done == a.issued_at {
            a.retries += 1;
        } else {
            a.retries = 0;
        }
        if a.retries > self.cfg.retry_limit {
            let (addr, retries) = (a.req.addr, a.retries);
            self.events.push(BridgeEvent::RetryExhausted { cycle: now, addr, retries });
            self.finish(now, Status::RetryExhausted);
            return;
        }
        self.state = State::Release;
    }

    fn finish(&mut self, now: Cycle, status: Status) {
        self.state = State::Release;
        let Some(a) = self.active.take() else { return };
        if a.posted {
            return; // nobody waits for a posted write
        }
        let mut data = a.read;
        if !a.req.cmd.is_write() {
            // Phases that never completed read as all ones, as after a master abort.
            data.resize(a.req.phases.len(), u32::MAX);
        }
        // A read completion pushes the device's writes queued upstream ahead of it: the CPU
        // that reads the device sees in RAM everything the device wrote before.
        if !self.upstream.is_empty() {
            self.flush_upstream();
        }
        self.completions.push(Completion { tag: a.req.tag, origin: a.req.origin, status, data, cycle: now });
    }
}
