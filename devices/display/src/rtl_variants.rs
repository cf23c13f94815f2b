//! Broken-RTL twins of the adapter: the pins of a target with one realistic RTL bug, made
//! by the wrapper's pin-fault stage (`rtl/sim/dirql_pin_fault.v`, docs/robustness.md) so
//! that the synthesizable RTL in `rtl/` stays as it is. Like the driver variants, each
//! declares the rule that must flag it and the scenario that shows it.

use dirql_sim::PinFault;
use dirql_testbenches::device::RtlTwin;

/// An RTL variant of the adapter (the core's [`RtlTwin`]).
pub type RtlVariant = RtlTwin;

/// Every RTL variant.
pub const RTL_VARIANTS: &[RtlVariant] = &[
    RtlTwin {
        name: "reference",
        breaks: None,
        scenario: None,
        description: "the adapter as rtl/ describes it: medium DEVSEL#, TRDY# with DEVSEL#, PAR over AD and C/BE#, \
                      read data from the clock after the turnaround",
        fault: None,
    },
    RtlTwin {
        name: "late-devsel",
        breaks: Some("pci-protocol"),
        scenario: Some("vblank"),
        description: "DEVSEL# goes through one more output flop than TRDY# (a register added for timing on one \
                      pin only): TRDY# is asserted a clock before DEVSEL#, and DEVSEL# is still asserted in the \
                      clock after the transaction",
        fault: Some(PinFault::LateDevsel),
    },
    RtlTwin {
        name: "read-parity-no-cbe",
        breaks: Some("pci-protocol"),
        scenario: Some("vblank"),
        description: "the PAR it drives for read data is computed over AD only, leaving C/BE# out: right for \
                      dword reads, wrong for every byte read of a VGA port (three byte lanes disabled)",
        fault: Some(PinFault::ReadParityNoCbe),
    },
    RtlTwin {
        name: "no-turnaround",
        breaks: Some("pci-protocol"),
        scenario: Some("vblank"),
        description: "its AD output enable comes on when it claims a read instead of a clock later: it drives AD \
                      in the turnaround clock right after the host's address phase",
        fault: Some(PinFault::NoTurnaround),
    },
    RtlTwin {
        name: "late-inta",
        breaks: Some("interrupt-latency"),
        scenario: Some("vblank"),
        description: "INTA# goes through a two-flop output synchronizer on its way low: asserted two clocks after \
                      the source latched, past the one clock the adapter declares",
        fault: Some(PinFault::LateInta),
    },
    RtlTwin {
        name: "sticky-inta",
        breaks: Some("interrupt-latency"),
        scenario: Some("vblank"),
        description: "INTA# is held by a two-clock stretcher after the interrupt condition goes away: released two \
                      clocks after the acknowledging write, past the one clock the adapter declares",
        fault: Some(PinFault::StickyInta),
    },
];
