//! # dirql-testbenches — the device-independent core of dirql's judging and running
//!
//! [`device`] is what a device brings (its profile, scenarios, twins, own rules);
//! [`scenario`] runs one of its scenarios on the machine with a driver; [`check`] holds the
//! generic rules, which read only the per-cycle [`dirql_sim::Frame`] (live, or from a
//! VCD or FST); [`explore`] runs many seeds; [`bench`] measures every layer; [`report`]
//! renders verdicts for people, [`html`] as a page, [`txn`] decodes the bus's transactions for
//! them and [`gtkw`] for GTKWave; [`cli`] is the `dirql` command line, run by a binary that
//! registers its devices (`cli/` in this repository).

pub mod bench;
pub mod check;
pub mod cli;
pub mod coverage;
pub mod coverage_rtl;
pub mod device;
pub mod explore;
pub mod gtkw;
pub mod harm;
pub mod html;
pub mod manifest;
pub mod merge;
pub mod report;
pub mod scenario;
pub mod signals;
pub mod txn;
