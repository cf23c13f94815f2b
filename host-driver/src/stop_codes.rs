//! Every stop code a simulated bug check can carry. A bug check stops the machine at the
//! cycle it happens (the waveform is kept up to there) and fails the run's
//! `run-completed` rule; the IRQL and video-port-service codes below are what a checker's
//! `irql-discipline` rule can map them to (see [`IRQL_DISCIPLINE`]).
//!
//! Names follow Windows where Windows has one; the video port's own checks, which
//! Windows reports less precisely (typically as IRQL_NOT_LESS_OR_EQUAL after touching
//! pageable code), carry a `VIDEO_PORT_` name that says what was wrong.

/// KeRaiseIrql to a level below the current one (Windows 0x9).
pub const IRQL_NOT_GREATER_OR_EQUAL: &str = "IRQL_NOT_GREATER_OR_EQUAL";
/// KeLowerIrql to a level above the current one (Windows 0xA).
pub const IRQL_NOT_LESS_OR_EQUAL: &str = "IRQL_NOT_LESS_OR_EQUAL";
/// A service called at an IRQL above the highest it allows (Windows 0xD1).
pub const DRIVER_IRQL_NOT_LESS_OR_EQUAL: &str = "DRIVER_IRQL_NOT_LESS_OR_EQUAL";
/// HwVidInterrupt (or a routine synchronized with it) called a service outside the list
/// in `seeds/hwvid-interrupt.md`.
pub const VIDEO_PORT_ISR_FORBIDDEN_CALL: &str = "VIDEO_PORT_ISR_FORBIDDEN_CALL";
/// VideoPortStallExecution longer than the configured bound from HwVidInterrupt or at a
/// raised IRQL ("no more than a very few microseconds", hwvid-interrupt.md).
pub const VIDEO_PORT_STALL_TOO_LONG: &str = "VIDEO_PORT_STALL_TOO_LONG";
/// A VpHighPriority synchronized routine ran past its configured bound ("must return
/// control as quickly as possible"; Windows' watchdog for too long at raised IRQL, 0x133).
pub const DPC_WATCHDOG_VIOLATION: &str = "DPC_WATCHDOG_VIOLATION";
/// A CPU acquired a spin lock it already holds (Windows 0xF).
pub const SPIN_LOCK_ALREADY_OWNED: &str = "SPIN_LOCK_ALREADY_OWNED";
/// A CPU released a spin lock it does not hold (Windows 0x10).
pub const SPIN_LOCK_NOT_OWNED: &str = "SPIN_LOCK_NOT_OWNED";
/// The interrupt line stayed asserted at end of interrupt through the storm threshold,
/// with `StormAction::BugCheck` (Windows 0xF2).
pub const HARDWARE_INTERRUPT_STORM: &str = "HARDWARE_INTERRUPT_STORM";
/// Driver code ran without using simulated time (a model-level hang, not a Windows code).
pub const DIRQL_NO_PROGRESS: &str = "DIRQL_NO_PROGRESS";

/// Every stop code, for listings and tests.
pub const ALL: &[&str] = &[
    IRQL_NOT_GREATER_OR_EQUAL,
    IRQL_NOT_LESS_OR_EQUAL,
    DRIVER_IRQL_NOT_LESS_OR_EQUAL,
    VIDEO_PORT_ISR_FORBIDDEN_CALL,
    VIDEO_PORT_STALL_TOO_LONG,
    DPC_WATCHDOG_VIOLATION,
    SPIN_LOCK_ALREADY_OWNED,
    SPIN_LOCK_NOT_OWNED,
    HARDWARE_INTERRUPT_STORM,
    DIRQL_NO_PROGRESS,
];

/// The stop codes that are IRQL or service-discipline violations (what an
/// `irql-discipline` rule reports).
pub const IRQL_DISCIPLINE: &[&str] = &[
    IRQL_NOT_GREATER_OR_EQUAL,
    IRQL_NOT_LESS_OR_EQUAL,
    DRIVER_IRQL_NOT_LESS_OR_EQUAL,
    VIDEO_PORT_ISR_FORBIDDEN_CALL,
    VIDEO_PORT_STALL_TOO_LONG,
    DPC_WATCHDOG_VIOLATION,
];
