//! # dirql-sim — the device-independent half of the harness
//!
//! A Verilated PCI device (any device wrapped in `rtl/sim/dirql_sim_top.v`, see
//! `docs/sim-interface.md`), clocked one PCI cycle per [`Model::step`]; a
//! [`PciHostBridge`] that masters the bus signal by signal, with posted writes; a
//! level-triggered [`InterruptController`]; the per-cycle [`Frame`] that checkers read;
//! the seeded [`Rng`] that every scheduling choice draws from; and the codes of the
//! wrapper's pin-fault stage ([`PinFault`]), through which the bridge makes the device's
//! answers target aborts or retries, or its pins those of a broken RTL variant.
//!
//! Nothing here knows the adapter's register map or the OS model.

mod bridge;
mod ffi;
mod frame;
mod model;
mod pic;
mod pin_fault;
mod rng;

pub use bridge::{
    BridgeConfig, BridgeEvent, Command, Completion, Faults, HostMemory, MsiMessage, PciHostBridge, Phase, Request,
    Status, SubmitError, HOST_RAM, MSI_WINDOW,
};
pub use ffi::bridge::{Bus, Drive, Slot1Bus};
pub use frame::{
    msi_probe, Frame, Routine, Slot1, ISSUER_SLOT_SHIFT, OFFLINE_IRQL, PIC_DELIVER, PIC_EOI, PIC_IN_SERVICE, PIC_MASKED,
};
pub use model::{Model, SimError, TraceFormat, FST_KEEPS_HIER_FILE, PERIOD_NS, VERILATOR_VERSION};
pub use pic::{InterruptController, LineFaults, PicConfig, Routing};
pub use pin_fault::{PinFault, PIN_FAULT_ARM};
pub use rng::{format_forced, Rng, Schedule, ScheduleParseError};

/// Simulated time, in PCI clock cycles since reset was applied.
pub type Cycle = u64;
