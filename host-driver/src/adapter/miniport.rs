//! The reference miniport for the dirql adapter, and its broken twins. A twin is the
//! reference driver with one defect switched on; each declares the rule it breaks and the
//! scenario that exposes it, so the test suite can demand that exactly that rule fails.

use std::cell::Cell;

use crate::adapter::regs::*;
use crate::videoport::{VideoMiniport, VideoPort};

/// A driver variant: the reference, or a twin with one declared defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Variant {
    /// Name used on the command line (`--driver`).
    pub name: &'static str,
    /// The rule this variant breaks (`None` for the reference).
    pub breaks: Option<&'static str>,
    /// The scenario that exposes it.
    pub scenario: Option<&'static str>,
    /// What is wrong with it, in one sentence.
    pub description: &'static str,
}

/// Every driver variant.
pub const VARIANTS: &[Variant] = &[
    Variant {
        name: "reference",
        breaks: None,
        scenario: None,
        description: "HwVidInterrupt reads status and enable, returns FALSE if nothing of ours is pending, \
                      acknowledges with a write-back and flushes it with a read-back",
    },
    Variant {
        name: "no-ack",
        breaks: Some("isr-dismissal"),
        scenario: Some("vblank"),
        description: "claims the interrupt but never writes INT_STATUS, so INTA# stays asserted",
    },
    Variant {
        name: "no-readback",
        breaks: Some("isr-dismissal"),
        scenario: Some("vblank"),
        description: "acknowledges with a posted MMIO write and returns without a read-back, so the line can \
                      still be low when the interrupt controller looks again",
    },
];

impl Variant {
    /// The variant called `name`.
    pub fn by_name(name: &str) -> Option<&'static Variant> {
        VARIANTS.iter().find(|v| v.name == name)
    }
}

/// The miniport's device extension and entry points.
pub struct DirqlMiniport {
    variant: &'static Variant,
    bar0: Cell<u32>,
    vblanks: Cell<u64>,
}

impl DirqlMiniport {
    /// A miniport of the given variant.
    pub fn new(variant: &'static Variant) -> Self {
        DirqlMiniport { variant, bar0: Cell::new(0), vblanks: Cell::new(0) }
    }

    /// Vertical-retrace interrupts serviced.
    pub fn vblanks(&self) -> u64 {
        self.vblanks.get()
    }

    fn reg(&self, off: u32) -> u32 {
        self.bar0.get() + off
    }

    fn is(&self, name: &str) -> bool {
        self.variant.name == name
    }
}

impl VideoMiniport for DirqlMiniport {
    fn name(&self) -> &str {
        self.variant.name
    }

    fn has_interrupt(&self) -> bool {
        true
    }

    fn hw_find_adapter(&self, vp: &VideoPort<'_, '_>) -> Result<(), String> {
        let pci = &vp.device().pci;
        if (pci.vendor, pci.device) != (VENDOR_ID, DEVICE_ID) {
            return Err(format!(
                "HwVidFindAdapter: device {:04x}:{:04x} is not the dirql adapter {VENDOR_ID:04x}:{DEVICE_ID:04x}",
                pci.vendor, pci.device
            ));
        }
        let bar0 = pci.bars[0].ok_or("HwVidFindAdapter: BAR0 was not assigned")?;
        self.bar0.set(bar0.base);
        let id = vp.read_register_ulong(self.reg(REG_ID));
        if id != ID_VALUE {
            return Err(format!("HwVidFindAdapter: REG_ID reads {id:#010x}, expected {ID_VALUE:#010x}"));
        }
        Ok(())
    }

    fn hw_initialize(&self, vp: &VideoPort<'_, '_>) -> bool {
        // Clear anything latched before we were ready, then enable the retrace interrupt.
        vp.write_register_ulong(self.reg(REG_INT_STATUS), INT_ALL);
        vp.write_register_ulong(self.reg(REG_INT_ENABLE), INT_VBLANK);
        true
    }

    /// HwVidInterrupt (hwvid-interrupt.md; the Permedia 3 shape, semantics.md §3).
    fn hw_interrupt(&self, vp: &VideoPort<'_, '_>) -> bool {
        let status = vp.read_register_ulong(self.reg(REG_INT_STATUS));
        let enable = vp.read_register_ulong(self.reg(REG_INT_ENABLE));
        let mine = status & enable;
        if mine == 0 {
            // The line is shared: not ours, say so at once.
            return false;
        }
        if !self.is("no-ack") {
            vp.write_register_ulong(self.reg(REG_INT_STATUS), mine);
            if !self.is("no-readback") {
                // The read pushes the posted acknowledge to the adapter before we return,
                // so INTA# is released before the controller looks again.
                vp.read_register_ulong(self.reg(REG_INT_STATUS));
            }
        }
        if mine & INT_VBLANK != 0 {
            self.vblanks.set(self.vblanks.get() + 1);
        }
        true
    }
}
