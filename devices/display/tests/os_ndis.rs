//! The NDIS model on the dirql adapter's line interrupt: MiniportInterrupt and its DPC,
//! NdisMSynchronizeWithInterruptEx (DIRQL, the lock, the routine's BOOLEAN, the caller's
//! IRQL restored), NDIS spin locks at DISPATCH; and MSI messages end to end: the
//! capability programmed, the adapter's Memory Write on the bus, the message taken by the
//! CPU it targets with its message number.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::cell::Cell;
use std::rc::Rc;

use dirql_display::regs;
use dirql_host::ndis::{
    ndis_m_register_interrupt_ex, synchronize_with_interrupt, InterruptRequest, NdisError, NdisInterruptKind,
    NdisMiniportInterrupt, NdisSpinLock, MSI_BASE_VECTOR,
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
            let int = ndis_m_register_interrupt_ex(cpu, &pci, n.clone(), InterruptRequest::Line).unwrap();
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

/// A message-signalled NIC-style miniport on the dirql adapter: records each message.
struct MsiNic {
    bar0: Cell<u32>,
    /// (CPU, message number, IRQL) of each MiniportMessageInterrupt.
    taken: std::cell::RefCell<Vec<(u8, u32, u8)>>,
    dpcs: std::cell::RefCell<Vec<u32>>,
}

impl NdisMiniportInterrupt for MsiNic {
    fn miniport_interrupt(&self, _cpu: &Cpu<'_>) -> (bool, bool) {
        (false, false)
    }
    fn miniport_message_interrupt(&self, cpu: &Cpu<'_>, message_id: u32) -> (bool, bool) {
        self.taken.borrow_mut().push((cpu.id(), message_id, cpu.irql().0));
        let status = self.bar0.get() + regs::REG_INT_STATUS;
        let st = cpu.mem_read32(status) & (1 << message_id);
        cpu.mem_write32(status, st);
        cpu.mem_read32(status);
        (st != 0, true)
    }
    fn miniport_interrupt_dpc(&self, _cpu: &Cpu<'_>, message_id: u32) {
        self.dpcs.borrow_mut().push(message_id);
    }
}

#[test]
fn msi_messages_reach_the_target_cpu_with_their_message_number_and_inta_stays_released() {
    let mut m = Machine::new(&MachineConfig { seed: 5, ..MachineConfig::default() }).unwrap();
    let nic = Rc::new(MsiNic {
        bar0: Cell::new(0),
        taken: std::cell::RefCell::new(Vec::new()),
        dpcs: std::cell::RefCell::new(Vec::new()),
    });
    let inta_low = Rc::new(Cell::new(0u64));
    let pulses: Rc<std::cell::RefCell<Vec<(u64, u16)>>> = Rc::default();
    let (il, pu) = (inta_low.clone(), pulses.clone());
    m.observe(Box::new(move |f| {
        if !f.dev_inta_n {
            il.set(il.get() + 1);
        }
        if f.msi != 0 {
            pu.borrow_mut().push((f.cycle, f.msi));
        }
    }));
    let kind = Rc::new(Cell::new(None));
    let (n, k) = (nic.clone(), kind.clone());
    m.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let pci = enumerate(cpu, &ResourcePlan::default()).unwrap();
            n.bar0.set(pci.bars[0].unwrap().base);
            let too_far = ndis_m_register_interrupt_ex(cpu, &pci, n.clone(), InterruptRequest::Msi { target_cpu: 7 });
            assert!(matches!(too_far.err(), Some(NdisError::NoSuchCpu { cpu: 7, cpus: 2 })));
            let int =
                ndis_m_register_interrupt_ex(cpu, &pci, n.clone(), InterruptRequest::Msi { target_cpu: 1 }).unwrap();
            k.set(Some(int.kind));
            cpu.mem_write32(n.bar0.get() + regs::REG_INT_ENABLE, regs::INT_CMD_DONE);
            for fence in 1..=4u32 {
                cpu.mem_write_burst(n.bar0.get() + 0x200, &[0x0300_0000, fence]);
                cpu.work(1500);
            }
            loop {
                cpu.work(100);
            }
        }),
    );
    m.run_until(12_000);
    assert_eq!(m.stopped(), None);
    assert_eq!(kind.get(), Some(NdisInterruptKind::Msi { messages: 8 }), "all 8 messages granted (MMC = 3)");
    let taken = nic.taken.borrow().clone();
    assert_eq!(taken.len(), 4, "one message per fence: {taken:?}");
    for (cpu, message, irql) in &taken {
        assert_eq!((*cpu, *message), (1, 1), "CMD_DONE is message 1, to CPU1");
        assert_eq!(*irql, MSI_BASE_VECTOR >> 4, "the handler runs at the vector's IRQL");
    }
    assert_eq!(*nic.dpcs.borrow(), vec![1; 4], "MiniportInterruptDpc with the message number");
    let pulses = pulses.borrow().clone();
    assert_eq!(pulses.len(), 4, "{pulses:?}");
    assert!(pulses.iter().all(|(_, p)| *p == u16::from(MSI_BASE_VECTOR + 1) << 8), "{pulses:?}");
    assert_eq!(inta_low.get(), 0, "with MSI enabled the adapter never drives INTA#");
    let stats = m.kernel().stats();
    assert_eq!((stats.messages, stats.stray_messages, stats.unclaimed), (4, 0, 0));
}

#[test]
fn the_reference_miniport_in_msi_mode_guards_its_fence_with_an_ndis_spin_lock() {
    use dirql_display::{ioctl, regs_ext as ext, DirqlMiniport, Variant};
    use dirql_host::videoport::{video_port_initialize, VideoDevice, VideoPort, VideoPortConfig, VideoRequestPacket};
    let mut m = Machine::new(&MachineConfig { seed: 4, ..MachineConfig::default() }).unwrap();
    let mp = Rc::new(DirqlMiniport::new(Variant::by_name("reference").unwrap()));
    mp.use_message_interrupts();
    let slot: Rc<std::cell::RefCell<Option<Rc<VideoDevice>>>> = Rc::default();
    let waited = Rc::new(Cell::new(0u32));
    let (mp0, slot0) = (mp.clone(), slot.clone());
    m.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let pci = enumerate(cpu, &ResourcePlan::default()).unwrap();
            let dev = VideoDevice::new(VideoPortConfig::default(), pci);
            video_port_initialize(cpu, &dev, mp0.clone()).unwrap();
            mp0.connect_messages(cpu, &dev, 0).unwrap();
            *slot0.borrow_mut() = Some(dev);
            loop {
                cpu.work(100);
            }
        }),
    );
    let (slot1, w) = (slot.clone(), waited.clone());
    m.spawn(
        1,
        Box::new(move |cpu: &Cpu<'_>| {
            let mut fence = 1;
            loop {
                let dev = slot1.borrow().clone();
                let Some(dev) = dev else {
                    cpu.work(50);
                    continue;
                };
                let vp = VideoPort::new(cpu, &dev);
                let words = vec![ext::OP_FENCE << 24, fence];
                vp.start_io(&mut VideoRequestPacket {
                    ioctl: ioctl::SUBMIT_COMMANDS,
                    input: words,
                    ..Default::default()
                });
                let mut rp = VideoRequestPacket { ioctl: ioctl::WAIT_FENCE, input: vec![fence], ..Default::default() };
                if vp.start_io(&mut rp) == 0 {
                    w.set(fence);
                }
                fence += 1;
            }
        }),
    );
    m.run_until(20_000);
    assert_eq!(m.stopped(), None);
    assert!(waited.get() >= 5, "only {} fences waited for", waited.get());
    assert!(mp.completed_fence() >= waited.get());
    // Taken by the DPC for each completion and by the waiting thread for each poll.
    let (by_dpc, by_thread) = mp.fence_lock_taken();
    assert!(by_dpc >= u64::from(waited.get()) && by_thread >= u64::from(waited.get()), "{by_dpc} {by_thread}");
    let stats = m.kernel().stats();
    assert!(stats.messages >= 5 && stats.messages == stats.interrupts, "{stats:?}");
}
