//! Everything specific to the dirql display adapter: its register map and its miniport
//! (the reference driver and its deliberately broken twins). The rest of this crate is the
//! device-independent OS model.

mod miniport;
pub mod regs;
pub mod regs_ext;

pub use miniport::{expected_stop_code, ioctl, DirqlMiniport, Variant, VARIANTS};
