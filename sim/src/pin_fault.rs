//! The wrapper's pin-fault stage (`rtl/sim/dirql_pin_fault.v`): what the harness can make
//! the device's target pins do, through the `h_fault_i` port (docs/sim-interface.md).
//!
//! A target's answer is driven by the target, so the host bridge cannot fake it from the
//! master's side; the stage sits between the device's drives and the wired bus and
//! changes them on command. The value is sampled in the address phase of each transaction
//! and applies to that transaction: the bridge arms single transactions
//! ([`crate::Faults::target_abort_every`], [`crate::Faults::retry_window`]) by driving it
//! with FRAME#, and keeps a broken-RTL variant ([`crate::Faults::rtl_mutant`]) armed for
//! the whole run.

/// A mode of the pin-fault stage: `h_fault_i[2:0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PinFault {
    /// The device's answer becomes a target abort: DEVSEL# for one clock, then STOP# with
    /// DEVSEL# deasserted until FRAME# is deasserted (PCI 3.0 §3.3.3.2.1). No data moves;
    /// the adapter never sees the data phase, so the access has no effect in it.
    TargetAbort = 1,
    /// The device's answer becomes a retry: STOP# with DEVSEL#, no TRDY#, in the first
    /// data phase (§3.3.3.2.2). No data moves; the master must issue it again.
    Retry = 2,
    /// Broken RTL: DEVSEL# goes through one more flop than TRDY#, so TRDY# is asserted a
    /// clock before DEVSEL# (§3.3.3.2: TRDY# only with DEVSEL#) and DEVSEL# is still
    /// asserted in the clock after the transaction.
    LateDevsel = 3,
    /// Broken RTL: the PAR the adapter drives for its read data covers AD only, not C/BE#
    /// (§3.7.1); wrong whenever an odd number of byte lanes is disabled (byte reads).
    ReadParityNoCbe = 4,
    /// Broken RTL: the adapter enables AD in the clock after the address phase of a read,
    /// the turnaround clock in which nobody may drive it (§3.3.1).
    NoTurnaround = 5,
    /// Broken RTL: INTA# goes through two more flops on its way low (an output
    /// synchronizer), so it is asserted two clocks after the interrupt condition.
    LateInta = 6,
    /// Broken RTL: INTA# is held two clocks past the device's own level (a hold
    /// stretcher), so it is released two clocks after the acknowledge took effect.
    StickyInta = 7,
}

/// `h_fault_i[3]`: the mode applies to the transaction whose address phase carries it.
pub const PIN_FAULT_ARM: u8 = 1 << 3;

impl PinFault {
    /// The value of `h_fault_i` that arms this mode.
    pub const fn armed(self) -> u8 {
        self as u8 | PIN_FAULT_ARM
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_stage_modes() {
        // rtl/sim/dirql_pin_fault.v: M_TARGET_ABORT = 1 ... M_NO_TURNAROUND = 5, arm = bit 3.
        let src = include_str!("../../rtl/sim/dirql_pin_fault.v");
        for (f, name) in [
            (PinFault::TargetAbort, "M_TARGET_ABORT"),
            (PinFault::Retry, "M_RETRY"),
            (PinFault::LateDevsel, "M_LATE_DEVSEL"),
            (PinFault::ReadParityNoCbe, "M_READ_PAR"),
            (PinFault::NoTurnaround, "M_NO_TURNAROUND"),
            (PinFault::LateInta, "M_LATE_INTA"),
            (PinFault::StickyInta, "M_STICKY_INTA"),
        ] {
            let decl = format!("localparam [2:0] {name}");
            let line = src.lines().find(|l| l.contains(&decl)).unwrap_or_else(|| panic!("{name} not in the stage"));
            assert!(line.contains(&format!("= 3'd{};", f as u8)), "{name}: {line}");
        }
        assert!(src.contains("mode_d = fault_i[3] ? fault_i[2:0] : M_NONE;"));
        assert_eq!(PinFault::Retry.armed(), 0b1010);
    }
}
