//! Interrupt request levels, x86 numbering (semantics.md §1).

use std::fmt;

/// An IRQL. Code is interrupted only by something at a higher IRQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Irql(pub u8);

impl Irql {
    /// PASSIVE_LEVEL: threads.
    pub const PASSIVE: Irql = Irql(0);
    /// APC_LEVEL.
    pub const APC: Irql = Irql(1);
    /// DISPATCH_LEVEL: DPCs, spin locks; masks DPCs and APCs but not device interrupts.
    pub const DISPATCH: Irql = Irql(2);
    /// PROFILE_LEVEL, which is also SYNCH_LEVEL on SMP builds.
    pub const PROFILE: Irql = Irql(27);
    /// CLOCK_LEVEL.
    pub const CLOCK: Irql = Irql(28);
    /// IPI_LEVEL.
    pub const IPI: Irql = Irql(29);
    /// POWER_LEVEL.
    pub const POWER: Irql = Irql(30);
    /// HIGH_LEVEL: every interrupt masked.
    pub const HIGH: Irql = Irql(31);

    /// SYNCH_LEVEL: DISPATCH on a uniprocessor build, 27 on SMP builds (semantics.md §1).
    pub fn synch(smp: bool) -> Irql {
        if smp {
            Irql::PROFILE
        } else {
            Irql::DISPATCH
        }
    }

    /// The device IRQL the (legacy x86) HAL gives an ISA-style IRQ line: PROFILE - line,
    /// kept within the device range 3..=26.
    pub fn for_line(line: u8) -> Irql {
        Irql(27u8.saturating_sub(line).clamp(3, 26))
    }

    /// True for device interrupt levels (above DISPATCH).
    pub fn is_device(self) -> bool {
        self.0 > Irql::DISPATCH.0
    }
}

impl fmt::Display for Irql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Irql::PASSIVE => write!(f, "PASSIVE_LEVEL"),
            Irql::APC => write!(f, "APC_LEVEL"),
            Irql::DISPATCH => write!(f, "DISPATCH_LEVEL"),
            Irql::PROFILE => write!(f, "PROFILE_LEVEL"),
            Irql::CLOCK => write!(f, "CLOCK_LEVEL"),
            Irql::IPI => write!(f, "IPI_LEVEL"),
            Irql::POWER => write!(f, "POWER_LEVEL"),
            Irql::HIGH => write!(f, "HIGH_LEVEL"),
            Irql(n) => write!(f, "DIRQL {n}"),
        }
    }
}
