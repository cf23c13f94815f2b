//! # dirql-host — the host side of the co-simulation
//!
//! Virtual CPUs that run driver code in simulated time ([`Machine`], [`Cpu`]), the
//! Windows kernel pieces a miniport relies on (IRQL, spin locks, interrupt objects, DPCs),
//! the video port model ([`videoport`]), the NDIS model ([`ndis`]) and firmware-style PCI
//! enumeration ([`pci`]). It knows no device: a device's miniport is written against these
//! (the display adapter's is in `devices/display/`).
//!
//! The model follows `shared/reference/semantics.md`; each routine is named after the
//! Windows routine it models.

mod irql;
mod kernel;
mod machine;
pub mod ndis;
pub mod pci;
pub mod request;
mod shared_line;
pub mod stop_codes;
pub mod videoport;

pub use irql::Irql;
pub use kernel::{
    BugCheck, Cpu, Dpc, InterruptObject, Isr, Job, Kernel, KernelStats, MessageInterrupt, Op, SpinLock, NOTE_BUG_CHECK,
};
pub use machine::{Machine, MachineConfig, Observer, Stop, StormAction};
pub use shared_line::SharedLineDevice;
