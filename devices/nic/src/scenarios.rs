//! The network adapter's scenarios: firmware enumeration and MiniportInitializeEx on CPU 0,
//! then traffic both ways.

use std::cell::Cell;
use std::rc::Rc;

use dirql_host::ndis::InterruptRequest;
use dirql_host::pci::{enumerate, ResourcePlan};
use dirql_host::{Cpu, MachineConfig};
use dirql_testbenches::device::{RunEnd, Scenario, Stage};
use dirql_testbenches::harm::HarmLog;
use dirql_testbenches::scenario::RunSettings;

use crate::miniport::{NicMiniport, Variant};

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
        not_exercised: &["burst-integrity", "request-completion"],
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
        not_exercised: &["burst-integrity", "isr-ownership", "request-completion"],
        configure: upstream_delay,
        start: |st| traffic(st, Mode::Msi),
    },
    Scenario {
        name: "nic-link-flap",
        description: "nic-traffic while a thread takes the link down and up again every 5000 cycles: link-change \
                      interrupts between receive and transmit-complete ones, the generator pausing while the link is \
                      down",
        default_cycles: 30_000,
        not_exercised: &["burst-integrity", "request-completion"],
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
        // The display masters no DMA: nothing for its dma-ordering.
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
                if !m.send(cpu) {
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
    let links = mp.clone();
    st.at_end(Box::new(move |end: &RunEnd, harm: &HarmLog| {
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
