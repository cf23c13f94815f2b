//! The NDIS interrupt model (semantics.md §5, `seeds/ndis-miniport-synchronize-interrupt.md`):
//! NdisMRegisterInterruptEx for a line interrupt or MSI messages, MiniportInterrupt /
//! MiniportMessageInterrupt with the message number and their DPC,
//! NdisMSynchronizeWithInterruptEx, and NDIS spin locks at DISPATCH_LEVEL for data shared
//! only among lower-priority routines.
//!
//! MSI end to end: registration programs the device's MSI capability the way the PnP
//! manager does for a driver that asks for message interrupts (Message Address = the
//! target CPU's local APIC, Message Data = a base vector aligned to the messages granted,
//! Multiple Message Enable, MSI Enable, Bus Master); the device's message is a real Memory
//! Write on the simulated bus, which the host bridge claims and the machine hands to that
//! CPU's local APIC; the CPU calls MiniportMessageInterrupt with the message number.

use std::rc::Rc;

use dirql_sim::Routine;

use crate::irql::Irql;
use crate::kernel::{Cpu, InterruptObject, MessageInterrupt, Op, SpinLock};
use crate::pci::{cfg, PciFunction};

/// The x86 vector the OS gives message 0 (aligned to 32, so any grant up to 32 messages
/// keeps the message number in the low bits); its IRQL is the vector's priority class.
pub const MSI_BASE_VECTOR: u8 = 0xB0;

/// What NdisMRegisterInterruptEx is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterruptRequest {
    /// The (shared, level-sensitive) line interrupt.
    Line,
    /// Message-signalled interrupts, as many as the device can take, to one CPU.
    Msi {
        /// The CPU whose local APIC the messages are addressed to.
        target_cpu: u8,
    },
}

/// Why NdisMRegisterInterruptEx failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NdisError {
    /// The function has no usable interrupt line (pin 0 or line 0xFF).
    #[error("no interrupt resource: pin {pin}, line {line:#04x}")]
    NoInterruptResource {
        /// Interrupt Pin.
        pin: u8,
        /// Interrupt Line.
        line: u8,
    },
    /// MSI asked for but the device has no MSI capability.
    #[error("MSI requested but the device has no MSI capability")]
    NoMsiCapability,
    /// MSI asked for a CPU the machine does not have.
    #[error("MSI target CPU {cpu} does not exist (the machine has {cpus})")]
    NoSuchCpu {
        /// The CPU asked for.
        cpu: u8,
        /// CPUs in the machine.
        cpus: usize,
    },
}

/// The miniport's interrupt handlers (NDIS_MINIPORT_INTERRUPT_CHARACTERISTICS).
pub trait NdisMiniportInterrupt {
    /// MiniportInterrupt: returns (recognized, queue the DPC). FALSE at once if the NIC
    /// did not interrupt; otherwise dismiss and defer.
    fn miniport_interrupt(&self, cpu: &Cpu<'_>) -> (bool, bool);
    /// MiniportMessageInterrupt for message `message_id`: returns (recognized, queue DPC).
    fn miniport_message_interrupt(&self, cpu: &Cpu<'_>, message_id: u32) -> (bool, bool) {
        let _ = message_id;
        self.miniport_interrupt(cpu)
    }
    /// MiniportInterruptDpc / MiniportMessageInterruptDpc (at DISPATCH_LEVEL).
    fn miniport_interrupt_dpc(&self, cpu: &Cpu<'_>, message_id: u32);
}

/// What kind of interrupt was registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NdisInterruptKind {
    /// A (shared, level-sensitive) line interrupt.
    Line,
    /// MSI with this many messages.
    Msi {
        /// Messages granted.
        messages: u32,
    },
}

/// The handle NdisMRegisterInterruptEx returns.
pub struct NdisInterrupt {
    /// Line or MSI.
    pub kind: NdisInterruptKind,
    /// The interrupt object (lock, DIRQL).
    pub object: Rc<InterruptObject>,
}

/// NdisMRegisterInterruptEx for a line interrupt or for MSI messages.
pub fn ndis_m_register_interrupt_ex(
    cpu: &Cpu<'_>,
    pci: &PciFunction,
    miniport: Rc<dyn NdisMiniportInterrupt>,
    request: InterruptRequest,
) -> Result<Rc<NdisInterrupt>, NdisError> {
    if let InterruptRequest::Msi { target_cpu } = request {
        return register_messages(cpu, pci, miniport, target_cpu);
    }
    if pci.interrupt_pin == 0 || pci.interrupt_line == 0xFF || pci.interrupt_line == 0 {
        return Err(NdisError::NoInterruptResource { pin: pci.interrupt_pin, line: pci.interrupt_line });
    }
    let object = Rc::new(InterruptObject::new(Irql::for_line(pci.interrupt_line)));
    let mp = miniport.clone();
    object.connect(
        "ndis-miniport",
        Rc::new(move |c: &Cpu<'_>| {
            let (mine, queue) = mp.miniport_interrupt(c);
            if mine && queue {
                let mp2 = mp.clone();
                c.queue_dpc(Box::new(move |c| mp2.miniport_interrupt_dpc(c, 0)));
            }
            mine
        }),
    );
    cpu.connect_interrupt(object.clone());
    Ok(Rc::new(NdisInterrupt { kind: NdisInterruptKind::Line, object }))
}

/// The MSI half of NdisMRegisterInterruptEx: grants every message the device can take,
/// programs its capability (PCI 3.0 6.8.1) and connects MiniportMessageInterrupt.
fn register_messages(
    cpu: &Cpu<'_>,
    pci: &PciFunction,
    miniport: Rc<dyn NdisMiniportInterrupt>,
    target_cpu: u8,
) -> Result<Rc<NdisInterrupt>, NdisError> {
    let cap = pci.msi_cap.ok_or(NdisError::NoMsiCapability)?;
    let cpus = cpu.kernel().cpu_count();
    if usize::from(target_cpu) >= cpus {
        return Err(NdisError::NoSuchCpu { cpu: target_cpu, cpus });
    }
    let control = cpu.config_read32(cap) >> 16;
    let mmc = (control >> 1) & 7;
    let wide = control & (1 << 7) != 0;
    let messages = 1u32 << mmc.min(5);
    // x86: the local APIC's MSI window, destination ID in bits 19:12 (physical mode).
    cpu.config_write32(cap + 4, 0xFEE0_0000 | u32::from(target_cpu) << 12);
    let data_reg = if wide {
        cpu.config_write32(cap + 8, 0);
        cap + 0xC
    } else {
        cap + 8
    };
    cpu.config_write32(data_reg, u32::from(MSI_BASE_VECTOR));
    // Multiple Message Enable = all that were asked for, then MSI Enable.
    let enabled = (control & !(7 << 4)) | mmc << 4 | 1;
    cpu.config_write32(cap, (cpu.config_read32(cap) & 0xFFFF) | enabled << 16);
    // The message is a memory write the device masters; its INTx line is off meanwhile.
    let command = cpu.config_read32(cfg::COMMAND) & 0xFFFF;
    cpu.config_write32(cfg::COMMAND, command | cfg::CMD_BUS_MASTER | cfg::CMD_INTX_DISABLE);
    let object = Rc::new(InterruptObject::new(Irql((MSI_BASE_VECTOR >> 4).clamp(3, 26))));
    let mp = miniport.clone();
    let handler = Rc::new(move |c: &Cpu<'_>, message: u32| {
        let (mine, queue) = mp.miniport_message_interrupt(c, message);
        if mine && queue {
            let mp2 = mp.clone();
            c.queue_dpc(Box::new(move |c| mp2.miniport_interrupt_dpc(c, message)));
        }
        mine
    });
    cpu.connect_message_interrupt(Rc::new(MessageInterrupt {
        object: object.clone(),
        base_vector: MSI_BASE_VECTOR,
        messages,
        handler,
    }));
    Ok(Rc::new(NdisInterrupt { kind: NdisInterruptKind::Msi { messages }, object }))
}

/// NdisMSynchronizeWithInterruptEx: runs `routine` at the interrupt's DIRQL holding its
/// spin lock (for a line interrupt `message_id` is ignored) and returns the routine's
/// BOOLEAN; the caller's IRQL is restored after.
pub fn synchronize_with_interrupt(
    cpu: &Cpu<'_>,
    interrupt: &NdisInterrupt,
    message_id: u32,
    routine: &dyn Fn(&Cpu<'_>) -> bool,
) -> bool {
    let _ = message_id;
    let m = cpu.mark(Op::NdisSynchronize);
    let r = cpu.synchronize_execution(&interrupt.object, routine);
    cpu.unmark(m);
    r
}

/// An NDIS spin lock (NdisAllocateSpinLock): for data shared only among routines at or
/// below DISPATCH_LEVEL.
#[derive(Debug, Default)]
pub struct NdisSpinLock {
    lock: SpinLock,
}

impl NdisSpinLock {
    /// NdisAcquireSpinLock: raises to DISPATCH_LEVEL and takes the lock; returns the IRQL
    /// to give back to [`NdisSpinLock::release`].
    pub fn acquire(&self, cpu: &Cpu<'_>) -> Irql {
        let old = cpu.raise_irql(Irql::DISPATCH.max(cpu.irql()));
        cpu.acquire(&self.lock);
        old
    }

    /// NdisReleaseSpinLock.
    pub fn release(&self, cpu: &Cpu<'_>, old: Irql) {
        cpu.release(&self.lock);
        cpu.lower_irql(old);
    }

    /// The CPU holding it.
    pub fn owner(&self) -> Option<u8> {
        self.lock.owner()
    }
}

/// The routine code a synchronized NDIS routine shows in the waveform.
pub const SYNCHRONIZED_ROUTINE: Routine = Routine::Sync;

/// One send as the OS hands it to the miniport (a NET_BUFFER_LIST): the OS's number for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetBufferList {
    /// Numbered by the OS in the order it was sent.
    pub id: u64,
}

/// NDIS_STATUS_SUCCESS.
pub const NDIS_STATUS_SUCCESS: u32 = 0;

/// The control code a send is traced with on the request note (`crate::request`): not an
/// IOCTL, dirql's own function number 0xE01 for "NDIS send", so a violation names it.
pub const SEND_REQUEST_CODE: u32 = 0xE01 << 2;

/// The miniport's send handler (MiniportSendNetBufferLists).
pub trait NdisMiniportSend {
    /// Takes `nbl`; the miniport owns it until it hands it back through
    /// [`SendPath::complete`] (NdisMSendNetBufferListsComplete), from any context.
    fn miniport_send_net_buffer_lists(&self, cpu: &Cpu<'_>, nbl: NetBufferList);
}

/// The OS's side of the send path of one miniport: NdisSendNetBufferLists and
/// NdisMSendNetBufferListsComplete, and what it traces of them.
///
/// A send is a request (docs/contracts.md §3, note kind 4), judged by `request-completion`:
/// what the protocol asked to send must come back completed, with success. Sends are not
/// serialized as StartIO requests are, so the issuing thread's note shows the **oldest**
/// of its sends still outstanding (pending, with its number), and each completion of that
/// one (done, with its status) as the thread next enters the send path: a protocol driver
/// learns of its completions in its own context. A send that overtook it is judged when it
/// becomes the oldest, from then (so a late one is found no later than it would be).
#[derive(Default)]
pub struct SendPath {
    next: std::cell::Cell<u64>,
    /// Outstanding sends by issuing CPU, oldest first: (id, the note shown for it yet).
    outstanding: std::cell::RefCell<Vec<std::collections::VecDeque<(u64, bool)>>>,
    /// Completions not yet seen by their issuer: id -> status.
    completed: std::cell::RefCell<std::collections::BTreeMap<u64, u32>>,
    /// The cycle and CPU of the last note written, so two notes never fall in one cycle.
    last_note: std::cell::Cell<Option<(u8, u64)>>,
}

impl SendPath {
    /// NdisMSendNetBufferListsComplete: the miniport hands `nbl` back with `status`.
    pub fn complete(&self, nbl: NetBufferList, status: u32) {
        self.completed.borrow_mut().insert(nbl.id, status);
    }

    fn note(&self, cpu: &Cpu<'_>, value: u32) {
        if self.last_note.get() == Some((cpu.id(), cpu.now())) {
            // The previous note has not been on the waveform yet.
            cpu.work(1);
        }
        cpu.note(value);
        self.last_note.set(Some((cpu.id(), cpu.now())));
    }

    /// The completions of this CPU's sends, in order, as far as they reach: each shown as it
    /// completes the oldest outstanding, then the next oldest shown pending.
    fn publish(&self, cpu: &Cpu<'_>) {
        let id = usize::from(cpu.id());
        loop {
            let front = {
                let q = self.outstanding.borrow();
                q.get(id).and_then(|q| q.front().copied())
            };
            let Some((front, shown)) = front else { return };
            if !shown {
                self.note(cpu, crate::request::RequestNote::pending(front, SEND_REQUEST_CODE, false, cpu.slot()));
                if let Some(f) = self.outstanding.borrow_mut()[id].front_mut() {
                    f.1 = true;
                }
            }
            let Some(status) = self.completed.borrow_mut().remove(&front) else { return };
            self.outstanding.borrow_mut()[id].pop_front();
            self.note(cpu, crate::request::RequestNote::done(front, status, false, cpu.slot()));
        }
    }

    /// NdisSendNetBufferLists from a protocol thread on `cpu` (PASSIVE_LEVEL): one frame to
    /// `miniport`. Returns its number.
    pub fn send(&self, cpu: &Cpu<'_>, miniport: &dyn NdisMiniportSend) -> NetBufferList {
        self.publish(cpu);
        let nbl = NetBufferList { id: self.next.get() };
        self.next.set(nbl.id + 1);
        {
            let mut q = self.outstanding.borrow_mut();
            let id = usize::from(cpu.id());
            if q.len() <= id {
                q.resize_with(id + 1, Default::default);
            }
            q[id].push_back((nbl.id, false));
        }
        // Shown pending at once when it is the oldest.
        self.publish(cpu);
        miniport.miniport_send_net_buffer_lists(cpu, nbl);
        self.publish(cpu);
        nbl
    }
}
