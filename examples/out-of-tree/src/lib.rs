//! The tick device: a PCI target whose timer raises an interrupt on INTA# every PERIOD
//! clocks (rtl/tick_dev.v), its profile, an NDIS miniport with one broken twin, and one
//! scenario — everything a device of your own needs (docs/bring-your-own-device.md).

use std::cell::Cell;
use std::rc::Rc;

use dirql_host::ndis::{self, InterruptRequest, NdisMiniportInterrupt};
use dirql_host::pci::{cfg, enumerate, ResourcePlan};
use dirql_host::Cpu;
use dirql_sim::{Command, Frame, PERIOD_NS};
use dirql_testbenches::check::{BarDecl, DataPhase, DeviceProfile, Target, DPC_BUDGET_NS, ISR_BUDGET_NS};
use dirql_testbenches::device::{no_configuration, Device, RtlTwin, RunEnd, Scenario, Stage, Twin};
use dirql_testbenches::harm::HarmLog;

/// BAR0: INT_STATUS, [0] TICK, write 1 to clear.
const INT_STATUS: u32 = 0x04;
/// BAR0: INT_ENABLE.
const INT_ENABLE: u32 = 0x08;
/// BAR0: PERIOD.
const PERIOD: u32 = 0x0C;
/// Clocks between ticks in the scenario.
const TICK_EVERY: u32 = 1_500;

/// The profile: one source, probes 0 (latched), 1 (enabled), 7 (the tick event).
pub static PROFILE: DeviceProfile = DeviceProfile {
    ack_name: "INT_STATUS",
    bars: &[Some(BarDecl { size: 0x1000, io: false })],
    acknowledges: |_, t, ph: &DataPhase| match t {
        Target::Bar(0, INT_STATUS) if ph.cmd == Some(Command::MemWrite) => ph.data & 1,
        _ => 0,
    },
    benign_reads: &[Target::Bar(0, INT_ENABLE)],
    register_name: |_| None,
    default_dirql: 3,
    delivery_bound: 1000,
    msi_source_mask: 0,
    sources: &["TICK"],
    latched: |f: &Frame| f.dev[0],
    raw: |f: &Frame| f.dev[0] & 1,
    enabled: |f: &Frame| f.dev[1] & 1,
    events: |f: &Frame| f.dev[7] & 1,
    held_events: |_| 0,
    pending: |f: &Frame| f.dev[0] & f.dev[1] & 1,
    status_shows: |t, data, _| matches!(t, Target::Bar(0, INT_STATUS)).then_some(data & 1),
    msi_cap_offset: None,
    assert_latency: 1,
    dismiss_latency: 1,
    isr_budget_cycles: ISR_BUDGET_NS / PERIOD_NS,
    dpc_budget_cycles: DPC_BUDGET_NS / PERIOD_NS,
    dpc_latency_cycles: DPC_BUDGET_NS / PERIOD_NS,
    // The DPC counts the tick.
    deferred_sources: 1,
    rw_probes: &[(Target::Bar(0, INT_ENABLE), 1, 1)],
    isr_shared: &[Target::Bar(0, INT_STATUS)],
    timed_window: None,
    probes: &["int_status", "int_enable", "count", "", "", "", "", "tick"],
    roles: &[],
    // No descriptors in host memory.
    rings: &[],
    request_budget_cycles: dirql_testbenches::check::REQUEST_BUDGET_NS / PERIOD_NS,
};

/// The reference driver and its twin.
pub const DRIVERS: &[Twin] = &[
    Twin {
        name: "reference",
        breaks: None,
        scenario: None,
        also_breaks: &[],
        description: "reads INT_STATUS, acknowledges the tick with a write-1-to-clear flushed by a read-back",
    },
    Twin {
        name: "tick-no-ack",
        breaks: Some("isr-dismissal"),
        scenario: Some("ticks"),
        also_breaks: &["no-spurious-reentry", "no-lost-interrupt", "interrupt-latency"],
        description: "claims the tick without acknowledging it: INTA# stays asserted",
    },
];

/// The miniport.
struct TickMiniport {
    bar0: Cell<u32>,
    no_ack: bool,
    ticks: Cell<u64>,
}

impl NdisMiniportInterrupt for TickMiniport {
    fn miniport_interrupt(&self, cpu: &Cpu<'_>) -> (bool, bool) {
        let s = cpu.mem_read32(self.bar0.get() + INT_STATUS) & 1;
        if s == 0 {
            return (false, false);
        }
        if !self.no_ack {
            cpu.mem_write32(self.bar0.get() + INT_STATUS, 1);
            let _ = cpu.mem_read32(self.bar0.get() + INT_STATUS);
        }
        (true, true)
    }

    fn miniport_interrupt_dpc(&self, _cpu: &Cpu<'_>, _message_id: u32) {
        self.ticks.set(self.ticks.get() + 1);
    }
}

fn ticks(st: &mut Stage<'_>) {
    let mp = Rc::new(TickMiniport { bar0: Cell::new(0), no_ack: st.settings.driver.name == "tick-no-ack", ticks: Cell::new(0) });
    let (err, enabled, m) = (st.setup_error.clone(), st.enabled_at.clone(), mp.clone());
    st.machine.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let Some(pci) = enumerate(cpu, &ResourcePlan::default()) else {
                *err.borrow_mut() = Some("PCI enumeration found no device".into());
                return;
            };
            m.bar0.set(pci.bars[0].map_or(0, |b| b.base));
            let command = cpu.config_read32(cfg::COMMAND) & 0xFFFF;
            cpu.config_write32(cfg::COMMAND, command | cfg::CMD_MEMORY);
            let me: Rc<dyn NdisMiniportInterrupt> = m.clone();
            if let Err(e) = ndis::ndis_m_register_interrupt_ex(cpu, &pci, me, InterruptRequest::Line) {
                *err.borrow_mut() = Some(e.to_string());
                return;
            }
            cpu.mem_write32(m.bar0.get() + INT_ENABLE, 1);
            cpu.mem_write32(m.bar0.get() + PERIOD, TICK_EVERY);
            enabled.set(Some(cpu.now()));
        }),
    );
    st.at_end(Box::new(move |end: &RunEnd, harm: &HarmLog| {
        let Some(from) = end.enabled_at else { return };
        let expected = end.cycles.saturating_sub(from) / u64::from(TICK_EVERY);
        if mp.ticks.get() + 1 < expected {
            harm.record("ticks-unserviced", end.cycles, format!("{expected} ticks, {} serviced", mp.ticks.get()));
        }
    }));
}

/// The scenarios.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "ticks",
    description: "the tick device interrupts every 1500 clocks on INTA#; its NDIS miniport dismisses each tick",
    default_cycles: 20_000,
    not_exercised: &["burst-integrity", "dma-ordering", "request-completion"],
    configure: no_configuration,
    start: ticks,
}];

/// The device.
pub struct Tick;

/// The one instance, for the registration list.
pub static TICK: Tick = Tick;

impl Device for Tick {
    fn name(&self) -> &'static str {
        "tick"
    }
    fn description(&self) -> &'static str {
        "a PCI target whose timer interrupts every PERIOD clocks"
    }
    fn profile(&self) -> &'static DeviceProfile {
        &PROFILE
    }
    fn scenarios(&self) -> &'static [Scenario] {
        SCENARIOS
    }
    fn drivers(&self) -> Vec<&'static Twin> {
        DRIVERS.iter().collect()
    }
    fn rtl_twins(&self) -> &'static [RtlTwin] {
        const RTL: &[RtlTwin] =
            &[RtlTwin { name: "reference", breaks: None, scenario: None, description: "rtl/tick_dev.v", fault: None }];
        RTL
    }
}
