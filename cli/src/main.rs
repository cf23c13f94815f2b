//! `dirql`, the command line, with this repository's devices registered. This list is the
//! one place a new in-tree device is added; the first is the default device.

use std::process::ExitCode;

/// Every device this binary runs, the default first.
static DEVICES: &[&dyn dirql_testbenches::device::Device] = &[&dirql_display::DISPLAY, &dirql_nic::NIC];

fn main() -> ExitCode {
    dirql_testbenches::cli::main(DEVICES)
}
