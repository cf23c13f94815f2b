//! # dirql-testbenches — scenarios, signal-level checkers and reports
//!
//! [`scenario`] sets up a machine and a driver variant and runs it; [`check`] holds the
//! rules, which read only the per-cycle [`dirql_sim::Frame`] (live, or from a VCD through
//! [`check::read_vcd`]); [`report`] renders verdicts for people. The `dirql` binary is the
//! command-line contract on top.

pub mod bench;
pub mod check;
pub mod explore;
pub mod gtkw;
pub mod harm;
pub mod manifest;
pub mod report;
pub mod scenario;
pub mod signals;
