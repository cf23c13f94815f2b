//! The video port model: what `videoprt.sys` does for a miniport. Every routine is named
//! after the one it models; the readings of VideoPortSynchronizeExecution that sources
//! disagree on (semantics.md §2) are a setting, [`SyncReading`].

use std::cell::RefCell;
use std::rc::Rc;

use dirql_sim::Routine;

use crate::irql::Irql;
use crate::kernel::{Cpu, InterruptObject, Op};
use crate::pci::PciFunction;

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
}

impl Default for VideoPortConfig {
    fn default() -> Self {
        VideoPortConfig { reading: SyncReading::Current, smp: true, cycles_per_us: 33 }
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
}

/// The video port's per-device state (its device extension).
pub struct VideoDevice {
    /// Settings.
    pub cfg: VideoPortConfig,
    /// The enumerated PCI function.
    pub pci: PciFunction,
    interrupt: RefCell<Option<Rc<InterruptObject>>>,
}

impl VideoDevice {
    /// The device as enumerated, with no interrupt connected yet.
    pub fn new(cfg: VideoPortConfig, pci: PciFunction) -> Rc<Self> {
        Rc::new(VideoDevice { cfg, pci, interrupt: RefCell::new(None) })
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

    /// HwVidInterrupt may call only the services listed in `seeds/hwvid-interrupt.md`;
    /// anything else is a bug check, as the page warns.
    fn not_from_isr(&self, service: &str) {
        if self.cpu.routine() == Routine::Isr {
            self.cpu.bug_check(
                "VIDEO_PORT_ISR_FORBIDDEN_CALL",
                format!("HwVidInterrupt called {service}, which an ISR may not call (hwvid-interrupt.md)"),
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

    /// VideoPortStallExecution: busy-waits `us` microseconds of simulated time.
    pub fn stall_execution(&self, us: u64) {
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

    /// VideoPortSynchronizeExecution under the configured reading (semantics.md §2).
    pub fn synchronize_execution(&self, priority: Priority, routine: &dyn Fn(&VideoPort<'_, '_>) -> bool) -> bool {
        self.not_from_isr("VideoPortSynchronizeExecution");
        let m = self.cpu.mark(Op::Synchronize);
        let int = self.dev.interrupt();
        let run = |cpu: &Cpu<'_>| {
            let prev = cpu.enter(Routine::Sync);
            let r = routine(&VideoPort::new(cpu, self.dev));
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
            (Legacy, Medium, None) | (Legacy, High, _) => {
                // "Raised so high that every interrupt in the system is masked": HIGH_LEVEL
                // here, and the device's line masked for every CPU meanwhile.
                self.cpu.mask_all_interrupts(true);
                raised(Irql::HIGH);
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
