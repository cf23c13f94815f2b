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
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "nic-traffic",
    description: "the network adapter under its NDIS miniport on INTA#: the adapter's traffic generator delivers a \
                  frame every 700 cycles into the receive ring by bus-master DMA while a thread on CPU0 sends frames \
                  that come back through the loopback; the host bridge queues the adapter's writes on their way to \
                  host RAM (a seeded delay), MiniportInterrupt dismisses, the DPC consumes both rings",
    default_cycles: 30_000,
    // No validated burst, no timed window.
    not_exercised: &["burst-integrity"],
    configure: upstream_delay,
    start: traffic,
}];

/// The adapter's writes take a seeded time to reach host RAM (16 to 112 cycles).
fn upstream_delay(cfg: &mut MachineConfig, s: &RunSettings) {
    cfg.bridge.upstream_delay = 16 + (s.seed % 5) as u32 * 24;
}

/// Clocks between generated frames.
const GEN_INTERVAL: u32 = 700;
/// Frames queued in the adapter or in flight that may be unconsumed at the end.
const SLACK: u64 = 6;

fn traffic(st: &mut Stage<'_>) {
    let variant = Variant::of(st.settings.driver);
    let mp = Rc::new(NicMiniport::new(variant, st.harm.clone()));
    let (err, enabled, m) = (st.setup_error.clone(), st.enabled_at.clone(), mp.clone());
    let gen_from: Rc<Cell<Option<u64>>> = Rc::default();
    let from = gen_from.clone();
    st.machine.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let Some(pci) = enumerate(cpu, &ResourcePlan::default()) else {
                *err.borrow_mut() = Some("PCI enumeration found no device (master abort on the ID read)".into());
                return;
            };
            if let Err(e) = m.initialize(cpu, &pci, InterruptRequest::Line) {
                *err.borrow_mut() = Some(e);
                return;
            }
            enabled.set(Some(cpu.now()));
            m.start_generator(cpu, 10_000, GEN_INTERVAL);
            from.set(Some(cpu.now()));
            loop {
                if !m.send(cpu) {
                    cpu.work(200);
                }
                cpu.work(450);
            }
        }),
    );
    st.at_end(Box::new(move |end: &RunEnd, harm: &HarmLog| {
        if let Some(from) = gen_from.get() {
            let expected = end.cycles.saturating_sub(from) / u64::from(GEN_INTERVAL);
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
