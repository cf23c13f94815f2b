//! Everything specific to the dirql display adapter: its register map, its miniport (the
//! reference driver and its deliberately broken twins) and the broken twins of its RTL.
//! The rest of this crate is the device-independent OS model.

mod miniport;
pub mod regs;
pub mod regs_ext;
mod rtl_variants;

pub use miniport::{expected_stop_code, ioctl, DirqlMiniport, Variant, VARIANTS};
pub use rtl_variants::{RtlVariant, RTL_VARIANTS};
