//! The reference miniport for the dirql adapter, and its broken twins. A twin is the
//! reference driver with one defect switched on; each declares the rule it breaks and the
//! scenario that exposes it, so the test suite can demand that exactly that rule fails.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::regs::*;
use crate::regs_ext as ext;
use dirql_host::ndis::{self, InterruptRequest, NdisInterrupt, NdisMiniportInterrupt, NdisSpinLock};
use dirql_host::stop_codes;
use dirql_host::videoport::{
    Priority, VideoDevice, VideoMiniport, VideoPort, VideoRequestPacket, ERROR_INVALID_FUNCTION,
    ERROR_INVALID_PARAMETER, ERROR_IO_DEVICE, NO_ERROR,
};
use dirql_host::Cpu;
use dirql_testbenches::device::Twin;

/// A driver variant: the reference, or a twin with one declared defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// What the core knows of it: name, the rule it breaks, the scenario that shows it.
    pub twin: Twin,
    /// The defect switched on (`None`: the reference).
    pub defect: Option<Defect>,
}

impl std::ops::Deref for Variant {
    type Target = Twin;
    fn deref(&self) -> &Twin {
        &self.twin
    }
}

/// The defect a twin has, as the miniport's code tests it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Defect {
    /// `no-ack`.
    NoAck,
    /// `no-readback`.
    NoReadback,
    /// `claims-foreign`.
    ClaimsForeign,
    /// `unsync-crtc`.
    UnsyncCrtc,
    /// `clobber-index`.
    ClobberIndex,
    /// `forbidden-call`.
    ForbiddenCall,
    /// `slow-high-priority`.
    SlowHighPriority,
    /// `split-sequence`.
    SplitSequence,
    /// `dpc-unsync`.
    DpcUnsync,
    /// `steals-status`.
    StealsStatus,
    /// `acks-before-reading`.
    AcksBeforeReading,
    /// `low-priority-crtc`.
    LowPriorityCrtc,
    /// `dispatch-crtc`.
    DispatchCrtc,
    /// `polling-isr`.
    PollingIsr,
    /// `slow-dpc`.
    SlowDpc,
    /// `msi-wrong-source`.
    MsiWrongSource,
    /// `msi-no-ack`.
    MsiNoAck,
    /// `no-dpc`.
    NoDpc,
    /// `dispatch-wait`.
    DispatchWait,
    /// `no-engine-reset`.
    NoEngineReset,
    /// `fifo-low-unclaimed`.
    FifoLowUnclaimed,
}

impl Variant {
    /// The variant a core [`Twin`] stands for (one of [`VARIANTS`]).
    pub fn of(twin: &Twin) -> &'static Variant {
        VARIANTS.iter().find(|v| v.twin.name == twin.name).unwrap_or(&VARIANTS[0])
    }

    /// The variant called `name`.
    pub fn by_name(name: &str) -> Option<&'static Variant> {
        VARIANTS.iter().find(|v| v.twin.name == name)
    }
}

/// Every driver variant.
pub const VARIANTS: &[Variant] = &[
    Variant {
        twin: Twin {
            name: "reference",
            breaks: None,
            scenario: None,
            also_breaks: &[],
            description: "HwVidInterrupt reads status and enable, returns FALSE if nothing of ours is pending, \
                          dismisses the retrace through CR11 (saving and restoring the CRTC index), acknowledges the \
                          MMIO sources with a write-back flushed by a read-back, and queues its DPC",    },
        defect: None,
    },
    Variant {
        twin: Twin {
            name: "no-ack",
            breaks: Some("isr-dismissal"),
            scenario: Some("vblank"),
            also_breaks: &[],
            description: "claims the interrupt but never writes INT_STATUS, so INTA# stays asserted",    },
        defect: Some(Defect::NoAck),
    },
    Variant {
        twin: Twin {
            name: "no-readback",
            breaks: Some("isr-dismissal"),
            // The retrace is dismissed through CR11 with an I/O write, which is never posted:
            // the defect shows on the MMIO-acknowledged command-engine sources (fences).
            scenario: Some("mode-set"),
            also_breaks: &[],
            description: "acknowledges with a posted MMIO write and returns without a read-back, so the line can \
                          still be low when the interrupt controller looks again",    },
        defect: Some(Defect::NoReadback),
    },
    Variant {
        twin: Twin {
            name: "claims-foreign",
            breaks: Some("isr-ownership"),
            scenario: Some("shared-line"),
            // The other device's line stays low, the OS disables the storming line, and the
            // adapter's later retrace interrupts are lost with it.
            also_breaks: &["no-lost-interrupt"],
            description: "never looks at INT_STATUS: acknowledges every source and returns TRUE for every interrupt on \
                          the shared line, so the other device's ISR is never called",    },
        defect: Some(Defect::ClaimsForeign),
    },
    Variant {
        twin: Twin {
            name: "unsync-crtc",
            // Judged by effect: the CRTC pair is a register the ISR uses, touched without the
            // lock while the ISR can run — on every run. When the race also happens, a data
            // write lands in the wrong register, or the ISR's CR11 write does (then the retrace
            // latch stays held and its events are lost: no-lost-interrupt (k)).
            breaks: Some("sync-isolation"),
            scenario: Some("mode-set"),
            also_breaks: &["register-integrity", "isr-dismissal", "no-lost-interrupt"],
            description: "programs CRTC registers through the 3D4h/3D5h pair without VideoPortSynchronizeExecution, \
                          so the ISR's CR11 dismissal can move the index between its index and data writes",    },
        defect: Some(Defect::UnsyncCrtc),
    },
    Variant {
        twin: Twin {
            name: "clobber-index",
            breaks: Some("register-integrity"),
            scenario: Some("mode-set"),
            also_breaks: &[],
            description: "HwVidInterrupt dismisses the retrace through CR11 but leaves the CRTC index at 0x11",    },
        defect: Some(Defect::ClobberIndex),
    },
    Variant {
        twin: Twin {
            name: "forbidden-call",
            breaks: Some("irql-discipline"),
            scenario: Some("vblank"),
            // The bug check stops the machine: the run does not complete.
            also_breaks: &["run-completed"],
            description: "HwVidInterrupt calls VideoPortAllocatePool, which an ISR may not call: bug check \
                          VIDEO_PORT_ISR_FORBIDDEN_CALL (an irql-discipline violation)",    },
        defect: Some(Defect::ForbiddenCall),
    },
    Variant {
        twin: Twin {
            name: "slow-high-priority",
            breaks: Some("irql-discipline"),
            scenario: Some("mode-set"),
            // The bug check stops the machine: the run does not complete.
            also_breaks: &["run-completed"],
            description: "validates the mode inside its VpHighPriority routine, which then runs past the bound: bug \
                          check DPC_WATCHDOG_VIOLATION (an irql-discipline violation)",    },
        defect: Some(Defect::SlowHighPriority),
    },
    Variant {
        twin: Twin {
            name: "split-sequence",
            breaks: Some("burst-integrity"),
            scenario: Some("mode-set"),
            also_breaks: &["request-completion"],
            description: "writes the timed MODE sequence one register at a time outside VideoPortSynchronizeExecution, \
                          so an interrupt can land inside it",    },
        defect: Some(Defect::SplitSequence),
    },
    Variant {
        twin: Twin {
            name: "dpc-unsync",
            breaks: Some("sync-isolation"),
            scenario: Some("vblank"),
            also_breaks: &[],
            description: "its DPC read-modify-writes INT_ENABLE, which HwVidInterrupt also edits, without \
                          VideoPortSynchronizeExecution",    },
        defect: Some(Defect::DpcUnsync),
    },
    Variant {
        twin: Twin {
            name: "steals-status",
            breaks: Some("no-lost-interrupt"),
            scenario: Some("mode-set"),
            also_breaks: &["request-completion"],
            description: "clears INT_STATUS (writes 1 to every source) from StartIO shortly after kicking the \
                          command engine — synchronized with the ISR, so nothing overlaps — and a fence interrupt latched \
                          but not yet serviced is cleared behind the ISR's back",    },
        defect: Some(Defect::StealsStatus),
    },
    Variant {
        twin: Twin {
            name: "acks-before-reading",
            breaks: Some("no-lost-interrupt"),
            scenario: Some("mode-set"),
            // With the sources gone at its status read it answers FALSE: the OS counts the
            // interrupt unclaimed, and a storm may disable the line.
            also_breaks: &["isr-ownership", "request-completion"],
            description: "HwVidInterrupt acknowledges every MMIO source (a write of all ones to INT_STATUS) before it \
                          reads INT_STATUS to see which were its own: the fence interrupts are cleared unseen and lost \
                          (an ISR that acknowledges too much, too early)",    },
        defect: Some(Defect::AcksBeforeReading),
    },
    Variant {
        twin: Twin {
            name: "low-priority-crtc",
            breaks: Some("sync-isolation"),
            scenario: Some("mode-set"),
            also_breaks: &["register-integrity", "isr-dismissal", "no-lost-interrupt"],
            description: "programs each CRTC index/data pair through VideoPortSynchronizeExecution at VpLowPriority, \
                          which raises to DISPATCH_LEVEL but does not exclude the ISR (a routine synchronized at the \
                          wrong priority)",    },
        defect: Some(Defect::LowPriorityCrtc),
    },
    Variant {
        twin: Twin {
            name: "dispatch-crtc",
            breaks: Some("sync-isolation"),
            scenario: Some("mode-set"),
            also_breaks: &["register-integrity", "isr-dismissal", "no-lost-interrupt"],
            description: "programs the CRTC pairs from a DPC-level section (KeRaiseIrql to DISPATCH_LEVEL) believing \
                          that keeps the ISR out: on two CPUs the ISR runs on the other one meanwhile",    },
        defect: Some(Defect::DispatchCrtc),
    },
    Variant {
        twin: Twin {
            name: "polling-isr",
            breaks: Some("time-budget"),
            scenario: Some("mode-set"),
            also_breaks: &["request-completion"],
            description: "HwVidInterrupt, on a fence, polls CMD_STATUS until the command engine is idle before \
                          returning: each read is short, the ISR as a whole runs far past 25 us",    },
        defect: Some(Defect::PollingIsr),
    },
    Variant {
        twin: Twin {
            name: "slow-dpc",
            breaks: Some("time-budget"),
            scenario: Some("vblank"),
            also_breaks: &[],
            description: "its DPC recomputes a gamma table in place on every retrace: over 100 us at DISPATCH_LEVEL",    },
        defect: Some(Defect::SlowDpc),
    },
    Variant {
        twin: Twin {
            name: "msi-wrong-source",
            breaks: Some("isr-dismissal"),
            scenario: Some("msi"),
            also_breaks: &["request-completion"],
            description: "in MSI mode, MiniportMessageInterrupt acknowledges the source of the next message number \
                          instead of its own (an off-by-one in the message-to-source map): its own source stays \
                          latched and never sends a message again",    },
        defect: Some(Defect::MsiWrongSource),
    },
    Variant {
        twin: Twin {
            name: "msi-no-ack",
            breaks: Some("isr-dismissal"),
            scenario: Some("msi"),
            also_breaks: &["request-completion"],
            description: "in MSI mode, MiniportMessageInterrupt returns TRUE without clearing its source (reading \
                          \"MSIs need no dismissal on a line\" as no dismissal at all): the adapter sends a message only \
                          on a new rising edge, so that source never interrupts again",    },
        defect: Some(Defect::MsiNoAck),
    },
    Variant {
        twin: Twin {
            name: "no-dpc",
            breaks: Some("deferred-work"),
            scenario: Some("mode-set"),
            also_breaks: &["request-completion"],
            description: "HwVidInterrupt dismisses the fence and retrace interrupts but never calls VideoPortQueueDpc \
                          (as if the video port ran HwVidDpcRoutine after every interrupt claimed): the fences the DPC \
                          would complete stall",    },
        defect: Some(Defect::NoDpc),
    },
    Variant {
        twin: Twin {
            name: "dispatch-wait",
            breaks: Some("deferred-work"),
            scenario: Some("mode-set"),
            also_breaks: &["request-completion"],
            description: "WAIT_FENCE polls for its fence with the IRQL raised to DISPATCH_LEVEL (to keep the poll loop \
                          from being preempted): the fence interrupt's DPC, queued on the same CPU, cannot run until the \
                          wait gives up, so the fence it waits for is never seen completed",    },
        defect: Some(Defect::DispatchWait),
    },
    Variant {
        twin: Twin {
            name: "no-engine-reset",
            breaks: Some("request-completion"),
            scenario: Some("cmd-error"),
            also_breaks: &[],
            description: "HwVidInterrupt acknowledges CMD_ERROR like any other source but nothing ever writes \
                          CMD_CONTROL[0]: the command engine stays stopped on the invalid word, and every later \
                          command buffer's fence is waited for in vain",    },
        defect: Some(Defect::NoEngineReset),
    },
    Variant {
        twin: Twin {
            name: "fifo-low-unclaimed",
            breaks: Some("isr-dismissal"),
            scenario: Some("cmd-flood"),
            also_breaks: &["request-completion"],
            description: "enables FIFO_LOW to pace its command submissions but HwVidInterrupt acknowledges only the \
                          sources it always had (retrace, fence, errors): the low-water latch stays set and INTA# stays \
                          asserted",    },
        defect: Some(Defect::FifoLowUnclaimed),
    },
];

/// The stop code each bug-checking variant ends in (for the `irql-discipline` mapping).
pub fn expected_stop_code(variant: &str) -> Option<&'static str> {
    match variant {
        "forbidden-call" => Some(stop_codes::VIDEO_PORT_ISR_FORBIDDEN_CALL),
        "slow-high-priority" => Some(stop_codes::DPC_WATCHDOG_VIOLATION),
        _ => None,
    }
}

/// Private IOCTLs of the dirql miniport (FILE_DEVICE_VIDEO, function codes 0x800+).
pub mod ioctl {
    /// IOCTL_VIDEO_SET_CURRENT_MODE: input = the eight MODE words (timed window).
    pub const SET_CURRENT_MODE: u32 = 0x0023_040C;
    /// IOCTL_VIDEO_SET_COLOR_REGISTERS: input = [first entry, then 0x00RRGGBB per entry].
    pub const SET_COLOR_REGISTERS: u32 = 0x0023_041C;
    /// Program CRTC registers through 3D4h/3D5h: input = (index << 8 | value) per write.
    pub const SET_CRTC: u32 = 0x0023_2000;
    /// Submit a command buffer: input = command words (FILL / COPY / FENCE).
    pub const SUBMIT_COMMANDS: u32 = 0x0023_2004;
    /// Wait until the command engine has reached fence `input[0]`.
    pub const WAIT_FENCE: u32 = 0x0023_2008;
}

/// The miniport's device extension and entry points.
pub struct DirqlMiniport {
    variant: &'static Variant,
    bar0: Cell<u32>,
    /// BAR1, the VGA port window, when the adapter has one.
    bar1: Cell<Option<u32>>,
    /// Dismiss the retrace through CR11 (VGA-strict) rather than a W1C to INT_STATUS[0].
    /// Off until the RTL's VINT_W1C=0 lands (docs/contracts.md §1).
    cr11_dismiss: Cell<bool>,
    /// Shared with HwVidInterrupt (touched elsewhere only through
    /// VideoPortSynchronizeExecution): the last fence value the ISR read.
    isr_fence: Cell<u32>,
    /// Set by the ISR when CMD_ERROR was pending: the DPC resets the engine.
    cmd_error: Cell<bool>,
    /// Engine resets the DPC made (CMD_CONTROL[0]); a wait whose buffer was submitted
    /// before the latest one fails with a status instead of waiting in vain.
    engine_resets: Cell<u32>,
    /// `engine_resets` when the last command buffer was submitted.
    submitted_at_reset: Cell<u32>,
    /// FIFO_LOW enabled (`cmd-flood`): long buffers wait for the low-water mark.
    fifo_low: Cell<bool>,
    /// FIFO_LOW events the ISR has dismissed.
    fifo_low_seen: Cell<u32>,
    /// `fifo_low_seen` when the last long buffer was submitted.
    fifo_low_at_submit: Cell<u32>,
    /// Fences completed by the DPC.
    completed_fence: Cell<u32>,
    /// Interrupts by MSI messages through NDIS (see [`DirqlMiniport::connect_messages`])
    /// rather than the line through the video port.
    message_mode: Cell<bool>,
    /// The message interrupt, once registered: synchronized code goes through
    /// NdisMSynchronizeWithInterruptEx with it.
    messages: RefCell<Option<Rc<NdisInterrupt>>>,
    /// MSI mode: `completed_fence` is shared only by the DPC and the thread waiting for a
    /// fence, both below DIRQL, so an NDIS spin lock (DISPATCH_LEVEL) guards it, not the
    /// interrupt lock (semantics.md §5).
    fence_lock: NdisSpinLock,
    /// Times the fence lock was taken: by the DPC, and by anything else (the waiter).
    fence_lock_taken: Cell<(u64, u64)>,
}

impl DirqlMiniport {
    /// A miniport of the given variant.
    pub fn new(variant: &'static Variant) -> Self {
        DirqlMiniport {
            variant,
            bar0: Cell::new(0),
            bar1: Cell::new(None),
            cr11_dismiss: Cell::new(true),
            isr_fence: Cell::new(0),
            cmd_error: Cell::new(false),
            engine_resets: Cell::new(0),
            submitted_at_reset: Cell::new(0),
            fifo_low: Cell::new(false),
            fifo_low_seen: Cell::new(0),
            fifo_low_at_submit: Cell::new(0),
            completed_fence: Cell::new(0),
            message_mode: Cell::new(false),
            messages: RefCell::new(None),
            fence_lock: NdisSpinLock::default(),
            fence_lock_taken: Cell::new((0, 0)),
        }
    }

    /// Times the fence lock was taken in MSI mode: (by the DPC, by the waiting thread).
    pub fn fence_lock_taken(&self) -> (u64, u64) {
        self.fence_lock_taken.get()
    }

    /// Runs `f` on `completed_fence` under the fence lock (a few cycles of memory access).
    fn with_fence_lock<T>(&self, vp: &VideoPort<'_, '_>, f: impl FnOnce(&Cell<u32>) -> T) -> T {
        let old = self.fence_lock.acquire(vp.cpu());
        let (dpc, other) = self.fence_lock_taken.get();
        let in_dpc = vp.cpu().routine() == dirql_sim::Routine::Dpc;
        self.fence_lock_taken.set(if in_dpc { (dpc + 1, other) } else { (dpc, other + 1) });
        vp.cpu().work(2);
        let r = f(&self.completed_fence);
        self.fence_lock.release(vp.cpu(), old);
        r
    }

    /// Enables FIFO_LOW as well, before VideoPortInitialize: a command buffer longer than
    /// the FIFO is written as one burst (the adapter retries the bus while its FIFO is
    /// full, the bridge re-issues), and the next such buffer waits until the FIFO has drained
    /// to its low-water mark since (the ISR counts the FIFO_LOW events it dismisses).
    pub fn use_fifo_low(&self) {
        self.fifo_low.set(true);
    }

    fn enabled_sources(&self) -> u32 {
        if self.fifo_low.get() {
            ENABLED_SOURCES | INT_FIFO_LOW
        } else {
            ENABLED_SOURCES
        }
    }

    /// Chooses MSI messages over the line, before VideoPortInitialize: the video port then
    /// connects no line ISR, HwVidInitialize leaves the sources disabled, and
    /// [`DirqlMiniport::connect_messages`] registers the messages and enables them.
    pub fn use_message_interrupts(&self) {
        self.message_mode.set(true);
    }

    /// MSI mode, after VideoPortInitialize: NdisMRegisterInterruptEx for messages to
    /// `target_cpu` (MiniportMessageInterrupt below), then the sources enabled.
    pub fn connect_messages(
        self: &Rc<Self>,
        cpu: &Cpu<'_>,
        dev: &Rc<VideoDevice>,
        target_cpu: u8,
    ) -> Result<(), String> {
        let glue = Rc::new(DirqlMessageInterrupts { mp: self.clone(), dev: dev.clone() });
        let int = ndis::ndis_m_register_interrupt_ex(cpu, &dev.pci, glue, InterruptRequest::Msi { target_cpu })
            .map_err(|e| format!("NdisMRegisterInterruptEx: {e}"))?;
        *self.messages.borrow_mut() = Some(int);
        let vp = VideoPort::new(cpu, dev);
        vp.write_register_ulong(self.reg(REG_INT_STATUS), INT_ALL);
        vp.write_register_ulong(self.reg(REG_INT_ENABLE), self.enabled_sources());
        Ok(())
    }

    /// Runs `routine` with the ISR excluded: VideoPortSynchronizeExecution at `priority`
    /// for the line, NdisMSynchronizeWithInterruptEx for MSI messages.
    fn synchronize(
        &self,
        vp: &VideoPort<'_, '_>,
        priority: Priority,
        routine: &dyn Fn(&VideoPort<'_, '_>) -> bool,
    ) -> bool {
        let int = self.messages.borrow().clone();
        match int {
            Some(int) => {
                ndis::synchronize_with_interrupt(vp.cpu(), &int, 0, &|c| routine(&VideoPort::new(c, vp.device())))
            }
            None => vp.synchronize_execution(priority, routine),
        }
    }

    /// Chooses how the retrace interrupt is dismissed: through CR11 (`true`, VGA-strict,
    /// needs BAR1) or with a W1C to INT_STATUS (`false`, while the RTL has VINT_W1C=1).
    pub fn set_cr11_dismiss(&self, on: bool) {
        self.cr11_dismiss.set(on);
    }

    /// The last fence the DPC completed.
    pub fn completed_fence(&self) -> u32 {
        self.completed_fence.get()
    }

    fn port(&self, off: u32) -> Option<u32> {
        self.bar1.get().map(|b| b + off)
    }

    /// One CRTC register write through the index/data pair, with driver note kind 1 on
    /// the bus for the data write (docs/contracts.md §3).
    fn crtc_write(&self, vp: &VideoPort<'_, '_>, index: u8, value: u8) {
        let (Some(ip), Some(dp)) = (self.port(ext::VGA_CRTC_INDEX), self.port(ext::VGA_CRTC_DATA)) else { return };
        vp.write_port_uchar(ip, index);
        let prev = vp.cpu().note(ext::NOTE_CRTC_WRITE | u32::from(index) << 8 | u32::from(value));
        vp.write_port_uchar(dp, value);
        vp.cpu().note(prev);
    }

    /// Dismisses the vertical-retrace interrupt the VGA way (semantics.md §4): save the
    /// CRTC index, select CR11, clear bit 4 then set it again, restore the index.
    fn dismiss_retrace_cr11(&self, vp: &VideoPort<'_, '_>) {
        let (Some(ip), Some(dp)) = (self.port(ext::VGA_CRTC_INDEX), self.port(ext::VGA_CRTC_DATA)) else { return };
        let saved = vp.read_port_uchar(ip);
        vp.write_port_uchar(ip, ext::CR_VSE);
        let cr11 = vp.read_port_uchar(dp);
        for value in [cr11 & !ext::CR11_REARM, cr11 | ext::CR11_REARM] {
            let prev = vp.cpu().note(ext::NOTE_CRTC_WRITE | u32::from(ext::CR_VSE) << 8 | u32::from(value));
            vp.write_port_uchar(dp, value);
            vp.cpu().note(prev);
        }
        if !self.has(Defect::ClobberIndex) {
            vp.write_port_uchar(ip, saved);
        }
    }

    /// The DPC queued by HwVidInterrupt: completes fences and re-arms sources the ISR
    /// masked. INT_ENABLE and `isr_fence` are shared with the ISR, so it touches them only
    /// through VideoPortSynchronizeExecution (hwvid-interrupt.md remarks).
    fn dpc(&self, vp: &VideoPort<'_, '_>) {
        if self.has(Defect::SlowDpc) {
            // The defect: table work at DISPATCH_LEVEL, 150 us of it.
            vp.cpu().work(5_000);
        }
        let enable = self.reg(REG_INT_ENABLE);
        let messages = self.message_mode.get();
        let reached = Cell::new(0);
        let rearm = |vp: &VideoPort<'_, '_>| {
            let e = vp.read_register_ulong(enable);
            vp.write_register_ulong(enable, e | INT_VBLANK);
            reached.set(self.isr_fence.get());
            if !messages {
                self.completed_fence.set(self.completed_fence.get().max(reached.get()));
            }
            true
        };
        if self.has(Defect::DpcUnsync) {
            rearm(vp);
        } else {
            self.synchronize(vp, Priority::Medium, &rearm);
        }
        if messages {
            // Shared with the waiting thread only: the NDIS spin lock, outside the
            // interrupt's synchronized routine.
            self.with_fence_lock(vp, |done| done.set(done.get().max(reached.get())));
        }
        if self.cmd_error.replace(false) && !self.has(Defect::NoEngineReset) {
            // The engine stopped on an invalid command word (registers.md, CMD_CONTROL):
            // reset it, which also flushes what was left of that buffer, and fail the
            // request that submitted it (its wait sees the reset count move).
            vp.write_register_ulong(self.reg(REG_CMD_CONTROL), 1);
            let _ = vp.read_register_ulong(self.reg(ext::REG_CMD_STATUS));
            self.engine_resets.set(self.engine_resets.get() + 1);
        }
    }

    /// IOCTL_VIDEO_SET_CURRENT_MODE through the timed window: a validated burst
    /// (HwVidSynchronizeExecutionCallback use (b)), VpHighPriority, note kind 2 set from
    /// before the first write until after the last.
    fn set_mode(&self, vp: &VideoPort<'_, '_>, mode: &[u32]) -> u32 {
        if mode.len() != ext::MODE_WORDS || mode.iter().any(|&w| w == 0 || w > 0xFF) {
            return ERROR_INVALID_PARAMETER;
        }
        let (unlock, mode0) = (self.reg(ext::REG_SEQ_UNLOCK), self.reg(ext::REG_MODE0));
        let writes = 1 + ext::MODE_WORDS as u32;
        if self.has(Defect::SplitSequence) {
            // The defect: the same writes, unsynchronized and one by one.
            vp.write_register_ulong(unlock, ext::SEQ_UNLOCK_KEY);
            for (i, &w) in mode.iter().enumerate() {
                vp.cpu().work(30);
                vp.write_register_ulong(mode0 + 4 * i as u32, w);
            }
        } else {
            self.synchronize(vp, Priority::High, &|vp| {
                if self.has(Defect::SlowHighPriority) {
                    // The defect: validation work inside the high-priority routine.
                    vp.cpu().work(4 * vp.device().cfg.high_priority_max_cycles);
                }
                let prev = vp.cpu().note(ext::NOTE_BURST | writes);
                vp.write_register_ulong(unlock, ext::SEQ_UNLOCK_KEY);
                vp.write_register_buffer_ulong(mode0, mode);
                // Flush the posted burst before the note goes away.
                let _ = vp.read_register_ulong(self.reg(ext::REG_SEQ_STATUS));
                vp.cpu().note(prev);
                true
            });
        }
        let st = vp.read_register_ulong(self.reg(ext::REG_SEQ_STATUS));
        if st & ext::SEQ_COMMITTED != 0 {
            NO_ERROR
        } else {
            ERROR_IO_DEVICE
        }
    }

    /// CRTC registers through 3D4h/3D5h. The ISR moves the CRTC index (CR11 dismissal), so
    /// each index/data pair is written with the ISR excluded (VpMediumPriority).
    fn set_crtc(&self, vp: &VideoPort<'_, '_>, writes: &[u32]) -> u32 {
        if self.bar1.get().is_none() {
            return ERROR_INVALID_FUNCTION;
        }
        for &w in writes {
            let (index, value) = ((w >> 8) as u8, w as u8);
            if self.has(Defect::UnsyncCrtc) {
                self.crtc_write(vp, index, value);
                vp.cpu().work(20);
            } else if self.has(Defect::LowPriorityCrtc) {
                // The defect: a priority that does not exclude the ISR.
                vp.synchronize_execution(Priority::Low, &|vp| {
                    self.crtc_write(vp, index, value);
                    true
                });
            } else if self.has(Defect::DispatchCrtc) {
                // The defect: DISPATCH_LEVEL on this CPU only.
                let old = vp.cpu().raise_irql(dirql_host::Irql::DISPATCH);
                self.crtc_write(vp, index, value);
                vp.cpu().lower_irql(old);
            } else {
                self.synchronize(vp, Priority::Medium, &|vp| {
                    self.crtc_write(vp, index, value);
                    true
                });
            }
        }
        NO_ERROR
    }

    /// IOCTL_VIDEO_SET_COLOR_REGISTERS: a DAC burst (index once, then R, G, B per entry).
    fn load_palette(&self, vp: &VideoPort<'_, '_>, input: &[u32]) -> u32 {
        let (Some(first), Some(idx), Some(data)) =
            (input.first(), self.port(ext::VGA_DAC_WINDEX), self.port(ext::VGA_DAC_DATA))
        else {
            return ERROR_INVALID_PARAMETER;
        };
        vp.write_port_uchar(idx, *first as u8);
        let bytes: Vec<u8> =
            input[1..].iter().flat_map(|&rgb| [(rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8]).collect();
        vp.write_port_buffer_uchar(data, &bytes);
        NO_ERROR
    }

    /// A command buffer as one burst into CMD_FIFO; the bridge retries while it is full.
    fn submit(&self, vp: &VideoPort<'_, '_>, words: &[u32]) -> u32 {
        if words.is_empty() {
            return ERROR_INVALID_PARAMETER;
        }
        if self.fifo_low.get() && words.len() as u32 > CMD_FIFO_DEPTH {
            // Pace long buffers: wait (at PASSIVE) until the FIFO has drained to its
            // low-water mark since the previous long buffer, or is empty.
            for _ in 0..20 {
                let level = vp.read_register_ulong(self.reg(ext::REG_CMD_STATUS)) >> 8 & 0xFF;
                if self.fifo_low_seen.get() != self.fifo_low_at_submit.get() || level == 0 {
                    break;
                }
                vp.cpu().work(50);
            }
            self.fifo_low_at_submit.set(self.fifo_low_seen.get());
        }
        self.submitted_at_reset.set(self.engine_resets.get());
        vp.write_register_buffer_ulong(self.reg(ext::REG_CMD_FIFO), words);
        if self.has(Defect::StealsStatus) {
            // The defect: after kicking the engine, "clear stale status" by acknowledging
            // every source from StartIO, outside the ISR.
            vp.cpu().work(40);
            self.synchronize(vp, Priority::Medium, &|vp| {
                vp.write_register_ulong(self.reg(REG_INT_STATUS), INT_ALL);
                vp.read_register_ulong(self.reg(REG_INT_STATUS));
                true
            });
        }
        NO_ERROR
    }

    /// Waits (at PASSIVE, polling the DPC's completed fence) for fence `value`.
    fn wait_fence(&self, vp: &VideoPort<'_, '_>, value: u32, max_polls: u32) -> u32 {
        if self.has(Defect::DispatchWait) {
            // The defect: the same polls at DISPATCH_LEVEL, where this CPU's DPCs wait.
            let old = vp.cpu().raise_irql(dirql_host::Irql::DISPATCH);
            let r = self.poll_fence(vp, value, max_polls);
            vp.cpu().lower_irql(old);
            return r;
        }
        self.poll_fence(vp, value, max_polls)
    }

    fn poll_fence(&self, vp: &VideoPort<'_, '_>, value: u32, max_polls: u32) -> u32 {
        for _ in 0..max_polls {
            let done = if self.message_mode.get() {
                self.with_fence_lock(vp, |done| done.get())
            } else {
                self.completed_fence.get()
            };
            if done >= value {
                return NO_ERROR;
            }
            if self.engine_resets.get() != self.submitted_at_reset.get() {
                // The engine stopped on this buffer and the DPC reset it: the fence will not come.
                return ERROR_IO_DEVICE;
            }
            vp.cpu().work(200);
        }
        ERROR_IO_DEVICE
    }

    fn reg(&self, off: u32) -> u32 {
        self.bar0.get() + off
    }

    fn has(&self, defect: Defect) -> bool {
        self.variant.defect == Some(defect)
    }
}

impl VideoMiniport for DirqlMiniport {
    fn name(&self) -> &str {
        self.variant.twin.name
    }

    fn has_interrupt(&self) -> bool {
        !self.message_mode.get()
    }

    fn hw_find_adapter(&self, vp: &VideoPort<'_, '_>) -> Result<(), String> {
        let pci = &vp.device().pci;
        if (pci.vendor, pci.device) != (VENDOR_ID, DEVICE_ID) {
            return Err(format!(
                "HwVidFindAdapter: device {:04x}:{:04x} is not the dirql adapter {VENDOR_ID:04x}:{DEVICE_ID:04x}",
                pci.vendor, pci.device
            ));
        }
        let bar0 = pci.bars[0].ok_or("HwVidFindAdapter: BAR0 was not assigned")?;
        self.bar0.set(bar0.base);
        self.bar1.set(pci.bars[1].map(|b| b.base));
        let id = vp.read_register_ulong(self.reg(REG_ID));
        if id != ID_VALUE {
            return Err(format!("HwVidFindAdapter: REG_ID reads {id:#010x}, expected {ID_VALUE:#010x}"));
        }
        Ok(())
    }

    fn hw_initialize(&self, vp: &VideoPort<'_, '_>) -> bool {
        // Clear anything latched before we were ready, then enable the sources (in MSI mode
        // once the messages are registered: connect_messages).
        vp.write_register_ulong(self.reg(REG_INT_STATUS), INT_ALL);
        if !self.message_mode.get() {
            vp.write_register_ulong(self.reg(REG_INT_ENABLE), self.enabled_sources());
        }
        true
    }

    fn hw_dpc(&self, vp: &VideoPort<'_, '_>) {
        self.dpc(vp);
    }

    fn hw_start_io(&self, vp: &VideoPort<'_, '_>, rp: &mut VideoRequestPacket) -> bool {
        rp.status = match rp.ioctl {
            ioctl::SET_CURRENT_MODE => self.set_mode(vp, &rp.input),
            ioctl::SET_COLOR_REGISTERS => self.load_palette(vp, &rp.input),
            ioctl::SET_CRTC => self.set_crtc(vp, &rp.input),
            ioctl::SUBMIT_COMMANDS => self.submit(vp, &rp.input),
            ioctl::WAIT_FENCE => self.wait_fence(vp, rp.input.first().copied().unwrap_or(0), 10),
            _ => ERROR_INVALID_FUNCTION,
        };
        true
    }

    /// HwVidInterrupt (hwvid-interrupt.md; the Permedia 3 shape, semantics.md §3).
    fn hw_interrupt(&self, vp: &VideoPort<'_, '_>) -> bool {
        if self.has(Defect::ForbiddenCall) {
            // The defect: a service outside the ISR's list (bug check).
            let _ = vp.allocate_pool(16);
        }
        let status_reg = self.reg(REG_INT_STATUS);
        if self.has(Defect::AcksBeforeReading) {
            // The defect: acknowledge first, look afterwards.
            vp.write_register_ulong(status_reg, INT_ALL & !INT_VBLANK);
        }
        let mine = if self.has(Defect::ClaimsForeign) {
            // The defect: no look at the status; every source acknowledged, always TRUE.
            INT_ALL
        } else {
            let status = vp.read_register_ulong(status_reg);
            let enable = vp.read_register_ulong(self.reg(REG_INT_ENABLE));
            status & enable
        };
        if mine == 0 {
            // The line is shared: not ours, say so at once.
            return false;
        }
        if self.dismiss(vp, mine) && !self.has(Defect::NoDpc) {
            // Fence completion and re-arming happen in the DPC (HwVidDpcRoutine).
            vp.queue_miniport_dpc();
        }
        true
    }
}

impl DirqlMiniport {
    /// Dismisses the sources `mine` on the adapter (the retrace through CR11, the rest with
    /// a write-back flushed by a read-back); true when the DPC has work to do.
    fn dismiss(&self, vp: &VideoPort<'_, '_>, mine: u32) -> bool {
        let status_reg = self.reg(REG_INT_STATUS);
        let vga_dismiss = self.cr11_dismiss.get() && self.bar1.get().is_some();
        let w1c = if vga_dismiss { mine & !INT_VBLANK } else { mine };
        if mine & INT_VBLANK != 0 && vga_dismiss && !self.has(Defect::NoAck) {
            self.dismiss_retrace_cr11(vp);
        }
        // Read what the sources carry before acknowledging them (the fence value), so the
        // read-back below is the one and only flush of the acknowledge.
        if mine & INT_CMD_DONE != 0 {
            self.isr_fence.set(vp.read_register_ulong(self.reg(ext::REG_FENCE_VALUE)));
            if self.has(Defect::PollingIsr) {
                // The defect: wait in the ISR for the engine to go idle (and a little more).
                for _ in 0..200 {
                    if vp.read_register_ulong(self.reg(ext::REG_CMD_STATUS)) & 1 == 0 {
                        vp.cpu().work(10);
                    }
                }
            }
        }
        if mine & INT_CMD_ERROR != 0 {
            self.cmd_error.set(true);
        }
        if mine & INT_FIFO_LOW != 0 {
            self.fifo_low_seen.set(self.fifo_low_seen.get() + 1);
        }
        let w1c = if self.has(Defect::FifoLowUnclaimed) { w1c & !INT_FIFO_LOW } else { w1c };
        if w1c != 0 && !self.has(Defect::NoAck) {
            vp.write_register_ulong(status_reg, w1c);
            if !self.has(Defect::NoReadback) {
                // The read pushes the posted acknowledge to the adapter before we return,
                // so INTA# is released before the controller looks again.
                vp.read_register_ulong(status_reg);
            }
        }
        mine & (INT_VBLANK | INT_CMD_DONE | INT_CMD_ERROR) != 0 && !self.has(Defect::ClaimsForeign)
    }

    /// MiniportMessageInterrupt for message `message`: the sources whose vector it is
    /// (source bit n sends vector min(n, messages - 1), registers.md), dismissed as the
    /// line ISR dismisses them. MSIs are never shared, but a message whose sources are no
    /// longer pending is still answered FALSE. Returns (recognized, queue the DPC).
    fn message_interrupt(&self, vp: &VideoPort<'_, '_>, message: u32) -> (bool, bool) {
        let granted = match self.messages.borrow().as_ref().map(|i| i.kind) {
            Some(ndis::NdisInterruptKind::Msi { messages }) => messages,
            _ => 1,
        };
        let sources = (0..5).filter(|&b| b.min(granted - 1) == message).fold(0, |m, b| m | 1 << b);
        let status = vp.read_register_ulong(self.reg(REG_INT_STATUS));
        let enable = vp.read_register_ulong(self.reg(REG_INT_ENABLE));
        let mine = status & enable & sources;
        if mine == 0 {
            return (false, false);
        }
        if self.has(Defect::MsiNoAck) {
            // The defect: nothing written back; the source stays latched.
            return (true, mine & (INT_VBLANK | INT_CMD_DONE) != 0);
        }
        if self.has(Defect::MsiWrongSource) {
            // The defect: the next message's source acknowledged instead of its own.
            let wrong = (mine << 1) & INT_ALL;
            if wrong != 0 {
                vp.write_register_ulong(self.reg(REG_INT_STATUS), wrong);
                vp.read_register_ulong(self.reg(REG_INT_STATUS));
            }
            return (true, mine & (INT_VBLANK | INT_CMD_DONE) != 0);
        }
        (true, self.dismiss(vp, mine))
    }
}

/// The sources the reference driver enables.
const ENABLED_SOURCES: u32 = INT_VBLANK | INT_CMD_DONE | INT_CMD_ERROR | INT_SEQ_ERROR;

/// The miniport's interrupt entry points as NDIS calls them in MSI mode.
struct DirqlMessageInterrupts {
    mp: Rc<DirqlMiniport>,
    dev: Rc<VideoDevice>,
}

impl NdisMiniportInterrupt for DirqlMessageInterrupts {
    fn miniport_interrupt(&self, cpu: &Cpu<'_>) -> (bool, bool) {
        // Registered for messages only: the line is never connected.
        let _ = cpu;
        (false, false)
    }

    fn miniport_message_interrupt(&self, cpu: &Cpu<'_>, message_id: u32) -> (bool, bool) {
        self.mp.message_interrupt(&VideoPort::new(cpu, &self.dev), message_id)
    }

    fn miniport_interrupt_dpc(&self, cpu: &Cpu<'_>, message_id: u32) {
        let _ = message_id;
        self.mp.dpc(&VideoPort::new(cpu, &self.dev));
    }
}
