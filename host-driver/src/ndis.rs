//! The NDIS interrupt model (semantics.md §5, `seeds/ndis-miniport-synchronize-interrupt.md`):
//! NdisMRegisterInterruptEx for a line interrupt or MSI messages, MiniportInterrupt /
//! MiniportMessageInterrupt with the message number and their DPC,
//! NdisMSynchronizeWithInterruptEx, and NDIS spin locks at DISPATCH_LEVEL for data shared
//! only among lower-priority routines.
//!
//! MSI: registration and the handler shape are modelled, but delivery is not — an MSI is a
//! memory write from the device, and the host bridge (`sim/src/bridge.rs`) does not yet
//! decode the device's writes as a target, nor does the RTL send them. Registering MSI
//! therefore fails with [`NdisError::MsiNotDeliverable`] until both exist.

use std::rc::Rc;

use dirql_sim::Routine;

use crate::irql::Irql;
use crate::kernel::{Cpu, InterruptObject, Op, SpinLock};
use crate::pci::PciFunction;

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
    /// MSI cannot be delivered in this model yet (see the module documentation).
    #[error("MSI delivery is not modelled yet: the host bridge does not accept the device's memory write")]
    MsiNotDeliverable,
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

/// NdisMRegisterInterruptEx. `msi` asks for message-signaled interrupts.
pub fn ndis_m_register_interrupt_ex(
    cpu: &Cpu<'_>,
    pci: &PciFunction,
    miniport: Rc<dyn NdisMiniportInterrupt>,
    msi: bool,
) -> Result<Rc<NdisInterrupt>, NdisError> {
    if msi {
        return Err(if pci.msi_cap.is_none() { NdisError::NoMsiCapability } else { NdisError::MsiNotDeliverable });
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
