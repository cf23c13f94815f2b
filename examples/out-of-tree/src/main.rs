//! `tick-dirql`: the dirql command line with the tick device registered.

use std::process::ExitCode;

static DEVICES: &[&dyn dirql_testbenches::device::Device] = &[&tick_device::TICK];

fn main() -> ExitCode {
    dirql_testbenches::cli::main(DEVICES)
}
