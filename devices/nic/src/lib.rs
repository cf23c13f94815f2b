//! # dirql-nic — the network adapter, a second device of dirql
//!
//! A PCI Ethernet function with bus-master DMA over descriptor rings in host RAM
//! (`rtl/`, devices/nic/README.md): its register map ([`regs`]), the facts the generic
//! rules need ([`profile::PROFILE`]), its NDIS 6 miniport with broken twins
//! ([`miniport`]) and its scenarios.

pub mod miniport;
pub mod profile;
pub mod regs;
pub mod scenarios;

use dirql_sim::PinFault;
use dirql_testbenches::check::DeviceProfile;
use dirql_testbenches::device::{Device, RtlTwin, Scenario, Twin};

/// The network adapter as a dirql device.
pub struct Nic;

/// The one instance, for the registration list.
pub static NIC: Nic = Nic;

/// Its RTL as the RTL describes it, and twins made by the wrapper's pin-fault stage
/// (device-independent: the stage rewrites whatever the device drives).
const RTL: &[RtlTwin] = &[
    RtlTwin {
        name: "reference",
        breaks: None,
        scenario: None,
        description: "the network adapter as devices/nic/rtl describes it",
        fault: None,
    },
    RtlTwin {
        name: "nic-late-devsel",
        breaks: Some("pci-protocol"),
        scenario: Some("nic-traffic"),
        description: "DEVSEL# one clock later than the target drives it: TRDY# before DEVSEL#",
        fault: Some(PinFault::LateDevsel),
    },
    RtlTwin {
        name: "nic-no-turnaround",
        breaks: Some("pci-protocol"),
        scenario: Some("nic-traffic"),
        description: "AD enabled in the turnaround clock after the host's address phase of a read",
        fault: Some(PinFault::NoTurnaround),
    },
    RtlTwin {
        name: "nic-late-inta",
        breaks: Some("interrupt-latency"),
        scenario: Some("nic-traffic"),
        description: "INTA# through a two-flop synchronizer on its way low: past the one clock the adapter declares",
        fault: Some(PinFault::LateInta),
    },
    RtlTwin {
        name: "nic-sticky-inta",
        breaks: Some("interrupt-latency"),
        scenario: Some("nic-traffic"),
        description: "INTA# held two clocks after the condition goes away: released past the declared clock",
        fault: Some(PinFault::StickyInta),
    },
];

impl Device for Nic {
    fn name(&self) -> &'static str {
        "nic"
    }

    fn description(&self) -> &'static str {
        "PCI network adapter: descriptor rings in host RAM moved by bus-master DMA, receive, transmit-complete and \
         link interrupts with moderation, on INTA# and MSI, under an NDIS 6 miniport"
    }

    fn profile(&self) -> &'static DeviceProfile {
        &profile::PROFILE
    }

    fn scenarios(&self) -> &'static [Scenario] {
        scenarios::SCENARIOS
    }

    fn drivers(&self) -> Vec<&'static Twin> {
        miniport::VARIANTS.iter().map(|v| &v.twin).collect()
    }

    fn rtl_twins(&self) -> &'static [RtlTwin] {
        RTL
    }

    fn scratch_register(&self) -> Option<(usize, u32)> {
        // GEN_PATTERN: read-write, no side effect while the generator is stopped.
        Some((0, regs::REG_GEN_PATTERN))
    }
}
