//! The video port model: what `videoprt.sys` does for a miniport. Every routine is named
//! after the one it models; the readings of VideoPortSynchronizeExecution that sources
//! disagree on (semantics.md §2) are a setting, [`SyncReading`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use dirql_sim::Routine;

use crate::irql::Irql;
use crate::kernel::{Cpu, InterruptObject, Op};
use crate::pci::PciFunction;
use crate::request::RequestNote;
use crate::stop_codes;

/// Which source's VideoPortSynchronizeExecution the model follows (semantics.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncReading {
    /// The current reference page: VpHigh = VpMedium = the ISR's lock; VpMedium without
    /// an ISR = VpLow.
    Current,
    /// The NT4/Windows 2000 page: VpHigh masks every interrupt in the system; VpMedium
    /// without an ISR = VpHigh.
    Legacy,
    /// ReactOS: VpLow calls directly; VpHigh raises this CPU to SYNCH_LEVEL without the
    /// lock; returns the routine's BOOLEAN.
    ReactOs,
}

impl SyncReading {
    /// All readings, for listings.
    pub const ALL: [SyncReading; 3] = [SyncReading::Current, SyncReading::Legacy, SyncReading::ReactOs];

    /// The setting's name (`current`, `legacy`, `reactos`).
    pub fn name(self) -> &'static str {
        match self {
            SyncReading::Current => "current",
            SyncReading::Legacy => "legacy",
            SyncReading::ReactOs => "reactos",
        }
    }

    /// Parses a setting's name.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// VIDEO_SYNCHRONIZE_PRIORITY.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Priority {
    /// VpLowPriority.
    Low,
    /// VpMediumPriority.
    Medium,
    /// VpHighPriority.
    High,
}

/// Settings of the video port model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoPortConfig {
    /// The reading of VideoPortSynchronizeExecution.
    pub reading: SyncReading,
    /// SMP build (SYNCH_LEVEL is 27 rather than DISPATCH).
    pub smp: bool,
    /// Cycles per microsecond for VideoPortStallExecution (33 at 33 MHz).
    pub cycles_per_us: u64,
    /// Longest VideoPortStallExecution allowed in HwVidInterrupt or above DISPATCH_LEVEL,
    /// in microseconds ("no more than a very few microseconds", hwvid-interrupt.md).
    pub isr_stall_max_us: u64,
    /// Longest a VpHighPriority routine may run, in cycles ("must return control as
    /// quickly as possible"); past it the CPU bug-checks DPC_WATCHDOG_VIOLATION.
    pub high_priority_max_cycles: u64,
}

impl Default for VideoPortConfig {
    fn default() -> Self {
        VideoPortConfig {
            reading: SyncReading::Current,
            smp: true,
            cycles_per_us: 33,
            isr_stall_max_us: 10,
            high_priority_max_cycles: 1500,
        }
    }
}

/// VIDEO_REQUEST_PACKET: one request to HwVidStartIO. The control codes are the
/// miniport's (public IOCTL_VIDEO_* or its private ones); `status` is set by the miniport.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VideoRequestPacket {
    /// IoControlCode.
    pub ioctl: u32,
    /// InputBuffer, in dwords.
    pub input: Vec<u32>,
    /// OutputBuffer, in dwords, filled by the miniport.
    pub output: Vec<u32>,
    /// StatusBlock->Status: 0 = NO_ERROR, else a Win32-style error code.
    pub status: u32,
    /// The caller accepts a failure status (a probe, a request it knows may be refused).
    /// By default it does not: a request that completes with an error is harm, and
    /// `request-completion` fails (the OS traces it: [`crate::request`]).
    pub may_fail: bool,
}

/// NO_ERROR.
pub const NO_ERROR: u32 = 0;
/// ERROR_INVALID_FUNCTION: the miniport does not handle the control code.
pub const ERROR_INVALID_FUNCTION: u32 = 1;
/// ERROR_INVALID_PARAMETER.
pub const ERROR_INVALID_PARAMETER: u32 = 87;
/// ERROR_IO_DEVICE: the adapter did not do what it was asked.
pub const ERROR_IO_DEVICE: u32 = 1117;

/// StartIO serialization: the video port hands HwVidStartIO one request at a time and
/// does not start the next until the previous completes (a ticket queue, so requests
/// start in the order they arrived).
#[derive(Debug, Default)]
pub struct StartIoQueue {
    next_ticket: Cell<u64>,
    serving: Cell<u64>,
    active: Cell<Option<u8>>,
    started: Cell<u64>,
    completed: Cell<u64>,
    overlapped: Cell<u64>,
    /// The CPU and cycle of the last completion: its note must be seen for a cycle before
    /// the same CPU's next request covers it.
    last_done: Cell<Option<(u8, u64)>>,
}

impl StartIoQueue {
    /// Requests handed to HwVidStartIO so far.
    pub fn started(&self) -> u64 {
        self.started.get()
    }

    /// Requests completed.
    pub fn completed(&self) -> u64 {
        self.completed.get()
    }

    /// Requests started while another was still in HwVidStartIO (must stay 0).
    pub fn overlapped(&self) -> u64 {
        self.overlapped.get()
    }
}

/// A miniport driver as the video port sees it (the HW_INITIALIZATION_DATA entry points).
pub trait VideoMiniport {
    /// The driver's name, for reports.
    fn name(&self) -> &str;
    /// True when the miniport has a HwVidInterrupt.
    fn has_interrupt(&self) -> bool;
    /// HwVidFindAdapter: claims the enumerated device; an error names what is wrong.
    fn hw_find_adapter(&self, vp: &VideoPort<'_, '_>) -> Result<(), String>;
    /// HwVidInitialize.
    fn hw_initialize(&self, vp: &VideoPort<'_, '_>) -> bool;
    /// HwVidInterrupt: FALSE when the adapter did not interrupt, else dismiss and TRUE.
    fn hw_interrupt(&self, vp: &VideoPort<'_, '_>) -> bool;
    /// The miniport's DPC routine, queued with [`VideoPort::queue_miniport_dpc`]; runs at
    /// DISPATCH_LEVEL on the CPU that queued it.
    fn hw_dpc(&self, vp: &VideoPort<'_, '_>) {
        let _ = vp;
    }
    /// HwVidStartIO: processes one request and sets its status; FALSE when the miniport
    /// does not handle requests (the default).
    fn hw_start_io(&self, vp: &VideoPort<'_, '_>, rp: &mut VideoRequestPacket) -> bool {
        let _ = vp;
        rp.status = ERROR_INVALID_FUNCTION;
        false
    }
}

/// The video port's per-device state (its device extension).
pub struct VideoDevice {
    /// Settings.
    pub cfg: VideoPortConfig,
    /// The enumerated PCI function.
    pub pci: PciFunction,
    interrupt: RefCell<Option<Rc<InterruptObject>>>,
    miniport: RefCell<Option<Rc<dyn VideoMiniport>>>,
    /// The StartIO queue.
    pub start_io: StartIoQueue,
    me: std::rc::Weak<VideoDevice>,
}

impl VideoDevice {
    /// The device as enumerated, with no interrupt connected yet.
    pub fn new(cfg: VideoPortConfig, pci: PciFunction) -> Rc<Self> {
        Rc::new_cyclic(|me| VideoDevice {
            cfg,
            pci,
            interrupt: RefCell::new(None),
            miniport: RefCell::new(None),
            start_io: StartIoQueue::default(),
            me: me.clone(),
        })
    }

    /// The connected interrupt object, if any.
    pub fn interrupt(&self) -> Option<Rc<InterruptObject>> {
        self.interrupt.borrow().clone()
    }
}

/// What a miniport routine calls the video port through: the CPU it runs on and its
/// device.
pub struct VideoPort<'a, 'y> {
    cpu: &'a Cpu<'y>,
    dev: &'a VideoDevice,
}

impl<'a, 'y> VideoPort<'a, 'y> {
    /// The video port as seen from `cpu` for `dev`.
    pub fn new(cpu: &'a Cpu<'y>, dev: &'a VideoDevice) -> Self {
        VideoPort { cpu, dev }
    }

    /// The CPU this routine runs on.
    pub fn cpu(&self) -> &Cpu<'y> {
        self.cpu
    }

    /// The device (enumeration results, settings).
    pub fn device(&self) -> &VideoDevice {
        self.dev
    }

    /// True when the code running now is HwVidInterrupt, or a routine synchronized with
    /// it at a raised IRQL (hwvid-synchronize-execution-callback.md: "like a HwVidInterrupt
    /// function, [it] cannot call certain VideoPortXxx functions").
    fn in_isr_context(&self) -> bool {
        match self.cpu.routine() {
            Routine::Isr => true,
            Routine::Sync => self.cpu.irql() > Irql::DISPATCH,
            _ => false,
        }
    }

    /// The rules every service checks on entry: one that an ISR may not call
    /// (`isr_ok` false) called from HwVidInterrupt, or a call above the service's highest
    /// IRQL, is a bug check (hwvid-interrupt.md: "Violation of this requirement will cause
    /// system failure").
    fn service(&self, name: &str, isr_ok: bool, max_irql: Irql) {
        if !isr_ok && self.in_isr_context() {
            self.cpu.bug_check(
                stop_codes::VIDEO_PORT_ISR_FORBIDDEN_CALL,
                format!(
                    "{} called {name}, which HwVidInterrupt and routines synchronized with it may not call \
                     (hwvid-interrupt.md)",
                    self.cpu.routine().name()
                ),
            );
        }
        let irql = self.cpu.irql();
        if irql > max_irql {
            self.cpu.bug_check(
                stop_codes::DRIVER_IRQL_NOT_LESS_OR_EQUAL,
                format!("{name} called at {irql}; its callers must run at or below {max_irql}"),
            );
        }
    }

    /// VideoPortReadRegisterUlong.
    pub fn read_register_ulong(&self, addr: u32) -> u32 {
        let m = self.cpu.mark(Op::ReadRegister);
        let v = self.cpu.mem_read32(addr);
        self.cpu.unmark(m);
        v
    }

    /// VideoPortWriteRegisterUlong (a posted MMIO write).
    pub fn write_register_ulong(&self, addr: u32, value: u32) {
        let m = self.cpu.mark(Op::WriteRegister);
        self.cpu.mem_write32(addr, value);
        self.cpu.unmark(m);
    }

    /// VideoPortWriteRegisterBufferUlong: a linear burst.
    pub fn write_register_buffer_ulong(&self, addr: u32, values: &[u32]) {
        let m = self.cpu.mark(Op::WriteRegister);
        self.cpu.mem_write_burst(addr, values);
        self.cpu.unmark(m);
    }

    /// VideoPortReadRegisterUchar.
    pub fn read_register_uchar(&self, addr: u32) -> u8 {
        let lane = addr & 3;
        self.access(Op::ReadRegister, || (self.cpu.mem_read(addr, 1 << lane) >> (8 * lane)) as u8)
    }

    /// VideoPortReadRegisterUshort (`addr` 2-byte aligned).
    pub fn read_register_ushort(&self, addr: u32) -> u16 {
        let lane = addr & 2;
        self.access(Op::ReadRegister, || (self.cpu.mem_read(addr, 3 << lane) >> (8 * lane)) as u16)
    }

    /// VideoPortWriteRegisterUchar (posted).
    pub fn write_register_uchar(&self, addr: u32, value: u8) {
        let lane = addr & 3;
        self.access(Op::WriteRegister, || self.cpu.mem_write(addr, u32::from(value) << (8 * lane), 1 << lane));
    }

    /// VideoPortWriteRegisterUshort (posted; `addr` 2-byte aligned).
    pub fn write_register_ushort(&self, addr: u32, value: u16) {
        let lane = addr & 2;
        self.access(Op::WriteRegister, || self.cpu.mem_write(addr, u32::from(value) << (8 * lane), 3 << lane));
    }

    /// VideoPortReadRegisterBufferUlong: `count` dwords from `addr` up, as one burst read.
    pub fn read_register_buffer_ulong(&self, addr: u32, count: usize) -> Vec<u32> {
        self.access(Op::ReadRegister, || self.cpu.mem_read_burst(addr, count))
    }

    /// VideoPortReadPortUshort.
    pub fn read_port_ushort(&self, port: u32) -> u16 {
        self.access(Op::ReadPort, || self.cpu.io_read(port, 2) as u16)
    }

    /// VideoPortReadPortUlong.
    pub fn read_port_ulong(&self, port: u32) -> u32 {
        self.access(Op::ReadPort, || self.cpu.io_read(port, 4))
    }

    /// VideoPortWritePortUshort (on an index/data port pair, index | data << 8 writes both at once).
    pub fn write_port_ushort(&self, port: u32, value: u16) {
        self.access(Op::WritePort, || self.cpu.io_write(port, 2, u32::from(value)));
    }

    /// VideoPortWritePortUlong.
    pub fn write_port_ulong(&self, port: u32, value: u32) {
        self.access(Op::WritePort, || self.cpu.io_write(port, 4, value));
    }

    /// VideoPortReadPortBufferUchar: `count` reads of one port (e.g. the DAC data port).
    pub fn read_port_buffer_uchar(&self, port: u32, count: usize) -> Vec<u8> {
        self.access(Op::ReadPort, || (0..count).map(|_| self.cpu.io_read8(port)).collect())
    }

    /// VideoPortReadPortBufferUshort: `count` 16-bit reads of one port.
    pub fn read_port_buffer_ushort(&self, port: u32, count: usize) -> Vec<u16> {
        self.access(Op::ReadPort, || (0..count).map(|_| self.cpu.io_read(port, 2) as u16).collect())
    }

    /// VideoPortWritePortBufferUshort: 16-bit writes of `data` to one port.
    pub fn write_port_buffer_ushort(&self, port: u32, data: &[u16]) {
        self.access(Op::WritePort, || {
            for &w in data {
                self.cpu.io_write(port, 2, u32::from(w));
            }
        });
    }

    /// Runs a device access with its operation marker on the waveform.
    fn access<T>(&self, op: Op, f: impl FnOnce() -> T) -> T {
        let m = self.cpu.mark(op);
        let v = f();
        self.cpu.unmark(m);
        v
    }

    /// VideoPortReadPortUchar.
    pub fn read_port_uchar(&self, port: u32) -> u8 {
        let m = self.cpu.mark(Op::ReadPort);
        let v = self.cpu.io_read8(port);
        self.cpu.unmark(m);
        v
    }

    /// VideoPortWritePortUchar (I/O writes are never posted).
    pub fn write_port_uchar(&self, port: u32, value: u8) {
        let m = self.cpu.mark(Op::WritePort);
        self.cpu.io_write8(port, value);
        self.cpu.unmark(m);
    }

    /// VideoPortStallExecution: busy-waits `us` microseconds of simulated time. From
    /// HwVidInterrupt or above DISPATCH_LEVEL, longer than the configured bound is a bug
    /// check.
    pub fn stall_execution(&self, us: u64) {
        let max = self.dev.cfg.isr_stall_max_us;
        if us > max && (self.in_isr_context() || self.cpu.irql() > Irql::DISPATCH) {
            self.cpu.bug_check(
                stop_codes::VIDEO_PORT_STALL_TOO_LONG,
                format!(
                    "VideoPortStallExecution({us} us) at {} in {}; the bound is {max} us",
                    self.cpu.irql(),
                    self.cpu.routine().name()
                ),
            );
        }
        let m = self.cpu.mark(Op::Stall);
        self.cpu.work(us * self.dev.cfg.cycles_per_us);
        self.cpu.unmark(m);
    }

    /// VideoPortQueueDpc: runs `dpc` at DISPATCH_LEVEL on this CPU once its IRQL drops.
    pub fn queue_dpc(&self, dpc: Box<dyn FnOnce(&Cpu<'_>)>) -> bool {
        let m = self.cpu.mark(Op::QueueDpc);
        self.cpu.queue_dpc(dpc);
        self.cpu.unmark(m);
        true
    }

    /// VideoPortZeroMemory: clears driver memory (modelled at one cycle per 8 dwords).
    pub fn zero_memory(&self, buf: &mut [u32]) {
        self.service("VideoPortZeroMemory", true, Irql::HIGH);
        let m = self.cpu.mark(Op::ZeroMemory);
        buf.fill(0);
        self.cpu.work((buf.len() as u64).div_ceil(8));
        self.cpu.unmark(m);
    }

    /// VideoPortZeroDeviceMemory: clears `dwords` dwords of device memory at `addr` with
    /// a burst of zero writes.
    pub fn zero_device_memory(&self, addr: u32, dwords: usize) {
        self.service("VideoPortZeroDeviceMemory", true, Irql::HIGH);
        let m = self.cpu.mark(Op::ZeroMemory);
        self.cpu.mem_write_burst(addr, &vec![0; dwords]);
        self.cpu.unmark(m);
    }

    /// VideoPortLogError: records `text` with the cycle in the kernel's error log.
    pub fn log_error(&self, text: &str) {
        self.service("VideoPortLogError", true, Irql::HIGH);
        let m = self.cpu.mark(Op::LogError);
        self.cpu.work(4);
        self.cpu.kernel().log_error(format!(
            "{}: CPU{} {}: {text}",
            self.cpu.now(),
            self.cpu.id(),
            self.cpu.routine().name()
        ));
        self.cpu.unmark(m);
    }

    /// VideoPortDisableInterrupt (obsolete): the device's interrupt is not taken on *this*
    /// processor until VideoPortEnableInterrupt; another processor can still take it
    /// (semantics.md §3). Returns TRUE (NO_ERROR).
    pub fn disable_interrupt(&self) -> bool {
        self.service("VideoPortDisableInterrupt", true, Irql::HIGH);
        let m = self.cpu.mark(Op::InterruptControl);
        self.cpu.set_line_masked_here(true);
        self.cpu.work(2);
        self.cpu.unmark(m);
        true
    }

    /// VideoPortEnableInterrupt (obsolete): undoes VideoPortDisableInterrupt on this
    /// processor.
    pub fn enable_interrupt(&self) -> bool {
        self.service("VideoPortEnableInterrupt", true, Irql::HIGH);
        let m = self.cpu.mark(Op::InterruptControl);
        self.cpu.set_line_masked_here(false);
        self.cpu.work(2);
        self.cpu.unmark(m);
        true
    }

    /// VideoPortAllocatePool (nonpaged): callers at or below DISPATCH_LEVEL, never from
    /// HwVidInterrupt. Returns a zeroed buffer of `dwords`.
    pub fn allocate_pool(&self, dwords: usize) -> Vec<u32> {
        self.service("VideoPortAllocatePool", false, Irql::DISPATCH);
        self.cpu.work(20);
        vec![0; dwords]
    }

    /// VideoPortGetRegistryParameters: PASSIVE_LEVEL only. The model has no registry;
    /// the value is `default`.
    pub fn get_registry_parameters(&self, name: &str, default: u32) -> u32 {
        self.service(&format!("VideoPortGetRegistryParameters({name})"), false, Irql::PASSIVE);
        self.cpu.work(40);
        default
    }

    /// What the I/O manager does with an IOCTL for the adapter: waits until no other
    /// request is in HwVidStartIO, then calls it (serialized; semantics of
    /// hwvid-synchronize-execution-callback.md: "the video port driver does not send a
    /// request to a miniport driver's HwVidStartIO function until it completes processing
    /// of the preceding request"). PASSIVE_LEVEL only. Returns the request's status.
    pub fn start_io(&self, rp: &mut VideoRequestPacket) -> u32 {
        self.service("HwVidStartIO request", false, Irql::PASSIVE);
        let Some(mp) = self.dev.miniport.borrow().clone() else {
            rp.status = ERROR_INVALID_FUNCTION;
            return rp.status;
        };
        let q = &self.dev.start_io;
        if q.last_done.get() == Some((self.cpu.id(), self.cpu.now())) {
            // The previous completion's note has not been on the waveform yet.
            self.cpu.work(1);
        }
        let ticket = q.next_ticket.get();
        q.next_ticket.set(ticket + 1);
        self.cpu.note(RequestNote::pending(ticket, rp.ioctl, rp.may_fail, self.cpu.slot()));
        let m = self.cpu.mark(Op::StartIo);
        while q.serving.get() != ticket || q.active.get().is_some() {
            // The thread waits on the video port's request queue.
            self.cpu.work(8);
        }
        q.active.set(Some(self.cpu.id()));
        q.started.set(q.started.get() + 1);
        let prev = self.cpu.enter(Routine::StartIo);
        mp.hw_start_io(self, rp);
        self.cpu.enter(prev);
        if q.active.get() != Some(self.cpu.id()) {
            q.overlapped.set(q.overlapped.get() + 1);
        }
        q.active.set(None);
        q.completed.set(q.completed.get() + 1);
        q.serving.set(ticket + 1);
        self.cpu.unmark(m);
        self.cpu.note(RequestNote::done(ticket, rp.status, rp.may_fail, self.cpu.slot()));
        q.last_done.set(Some((self.cpu.id(), self.cpu.now())));
        rp.status
    }

    /// VideoPortQueueDpc with the miniport's own DPC routine (HwVidDpcRoutine).
    pub fn queue_miniport_dpc(&self) -> bool {
        let (Some(dev), Some(mp)) = (self.dev.me.upgrade(), self.dev.miniport.borrow().clone()) else {
            return false;
        };
        self.queue_dpc(Box::new(move |cpu| mp.hw_dpc(&VideoPort::new(cpu, &dev))))
    }

    /// VideoPortWritePortBufferUchar: `data` to one port, byte after byte (I/O writes are
    /// not posted: each completes on the bus before the next).
    pub fn write_port_buffer_uchar(&self, port: u32, data: &[u8]) {
        let m = self.cpu.mark(Op::WritePort);
        for &b in data {
            self.cpu.io_write8(port, b);
        }
        self.cpu.unmark(m);
    }

    /// VideoPortSynchronizeExecution under the configured reading (semantics.md §2). A
    /// VpHighPriority routine that runs longer than the configured bound is a bug check.
    pub fn synchronize_execution(&self, priority: Priority, routine: &dyn Fn(&VideoPort<'_, '_>) -> bool) -> bool {
        self.service("VideoPortSynchronizeExecution", false, Irql::DISPATCH);
        let m = self.cpu.mark(Op::Synchronize);
        let bound = self.dev.cfg.high_priority_max_cycles;
        let int = self.dev.interrupt();
        let run = |cpu: &Cpu<'_>| {
            let prev = cpu.enter(Routine::Sync);
            // The bound runs from the routine's start: time spent waiting for the lock
            // is the video port's, not the routine's.
            let deadline = (priority == Priority::High)
                .then(|| cpu.set_deadline(Some((cpu.now() + bound, stop_codes::DPC_WATCHDOG_VIOLATION))));
            // VpLowPriority promises no exclusion from the ISR (semantics.md §2); the
            // others do, in every reading's page, whatever the reading then does.
            let r = if priority == Priority::Low {
                routine(&VideoPort::new(cpu, self.dev))
            } else {
                cpu.expecting_exclusion(|| routine(&VideoPort::new(cpu, self.dev)))
            };
            if let Some(prev) = deadline {
                cpu.set_deadline(prev);
            }
            cpu.enter(prev);
            r
        };
        let raised = |level: Irql| {
            let old = self.cpu.raise_irql(level.max(self.cpu.irql()));
            let r = run(self.cpu);
            self.cpu.lower_irql(old);
            r
        };
        let locked = |int: &InterruptObject| self.cpu.synchronize_execution(int, &|c| run(c));
        use Priority::*;
        use SyncReading::*;
        let r = match (self.dev.cfg.reading, priority, int.as_deref()) {
            (Current | Legacy, Low, _) | (Current, Medium | High, None) => {
                raised(Irql::DISPATCH);
                true
            }
            (Current | Legacy, Medium, Some(i)) | (Current, High, Some(i)) => {
                locked(i);
                true
            }
            (Legacy, Medium, None) | (Legacy, High, None) => {
                // "Raised so high that every interrupt in the system is masked": HIGH_LEVEL
                // here, and the device's line masked for every CPU meanwhile.
                self.cpu.mask_all_interrupts(true);
                raised(Irql::HIGH);
                self.cpu.mask_all_interrupts(false);
                true
            }
            (Legacy, High, Some(i)) => {
                // As above; and since masking stops only interrupts not yet taken, an ISR
                // already running on another processor is waited out (its lock) — with
                // every interrupt in the system masked, none can be running.
                self.cpu.mask_all_interrupts(true);
                let old = self.cpu.raise_irql(Irql::HIGH);
                self.cpu.acquire(&i.lock);
                run(self.cpu);
                self.cpu.release(&i.lock);
                self.cpu.lower_irql(old);
                self.cpu.mask_all_interrupts(false);
                true
            }
            (ReactOs, Low, _) | (ReactOs, Medium, None) => run(self.cpu),
            (ReactOs, Medium, Some(i)) => locked(i),
            (ReactOs, High, _) => raised(Irql::synch(self.dev.cfg.smp)),
        };
        self.cpu.unmark(m);
        r
    }
}

/// VideoPortInitialize for one enumerated adapter: HwVidFindAdapter, connect the ISR when
/// the miniport has one *and* the adapter has an interrupt resource (semantics.md §2, as
/// ReactOS and the Permedia 3 sample check), then HwVidInitialize.
pub fn video_port_initialize(
    cpu: &Cpu<'_>,
    dev: &Rc<VideoDevice>,
    miniport: Rc<dyn VideoMiniport>,
) -> Result<(), String> {
    let vp = VideoPort::new(cpu, dev);
    miniport.hw_find_adapter(&vp)?;
    *dev.miniport.borrow_mut() = Some(miniport.clone());
    let pci = &dev.pci;
    if miniport.has_interrupt() && pci.interrupt_pin != 0 && pci.interrupt_line != 0xFF && pci.interrupt_line != 0 {
        let int = Rc::new(InterruptObject::new(Irql::for_line(pci.interrupt_line)));
        let (mp, d) = (miniport.clone(), dev.clone());
        int.connect(miniport.name(), Rc::new(move |c: &Cpu<'_>| mp.hw_interrupt(&VideoPort::new(c, &d))));
        *dev.interrupt.borrow_mut() = Some(int.clone());
        cpu.connect_interrupt(int);
    }
    if !miniport.hw_initialize(&vp) {
        return Err(format!("{}: HwVidInitialize returned FALSE", miniport.name()));
    }
    Ok(())
}
