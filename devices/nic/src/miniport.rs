//! The network adapter's NDIS 6 miniport (the reference) and its broken twins: rings of
//! descriptors in host RAM that the adapter fills and drains by bus-master DMA,
//! MiniportInterrupt dismissing at DIRQL, MiniportInterruptDPC consuming the rings at
//! DISPATCH_LEVEL, NdisMSynchronizeWithInterruptEx for the causes the ISR hands the DPC, and
//! an NDIS spin lock for the transmit ring the sending thread and the DPC share
//! (../shared/reference/seeds/ndis-miniport-synchronize-interrupt.md).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use dirql_host::ndis::{
    self, InterruptRequest, NdisInterrupt, NdisMiniportInterrupt, NdisMiniportSend, NdisSpinLock, NetBufferList,
    SendPath,
};
use dirql_host::pci::{cfg, PciFunction};
use dirql_host::Cpu;
use dirql_testbenches::device::Twin;
use dirql_testbenches::harm::HarmLog;

use crate::regs::*;

/// A driver variant: the reference, or a twin with one defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// What the core knows of it.
    pub twin: Twin,
    /// The defect switched on (`None`: the reference).
    pub defect: Option<Defect>,
}

/// The defect a twin has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Defect {
    /// `nic-no-ack`.
    NoAck,
    /// `nic-ack-all`.
    AckAll,
    /// `nic-claims-shared`.
    ClaimsShared,
    /// `nic-ring-before-flush`.
    RingBeforeFlush,
}

/// Every driver variant of the network adapter.
pub const VARIANTS: &[Variant] = &[
    Variant {
        twin: Twin {
            name: "reference",
            breaks: None,
            scenario: None,
            also_breaks: &[],
            description: "MiniportInterrupt reads INT_STATUS (which also pushes the adapter's DMA writes into host RAM \
                          ahead of the read's completion), returns FALSE if none of its causes is pending, acknowledges \
                          what it read with a write-1-to-clear flushed by a read-back, and hands the causes to its DPC \
                          through NdisMSynchronizeWithInterruptEx; the DPC consumes the receive ring and reclaims the \
                          transmit ring under an NDIS spin lock",
        },
        defect: None,
    },
    Variant {
        twin: Twin {
            name: "nic-no-ack",
            breaks: Some("isr-dismissal"),
            scenario: Some("nic-traffic"),
            // The line stays low: the OS disables the storming line, later causes are lost.
            also_breaks: &["no-spurious-reentry", "no-lost-interrupt", "interrupt-latency", "request-completion"],
            description: "MiniportInterrupt claims the interrupt and queues its DPC but never writes INT_STATUS, so \
                          INTA# stays asserted",
        },
        defect: Some(Defect::NoAck),
    },
    Variant {
        twin: Twin {
            name: "nic-ack-all",
            breaks: Some("no-lost-interrupt"),
            scenario: Some("nic-traffic"),
            // A receive cause cleared unseen leaves its descriptor to a later interrupt.
            also_breaks: &["dma-ordering"],
            description: "MiniportInterrupt acknowledges every cause (writes all ones to INT_STATUS) after reading it, \
                          so a cause that latched between its read and its write is cleared unseen",
        },
        defect: Some(Defect::AckAll),
    },
    Variant {
        twin: Twin {
            name: "nic-claims-shared",
            breaks: Some("isr-ownership"),
            scenario: Some("nic-shared-inta"),
            // First in the chain, it swallows the display's interrupts: it "dismisses"
            // nothing (INTA# stays low, the display's), the display's driver never sees an
            // interrupt (its rules check nothing) and its sources are lost.
            also_breaks: &[
                "isr-dismissal",
                "no-lost-interrupt",
                "no-spurious-reentry",
                // The storm of re-entries starves the sending thread.
                "request-completion",
                "display:isr-ownership",
                "display:isr-dismissal",
                "display:no-lost-interrupt",
                "display:no-spurious-reentry",
                "display:sync-isolation",
                "display:irql-discipline",
                "display:interrupt-latency",
                "display:time-budget",
                "display:register-integrity",
                "display:deferred-work",
            ],
            description: "MiniportInterrupt returns TRUE even when INT_STATUS shows none of its causes (written as if \
                          the line were its own): on a shared line it claims the other device's interrupts, whose ISR \
                          is then never called",
        },
        defect: Some(Defect::ClaimsShared),
    },
    Variant {
        twin: Twin {
            name: "nic-ring-before-flush",
            breaks: Some("dma-ordering"),
            scenario: Some("nic-traffic"),
            also_breaks: &[],
            description: "MiniportInterrupt consumes the receive ring at DIRQL before its first read of the adapter \
                          (as a message handler may: a message is ordered behind the adapter's DMA writes), then reads \
                          and acknowledges INT_STATUS and hands its DPC every cause but the receive ones, which it \
                          believes done; on INTA# the descriptors the adapter wrote back may still be queued in the \
                          host bridge, so the ISR finds them not done and the frames wait for the next interrupt",
        },
        defect: Some(Defect::RingBeforeFlush),
    },
];

impl Variant {
    /// The variant a core [`Twin`] stands for.
    pub fn of(twin: &Twin) -> &'static Variant {
        VARIANTS.iter().find(|v| v.twin.name == twin.name).unwrap_or(&VARIANTS[0])
    }
}

/// Descriptors per ring.
pub const RING: u32 = 16;
/// Bytes per frame this driver sends and the generator makes.
pub const FRAME_BYTES: u32 = 16;
/// Where the rings and buffers live in host RAM.
const TX_RING: u32 = dirql_sim::HOST_RAM.start;
const RX_RING: u32 = dirql_sim::HOST_RAM.start + 0x1000;
const TX_BUF: u32 = dirql_sim::HOST_RAM.start + 0x1_0000;
const RX_BUF: u32 = dirql_sim::HOST_RAM.start + 0x2_0000;
/// Causes the driver enables.
const ENABLED: u32 = INT_RX | INT_TX_DONE | INT_LINK | INT_RX_NOBUF;

/// The miniport adapter context.
pub struct NicMiniport {
    variant: &'static Variant,
    bar0: Cell<u32>,
    interrupt: RefCell<Option<Rc<NdisInterrupt>>>,
    /// Causes the ISR saw, for the DPC (shared with the ISR: synchronized).
    isr_causes: Cell<u32>,
    /// Next RX descriptor to look at.
    rx_next: Cell<u32>,
    /// TX ring: next free slot, oldest not yet reclaimed (shared by the sender and the DPC,
    /// under `tx_lock`).
    tx_tail: Cell<u32>,
    tx_clean: Cell<u32>,
    tx_lock: NdisSpinLock,
    /// Sends taken while the ring was full, oldest first (under `tx_lock`).
    tx_backlog: RefCell<std::collections::VecDeque<NetBufferList>>,
    /// The send each TX ring slot holds (under `tx_lock`).
    tx_nbl: RefCell<[Option<NetBufferList>; RING as usize]>,
    /// The OS's send path to this miniport (NdisSendNetBufferLists and its completions).
    pub sends: SendPath,
    /// Frames sent, TX descriptors reclaimed, frames received (looped back / generated).
    pub sent: Cell<u64>,
    /// TX descriptors reclaimed.
    pub reclaimed: Cell<u64>,
    /// Frames of ours that came back through the loopback.
    pub looped: Cell<u64>,
    /// Generator frames received.
    pub generated: Cell<u64>,
    /// Link changes seen.
    pub link_changes: Cell<u64>,
    /// Receive descriptors consumed since initialization.
    rx_consumed: Cell<u64>,
    /// Harm oracle (ground truth no driver can read): `rx_consumed` once every frame the
    /// adapter had written back when an ISR acknowledged a receive cause is consumed. Set by
    /// the ISR, taken by the DPC with the causes (synchronized).
    rx_owed: Cell<u64>,
    harm: HarmLog,
}

impl NicMiniport {
    /// A fresh adapter context for `variant`, recording harm it sees in `harm`.
    pub fn new(variant: &'static Variant, harm: HarmLog) -> Self {
        NicMiniport {
            variant,
            bar0: Cell::new(0),
            interrupt: RefCell::new(None),
            isr_causes: Cell::new(0),
            rx_next: Cell::new(0),
            tx_tail: Cell::new(0),
            tx_clean: Cell::new(0),
            tx_lock: NdisSpinLock::default(),
            tx_backlog: RefCell::default(),
            tx_nbl: RefCell::new([None; RING as usize]),
            sends: SendPath::default(),
            sent: Cell::new(0),
            reclaimed: Cell::new(0),
            looped: Cell::new(0),
            generated: Cell::new(0),
            link_changes: Cell::new(0),
            rx_consumed: Cell::new(0),
            rx_owed: Cell::new(0),
            harm,
        }
    }

    fn has(&self, d: Defect) -> bool {
        self.variant.defect == Some(d)
    }

    fn reg(&self, off: u32) -> u32 {
        self.bar0.get() + off
    }

    /// MiniportInitializeEx: bus mastering on, rings in host RAM, the interrupt registered
    /// (line or MSI), the causes enabled, transmit, receive and loopback on.
    pub fn initialize(
        self: &Rc<Self>,
        cpu: &Cpu<'_>,
        pci: &PciFunction,
        request: InterruptRequest,
    ) -> Result<(), String> {
        let bar0 = pci.bars[0].map(|b| b.base).ok_or("the network adapter has no BAR0")?;
        self.bar0.set(bar0);
        let command = cpu.config_read32(cfg::COMMAND) & 0xFFFF;
        cpu.config_write32(cfg::COMMAND, command | cfg::CMD_MEMORY | cfg::CMD_BUS_MASTER);
        for i in 0..RING {
            let d = RX_RING + i * DESC_BYTES;
            cpu.host_write32(d, RX_BUF + i * 0x100);
            cpu.host_write32(d + 4, 0x100);
            cpu.host_write32(d + 8, 0);
            cpu.host_write32(d + 12, 0);
        }
        cpu.mem_write32(self.reg(REG_TX_BASE), TX_RING);
        cpu.mem_write32(self.reg(REG_TX_SIZE), RING);
        cpu.mem_write32(self.reg(REG_RX_BASE), RX_RING);
        cpu.mem_write32(self.reg(REG_RX_SIZE), RING);
        cpu.mem_write32(self.reg(REG_RX_TAIL), RING - 1);
        let me: Rc<dyn NdisMiniportInterrupt> = self.clone();
        let int = ndis::ndis_m_register_interrupt_ex(cpu, pci, me, request).map_err(|e| e.to_string())?;
        *self.interrupt.borrow_mut() = Some(int);
        cpu.mem_write32(self.reg(REG_INT_ENABLE), ENABLED);
        cpu.mem_write32(self.reg(REG_CTRL), CTRL_TX_EN | CTRL_RX_EN | CTRL_LOOPBACK);
        let _ = cpu.mem_read32(self.reg(REG_STATUS));
        Ok(())
    }

    /// Starts the adapter's traffic generator: `count` frames, one every `interval` clocks.
    pub fn start_generator(&self, cpu: &Cpu<'_>, count: u32, interval: u32) {
        cpu.mem_write32(self.reg(REG_GEN_LEN), FRAME_BYTES);
        cpu.mem_write32(self.reg(REG_GEN_PATTERN), 0);
        cpu.mem_write32(self.reg(REG_GEN_INTERVAL), interval);
        cpu.mem_write32(self.reg(REG_GEN_COUNT), count);
        cpu.mem_write32(self.reg(REG_GEN_CTRL), 1);
    }

    /// Flaps the link: down, then up again after `gap` cycles.
    pub fn flap_link(&self, cpu: &Cpu<'_>, gap: u64) {
        cpu.mem_write32(self.reg(REG_LINK_CTRL), 0);
        cpu.work(gap);
        cpu.mem_write32(self.reg(REG_LINK_CTRL), 1);
    }

    /// Sends taken and not yet on the ring (the ring was full).
    pub fn backlog(&self) -> usize {
        self.tx_backlog.borrow().len()
    }

    /// Moves backlogged sends onto the ring while it has room (`tx_lock` held), ringing the
    /// doorbell once for all of them.
    fn fill_ring(&self, cpu: &Cpu<'_>) {
        let mut rang = false;
        loop {
            let (tail, clean) = (self.tx_tail.get(), self.tx_clean.get());
            let next = (tail + 1) % RING;
            if next == clean {
                break;
            }
            let Some(nbl) = self.tx_backlog.borrow_mut().pop_front() else { break };
            let seq = self.sent.get() as u32;
            let buf = TX_BUF + tail * 0x100;
            let first = 0x8000_0000 | (seq & 0x7FFF_FFFF);
            for (i, w) in [first, !first, seq, 0x1234_5678].iter().enumerate() {
                cpu.host_write32(buf + 4 * i as u32, *w);
            }
            let d = TX_RING + tail * DESC_BYTES;
            cpu.host_write32(d, buf);
            cpu.host_write32(d + 4, FRAME_BYTES);
            cpu.host_write32(d + 8, 0);
            cpu.host_write32(d + 12, 0);
            self.tx_nbl.borrow_mut()[tail as usize] = Some(nbl);
            self.tx_tail.set(next);
            self.sent.set(self.sent.get() + 1);
            rang = true;
        }
        if rang {
            // The doorbell: the adapter owns [TX_HEAD, TX_TAIL).
            cpu.mem_write32(self.reg(REG_TX_TAIL), self.tx_tail.get());
        }
    }

    /// The receive ring: every frame the adapter wrote back, checked and handed back.
    fn receive(&self, cpu: &Cpu<'_>) {
        let mut n = self.rx_next.get();
        let start = n;
        loop {
            let d = RX_RING + n * DESC_BYTES;
            let status = cpu.host_read32(d + 8);
            if status & DESC_DONE == 0 {
                break;
            }
            let buf = RX_BUF + n * 0x100;
            let (w0, w1) = (cpu.host_read32(buf), cpu.host_read32(buf + 4));
            let ok = if w0 & 0x8000_0000 != 0 {
                self.looped.set(self.looped.get() + 1);
                w1 == !w0
            } else {
                self.generated.set(self.generated.get() + 1);
                // Generated frame k: dword i = {k[15:0], i[15:0]} (GEN_PATTERN 0).
                w1 == (w0 & 0xFFFF_0000) | 1 && w0 & 0xFFFF == 0
            };
            if !ok || status >> 16 != FRAME_BYTES {
                self.harm.record(
                    "frame-data-wrong",
                    cpu.now(),
                    format!(
                        "RX descriptor {n}: status {status:#010x}, data {w0:#010x} {w1:#010x} is not a frame that was \
                         sent or generated"
                    ),
                );
            }
            cpu.host_write32(d + 8, 0);
            self.rx_consumed.set(self.rx_consumed.get() + 1);
            n = (n + 1) % RING;
            if n == start {
                break;
            }
        }
        if n != start {
            self.rx_next.set(n);
            // Hand the consumed descriptors back, keeping one slot empty.
            cpu.mem_write32(self.reg(REG_RX_TAIL), (n + RING - 1) % RING);
        }
    }

    /// Harm oracle, when an ISR has seen and acknowledged (`acked`) a receive cause: the frames the adapter has
    /// written back by now, whether or not their writes have reached host RAM yet (the
    /// host memory model's ground truth), are owed to the DPC that takes these causes.
    fn owe_received(&self, cpu: &Cpu<'_>, acked: u32) {
        if acked & (INT_RX | INT_RX_NOBUF) == 0 {
            return;
        }
        let mut n = self.rx_next.get();
        let mut done = 0;
        while done < u64::from(RING) && cpu.host_peek_eventual(RX_RING + n * DESC_BYTES + 8) & DESC_DONE != 0 {
            done += 1;
            n = (n + 1) % RING;
        }
        self.rx_owed.set(self.rx_owed.get().max(self.rx_consumed.get() + done));
    }

    /// The transmit ring: descriptors the adapter completed, reclaimed.
    fn reclaim(&self, cpu: &Cpu<'_>) {
        let old = self.tx_lock.acquire(cpu);
        while self.tx_clean.get() != self.tx_tail.get() {
            let d = TX_RING + self.tx_clean.get() * DESC_BYTES;
            if cpu.host_read32(d + 8) & DESC_DONE == 0 {
                break;
            }
            if let Some(nbl) = self.tx_nbl.borrow_mut()[self.tx_clean.get() as usize].take() {
                // NdisMSendNetBufferListsComplete.
                self.sends.complete(nbl, ndis::NDIS_STATUS_SUCCESS);
            }
            self.tx_clean.set((self.tx_clean.get() + 1) % RING);
            self.reclaimed.set(self.reclaimed.get() + 1);
        }
        self.fill_ring(cpu);
        self.tx_lock.release(cpu, old);
    }
}

impl NdisMiniportSend for NicMiniport {
    /// MiniportSendNetBufferLists: the frame goes on the transmit ring, or waits behind
    /// the ones already waiting for room; it completes when its descriptor is reclaimed.
    fn miniport_send_net_buffer_lists(&self, cpu: &Cpu<'_>, nbl: NetBufferList) {
        let old = self.tx_lock.acquire(cpu);
        self.tx_backlog.borrow_mut().push_back(nbl);
        self.fill_ring(cpu);
        self.tx_lock.release(cpu, old);
    }
}

impl NdisMiniportInterrupt for NicMiniport {
    fn miniport_interrupt(&self, cpu: &Cpu<'_>) -> (bool, bool) {
        // The defect: the ring read before anything pushed the adapter's writes into RAM.
        let early = self.has(Defect::RingBeforeFlush);
        if early {
            self.receive(cpu);
        }
        // The status read also pushes the adapter's DMA writes queued in the host bridge
        // into host RAM ahead of its completion: after it, the DPC sees what the adapter
        // wrote before it raised the causes.
        let causes = cpu.mem_read32(self.reg(REG_INT_STATUS)) & ENABLED;
        if causes == 0 {
            return (self.has(Defect::ClaimsShared), false);
        }
        let mut acked = 0;
        if !self.has(Defect::NoAck) {
            acked = if self.has(Defect::AckAll) { INT_ALL } else { causes };
            cpu.mem_write32(self.reg(REG_INT_STATUS), acked);
            // The acknowledge is posted: read back so it reaches the adapter (and INTA# is
            // released) before the ISR returns.
            let _ = cpu.mem_read32(self.reg(REG_INT_STATUS));
        }
        // Owed: the receive causes it saw and acknowledged (acknowledging a cause it did not
        // see may clear nothing: the cause may latch after the write).
        self.owe_received(cpu, causes & acked);
        // The twin consumed the receive ring above and believes the receive causes done
        // (its DPC never touches the ring, so the ring has one consumer).
        let deferred = if early { causes & !(INT_RX | INT_RX_NOBUF) } else { causes };
        self.isr_causes.set(self.isr_causes.get() | deferred);
        (true, true)
    }

    /// MiniportMessageInterrupt: message `m` stands for the causes whose bit number masked
    /// to the granted messages is `m` (README "MSI message assignment"); the message is
    /// ordered behind the adapter's DMA writes, so no read is needed before the DPC looks
    /// at the rings. Its causes are acknowledged and the acknowledge flushed.
    fn miniport_message_interrupt(&self, cpu: &Cpu<'_>, message_id: u32) -> (bool, bool) {
        let messages = match self.interrupt.borrow().as_ref().map(|i| i.kind) {
            Some(ndis::NdisInterruptKind::Msi { messages }) => messages.max(1),
            _ => 1,
        };
        let causes = (0..5).filter(|b| b & (messages - 1) == message_id).fold(0, |m, b| m | 1 << b) & ENABLED;
        if causes == 0 {
            return (false, false);
        }
        let mut acked = 0;
        if !self.has(Defect::NoAck) {
            acked = causes;
            cpu.mem_write32(self.reg(REG_INT_STATUS), acked);
            let _ = cpu.mem_read32(self.reg(REG_INT_STATUS));
        }
        self.owe_received(cpu, acked);
        self.isr_causes.set(self.isr_causes.get() | causes);
        (true, true)
    }

    fn miniport_interrupt_dpc(&self, cpu: &Cpu<'_>, message_id: u32) {
        let int = self.interrupt.borrow().clone();
        let Some(int) = int else { return };
        // The causes the ISR saw, taken under the interrupt's lock.
        let (causes, owed) = (Cell::new(0), Cell::new(0));
        ndis::synchronize_with_interrupt(cpu, &int, message_id, &|_| {
            causes.set(self.isr_causes.replace(0));
            // Taken with the causes: the DPC that takes them answers for their frames (a
            // DPC running at once on the other CPU may take nothing).
            owed.set(self.rx_owed.replace(0));
            true
        });
        let causes = causes.get();
        if causes & (INT_RX | INT_RX_NOBUF) != 0 {
            self.receive(cpu);
        }
        if causes & INT_TX_DONE != 0 {
            self.reclaim(cpu);
        }
        if causes & INT_LINK != 0 {
            let _ = cpu.mem_read32(self.reg(REG_STATUS));
            self.link_changes.set(self.link_changes.get() + 1);
        }
        let (owed, consumed) = (owed.get(), self.rx_consumed.get());
        if consumed < owed {
            self.harm.record(
                "rx-frame-unconsumed",
                cpu.now(),
                format!(
                    "the DPC ended with {consumed} receive descriptors consumed, {owed} written back by the adapter \
                     when the ISR acknowledged their receive cause: frames left until some later interrupt"
                ),
            );
        }
    }
}
