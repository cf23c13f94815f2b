//! The NDIS model on the dirql adapter's line interrupt: MiniportInterrupt and its DPC,
//! NdisMSynchronizeWithInterruptEx (DIRQL, the lock, the routine's BOOLEAN, the caller's
//! IRQL restored), NDIS spin locks at DISPATCH, and MSI registration refused until the
//! bridge can deliver it.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::cell::Cell;
use std::rc::Rc;

use dirql_host::adapter::regs;
use dirql_host::ndis::{
    ndis_m_register_interrupt_ex, synchronize_with_interrupt, NdisError, NdisMiniportInterrupt, NdisSpinLock,
};
use dirql_host::pci::{enumerate, ResourcePlan};
use dirql_host::{Cpu, Irql, Machine, MachineConfig};

/// A NIC-style miniport driving the dirql adapter's interrupt registers.
struct Nic {
    bar0: Cell<u32>,
    isrs: Cell<u64>,
    dpcs: Cell<u64>,
    dpc_irql_ok: Cell<bool>,
}

impl NdisMiniportInterrupt for Nic {
    fn miniport_interrupt(&self, cpu: &Cpu<'_>) -> (bool, bool) {
        let st = cpu.mem_read32(self.bar0.get() + regs::REG_INT_STATUS);
        if st == 0 {
            return (false, false);
        }
        cpu.mem_write32(self.bar0.get() + regs::REG_INT_STATUS, st);
        cpu.mem_read32(self.bar0.get() + regs::REG_INT_STATUS);
        self.isrs.set(self.isrs.get() + 1);
        (true, true)
    }
    fn miniport_interrupt_dpc(&self, cpu: &Cpu<'_>, _message_id: u32) {
        self.dpcs.set(self.dpcs.get() + 1);
        if cpu.irql() != Irql::DISPATCH {
            self.dpc_irql_ok.set(false);
        }
    }
}

/// (DIRQL seen in the routine, lock + BOOLEANs right, IRQL restored, spin lock at
/// DISPATCH, released back to PASSIVE).
type Seen = (u8, bool, bool, bool, bool);

#[test]
fn line_interrupt_isr_dpc_synchronize_and_spin_lock() {
    let mut m = Machine::new(&MachineConfig { seed: 3, ..MachineConfig::default() }).unwrap();
    let nic = Rc::new(Nic { bar0: Cell::new(0), isrs: Cell::new(0), dpcs: Cell::new(0), dpc_irql_ok: Cell::new(true) });
    let results: Rc<Cell<Seen>> = Rc::new(Cell::new((0, false, false, false, false)));
    let (n, res) = (nic.clone(), results.clone());
    m.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let pci = enumerate(cpu, &ResourcePlan::default()).unwrap();
            n.bar0.set(pci.bars[0].unwrap().base);
            let msi = ndis_m_register_interrupt_ex(cpu, &pci, n.clone(), true).err();
            assert!(matches!(msi, Some(NdisError::MsiNotDeliverable | NdisError::NoMsiCapability)));
            let int = ndis_m_register_interrupt_ex(cpu, &pci, n.clone(), false).unwrap();
            cpu.mem_write32(n.bar0.get() + regs::REG_INT_ENABLE, regs::INT_VBLANK);
            let dirql = Cell::new(Irql::PASSIVE);
            let locked = Cell::new(false);
            let t = synchronize_with_interrupt(cpu, &int, 0, &|c| {
                dirql.set(c.irql());
                locked.set(int.object.lock.owner() == Some(c.id()));
                true
            });
            let f = synchronize_with_interrupt(cpu, &int, 0, &|_| false);
            let restored = cpu.irql() == Irql::PASSIVE;
            let sl = NdisSpinLock::default();
            let old = sl.acquire(cpu);
            let at_dispatch = cpu.irql() == Irql::DISPATCH && sl.owner() == Some(0);
            sl.release(cpu, old);
            res.set((dirql.get().0, locked.get() && t && !f, restored, at_dispatch, cpu.irql() == Irql::PASSIVE));
            loop {
                cpu.work(100);
            }
        }),
    );
    m.run_until(12_000);
    assert_eq!(m.stopped(), None);
    let (dirql, sync_ok, restored, at_dispatch, released) = results.get();
    assert_eq!(dirql, 16, "the routine ran at the line's DIRQL");
    assert!(sync_ok, "the routine held the lock and its BOOLEAN came back");
    assert!(restored && at_dispatch && released);
    assert!(nic.isrs.get() >= 4, "only {} interrupts", nic.isrs.get());
    assert_eq!(nic.dpcs.get(), nic.isrs.get());
    assert!(nic.dpc_irql_ok.get());
    assert_eq!(m.kernel().stats().unclaimed, 0);
}
