//! The kernel model: per-CPU state shared between the scheduler and the code running on
//! the virtual CPUs, the [`Cpu`] handle driver code runs with, spin locks, interrupt
//! objects and DPCs.
//!
//! Every CPU is a stackful coroutine driven by the simulation loop (see `machine.rs` for
//! why). Driver code calls ordinary methods on [`Cpu`]; each device access or stretch of
//! modelled work suspends the coroutine until the simulated bus or clock has done it. An
//! interrupt is taken exactly at those points, nested on the CPU's own stack as on real
//! hardware.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use corosensei::Yielder;
use dirql_sim::{Command, Completion, Phase, Request, Routine, Status};

use crate::irql::Irql;
use crate::stop_codes;

/// Driver-level operation markers traced in `host.cpuN_op` (see docs/waveform.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// Nothing in particular.
    None = 0,
    /// VideoPortReadRegister*.
    ReadRegister = 1,
    /// VideoPortWriteRegister*.
    WriteRegister = 2,
    /// VideoPortReadPort*.
    ReadPort = 3,
    /// VideoPortWritePort*.
    WritePort = 4,
    /// Configuration-space read.
    ConfigRead = 5,
    /// Configuration-space write.
    ConfigWrite = 6,
    /// VideoPortSynchronizeExecution / NdisMSynchronizeWithInterruptEx in progress.
    Synchronize = 7,
    /// VideoPortStallExecution.
    Stall = 8,
    /// VideoPortQueueDpc.
    QueueDpc = 9,
    /// End of interrupt to the controller.
    Eoi = 10,
    /// VideoPortZeroMemory / VideoPortZeroDeviceMemory.
    ZeroMemory = 11,
    /// VideoPortLogError.
    LogError = 12,
    /// VideoPortEnableInterrupt / VideoPortDisableInterrupt.
    InterruptControl = 13,
    /// A request handed to HwVidStartIO (or waiting for the previous one to complete).
    StartIo = 14,
    /// NdisMSynchronizeWithInterruptEx.
    NdisSynchronize = 15,
}

/// Driver note kind 3 (docs/contracts.md): the CPU stopped in a bug check; the low bits
/// are 1 + the stop code's index in `stop_codes::ALL`.
pub const NOTE_BUG_CHECK: u32 = 3 << 28;

/// Cycles from the CPU accepting an interrupt to the first instruction of the dispatcher.
pub const INTERRUPT_ENTRY_CYCLES: u64 = 3;

/// Cycles the kernel's DPC dispatch takes before a DPC routine runs (shown as the DPC).
pub const DPC_ENTRY_CYCLES: u64 = 1;

/// A simulated bug check: the machine stops, and the report says why and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BugCheck {
    /// Stop code, as Windows names it.
    pub code: &'static str,
    /// The CPU that stopped.
    pub cpu: u8,
    /// Its IRQL at the time.
    pub irql: Irql,
    /// The routine it was running.
    pub routine: Routine,
    /// What happened, with the values involved.
    pub detail: String,
    /// The cycle it happened in (the machine stops there; the waveform ends there).
    pub cycle: u64,
}

/// What a CPU coroutine asks of the scheduler.
pub(crate) enum Yield {
    /// A bus transaction; resumed with [`Resume::Data`] (at once when posted).
    Bus(Request),
    /// Cycles of uninterruptible hardware work (interrupt entry).
    Hardware(u64),
    /// Modelled CPU work of this many cycles.
    Work(u64),
    /// A lock is held elsewhere: try again next cycle.
    Spin,
    /// End of interrupt to the interrupt controller.
    Eoi,
    /// Unmask the device's line at the interrupt controller (interrupt connected).
    Unmask,
    /// A message-signalled interrupt was connected: the local APICs deliver its vectors.
    ConnectMessages,
    /// Mask the device's line at the interrupt controller.
    Mask,
    /// Nothing to run.
    Idle,
    /// Stop the machine.
    BugCheck(BugCheck),
}

/// How the scheduler resumes a CPU coroutine.
pub(crate) enum Resume {
    /// Go on.
    Go,
    /// The bus transaction completed.
    Data(Completion),
    /// Take the interrupt now. What was yielded was not done, except `elapsed` cycles of a
    /// `Work`, whose rest is to be yielded again; a bus request comes back in
    /// `unperformed`, to be yielded again once the ISR is done (handed back rather than
    /// cloned on every access).
    Interrupt {
        /// Cycles of the interrupted work already done.
        elapsed: u64,
        /// The bus request that was not performed.
        unperformed: Option<Request>,
        /// `None` for the line; for a message-signalled interrupt, its message number.
        message: Option<u32>,
    },
}

/// The byte lane and byte enables of an I/O access of `bytes` at `port`; an access that
/// would cross a dword is cut at its end (x86 splits it; the model does not).
fn io_lanes(port: u32, bytes: u32) -> (u32, u8) {
    let lane = port & 3;
    let width = bytes.clamp(1, 4 - lane);
    (lane, (((1u32 << width) - 1) << lane) as u8)
}

/// A unit of code queued for a CPU: a thread's work at PASSIVE_LEVEL.
pub type Job = Box<dyn FnOnce(&Cpu<'_>)>;

/// A deferred procedure call.
pub type Dpc = Box<dyn FnOnce(&Cpu<'_>)>;

/// An interrupt service routine; returns TRUE when its device interrupted.
pub type Isr = Rc<dyn Fn(&Cpu<'_>) -> bool>;

/// A message interrupt's handler: (CPU, message number) -> recognized.
pub type MessageIsr = Rc<dyn Fn(&Cpu<'_>, u32) -> bool>;

/// A spin lock; `owner` is the CPU holding it.
#[derive(Debug, Default)]
pub struct SpinLock {
    owner: Cell<Option<u8>>,
}

impl SpinLock {
    /// The CPU holding the lock.
    pub fn owner(&self) -> Option<u8> {
        self.owner.get()
    }
}

/// An interrupt object (KINTERRUPT): the chain of ISRs on one line, its IRQL and its lock.
pub struct InterruptObject {
    /// Device IRQL of the line.
    pub dirql: Irql,
    /// IRQL at which the ISRs and synchronized routines run (>= dirql).
    pub synchronize_irql: Irql,
    /// The interrupt spin lock.
    pub lock: SpinLock,
    chain: RefCell<Vec<(String, Isr)>>,
    /// The slot of the device whose driver connected it (two-slot machines; else 0).
    slot: Cell<u8>,
}

impl InterruptObject {
    /// A line with no ISR yet.
    pub fn new(dirql: Irql) -> Self {
        InterruptObject {
            dirql,
            synchronize_irql: dirql,
            lock: SpinLock::default(),
            chain: RefCell::new(Vec::new()),
            slot: Cell::new(0),
        }
    }

    /// Adds an ISR to the chain (IoConnectInterrupt on a shared line).
    pub fn connect(&self, name: &str, isr: Isr) {
        self.chain.borrow_mut().push((name.to_string(), isr));
    }

    fn isrs(&self) -> Vec<Isr> {
        self.chain.borrow().iter().map(|(_, i)| i.clone()).collect()
    }

    /// The slot of the device whose driver connected it.
    pub fn slot(&self) -> u8 {
        self.slot.get()
    }
}

/// A message-signalled interrupt connection (IoConnectInterruptEx, CONNECT_MESSAGE_BASED):
/// the device writes `base_vector + message` to a CPU's local APIC, which calls `handler`
/// with the message number. MSIs are never shared: one handler, no chain.
pub struct MessageInterrupt {
    /// The interrupt object: DIRQL and the lock synchronized routines take.
    pub object: Rc<InterruptObject>,
    /// The x86 vector of message 0 (Message Data [7:0]); aligned to `messages`.
    pub base_vector: u8,
    /// Messages granted (a power of two, 1..=32).
    pub messages: u32,
    /// MiniportMessageInterrupt-style handler: (CPU, message number) -> recognized.
    pub handler: MessageIsr,
}

impl MessageInterrupt {
    /// The message number a vector stands for, if it is one of ours.
    pub fn message_of(&self, vector: u8) -> Option<u32> {
        let m = u32::from(vector.wrapping_sub(self.base_vector));
        (vector >= self.base_vector && m < self.messages).then_some(m)
    }
}

/// Per-CPU state the scheduler reads every cycle for the waveform.
#[derive(Default)]
pub struct CpuState {
    pub(crate) irql: Cell<Irql>,
    pub(crate) routine: Cell<u8>,
    pub(crate) op: Cell<u8>,
    pub(crate) isr_ret: Cell<u8>,
    /// The ISR return pulse of slot 1's ISRs (two-slot machines).
    pub(crate) isr_ret1: Cell<u8>,
    /// The slot of the device whose driver code runs here (two-slot machines; else 0).
    pub(crate) slot: Cell<u8>,
    pub(crate) note: Cell<u32>,
    /// VideoPortDisableInterrupt on this processor: the device line is not taken here
    /// (semantics.md §3: the obsolete routines act on the current processor only).
    pub(crate) line_masked: Cell<bool>,
    /// Depth of routines running here that their caller synchronized with the ISR at a
    /// priority meant to exclude it (VpMedium/VpHighPriority, NdisMSynchronizeWithInterruptEx):
    /// what the harm oracle holds an ISR against.
    pub(crate) exclusive: Cell<u32>,
    /// The host-RAM dword read here this cycle (address | 1; 0 = none), for the trace
    /// (`host.cpuN_ram_read`).
    pub(crate) ram_read: Cell<u32>,
    /// A bound on the routine running now (a VpHighPriority routine): past this cycle the
    /// CPU bug-checks with the stop code given.
    pub(crate) deadline: Cell<Option<(u64, &'static str)>>,
    /// Jobs plus DPCs queued: the idle loop reads this instead of borrowing the queues.
    pub(crate) queued: Cell<u32>,
    /// Jobs queued, each with the slot of the driver whose thread it is (as the DPCs).
    pub(crate) jobs: RefCell<VecDeque<(u8, Job)>>,
    /// DPCs queued, each with the slot of the driver that queued it (it runs as its code).
    pub(crate) dpcs: RefCell<VecDeque<(u8, Dpc)>>,
    /// DPCs ever queued on this CPU: an ISR that queued one returns with code 3 on the
    /// waveform (`host.isr_ret`).
    pub(crate) dpcs_inserted: Cell<u64>,
}

/// Counters the reports quote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    /// Interrupts taken.
    pub interrupts: u64,
    /// Interrupts no ISR claimed.
    pub unclaimed: u64,
    /// Of `interrupts`, the message-signalled ones.
    pub messages: u64,
    /// MSI writes the local APICs could not deliver: to no CPU of this machine, or a
    /// vector nobody connected (each also reported as a bus event).
    pub stray_messages: u64,
    /// DPCs run.
    pub dpcs: u64,
    /// Interrupt storms detected (the line still asserted at end of interrupt through
    /// [`crate::MachineConfig::storm_threshold`] deliveries in a row).
    pub storms: u64,
    /// Cycle at which the line was disabled after a storm, if it was.
    pub line_disabled_at: Option<u64>,
    /// Errors logged with VideoPortLogError, as `cycle: text`.
    pub logged_errors: Vec<String>,
    /// ISRs that started while a routine meant to exclude them ran (harm, whatever the
    /// rules say): (cycle, CPU of the ISR, CPU of the routine); the first few only.
    pub isr_in_exclusive: Vec<(u64, u8, u8)>,
}

/// How many [`KernelStats::isr_in_exclusive`] entries are kept.
const EXCLUSIVE_OVERLAPS_KEPT: usize = 8;

/// State shared by every CPU and the scheduler (one OS thread: `Cell`s suffice).
pub struct Kernel {
    pub(crate) cpus: Vec<CpuState>,
    /// The interrupt objects connected to the device line, in connection order: one per
    /// driver on a shared line (each with its own lock, as IoConnectInterrupt makes them).
    pub(crate) line: RefCell<Vec<Rc<InterruptObject>>>,
    pub(crate) messages: RefCell<Option<Rc<MessageInterrupt>>>,
    pub(crate) stats: RefCell<KernelStats>,
    pub(crate) now: Cell<u64>,
    next_tag: Cell<u64>,
    /// Host RAM, shared with the host bridge (the devices' DMA reaches it through the bridge).
    pub(crate) ram: Rc<RefCell<dirql_sim::HostMemory>>,
}

impl Kernel {
    pub(crate) fn new(cpus: usize, ram: Rc<RefCell<dirql_sim::HostMemory>>) -> Self {
        Kernel {
            ram,
            cpus: (0..cpus).map(|_| CpuState::default()).collect(),
            line: RefCell::new(Vec::new()),
            messages: RefCell::new(None),
            stats: RefCell::new(KernelStats::default()),
            now: Cell::new(0),
            next_tag: Cell::new(1),
        }
    }

    /// The interrupt object first connected to the device line, once connected.
    pub fn interrupt(&self) -> Option<Rc<InterruptObject>> {
        self.line.borrow().first().cloned()
    }

    /// Every interrupt object connected to the device line, in connection order.
    pub fn line_objects(&self) -> Vec<Rc<InterruptObject>> {
        self.line.borrow().clone()
    }

    /// The message-signalled interrupt, once connected.
    pub fn message_interrupt(&self) -> Option<Rc<MessageInterrupt>> {
        self.messages.borrow().clone()
    }

    /// Counters so far.
    pub fn stats(&self) -> KernelStats {
        self.stats.borrow().clone()
    }

    /// Appends to the error log (VideoPortLogError).
    pub fn log_error(&self, text: String) {
        self.stats.borrow_mut().logged_errors.push(text);
    }

    /// Number of CPUs.
    pub fn cpu_count(&self) -> usize {
        self.cpus.len()
    }

    /// Current IRQL of `cpu`.
    pub fn irql(&self, cpu: u8) -> Irql {
        self.cpus[usize::from(cpu)].irql.get()
    }

    fn tag(&self) -> u64 {
        let t = self.next_tag.get();
        self.next_tag.set(t + 1);
        t
    }
}

/// The handle code running on a virtual CPU works through.
pub struct Cpu<'y> {
    id: u8,
    y: &'y Yielder<Resume, Yield>,
    k: Rc<Kernel>,
}

impl<'y> Cpu<'y> {
    pub(crate) fn new(id: u8, y: &'y Yielder<Resume, Yield>, k: Rc<Kernel>) -> Self {
        Cpu { id, y, k }
    }

    /// This CPU's index.
    pub fn id(&self) -> u8 {
        self.id
    }

    /// The kernel state shared by all CPUs.
    pub fn kernel(&self) -> &Rc<Kernel> {
        &self.k
    }

    /// Simulated time now, in cycles.
    pub fn now(&self) -> u64 {
        self.k.now.get()
    }

    fn state(&self) -> &CpuState {
        &self.k.cpus[usize::from(self.id)]
    }

    /// KeGetCurrentIrql.
    pub fn irql(&self) -> Irql {
        self.state().irql.get()
    }

    /// The routine this CPU is running.
    pub fn routine(&self) -> Routine {
        Routine::from_code(self.state().routine.get()).unwrap_or(Routine::Idle)
    }

    /// Marks the routine this CPU runs; returns the previous one to restore.
    pub fn enter(&self, r: Routine) -> Routine {
        let prev = self.routine();
        self.state().routine.set(r as u8);
        prev
    }

    /// Marks the driver-level operation in progress; returns the previous marker.
    pub fn mark(&self, op: Op) -> u8 {
        self.state().op.replace(op as u8)
    }

    /// Sets this CPU's driver annotation (`host.cpuN_note` in the waveform); returns the
    /// previous one.
    pub fn note(&self, value: u32) -> u32 {
        self.state().note.replace(value)
    }

    /// Sets (or clears) a bound on the routine running now: past cycle `at` the CPU
    /// bug-checks with `code`. Returns the previous bound, to restore.
    pub fn set_deadline(&self, d: Option<(u64, &'static str)>) -> Option<(u64, &'static str)> {
        self.state().deadline.replace(d)
    }

    fn check_deadline(&self) {
        if let Some((at, code)) = self.state().deadline.get() {
            if self.now() > at {
                self.state().deadline.set(None);
                self.bug_check(
                    code,
                    format!("routine still running at cycle {}, past its bound at cycle {at}", self.now()),
                );
            }
        }
    }

    /// Who this CPU is as the issuer of a bus request (`Request::issuer`): its routine,
    /// whether it holds the device's interrupt lock, its IRQL.
    fn issuer(&self) -> u16 {
        let slot = self.slot();
        let lock = self.k.line.borrow().iter().any(|i| i.slot() == slot && i.lock.owner() == Some(self.id))
            || self.k.messages.borrow().as_ref().is_some_and(|m| m.object.lock.owner() == Some(self.id));
        u16::from(self.state().routine.get())
            | u16::from(lock) << 4
            | u16::from(self.irql().0) << 8
            | u16::from(slot) << dirql_sim::ISSUER_SLOT_SHIFT
    }

    /// Runs `f` as a routine its caller synchronized with the ISR at a priority meant to
    /// exclude it (for the harm oracle; changes nothing the CPU does).
    pub fn expecting_exclusion<T>(&self, f: impl FnOnce() -> T) -> T {
        let st = self.state();
        st.exclusive.set(st.exclusive.get() + 1);
        let r = f();
        st.exclusive.set(st.exclusive.get() - 1);
        r
    }

    /// VideoPortDisableInterrupt / VideoPortEnableInterrupt: masks the device line on this
    /// processor only (semantics.md §3); the adapter can still interrupt another one.
    pub fn set_line_masked_here(&self, masked: bool) {
        self.state().line_masked.set(masked);
    }

    /// True while VideoPortDisableInterrupt is in effect on this processor.
    pub fn line_masked_here(&self) -> bool {
        self.state().line_masked.get()
    }

    /// Restores an operation marker from [`Cpu::mark`].
    pub fn unmark(&self, prev: u8) {
        self.state().op.set(prev);
    }

    /// KeRaiseIrql: returns the old IRQL. Raising to a lower level is a bug check, as in
    /// Windows (IRQL_NOT_GREATER_OR_EQUAL).
    pub fn raise_irql(&self, new: Irql) -> Irql {
        let old = self.irql();
        if new < old {
            self.bug_check(stop_codes::IRQL_NOT_GREATER_OR_EQUAL, format!("KeRaiseIrql to {new} from {old}"));
        }
        self.state().irql.set(new);
        old
    }

    /// KeLowerIrql. Dropping below DISPATCH runs the DPCs queued meanwhile.
    pub fn lower_irql(&self, new: Irql) {
        let old = self.irql();
        if new > old {
            self.bug_check(stop_codes::IRQL_NOT_LESS_OR_EQUAL, format!("KeLowerIrql to {new} from {old}"));
        }
        self.state().irql.set(new);
        if new < Irql::DISPATCH && old >= Irql::DISPATCH {
            self.drain_dpcs();
        }
    }

    /// One scheduling point: hands `what` to the scheduler, taking interrupts meanwhile.
    fn point(&self, mut what: Yield) -> Resume {
        loop {
            let resumed = self.y.suspend(what);
            self.check_deadline();
            match resumed {
                Resume::Interrupt { elapsed, unperformed, message } => {
                    match message {
                        None => self.take_interrupt(),
                        Some(m) => self.take_message(m),
                    }
                    match unperformed {
                        Some(r) => what = Yield::Bus(r),
                        None => return Resume::Interrupt { elapsed, unperformed: None, message },
                    }
                }
                r => return r,
            }
        }
    }

    /// Modelled CPU work: `cycles` of simulated time during which interrupts may arrive.
    pub fn work(&self, cycles: u64) {
        let mut left = cycles;
        while left > 0 {
            // Under a deadline, stop exactly one cycle past it so the bug check names the
            // cycle the bound was crossed (the waveform is kept up to that cycle).
            let chunk = match self.state().deadline.get() {
                Some((at, _)) => left.min(at.saturating_sub(self.now()) + 1),
                None => left,
            };
            match self.point(Yield::Work(chunk)) {
                Resume::Interrupt { elapsed, .. } => left = left.saturating_sub(elapsed),
                _ => left -= chunk,
            }
        }
    }

    /// A bus transaction; returns the completion (for posted writes, a synthetic OK).
    pub fn transact(&self, req: Request) -> Completion {
        match self.point(Yield::Bus(req)) {
            Resume::Data(c) => c,
            _ => Completion { tag: 0, origin: self.id, status: Status::Ok, data: Vec::new(), cycle: self.now() },
        }
    }

    fn single(&self, cmd: Command, addr: u32, data: u32, be: u8) -> Completion {
        let tag = self.k.tag();
        self.transact(Request {
            cmd,
            addr,
            phases: vec![Phase { data, be }],
            origin: self.id,
            issuer: self.issuer(),
            tag,
        })
    }

    /// Cycles a CPU's access to host RAM costs (a cache miss to DRAM, about 60 ns).
    pub const HOST_RAM_CYCLES: u64 = 2;

    /// Reads the dword of host RAM at `addr` (what the devices' DMA writes have reached:
    /// a write still queued in the host bridge is not seen). No bus transaction.
    pub fn host_read32(&self, addr: u32) -> u32 {
        self.work(Self::HOST_RAM_CYCLES);
        // Traced this cycle (the machine's probe takes it): bit 0 marks a read.
        self.state().ram_read.set((addr & !3) | 1);
        self.k.ram.borrow().read32(addr)
    }

    /// For harm oracles only: the dword of host RAM at `addr` as it will be once every
    /// device write queued for it in the host bridge has landed (ground truth no driver
    /// can read). Costs no time, is not traced.
    pub fn host_peek_eventual(&self, addr: u32) -> u32 {
        let ram = self.k.ram.borrow();
        ram.in_flight_value(addr).unwrap_or_else(|| ram.read32(addr))
    }

    /// Writes the dword of host RAM at `addr` (coherent: a device's later DMA read sees it).
    pub fn host_write32(&self, addr: u32, value: u32) {
        self.work(Self::HOST_RAM_CYCLES);
        self.k.ram.borrow_mut().write(addr, value, 0xF);
    }

    /// A 32-bit memory read (never posted; pushes posted writes ahead of it).
    pub fn mem_read32(&self, addr: u32) -> u32 {
        self.single(Command::MemRead, addr, 0, 0xF).data.first().copied().unwrap_or(u32::MAX)
    }

    /// A 32-bit memory write (posted by the bridge when it has room).
    pub fn mem_write32(&self, addr: u32, value: u32) {
        self.single(Command::MemWrite, addr, value, 0xF);
    }

    /// A linear burst of 32-bit memory writes.
    pub fn mem_write_burst(&self, addr: u32, values: &[u32]) {
        let tag = self.k.tag();
        let phases = values.iter().map(|&data| Phase { data, be: 0xF }).collect();
        self.transact(Request { cmd: Command::MemWrite, addr, phases, origin: self.id, issuer: self.issuer(), tag });
    }

    /// A memory read of the bytes `be` selects (bit n = byte lane n) in the dword at
    /// `addr & !3` (never posted); lanes not selected read as the bus left them.
    pub fn mem_read(&self, addr: u32, be: u8) -> u32 {
        self.single(Command::MemRead, addr & !3, 0, be & 0xF).data.first().copied().unwrap_or(u32::MAX)
    }

    /// A memory write of the bytes `be` selects in the dword at `addr & !3` (posted).
    pub fn mem_write(&self, addr: u32, value: u32, be: u8) {
        self.single(Command::MemWrite, addr & !3, value, be & 0xF);
    }

    /// A linear burst read of `n` dwords from `addr` (one transaction; all ones where the
    /// target did not deliver).
    pub fn mem_read_burst(&self, addr: u32, n: usize) -> Vec<u32> {
        let tag = self.k.tag();
        let phases = vec![Phase { data: 0, be: 0xF }; n];
        let mut d = self
            .transact(Request { cmd: Command::MemRead, addr, phases, origin: self.id, issuer: self.issuer(), tag })
            .data;
        d.resize(n, u32::MAX);
        d
    }

    /// An I/O read of `bytes` (1, 2 or 4) at `port`, which must not cross a dword; the
    /// value comes back shifted down to bit 0.
    pub fn io_read(&self, port: u32, bytes: u32) -> u32 {
        let (lane, be) = io_lanes(port, bytes);
        let c = self.single(Command::IoRead, port, 0, be);
        let v = c.data.first().copied().unwrap_or(u32::MAX) >> (8 * lane);
        if bytes >= 4 {
            v
        } else {
            v & ((1 << (8 * bytes)) - 1)
        }
    }

    /// An I/O write of `bytes` (1, 2 or 4) at `port` (not posted).
    pub fn io_write(&self, port: u32, bytes: u32, value: u32) {
        let (lane, be) = io_lanes(port, bytes);
        self.single(Command::IoWrite, port, value << (8 * lane), be);
    }

    /// An 8-bit I/O read (not posted).
    pub fn io_read8(&self, port: u32) -> u8 {
        let lane = port & 3;
        let c = self.single(Command::IoRead, port, 0, 1 << lane);
        (c.data.first().copied().unwrap_or(u32::MAX) >> (8 * lane)) as u8
    }

    /// An 8-bit I/O write (not posted).
    pub fn io_write8(&self, port: u32, value: u8) {
        let lane = port & 3;
        self.single(Command::IoWrite, port, u32::from(value) << (8 * lane), 1 << lane);
    }

    /// A type-0 configuration read of dword register `reg` (byte offset, aligned).
    pub fn config_read32(&self, reg: u8) -> u32 {
        let prev = self.mark(Op::ConfigRead);
        let v = self.single(Command::ConfigRead, self.config_address(reg), 0, 0xF).data.first().copied();
        self.unmark(prev);
        v.unwrap_or(u32::MAX)
    }

    /// A type-0 configuration write.
    pub fn config_write32(&self, reg: u8, value: u32) {
        let prev = self.mark(Op::ConfigWrite);
        self.single(Command::ConfigWrite, self.config_address(reg), value, 0xF);
        self.unmark(prev);
    }

    /// The configuration address of dword register `reg` of the device whose driver runs
    /// here: its slot is its device number (bits 15:11).
    fn config_address(&self, reg: u8) -> u32 {
        u32::from(self.slot()) << 11 | u32::from(reg & 0xFC)
    }

    /// The slot of the device whose driver code runs on this CPU (0 on a one-device
    /// machine).
    pub fn slot(&self) -> u8 {
        self.state().slot.get()
    }

    /// Runs `f` as code of the driver of the device in `slot` (its configuration cycles go
    /// to that device, the waveform shows whose code runs).
    pub fn in_slot<T>(&self, slot: u8, f: impl FnOnce() -> T) -> T {
        let prev = self.state().slot.replace(slot);
        let r = f();
        self.state().slot.set(prev);
        r
    }

    /// KeAcquireSpinLockAtDpcLevel-style: spins (one try per cycle) until `lock` is free.
    pub fn acquire(&self, lock: &SpinLock) {
        if lock.owner.get() == Some(self.id) {
            self.bug_check(
                stop_codes::SPIN_LOCK_ALREADY_OWNED,
                format!("CPU {} acquired a spin lock it holds", self.id),
            );
        }
        while lock.owner.get().is_some() {
            let prev = self.enter(Routine::Spin);
            self.point(Yield::Spin);
            self.enter(prev);
        }
        lock.owner.set(Some(self.id));
    }

    /// Releases a spin lock this CPU holds.
    pub fn release(&self, lock: &SpinLock) {
        if lock.owner.get() != Some(self.id) {
            self.bug_check(
                stop_codes::SPIN_LOCK_NOT_OWNED,
                format!("CPU {} released a spin lock it does not hold", self.id),
            );
        }
        lock.owner.set(None);
    }

    /// KeSynchronizeExecution: runs `routine` at the interrupt's synchronize IRQL holding
    /// its spin lock, so no ISR on the line runs anywhere meanwhile; returns its BOOLEAN.
    pub fn synchronize_execution(&self, int: &InterruptObject, routine: &dyn Fn(&Cpu<'_>) -> bool) -> bool {
        let old = self.raise_irql(int.synchronize_irql.max(self.irql()));
        self.acquire(&int.lock);
        let prev = self.enter(Routine::Sync);
        let r = self.expecting_exclusion(|| routine(self));
        self.enter(prev);
        self.release(&int.lock);
        self.lower_irql(old);
        r
    }

    /// Queues a DPC on this CPU (KeInsertQueueDpc); it runs when the IRQL drops below
    /// DISPATCH_LEVEL.
    pub fn queue_dpc(&self, dpc: Dpc) {
        let st = self.state();
        // A DPC is the queuing driver's code: on a two-slot machine it runs in its slot.
        st.dpcs.borrow_mut().push_back((st.slot.get(), dpc));
        st.queued.set(st.queued.get() + 1);
        st.dpcs_inserted.set(st.dpcs_inserted.get() + 1);
    }

    pub(crate) fn drain_dpcs(&self) {
        loop {
            let next = self.state().dpcs.borrow_mut().pop_front();
            let Some((slot, dpc)) = next else { break };
            self.state().queued.set(self.state().queued.get() - 1);
            let old = self.raise_irql(Irql::DISPATCH);
            let prev = self.enter(Routine::Dpc);
            let prev_slot = self.state().slot.replace(slot);
            self.k.stats.borrow_mut().dpcs += 1;
            // The dispatcher's own cycle (KiRetireDpcList calling the routine): a DPC whose
            // routine does no modelled work still shows on the waveform, so the rule that a
            // queued DPC runs (`deferred-work`) sees every DPC the OS delivered.
            self.y.suspend(Yield::Hardware(DPC_ENTRY_CYCLES));
            dpc(self);
            self.state().slot.set(prev_slot);
            self.enter(prev);
            // Lowering straight to `old` would recurse into drain_dpcs; set it directly.
            self.state().irql.set(old);
        }
    }

    /// Takes the device interrupt on this CPU (KiInterruptDispatch): raise to the
    /// synchronize IRQL, take the interrupt lock, call the chained ISRs until one claims
    /// it, release, EOI, lower, then run DPCs if the IRQL fell below DISPATCH.
    fn take_interrupt(&self) {
        let objects = self.k.line_objects();
        if objects.is_empty() {
            return;
        }
        self.dispatch(&objects, None, |int| self.call_chain(int));
    }

    /// The ISRs of one interrupt object, in connection order until one claims. Only the
    /// first — the device under test's, through the video port or NDIS — is traced in
    /// `isr_ret` (of the object's slot): a FALSE from it followed by a host-modelled
    /// agent's TRUE must not read as the device claiming.
    fn call_chain(&self, int: &InterruptObject) -> bool {
        for (n, isr) in int.isrs().into_iter().enumerate() {
            let before = self.state().dpcs_inserted.get();
            let mine = isr(self);
            if n == 0 {
                self.trace_isr_return(mine, self.state().dpcs_inserted.get() != before);
            }
            if mine {
                return true;
            }
        }
        false
    }

    /// Takes message `message` of the message-signalled interrupt on this CPU: as for the
    /// line (entry cycles, synchronize IRQL, the interrupt lock), but one handler with the
    /// message number, and the end of interrupt goes to the local APIC only — there is no
    /// line for anybody to look at again.
    fn take_message(&self, message: u32) {
        let Some(mi) = self.k.message_interrupt() else { return };
        self.dispatch(std::slice::from_ref(&mi.object), Some(message), |_| {
            let before = self.state().dpcs_inserted.get();
            let mine = (mi.handler)(self, message);
            self.trace_isr_return(mine, self.state().dpcs_inserted.get() != before);
            mine
        });
    }

    /// What taking an interrupt costs and changes around its service routines: entry
    /// cycles, the synchronize IRQL, the counters, and for the line (`message` is `None`)
    /// the end of interrupt to the controller. `objects` are the interrupt objects to call
    /// `isrs` on (which returns whether that object's ISRs claimed it), in order until one
    /// claims: one, or on a line several drivers share, each connected one
    /// (KiChainedDispatch), each under its own lock and as its own driver's code.
    fn dispatch(
        &self,
        objects: &[Rc<InterruptObject>],
        message: Option<u32>,
        mut isrs: impl FnMut(&InterruptObject) -> bool,
    ) {
        // Interrupt entry is not free on a real CPU (state saved, IDT vectored, the HAL's
        // prologue): the interrupted context, at its own IRQL, stays visible for these
        // cycles before the ISR starts. The waveform then never shows a routine turning
        // into the ISR within one cycle, which would be indistinguishable from the ISR
        // preempting it.
        self.y.suspend(Yield::Hardware(INTERRUPT_ENTRY_CYCLES));
        let old = self.irql();
        let prev = self.routine();
        let prev_slot = self.slot();
        let mut claimed = false;
        for int in objects {
            self.state().irql.set(int.synchronize_irql.max(old));
            self.state().slot.set(int.slot());
            self.enter(Routine::Isr);
            self.acquire(&int.lock);
            self.enter(Routine::Isr);
            self.record_isr_in_exclusive(int, objects.len() > 1);
            claimed = isrs(int);
            self.release(&int.lock);
            if claimed {
                break;
            }
        }
        {
            let mut s = self.k.stats.borrow_mut();
            s.interrupts += 1;
            s.messages += u64::from(message.is_some());
            if !claimed {
                s.unclaimed += 1;
            }
        }
        self.state().slot.set(prev_slot);
        if message.is_none() {
            let op = self.mark(Op::Eoi);
            self.y.suspend(Yield::Eoi);
            self.unmark(op);
        }
        self.enter(prev);
        self.lower_irql(old);
    }

    /// For the harm oracle `isr-in-exclusive-routine`: an ISR starting here while some CPU
    /// runs a routine its caller expected to exclude it. Changes nothing the CPU does (the
    /// mutation runs leave it out: a mutant of it changes only what the oracle reports).
    /// On a shared line (`shared`) the routine must be of `int`'s own driver.
    fn record_isr_in_exclusive(&self, int: &InterruptObject, shared: bool) {
        if let Some(c) =
            self.k.cpus.iter().position(|c| c.exclusive.get() > 0 && (!shared || c.slot.get() == int.slot()))
        {
            let mut s = self.k.stats.borrow_mut();
            if s.isr_in_exclusive.len() < EXCLUSIVE_OVERLAPS_KEPT {
                s.isr_in_exclusive.push((self.now(), self.id, c as u8));
            }
        }
    }

    /// The ISR return pulse of this CPU on the waveform (`isr_ret`: 1 FALSE, 2 TRUE, 3 TRUE
    /// with a DPC queued by the ISR; a FALSE is 1 whatever it queued).
    fn trace_isr_return(&self, mine: bool, queued_dpc: bool) {
        let shift = 2 * u32::from(self.id);
        let code = match (mine, queued_dpc) {
            (false, _) => 1u8,
            (true, false) => 2,
            (true, true) => 3,
        };
        let st = self.state();
        let ret = if st.slot.get() == 1 { &st.isr_ret1 } else { &st.isr_ret };
        ret.set(ret.get() | code << shift);
    }

    /// IoConnectInterruptEx for message-signalled interrupts: from now on the local APICs
    /// deliver the vectors of `mi` to its handler.
    pub fn connect_message_interrupt(&self, mi: Rc<MessageInterrupt>) {
        *self.k.messages.borrow_mut() = Some(mi);
        self.y.suspend(Yield::ConnectMessages);
    }

    /// Stops the machine with a bug check. Never returns.
    pub fn bug_check(&self, code: &'static str, detail: String) -> ! {
        // The stop code goes on the waveform too (note kind 3: index in stop_codes::ALL,
        // docs/contracts.md), so a checker reading only the VCD knows why the CPU stopped.
        let idx = crate::stop_codes::ALL.iter().position(|c| *c == code).map_or(0xFFF, |i| i as u32 + 1);
        let bc = BugCheck { code, cpu: self.id, irql: self.irql(), routine: self.routine(), detail, cycle: self.now() };
        self.note(NOTE_BUG_CHECK | idx);
        // One cycle with the CPU as it was (routine, IRQL, operation) before it shows the
        // bug check: a breach in the ISR's first instruction is still seen as in the ISR.
        self.y.suspend(Yield::Hardware(1));
        self.enter(Routine::BugCheck);
        loop {
            self.y.suspend(Yield::BugCheck(bc.clone()));
        }
    }

    /// IoConnectInterrupt: makes `int` the device line's interrupt object and unmasks
    /// the line at the interrupt controller.
    /// On a line another driver connected already (a shared line: PCI INTx), `int` joins
    /// the chain after it.
    pub fn connect_interrupt(&self, int: Rc<InterruptObject>) {
        int.slot.set(self.slot());
        self.k.line.borrow_mut().push(int);
        self.y.suspend(Yield::Unmask);
    }

    /// Masks (or unmasks) the device line at the interrupt controller for every CPU.
    pub fn mask_all_interrupts(&self, masked: bool) {
        self.y.suspend(if masked { Yield::Mask } else { Yield::Unmask });
    }

    /// Waits, idle, until there is something to do; takes interrupts meanwhile.
    pub(crate) fn idle(&self) {
        let prev = self.enter(Routine::Idle);
        self.point(Yield::Idle);
        self.enter(prev);
    }

    /// The next job queued for this CPU.
    pub(crate) fn next_job(&self) -> Option<(u8, Job)> {
        let j = self.state().jobs.borrow_mut().pop_front();
        if j.is_some() {
            self.state().queued.set(self.state().queued.get() - 1);
        }
        j
    }
}
