//! The network adapter's scenarios: firmware enumeration and MiniportInitializeEx on CPU 0,
//! then traffic both ways.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use dirql_host::ndis::InterruptRequest;
use dirql_host::pci::{enumerate, ResourcePlan};
use dirql_host::{Cpu, MachineConfig};
use dirql_testbenches::device::{RunEnd, Scenario, Stage};
use dirql_testbenches::harm::HarmLog;
use dirql_testbenches::scenario::RunSettings;

use crate::miniport::{NicMiniport, Variant, RING};

/// Every scenario of the network adapter.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "nic-traffic",
        description:
            "the network adapter under its NDIS miniport on INTA#: the adapter's traffic generator delivers a \
                  frame every 700 cycles into the receive ring by bus-master DMA while a thread on CPU0 sends frames \
                  that come back through the loopback; the host bridge queues the adapter's writes on their way to \
                  host RAM (a seeded delay), MiniportInterrupt dismisses, the DPC consumes both rings",
        default_cycles: 30_000,
        // No validated burst, no timed window.
        not_exercised: &["burst-integrity"],
        configure: upstream_delay,
        start: |st| traffic(st, Mode::Line),
    },
    Scenario {
        name: "nic-msi",
        description: "nic-traffic with message-signalled interrupts: NdisMRegisterInterruptEx grants the adapter's \
                      four messages to a seeded CPU, each cause is signalled by its own message (a Memory Write the \
                      adapter masters behind its DMA writes), MiniportMessageInterrupt acknowledges its causes; \
                      INTA# stays released",
        default_cycles: 30_000,
        // Messages are never shared: no ownership to judge (isr-ownership counts line ISRs).
        not_exercised: &["burst-integrity", "isr-ownership"],
        configure: upstream_delay,
        start: |st| traffic(st, Mode::Msi),
    },
    Scenario {
        name: "nic-link-flap",
        description: "nic-traffic while a thread takes the link down and up again every 5000 cycles: link-change \
                      interrupts between receive and transmit-complete ones, the generator pausing while the link is \
                      down",
        default_cycles: 30_000,
        not_exercised: &["burst-integrity"],
        configure: upstream_delay,
        start: |st| traffic(st, Mode::LinkFlap),
    },
    Scenario {
        name: "nic-shared-inta",
        description: "the network adapter (slot 0) and the display adapter (slot 1) on one bus and one INTA# line: \
                      two miniports chained on the line (NDIS's first, the video port's connected to the same line \
                      after it), receive traffic from the generator and the display's retrace interrupts; each ISR \
                      must claim only its own device's interrupts, and each device's rules judge their own slot",
        default_cycles: 30_000,
        // No validated burst on either device; the display's is reported as display:<rule>.
        // The display masters no DMA: nothing for its dma-ordering. On one CPU the sending
        // thread ends before it sends (to leave the CPU to the display's driver), and nothing
        // asks the display's driver for a request: no request to judge.
        not_exercised: &[
            "burst-integrity",
            "display:burst-integrity",
            "display:dma-ordering",
            "request-completion",
            "display:request-completion",
        ],
        configure: shared_line,
        start: |st| traffic(st, Mode::Shared),
    },
];

/// `nic-shared-inta`: the two-slot model with the display adapter in slot 1, and the
/// adapter's upstream delay as in the other scenarios.
fn shared_line(cfg: &mut MachineConfig, s: &RunSettings) {
    upstream_delay(cfg, s);
    cfg.model = dirql_testbenches::device::two_slot_model(&crate::NIC, &dirql_display::DISPLAY);
}

/// How a scenario's traffic runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// On the INTA# line.
    Line,
    /// By MSI, to a seeded CPU.
    Msi,
    /// On the line, with the link flapping.
    LinkFlap,
    /// On the line, shared with the display adapter in slot 1 (on one CPU the thread ends
    /// once the generator runs, so that the display's driver gets the CPU).
    Shared,
}

/// Cycles between link flaps in `nic-link-flap`, and how long the link stays down.
const FLAP_EVERY: u64 = 5_000;
const FLAP_DOWN: u64 = 300;

/// The adapter's writes take a seeded time to reach host RAM (16 to 112 cycles).
fn upstream_delay(cfg: &mut MachineConfig, s: &RunSettings) {
    cfg.bridge.upstream_delay = 16 + (s.seed % 5) as u32 * 24;
}

/// Clocks between generated frames.
const GEN_INTERVAL: u32 = 700;
/// Frames queued in the adapter or in flight that may be unconsumed at the end.
const SLACK: u64 = 6;

fn traffic(st: &mut Stage<'_>, mode: Mode) {
    let variant = Variant::of(st.settings.driver);
    let request = match mode {
        // The messages go to a CPU chosen by the seed, so exploring seeds covers both.
        Mode::Msi => {
            InterruptRequest::Msi { target_cpu: (st.settings.seed % u64::from(st.settings.cpus.max(1))) as u8 }
        }
        Mode::Line | Mode::LinkFlap | Mode::Shared => InterruptRequest::Line,
    };
    let mp = Rc::new(NicMiniport::new(variant, st.harm.clone()));
    let (err, enabled, m) = (st.setup_error.clone(), st.enabled_at.clone(), mp.clone());
    let gen_from: Rc<Cell<Option<u64>>> = Rc::default();
    let from = gen_from.clone();
    let one_cpu = st.settings.cpus <= 1;
    st.machine.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let Some(pci) = enumerate(cpu, &ResourcePlan::for_slot(cpu.slot())) else {
                *err.borrow_mut() = Some("PCI enumeration found no device (master abort on the ID read)".into());
                return;
            };
            if let Err(e) = m.initialize(cpu, &pci, request) {
                *err.borrow_mut() = Some(e);
                return;
            }
            enabled.set(Some(cpu.now()));
            m.start_generator(cpu, 10_000, GEN_INTERVAL);
            from.set(Some(cpu.now()));
            if mode == Mode::Shared && one_cpu {
                return;
            }
            let mut next_flap = cpu.now() + FLAP_EVERY;
            loop {
                m.sends.send(cpu, &*m);
                if m.backlog() > 0 {
                    cpu.work(200);
                }
                cpu.work(450);
                if mode == Mode::LinkFlap && cpu.now() >= next_flap {
                    m.flap_link(cpu, FLAP_DOWN);
                    next_flap = cpu.now() + FLAP_EVERY;
                }
            }
        }),
    );
    if mode == Mode::Shared {
        st.start_partner(&dirql_display::DISPLAY);
    }
    let rings = ring_oracle(st, mode);
    let links = mp.clone();
    st.at_end(Box::new(move |end: &RunEnd, harm: &HarmLog| {
        rings.borrow_mut().finish(end.cycles, harm);
        if mode == Mode::LinkFlap && end.cycles > 3 * FLAP_EVERY && links.link_changes.get() == 0 {
            harm.record(
                "link-change-unserviced",
                end.cycles,
                "the link went down and up, the driver saw no link change".into(),
            );
        }
        if let Some(from) = gen_from.get() {
            // The generator pauses while the link is down (a flap costs a frame or two).
            let flaps = if mode == Mode::LinkFlap { end.cycles.saturating_sub(from) / FLAP_EVERY } else { 0 };
            let expected = (end.cycles.saturating_sub(from) / u64::from(GEN_INTERVAL)).saturating_sub(2 * flaps);
            if mp.generated.get() + SLACK < expected {
                harm.record(
                    "frames-unserviced",
                    end.cycles,
                    format!(
                        "the generator delivered a frame every {GEN_INTERVAL} cycles since cycle {from} ({expected}), \
                         the driver consumed {}",
                        mp.generated.get()
                    ),
                );
            }
        }
        if mp.sent.get() > mp.looped.get() + SLACK {
            harm.record(
                "tx-not-received",
                end.cycles,
                format!("{} frames sent, {} came back through the loopback", mp.sent.get(), mp.looped.get()),
            );
        }
    }));
}

/// A frame the adapter wrote back into the receive ring must be handed back to it (RX_TAIL
/// advanced past it, as the adapter received the write) within this many cycles: the ISR,
/// a DPC within its latency bound (1000 cycles) and the ring walk, with room for the
/// adapter's interrupt moderation and a seeded upstream delay. The reference's longest, over
/// every NIC scenario x 1, 2 CPUs x seeds 1-20, is 173 cycles (nic-msi, one CPU, seed 19).
const RX_RETURN_BUDGET: u64 = 2_000;

/// While the sending thread runs and the link is up, some doorbell (TX_TAIL, as the adapter
/// received it) must land at least this often: the thread asks to send every 650 cycles at
/// the most, and a full ring drains within a few frames once the driver reclaims it. The
/// reference's longest gap with the link up, over the same runs, is 715 cycles.
const TX_DOORBELL_BUDGET: u64 = 4_000;

/// Ground truth of the rings, read from the adapter's own ring indices (probe 3: RX_TAIL,
/// RX_HEAD, TX_TAIL, TX_HEAD as the adapter holds them) rather than from the driver's
/// counters, which a driver bug could keep going.
struct RingOracle {
    /// The adapter's last RX_HEAD / RX_TAIL / TX_TAIL.
    last: Option<(u8, u8, u8)>,
    /// When each frame written back and not yet handed back was written (oldest first).
    unreturned: VecDeque<u64>,
    /// The last doorbell, or when the thread started sending.
    last_doorbell: Option<u64>,
    /// The link went down at this cycle and is not up again (probe 6 [31]).
    link_down_since: Option<u64>,
    /// Doorbells are expected (the sending thread keeps running).
    sending: bool,
    rx_reported: bool,
    tx_reported: bool,
    /// Harm found by the per-cycle observer, recorded at the end (the observer has no log).
    found: Vec<(&'static str, u64, String)>,
}

impl RingOracle {
    fn cycle(&mut self, now: u64, rings: u32, link: u32) {
        let (rx_tail, rx_head, tx_tail) = ((rings >> 24) as u8, (rings >> 16) as u8, (rings >> 8) as u8);
        let up = link & 1 << 31 != 0;
        match (up, self.link_down_since) {
            (false, None) => self.link_down_since = Some(now),
            (true, Some(_)) => {
                self.link_down_since = None;
                // A doorbell is owed from here on, not from before the link went down.
                if let Some(d) = self.last_doorbell.as_mut() {
                    *d = (*d).max(now);
                }
            }
            _ => {}
        }
        if let Some((h, t, tt)) = self.last {
            let ring = RING as u8;
            let written = rx_head.wrapping_sub(h) % ring;
            for _ in 0..written {
                self.unreturned.push_back(now);
            }
            let returned = rx_tail.wrapping_sub(t) % ring;
            for _ in 0..returned {
                self.unreturned.pop_front();
            }
            if tx_tail != tt && self.last_doorbell.is_some() {
                self.last_doorbell = Some(now);
            }
        }
        self.last = Some((rx_head, rx_tail, tx_tail));
        self.judge(now);
    }

    fn judge(&mut self, now: u64) {
        if let Some(&at) = self.unreturned.front() {
            if !self.rx_reported && now - at > RX_RETURN_BUDGET {
                self.rx_reported = true;
                self.found.push((
                    "rx-frame-stalled",
                    now,
                    format!(
                        "the adapter wrote a frame back into its receive ring at cycle {at}; {} cycles later the \
                         driver has not handed its descriptor back (the adapter's RX_TAIL; bound {RX_RETURN_BUDGET})",
                        now - at
                    ),
                ));
            }
        }
        if let (Some(at), true, None) = (self.last_doorbell, self.sending, self.link_down_since) {
            if !self.tx_reported && now - at > TX_DOORBELL_BUDGET {
                self.tx_reported = true;
                self.found.push((
                    "tx-stalled",
                    now,
                    format!(
                        "the thread has asked the driver to send a frame every few hundred cycles, but no transmit \
                         doorbell reached the adapter (its TX_TAIL) since cycle {at} ({} cycles; bound \
                         {TX_DOORBELL_BUDGET})",
                        now - at
                    ),
                ));
            }
        }
    }

    fn finish(&mut self, end: u64, harm: &HarmLog) {
        self.judge(end);
        for (kind, cycle, detail) in self.found.drain(..) {
            harm.record(kind, cycle, detail);
        }
    }
}

/// Puts the ring oracle on the stage's device: it starts judging doorbells once the driver
/// has enabled its interrupts (the thread sends from then on, except on one CPU of
/// `nic-shared-inta`, where the thread ends to leave the CPU to the display's driver).
fn ring_oracle(st: &mut Stage<'_>, mode: Mode) -> Rc<RefCell<RingOracle>> {
    let o = Rc::new(RefCell::new(RingOracle {
        last: None,
        unreturned: VecDeque::new(),
        last_doorbell: None,
        link_down_since: None,
        sending: !(mode == Mode::Shared && st.settings.cpus <= 1),
        rx_reported: false,
        tx_reported: false,
        found: Vec::new(),
    }));
    let (seen, enabled) = (o.clone(), st.enabled_at.clone());
    st.observe(Box::new(move |f| {
        let mut o = seen.borrow_mut();
        if o.last_doorbell.is_none() {
            if let Some(at) = enabled.get() {
                o.last_doorbell = Some(at.max(f.cycle));
            }
        }
        o.cycle(f.cycle, f.dev[3], f.dev[6]);
    }));
    o
}
