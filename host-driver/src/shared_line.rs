//! A second device on the adapter's INTA# line (PCI interrupts are shared and
//! level-sensitive, semantics.md §6). It has no RTL: a status latch that the machine raises
//! at seeded times (see [`crate::Machine::attach_second_device`]) and that pulls the line
//! low (`h_inta2_ni`) while set, and a small ISR chained after the display miniport's that
//! reads the latch through a modelled port read and clears it with a port write.

use std::cell::Cell;
use std::rc::Rc;

use crate::kernel::{Cpu, Isr};

/// Cycles the second device's ISR spends on a port access (I/O, not posted).
pub const PORT_ACCESS_CYCLES: u64 = 6;

/// The second device's interrupt latch and counters.
#[derive(Debug, Default)]
pub struct SharedLineDevice {
    pending: Cell<bool>,
    raised: Cell<u64>,
    coalesced: Cell<u64>,
    serviced: Cell<u64>,
    last_raise: Cell<u64>,
}

impl SharedLineDevice {
    /// A device with nothing pending.
    pub fn new() -> Rc<Self> {
        Rc::new(SharedLineDevice::default())
    }

    /// The device's interrupt condition sets (the machine calls this at seeded cycles).
    pub fn raise(&self, now: u64) {
        if self.pending.replace(true) {
            self.coalesced.set(self.coalesced.get() + 1);
        } else {
            self.raised.set(self.raised.get() + 1);
            self.last_raise.set(now);
        }
    }

    /// True while the device pulls INTA# low.
    pub fn pending(&self) -> bool {
        self.pending.get()
    }

    /// Interrupts raised (a raise while one is pending is coalesced, not counted).
    pub fn raised(&self) -> u64 {
        self.raised.get()
    }

    /// Raises that found the previous interrupt still pending.
    pub fn coalesced(&self) -> u64 {
        self.coalesced.get()
    }

    /// Interrupts its ISR dismissed.
    pub fn serviced(&self) -> u64 {
        self.serviced.get()
    }

    /// Cycle of the last raise.
    pub fn last_raise(&self) -> u64 {
        self.last_raise.get()
    }

    /// The device's ISR, to chain on the line after the display miniport's: reads the
    /// latch; FALSE at once when it is clear; else clears it and returns TRUE.
    pub fn isr(self: &Rc<Self>) -> Isr {
        let dev = self.clone();
        Rc::new(move |cpu: &Cpu<'_>| {
            cpu.work(PORT_ACCESS_CYCLES);
            if !dev.pending.get() {
                return false;
            }
            cpu.work(PORT_ACCESS_CYCLES);
            dev.pending.set(false);
            dev.serviced.set(dev.serviced.get() + 1);
            true
        })
    }
}
