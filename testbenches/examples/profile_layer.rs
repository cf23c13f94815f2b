//! One layer of the benchmark, alone, for `valgrind --tool=callgrind`:
//! `cargo run --release --example profile_layer -- bare|idle|mmio|trace|bare-trace|trace-fst|bare-trace-fst CYCLES`
//! (`DIRQL_MODEL=name` picks the device model; default: the first built).

#![allow(clippy::unwrap_used)] // a profiling aid: a failure should stop it loudly

use dirql_host::{Machine, MachineConfig};
use dirql_sim::Model;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let layer = args.get(1).map(String::as_str).unwrap_or("idle");
    let cycles: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    // The format follows the name (`.fst`: Verilator's FST writer).
    let model = std::env::var("DIRQL_MODEL").unwrap_or_default();
    let vcd =
        std::path::Path::new(if layer.ends_with("-fst") { "/tmp/dirql-profile.fst" } else { "/tmp/dirql-profile.vcd" });
    match layer {
        "bare" | "bare-trace" | "bare-trace-fst" => {
            let mut m = Model::of(&model, layer.starts_with("bare-trace").then_some(vcd)).unwrap();
            m.run_bare(4, true);
            m.run_bare(cycles, false);
        }
        "idle" | "trace" | "trace-fst" => {
            let cfg = MachineConfig {
                model: model.clone(),
                vcd: layer.starts_with("trace").then(|| vcd.to_path_buf()),
                ..MachineConfig::default()
            };
            let mut m = Machine::new(&cfg).unwrap();
            m.run_until(cycles);
        }
        "mmio" => {
            let mut m = Machine::new(&MachineConfig::default()).unwrap();
            m.spawn(
                0,
                Box::new(|cpu: &dirql_host::Cpu<'_>| {
                    let f = dirql_host::pci::enumerate(cpu, &dirql_host::pci::ResourcePlan::default()).unwrap();
                    let bar0 = f.bars[0].unwrap().base;
                    loop {
                        cpu.mem_write32(bar0 + 0x10, 1);
                        let _ = cpu.mem_read32(bar0 + 0x10);
                    }
                }),
            );
            m.run_until(cycles);
        }
        other => panic!("unknown layer {other}"),
    }
}
