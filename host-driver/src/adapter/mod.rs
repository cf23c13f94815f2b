//! Everything specific to the dirql display adapter: its register map and its miniport
//! (the reference driver and its deliberately broken twins). The rest of this crate is the
//! device-independent OS model.

mod miniport;
pub mod regs;

pub use miniport::{DirqlMiniport, Variant, VARIANTS};
