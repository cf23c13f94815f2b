//! # dirql-display — the display adapter, one device of dirql
//!
//! Everything specific to the dirql display adapter, as one bundle the core runs without
//! knowing it: its register map ([`regs`]), the facts the generic rules need
//! ([`profile::PROFILE`]), its video-port miniport with the deliberately broken twins
//! ([`miniport`]), the broken twins of its RTL, its scenarios, and the rule that only makes
//! sense for it (`register-integrity`: the CRTC index/data pair; `raster-timing`: the
//! retrace comes at the timing the driver programmed). Its RTL is `rtl/`.

pub mod miniport;
pub mod profile;
pub mod raster_timing;
pub mod register_integrity;
pub mod regs;
pub mod regs_ext;
mod rtl_variants;
pub mod scenarios;

pub use miniport::{expected_stop_code, ioctl, Defect, DirqlMiniport, Variant, VARIANTS};
pub use raster_timing::RasterTiming;
pub use register_integrity::RegisterIntegrity;
pub use rtl_variants::{RtlVariant, RTL_VARIANTS};

use dirql_testbenches::check::{DeviceProfile, Rule};
use dirql_testbenches::device::{Device, RtlTwin, Scenario, Twin};

/// The display adapter as a dirql device.
pub struct Display;

/// The one instance, for the registration list.
pub static DISPLAY: Display = Display;

impl Device for Display {
    fn name(&self) -> &'static str {
        "display"
    }

    fn description(&self) -> &'static str {
        "VGA-style display adapter: PCI target, index/data register pairs, a command engine, vertical-retrace and \
         command interrupts on INTA# and MSI, under a video port miniport"
    }

    fn profile(&self) -> &'static DeviceProfile {
        &profile::PROFILE
    }

    fn scenarios(&self) -> &'static [Scenario] {
        scenarios::SCENARIOS
    }

    fn drivers(&self) -> Vec<&'static Twin> {
        VARIANTS.iter().map(|v| &v.twin).collect()
    }

    fn rtl_twins(&self) -> &'static [RtlTwin] {
        RTL_VARIANTS
    }

    fn own_rules(&self) -> Vec<Box<dyn Rule>> {
        vec![Box::new(RegisterIntegrity::new()), Box::new(RasterTiming::new())]
    }

    fn scratch_register(&self) -> Option<(usize, u32)> {
        Some((0, regs::REG_SCRATCH))
    }

    fn companion(&self) -> Option<dirql_testbenches::device::Companion> {
        Some(dirql_testbenches::device::Companion { start: scenarios::companion })
    }
}

/// This device alone, as a registry (what a test that judges a manifest looks scenarios up in).
pub fn registry() -> dirql_testbenches::device::Registry {
    static ONLY: &[&dyn Device] = &[&DISPLAY];
    dirql_testbenches::device::Registry::new(ONLY).expect("one device registers")
}

/// The scenario called `name`.
pub fn scenario(name: &str) -> Option<&'static Scenario> {
    scenarios::SCENARIOS.iter().find(|s| s.name == name)
}

/// The driver (reference or twin) called `name`, as the core knows it.
pub fn twin(name: &str) -> Option<&'static Twin> {
    dirql_testbenches::device::driver(&DISPLAY, name)
}

/// The RTL variant called `name`.
pub fn rtl_variant(name: &str) -> Option<&'static RtlTwin> {
    dirql_testbenches::device::rtl_twin(&DISPLAY, name)
}
