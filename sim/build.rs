//! Builds one Verilated model of `rtl/sim/dirql_sim_top.v` per device and links them all
//! behind the cxx bridge in `src/ffi.rs`; `Model::of(name, ..)` picks one at run time.
//!
//! The wrapper knows no device. A device is a folder of RTL with a `sim/` folder holding
//! `dirql_device.vh` (which module is the device) and `dirql_probes.vh` (its probes); every
//! `devices/*/rtl` of the workspace that has them is built, named after `devices/<name>`,
//! and `DIRQL_DEVICE_RTL` (`name=folder`, colon-separated) adds a device from elsewhere or
//! points one at another folder (a device out of tree, a mutated copy of the RTL). Each
//! device's model has its own class (`--prefix V<name>`) and is rebuilt only when its own
//! sources change.
//!
//! Three archives, each rebuilt only when its own inputs change, so an RTL edit costs one
//! Verilator run plus one compile of the generated C++ (a unity build), and a Rust edit
//! costs nothing here:
//! - `dirql_vruntime`: the Verilator runtime, VCD and FST writers (depends on the Verilator
//!   version only);
//! - `dirql_vmodel_<device>`: each generated model (depends on its RTL and the flags below;
//!   an edit after which Verilator writes the same C++ keeps the archive: see `generated_key`);
//! - `dirql_core_<device>`: the clocking core and the writers for that model;
//! - `dirql_bridge`: the cxx bridge, `cpp/model.cpp` and the generated dispatch.
//!
//! One model, two tracers (docs/architecture.md). Verilator fixes the trace format of a
//! model when it generates it (`--trace` or `--trace-fst`). On the versions whose output
//! allows it (5.006 up to 5.020, checked below, see [`Tracers`]), the evaluation, state and
//! symbol-table code is byte for byte the same for both: Verilator is run twice, the model
//! is compiled once from the VCD output, and only the FST output's trace functions are
//! added to it (they take FST types, so they are C++ overloads of the VCD ones) with the one
//! `trace(VerilatedFstC*)` declaration they need. That keeps the rebuild after an RTL edit
//! at one model's compile (docs/perf.md). From 5.020 the trace declarations, and from 5.024
//! the class's one `trace(VerilatedTraceBaseC*)`, are per format: there the FST model is a
//! second model of its own (`--prefix Vdirql_sim_top_fst`), compiled beside the first.
//!
//! Which Verilator: `$VERILATOR` if set, else the first `verilator` on `PATH`; its runtime
//! comes from its own `--getenv VERILATOR_ROOT`. The binary's path, its version and that
//! root key every archive (each version's build is kept in a folder of its own), so
//! switching Verilator through either rebuilds, and switching back does not.

use std::collections::hash_map::DefaultHasher;
use std::env;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Verilator flags, each with the reason it is there.
const VERILATOR_FLAGS: &[&str] = &[
    // C++ output that our own loop clocks (no --main, no --exe: Rust owns main).
    "--cc",
    // The RTL is synthesizable: no delays or event controls to schedule.
    "--no-timing",
    // Every flop is reset by the RTL; 2-state fast X handling keeps runs deterministic.
    "--x-assign",
    "fast",
    "--x-initial",
    "fast",
    // One nanosecond time unit: the C++ side dumps at multiples of the 30 ns PCI clock.
    "--timescale",
    "1ns/1ns",
    // (`--prefix`, the class name, is per model: see `verilate` below.)
    "--top-module",
    "dirql_sim_top",
];

/// Tracing compiled in (a run opts in by opening a waveform, otherwise it costs nothing):
/// the model is generated once per format, into its own folder (see the top of this file).
const TRACE_VCD: &str = "--trace";
const TRACE_FST: &str = "--trace-fst";

/// Defines the Verilator runtime and the generated code expect (as its own Makefile sets).
const DEFINES: &[(&str, &str)] =
    &[("VM_COVERAGE", "0"), ("VM_SC", "0"), ("VM_TRACE", "1"), ("VM_TRACE_VCD", "1"), ("VM_TRACE_FST", "1")];

/// A device to build a model of: its name and its RTL folder, and for a two-slot model
/// the device in slot 1.
struct Device {
    name: String,
    rtl: PathBuf,
    slot1: Option<Slot1>,
}

/// The device in slot 1 of a two-slot model (`DIRQL_SLOT1`): its RTL folder, and the
/// generated module `dirql_slot1` that wraps its top with its probes.
struct Slot1 {
    rtl: PathBuf,
    wrapper: PathBuf,
}

impl Device {
    /// The generated class, as `--prefix` names it.
    fn prefix(&self) -> String {
        format!("V{}", self.name)
    }
    /// The FST model's class where it is a model of its own ([`Tracers::TwoModels`]).
    fn prefix_fst(&self) -> String {
        format!("V{}_fst", self.name)
    }
}

/// The oldest Verilator dirql builds with (Debian 12's); older ones are refused up front.
const OLDEST: (u32, u32) = (5, 6);
/// The first version whose `--trace` and `--trace-fst` output differs outside the trace
/// functions (a per-format `__TraceDecls__` file): from here on, two models.
const FIRST_TWO_MODELS: (u32, u32) = (5, 20);

/// How the FST tracer joins the model (see the top of this file).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tracers {
    /// One model, the FST trace functions spliced into it.
    Spliced,
    /// A second model for FST, `PREFIX_FST`.
    TwoModels,
}

fn main() {
    if let Err(e) = run() {
        // Cargo shows stderr of a failed build script; make the first line the verdict.
        eprintln!("\nerror: building the Verilated model failed\n\n{e}\n");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let root = manifest.parent().ok_or("sim/ has no parent folder")?.to_path_buf();
    let wrapper = root.join("rtl").join("sim");
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let mut devices = devices(&root)?;
    let pairs = pairs(&devices, &wrapper, &out)?;
    devices.extend(pairs);
    let verilator = env::var("VERILATOR").unwrap_or_else(|_| "verilator".to_string());

    println!("cargo:rerun-if-env-changed=VERILATOR");
    // A bare `verilator` is whichever comes first on PATH: a new PATH may mean another one.
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rerun-if-env-changed=DIRQL_DEVICE_RTL");
    println!("cargo:rerun-if-env-changed={COVERAGE_ENV}");
    // A device folder added or removed.
    println!("cargo:rerun-if-changed={}", root.join("devices").display());
    println!("cargo:rerun-if-changed=build.rs");
    for f in ["model.h", "model.cpp", "core.h", "core_impl.h", "trace_vcd.cpp", "trace_fst.cpp"] {
        println!("cargo:rerun-if-changed=cpp/{f}");
    }
    println!("cargo:rerun-if-changed=src/ffi.rs");

    let mut sources = Vec::new();
    for d in &devices {
        let mut s = rtl_sources(&wrapper, &d.rtl)?;
        if let Some(p) = &d.slot1 {
            s.extend(rtl_sources(&wrapper, &p.rtl)?.into_iter().filter(|f| !f.starts_with(&wrapper)));
            s.push(p.wrapper.clone());
        }
        // A new or removed file shows up as a changed folder.
        for dir in [&wrapper, &d.rtl, &d.rtl.join("sim")] {
            println!("cargo:rerun-if-changed={}", dir.display());
        }
        for f in &s {
            println!("cargo:rerun-if-changed={}", f.display());
        }
        sources.push(s);
    }

    // The Verilator, before anything is compiled: which binary, which version, which root.
    let binary = which(&verilator);
    if let Some(b) = &binary {
        // Reinstalled in place (same path, another build) also counts.
        println!("cargo:rerun-if-changed={}", b.display());
    }
    let version = run_tool(&verilator, &["--version"])?;
    let number = version_number(&version, &verilator, binary.as_deref())?;
    let vroot = PathBuf::from(run_tool(&verilator, &["--getenv", "VERILATOR_ROOT"])?.trim());
    let vinclude = vroot.join("include");
    if !vinclude.join("verilated.h").exists() {
        return Err(format!(
            "Verilator's runtime headers are not at {} (from `{verilator} --getenv VERILATOR_ROOT`).\n\
             fix: install Debian's package: apt-get install --no-install-recommends verilator; for a Verilator \
             built from source, use the `bin/verilator` of its install prefix (docs/compat.md)",
            vinclude.display()
        ));
    }
    // 5.050's own FST writer (include/fstcpp) compresses with the system LZ4.
    let new_fst_writer = vinclude.join("fstcpp").is_dir();
    if new_fst_writer && !Path::new("/usr/include/lz4.h").exists() {
        return Err(format!(
            "Verilator {} (at {}) writes FST with the system LZ4, whose headers are missing.\n\
             fix: apt-get install --no-install-recommends liblz4-dev",
            version.trim(),
            vroot.display()
        ));
    }
    if number.0 > 5 {
        println!(
            "cargo:warning=Verilator {}.{:03} is newer than any dirql was tested with (docs/compat.md); building anyway",
            number.0, number.1
        );
    }
    // Everything built from this Verilator goes in a folder of its own.
    let vkey = hash_of(&[
        version.as_bytes(),
        binary.as_deref().unwrap_or(Path::new(&verilator)).as_os_str().as_encoded_bytes(),
        vroot.as_os_str().as_encoded_bytes(),
    ]);
    let out = out.join(format!("verilator-{}.{:03}-{vkey:016x}", number.0, number.1));
    let first_tracers = if number >= FIRST_TWO_MODELS { Tracers::TwoModels } else { Tracers::Spliced };

    // 1. Runtime, keyed on the Verilator (and on the files below).
    // verilated_threads.cpp is needed even for a single-threaded model, or the link fails.
    // verilated_fst_c.cpp includes GTKWave's fstapi.c, lz4.c and fastlz.c (shipped in
    // Verilator's include/gtkwave; 5.050: its own include/fstcpp writer); both need zlib.
    let runtime_files = ["verilated.cpp", "verilated_vcd_c.cpp", "verilated_fst_c.cpp", "verilated_threads.cpp"];
    let mut rparts: Vec<&[u8]> = vec![version.as_bytes()];
    rparts.extend(runtime_files.iter().map(|f| f.as_bytes()));
    let runtime_key = hash_of(&rparts);
    let runtime_dir = out.join("vruntime");
    if !fresh(&runtime_dir, "dirql_vruntime", runtime_key) {
        fs::create_dir_all(&runtime_dir).map_err(|e| e.to_string())?;
        let mut b = cpp_build(&vinclude);
        for f in runtime_files {
            b.file(vinclude.join(f));
        }
        b.out_dir(&runtime_dir).try_compile("dirql_vruntime").map_err(|e| {
            let e = e.to_string();
            if e.contains("zlib.h") {
                format!(
                    "{e}\n\nfix: the FST writer needs zlib's headers: apt-get install --no-install-recommends \
                     zlib1g-dev (`make sim` does this for you)"
                )
            } else {
                e
            }
        })?;
        stamp(&runtime_dir, runtime_key)?;
    }

    // 2. Each device's model(s), keyed on its RTL, the flags and the Verilator; then its
    // clocking core, keyed on the same and the core's C++.
    let mut built = Vec::new();
    for (dev, srcs) in devices.iter().zip(&sources) {
        let mut tracers = first_tracers;
        let mut parts: Vec<Vec<u8>> = vec![version.clone().into_bytes()];
        parts.extend(VERILATOR_FLAGS.iter().chain(&[TRACE_VCD, TRACE_FST]).map(|f| f.as_bytes().to_vec()));
        for s in srcs {
            parts.push(s.display().to_string().into_bytes());
            parts.push(fs::read(s).map_err(|e| format!("cannot read {}: {e}", s.display()))?);
        }
        let model_key = hash_of(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>());
        let model_dir = out.join(format!("vmodel-{}", dev.name));
        let mdir = out.join(format!("obj_dir-{}", dev.name));
        let fdir = out.join(format!("obj_dir_fst-{}", dev.name));
        // Which way the last build of this model went (a splice that was refused stays refused).
        let mode_file = model_dir.join("tracers");
        if fresh(&model_dir, &format!("dirql_vmodel_{}", dev.name), model_key) {
            if fs::read_to_string(&mode_file).is_ok_and(|m| m.trim() == "TwoModels") {
                tracers = Tracers::TwoModels;
            }
        } else {
            let _ = fs::remove_dir_all(&mdir);
            let _ = fs::remove_dir_all(&fdir);
            let verilate = |trace: &str, prefix: &str, dir: &Path| {
                let mut args: Vec<String> = VERILATOR_FLAGS.iter().map(|s| s.to_string()).collect();
                args.push(trace.into());
                args.extend(["--prefix".into(), prefix.into(), "--Mdir".into(), dir.display().to_string()]);
                // The device's own include files first (its dirql_device.vh, dirql_probes.vh).
                args.push(format!("-I{}", dev.rtl.join("sim").display()));
                args.push(format!("-I{}", dev.rtl.display()));
                args.push(format!("-I{}", wrapper.display()));
                if let Some(p) = &dev.slot1 {
                    args.push("+define+DIRQL_SLOT1".into());
                    args.push(format!("-I{}", p.rtl.display()));
                }
                args.extend(
                    srcs.iter()
                        .filter(|s| s.extension().is_some_and(|e| e == "v" || e == "sv"))
                        .map(|s| s.display().to_string()),
                );
                args
            };
            let (prefix, prefix_fst) = (dev.prefix(), dev.prefix_fst());
            let fst_prefix = |t: Tracers| if t == Tracers::Spliced { prefix.clone() } else { prefix_fst.clone() };
            // The two Verilator runs are independent: side by side.
            run_tools(
                &verilator,
                &[verilate(TRACE_VCD, &prefix, &mdir), verilate(TRACE_FST, &fst_prefix(tracers), &fdir)],
            )?;
            if tracers == Tracers::Spliced {
                if let Err(why) = add_fst_tracer(&mdir, &fdir, &prefix) {
                    // The splice is a speed-up; a Verilator whose output does not allow it gets
                    // the second model instead, and says why.
                    println!(
                        "cargo:warning=Verilator {}.{:03}: building a second model of {} for FST ({})",
                        number.0,
                        number.1,
                        dev.name,
                        why.lines().next().unwrap_or("")
                    );
                    tracers = Tracers::TwoModels;
                    let _ = fs::remove_dir_all(&fdir);
                    run_tools(&verilator, &[verilate(TRACE_FST, &prefix_fst, &fdir)])?;
                }
            }

            // An edit that leaves Verilator's output as it was (a comment, spacing, an edit
            // that is optimised away) compiles nothing: the archive from that same output is
            // kept. Keyed on every generated source (after the splice), the way FST joins,
            // and this script (the compiler flags); Verilator's dependency lists
            // (`__ver.d`, `__verFiles.dat`) name the inputs' times and are left out.
            let generated_key =
                generated_key(&mdir, (tracers == Tracers::TwoModels).then_some(fdir.as_path()), tracers)?;
            let generated_file = model_dir.join("generated");
            let same_output = fs::read_to_string(&generated_file).is_ok_and(|k| k.trim() == generated_key.to_string())
                && fs::read_to_string(&mode_file).is_ok_and(|m| m.trim() == format!("{tracers:?}"))
                && model_dir.join(format!("libdirql_vmodel_{}.a", dev.name)).exists();
            if !same_output {
                // Verilator's headers, precompiled once (GCC only): each unity unit of the model
                // spends about 0.8 s parsing them otherwise, and the model is what an RTL edit
                // rebuilds. Two models: verilated.h only, as their VCD and FST units must not see
                // each other's tracer header (5.050 defines the same macros differently in both).
                let pch_text = match tracers {
                    Tracers::Spliced => PCH_BOTH_TRACERS,
                    Tracers::TwoModels => PCH_RUNTIME_ONLY,
                };
                let pch = precompiled_header(&vinclude, &out.join("pch"), &version, pch_text);

                let units = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
                let mut unity = unity_units(&mdir, "dirql_unity", units)?;
                if tracers == Tracers::TwoModels {
                    // The FST model has the same amount of evaluation code, compiled beside it.
                    unity.extend(unity_units(&fdir, "dirql_unity", units)?);
                }
                fs::create_dir_all(&model_dir).map_err(|e| e.to_string())?;
                let mut b = cpp_build(&vinclude);
                b.include(&mdir);
                if tracers == Tracers::TwoModels {
                    b.include(&fdir);
                }
                if let Some(h) = &pch {
                    // GCC reads `<h>.gch` instead of the header when it is valid for these flags,
                    // and says so (-Winvalid-pch) if it is not; the build is correct either way.
                    b.flag("-include").flag(h.display().to_string()).flag("-Winvalid-pch");
                }
                for u in &unity {
                    b.file(u);
                }
                b.out_dir(&model_dir).compile(&format!("dirql_vmodel_{}", dev.name));
                fs::write(&generated_file, generated_key.to_string()).map_err(|e| e.to_string())?;
            }
            fs::write(&mode_file, format!("{tracers:?}")).map_err(|e| e.to_string())?;
            stamp(&model_dir, model_key)?;
        }
        built.push(Built {
            name: dev.name.clone(),
            prefix: dev.prefix(),
            prefix_fst: dev.prefix_fst(),
            tracers,
            mdir,
            fdir,
            model_dir,
        });
    }

    // 2b. Only when asked (DIRQL_COVERAGE=1): a coverage model of each device beside it.
    let coverage = coverage_models(&devices, &sources, &verilator, &version, &vinclude, &wrapper, &out)?;

    // 3. The bridge and each model's core, keyed on their own sources and the generated
    // top-level header(s) (an RTL edit that keeps the wrapper's ports leaves them alone).
    let bridge_dir = out.join("bridge");
    let mut bparts: Vec<Vec<u8>> = vec![version.clone().into_bytes()];
    for f in BRIDGE_SOURCES {
        bparts.push(fs::read(manifest.join(f)).map_err(|e| format!("cannot read {f}: {e}"))?);
    }
    for b in &built {
        bparts.push(format!("{}:{:?}", b.name, b.tracers).into_bytes());
        bparts.push(fs::read(b.mdir.join(format!("{}.h", b.prefix))).unwrap_or_default());
        bparts.push(fs::read(b.fdir.join(format!("{}.h", b.prefix_fst))).unwrap_or_default());
    }
    for c in &coverage {
        bparts.push(format!("{}:coverage", c.name).into_bytes());
        bparts.push(fs::read(c.mdir.join(format!("{}.h", c.prefix))).unwrap_or_default());
    }
    let bridge_key = hash_of(&bparts.iter().map(Vec::as_slice).collect::<Vec<_>>());
    if !fresh(&bridge_dir, "dirql_bridge", bridge_key) {
        fs::create_dir_all(&bridge_dir).map_err(|e| e.to_string())?;
        // The bridge first: cxx generates the headers the cores include.
        build_bridge(&built, &coverage, &vinclude, &bridge_dir)?;
        for b in &built {
            build_core(b, &vinclude, &bridge_dir)?;
        }
        for c in &coverage {
            build_coverage_core(c, &vinclude)?;
        }
        stamp(&bridge_dir, bridge_key)?;
    }
    for dir in [&bridge_dir, &runtime_dir] {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
    println!("cargo:rustc-link-lib=static=dirql_bridge");
    for b in &built {
        println!("cargo:rustc-link-search=native={}", b.model_dir.display());
        println!("cargo:rustc-link-lib=static=dirql_core_{}", b.name);
        println!("cargo:rustc-link-lib=static=dirql_vmodel_{}", b.name);
    }
    link_coverage_models(&coverage, &out);
    println!("cargo:rustc-link-lib=static=dirql_vruntime");
    println!("cargo:rustc-link-lib=dylib=stdc++");
    // fstapi's compression (verilated_fst_c.cpp).
    println!("cargo:rustc-link-lib=dylib=z");
    if new_fst_writer {
        println!("cargo:rustc-link-lib=dylib=lz4");
    }
    println!("cargo:rustc-link-lib=dylib=pthread");
    // What the crate tells its users about the Verilator (sim/src/model.rs).
    println!("cargo:rustc-env=DIRQL_VERILATOR_VERSION={}", version.trim());
    println!("cargo:rustc-env=DIRQL_FST_HIER_FILE={}", u8::from(!new_fst_writer));
    Ok(())
}

/// The bridge's sources (cxx's `src/ffi.rs` and the C++ in `cpp/`).
const BRIDGE_SOURCES: &[&str] = &[
    "src/ffi.rs",
    "cpp/model.h",
    "cpp/model.cpp",
    "cpp/core.h",
    "cpp/core_impl.h",
    "cpp/trace_vcd.cpp",
    "cpp/trace_fst.cpp",
];

/// The Verilator headers precompiled for [`Tracers::Spliced`] (where both tracers' headers
/// go into one unit) and for [`Tracers::TwoModels`] (where none may see both).
const PCH_BOTH_TRACERS: &str =
    "#include \"verilated.h\"\n#include \"verilated_vcd_c.h\"\n#include \"verilated_fst_c.h\"\n";
const PCH_RUNTIME_ONLY: &str = "#include \"verilated.h\"\n";

/// Writes the unity files of the model Verilator generated into `dir`, returns them.
///
/// Generated file names are hashed: glob them. Unity builds roughly halve their compile
/// time; one unity file per core (cc compiles them in parallel) keeps every core busy,
/// which matters for the rebuild-after-an-RTL-edit time.
fn unity_units(dir: &Path, stem: &str, units: usize) -> Result<Vec<PathBuf>, String> {
    let mut gen: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "cpp"))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(stem)))
        .collect();
    gen.sort();
    // Largest files first, each to the unit with the fewest bytes so far, so the units
    // come out about even.
    let size = |p: &PathBuf| fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    gen.sort_by_key(|p| std::cmp::Reverse(size(p)));
    // Construction, initialisation and trace-declaration code (`__Slow` files) runs
    // once per model; Verilator's own makefile compiles it with a cheaper optimisation
    // level, and so do we: one more parallel unit at -O0 (it runs once per model).
    let (slow, fast): (Vec<&PathBuf>, Vec<&PathBuf>) =
        gen.iter().partition(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains("__Slow")));
    let mut bodies = vec![(0u64, String::new()); units];
    for p in &fast {
        let (load, body) = bodies.iter_mut().min_by_key(|(load, _)| *load).ok_or("no unity unit")?;
        *load += size(p);
        body.push_str(&format!("#include \"{}\"\n", p.display()));
    }
    let slow_body: String = slow.iter().map(|p| format!("#include \"{}\"\n", p.display())).collect();
    let mut files = Vec::new();
    for (i, (_, body)) in bodies.iter().enumerate().filter(|(_, (_, b))| !b.is_empty()) {
        let unity = dir.join(format!("{stem}{i}.cpp"));
        fs::write(&unity, body).map_err(|e| e.to_string())?;
        files.push(unity);
    }
    if !slow_body.is_empty() {
        // A translation unit of its own, compiled alongside the others.
        let unity = dir.join(format!("{stem}_slow.cpp"));
        fs::write(&unity, format!("#pragma GCC optimize (\"O0\")\n{slow_body}")).map_err(|e| e.to_string())?;
        files.push(unity);
    }
    Ok(files)
}

/// The first `tool` on `PATH` (or `tool` itself when it names a path), made absolute.
fn which(tool: &str) -> Option<PathBuf> {
    if tool.contains('/') {
        return fs::canonicalize(tool).ok();
    }
    env::split_paths(&env::var_os("PATH")?)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .and_then(|p| fs::canonicalize(p).ok())
}

/// `(major, minor)` from `verilator --version` ("Verilator 5.006 2023-01-22 rev ...");
/// a version older than [`OLDEST`] is refused here, before anything is compiled.
fn version_number(text: &str, tool: &str, binary: Option<&Path>) -> Result<(u32, u32), String> {
    let shown = binary.map_or_else(|| tool.to_string(), |b| b.display().to_string());
    let fix = "fix: install Debian 12's Verilator 5.006 or newer (apt-get install --no-install-recommends \
               verilator), or build a newer 5.x and put its bin/ first on PATH or set VERILATOR to it \
               (docs/compat.md lists the tested versions)";
    let word = text.split_whitespace().nth(1).unwrap_or("");
    let mut it = word.split('.').map(|n| n.parse::<u32>());
    let (Some(Ok(major)), Some(Ok(minor))) = (it.next(), it.next()) else {
        return Err(format!("`{shown} --version` printed {:?}, not a Verilator version.\n{fix}", text.trim()));
    };
    if (major, minor) < OLDEST {
        return Err(format!(
            "{shown} is Verilator {word}; dirql needs Verilator {}.{:03} or newer (the generated C++ it \
             drives and the context API appeared in 5.x).\n{fix}",
            OLDEST.0, OLDEST.1
        ));
    }
    Ok((major, minor))
}

/// Precompiles the Verilator headers every generated file includes into `dir`, keyed on
/// the Verilator version, this script and the compiler's environment; returns the header
/// to `-include`. `None` (the model builds without it, only slower) for a compiler other
/// than GCC, or when precompiling fails, which is reported as a cargo warning.
fn precompiled_header(vinclude: &Path, dir: &Path, version: &str, text: &str) -> Option<PathBuf> {
    let header = dir.join("dirql_verilated.h");
    let gch = dir.join("dirql_verilated.h.gch");
    // Keyed without asking cc for the compiler command (that runs a compiler probe per
    // flag on every build): on what decides it instead. A key that missed a change would
    // cost speed only: GCC ignores a .gch made with other flags and reads the header.
    // This script's own text stands for the flags `cpp_build` sets.
    let mut parts: Vec<Vec<u8>> =
        vec![version.as_bytes().to_vec(), text.as_bytes().to_vec(), include_bytes!("build.rs").to_vec()];
    for var in ["CXX", "CXXFLAGS", "TARGET", "HOST", "CRATE_CC_NO_DEFAULTS"] {
        parts.push(format!("{var}={}", env::var(var).unwrap_or_default()).into_bytes());
    }
    let key = hash_of(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let stamp_ok = fs::read_to_string(dir.join("stamp")).is_ok_and(|s| s.trim() == key.to_string());
    if stamp_ok && gch.exists() {
        return Some(header);
    }
    let tool = cpp_build(vinclude).try_get_compiler().ok()?;
    // Clang reads GCC's `.gch` name differently; keep this to the compiler it is made for.
    if !tool.is_like_gnu() || tool.is_like_clang() {
        return None;
    }
    let made = (|| -> Result<(), String> {
        fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        fs::write(&header, text).map_err(|e| e.to_string())?;
        let out = tool
            .to_command()
            .arg("-x")
            .arg("c++-header")
            .arg(&header)
            .arg("-o")
            .arg(&gch)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        stamp(dir, key)
    })();
    match made {
        Ok(()) => Some(header),
        Err(e) => {
            let _ = fs::remove_file(&gch);
            println!(
                "cargo:warning=precompiling Verilator's headers failed; building without: {}",
                e.lines().next().unwrap_or("")
            );
            None
        }
    }
}

/// Adds the FST output's trace functions to the VCD model in `mdir` (see the top of this
/// file): checks that everything but tracing was generated identically, copies the FST
/// trace files in under names of their own, extracts the FST `trace()` entry point from the
/// FST top-level file and declares it in the class.
fn add_fst_tracer(mdir: &Path, fdir: &Path, prefix: &str) -> Result<(), String> {
    let read = |p: &Path| fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let top_h = format!("{prefix}.h");
    let top_cpp = format!("{prefix}.cpp");
    // Files that hold tracing code, or only build metadata: expected to differ.
    let per_format =
        |n: &str| n == top_h || n == top_cpp || n.contains("__Trace__") || !n.ends_with(".cpp") && !n.ends_with(".h");
    let mut fst_trace = Vec::new();
    for e in fs::read_dir(fdir).map_err(|e| format!("{}: {e}", fdir.display()))?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !per_format(&name) {
            if fs::read(e.path()).ok() != fs::read(mdir.join(&name)).ok() {
                return Err(format!(
                    "Verilator generated {name} differently for --trace and --trace-fst; this build compiles the \
                     model once for both tracers and relies on them differing only in tracing code.\n\
                     fix: report the Verilator version (`verilator --version`); dirql is tested with 5.006"
                ));
            }
        } else if name.contains("__Trace__") && name.ends_with(".cpp") {
            fst_trace.push(name);
        }
    }
    if fst_trace.is_empty() {
        return Err(format!("Verilator --trace-fst wrote no trace files into {}", fdir.display()));
    }
    // `Vdirql_sim_top__Trace__0__Slow.cpp` -> `Vdirql_sim_top__TraceFst__0__Slow.cpp`: a name
    // of its own in the model's folder, so its `#include`s find the (one) class header
    // there, and `__Slow` still marks it as run-once code.
    for name in &fst_trace {
        let to = mdir.join(name.replacen("__Trace__", "__TraceFst__", 1));
        fs::copy(fdir.join(name), &to).map_err(|e| format!("cannot copy {name} to {}: {e}", to.display()))?;
    }
    // The entry point: the FST top-level file's `#include`s and its trace section (the
    // static init callback and `trace(VerilatedFstC*)`), which closes the file.
    let fst_top = read(&fdir.join(&top_cpp))?;
    const MARK: &str = "// Trace configuration";
    let at = fst_top.find(MARK).ok_or_else(|| {
        format!("no `{MARK}` section in {}: unknown Verilator output layout", fdir.join(&top_cpp).display())
    })?;
    let includes: String = fst_top.lines().filter(|l| l.starts_with("#include")).map(|l| format!("{l}\n")).collect();
    let entry = format!(
        "// dirql: the FST trace entry point, taken from Verilator --trace-fst's {top_cpp} (sim/build.rs)\n\
         {includes}\n{}",
        &fst_top[at..]
    );
    fs::write(mdir.join(format!("{prefix}__TraceFstEntry__Slow.cpp")), entry).map_err(|e| e.to_string())?;
    // Declare `trace(VerilatedFstC*)` in the class, next to the VCD one. A non-virtual
    // member function: the class layout does not change.
    let header = read(&mdir.join(&top_h))?;
    let fst_header = read(&fdir.join(&top_h))?;
    let fst_decl = fst_header
        .lines()
        .find(|l| l.contains("void trace(VerilatedFstC*"))
        .ok_or_else(|| format!("no trace(VerilatedFstC*) in {}", fdir.join(&top_h).display()))?;
    let mut patched = String::with_capacity(header.len() + 100);
    let (mut fwd, mut decl) = (false, false);
    for l in header.lines() {
        patched.push_str(l);
        patched.push('\n');
        if l.trim() == "class VerilatedVcdC;" {
            patched.push_str("class VerilatedFstC;\n");
            fwd = true;
        }
        if l.contains("void trace(VerilatedVcdC*") {
            patched.push_str(fst_decl);
            patched.push('\n');
            decl = true;
        }
    }
    if !(fwd && decl) {
        return Err(format!(
            "{}: cannot find where to declare the FST trace() entry point",
            mdir.join(&top_h).display()
        ));
    }
    fs::write(mdir.join(&top_h), patched).map_err(|e| e.to_string())
}

/// The key of a model's generated C++: every `.cpp` and `.h` Verilator wrote into `mdir`
/// (and `fdir`, a second FST model), by name and content, without the unity files this
/// script writes from them; with the way FST joins and this script's text.
fn generated_key(mdir: &Path, fdir: Option<&Path>, tracers: Tracers) -> Result<u64, String> {
    let mut parts: Vec<Vec<u8>> = vec![format!("{tracers:?}").into_bytes(), include_bytes!("build.rs").to_vec()];
    for dir in std::iter::once(mdir).chain(fdir) {
        let mut names: Vec<String> = fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| (n.ends_with(".cpp") || n.ends_with(".h")) && !n.starts_with("dirql_unity"))
            .collect();
        names.sort();
        for n in names {
            let p = dir.join(&n);
            parts.push(n.into_bytes());
            parts.push(fs::read(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?);
        }
    }
    Ok(hash_of(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>()))
}

/// Runs `tool` once per argument list, all at the same time; fails with the first failure.
fn run_tools(tool: &str, arg_lists: &[Vec<String>]) -> Result<(), String> {
    let mut children = Vec::new();
    for args in arg_lists {
        let child = Command::new(tool)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| start_failure(tool, &args.join(" "), &e))?;
        children.push((args.join(" "), child));
    }
    let mut first_err = None;
    for (shown, child) in children {
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if !out.status.success() && first_err.is_none() {
            first_err = Some(tool_failure(&format!("{tool} {shown}"), &out));
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// One device's model as built: its classes, how FST joins it, its folders.
struct Built {
    name: String,
    prefix: String,
    prefix_fst: String,
    tracers: Tracers,
    mdir: PathBuf,
    fdir: PathBuf,
    model_dir: PathBuf,
}

/// Compiles the clocking core and the two writers for one model into
/// `libdirql_core_<device>.a`, its factories named after the device.
fn build_core(m: &Built, vinclude: &Path, bridge_dir: &Path) -> Result<(), String> {
    let mut b = cpp_build(vinclude);
    let cxx = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?).join("cxxbridge");
    b.files(["cpp/trace_vcd.cpp", "cpp/trace_fst.cpp"])
        .include(&m.mdir)
        .include(cxx.join("crate"))
        .include(cxx.join("include"));
    // The class cpp/trace_fst.cpp traces to FST, and its header.
    let fst_top = match m.tracers {
        Tracers::Spliced => m.prefix.clone(),
        Tracers::TwoModels => {
            b.include(&m.fdir);
            m.prefix_fst.clone()
        }
    };
    b.define("DIRQL_VCD_TOP", Some(m.prefix.as_str()));
    b.define("DIRQL_VCD_TOP_HEADER", Some(format!("\"{}.h\"", m.prefix).as_str()));
    // Untraced runs evaluate once per clock through the root's trigger field (core_impl.h).
    b.define("DIRQL_VCD_ROOT_HEADER", Some(format!("\"{}___024root.h\"", m.prefix).as_str()));
    b.define("DIRQL_FST_TOP", Some(fst_top.as_str()));
    b.define("DIRQL_FST_TOP_HEADER", Some(format!("\"{fst_top}.h\"").as_str()));
    b.define("DIRQL_MAKE_VCD", Some(format!("make_vcd_core_{}", m.name).as_str()));
    b.define("DIRQL_MAKE_FST", Some(format!("make_fst_core_{}", m.name).as_str()));
    b.out_dir(bridge_dir).try_compile(&format!("dirql_core_{}", m.name)).map_err(|e| e.to_string())
}

/// Compiles the cxx bridge, `cpp/model.cpp` and the generated dispatch from a model's name
/// to its factories into `libdirql_bridge.a`.
fn build_bridge(built: &[Built], coverage: &[CoverageModel], vinclude: &Path, bridge_dir: &Path) -> Result<(), String> {
    let mut dispatch = String::from(
        "// Generated by sim/build.rs: one model per device, picked by name (\"\": the first).\n\
         #include <memory>\n#include <stdexcept>\n#include <string>\n#include \"dirql-sim/cpp/core.h\"\n\
         namespace dirql {\n",
    );
    for b in built {
        dispatch.push_str(&format!(
            "std::unique_ptr<Core> make_vcd_core_{0}(const std::string&);\n\
             std::unique_ptr<Core> make_fst_core_{0}(const std::string&);\n",
            b.name
        ));
    }
    dispatch.push_str(&coverage_dispatch(coverage));
    dispatch
        .push_str("std::unique_ptr<Core> make_core(const std::string& model, const std::string& path, bool fst) {\n");
    dispatch.push_str(&coverage_dispatch_calls(coverage));
    for (i, b) in built.iter().enumerate() {
        let cond = if i == 0 {
            format!("model.empty() || model == \"{}\"", b.name)
        } else {
            format!("model == \"{}\"", b.name)
        };
        dispatch.push_str(&format!(
            "  if ({cond}) return fst ? make_fst_core_{0}(path) : make_vcd_core_{0}(path);\n",
            b.name
        ));
    }
    let mut names: Vec<&str> = built.iter().map(|b| b.name.as_str()).collect();
    let coverage_names: Vec<String> = coverage.iter().map(|c| format!("{}{COVERAGE_SUFFIX}", c.name)).collect();
    names.extend(coverage_names.iter().map(String::as_str));
    dispatch.push_str(&format!(
        "  throw std::runtime_error(\"no model of device '\" + model + \"' (built: {})\");\n}}\n}}  // namespace dirql\n\
         extern \"C\" const char* dirql_model_names() {{ return \"{}\"; }}\n",
        names.join(", "),
        names.join(",")
    ));
    let dispatch_file = bridge_dir.join("dirql_dispatch.cpp");
    fs::write(&dispatch_file, dispatch).map_err(|e| e.to_string())?;
    let mut b = cxx_build::bridge("src/ffi.rs");
    b.files(["cpp/model.cpp"])
        .file(&dispatch_file)
        .include(vinclude)
        .include(vinclude.join("vltstd"))
        .std("c++17")
        .opt_level(2)
        .warnings(false)
        .cargo_metadata(false);
    for (k, v) in DEFINES {
        b.define(k, Some(*v));
    }
    b.out_dir(bridge_dir).compile("dirql_bridge");
    Ok(())
}

/// A C++ build with the flags the Verilated code needs: always -O2 (the dev profile would
/// otherwise give -O0 and a model half as fast), C++17, quiet about generated code
/// (`warnings(false)` is `-w`; so no `-Wno-...` flags, and no `-faligned-new`, which C++17
/// turns on: probing the compiler for each cost ~0.1 s on every rebuild after an RTL edit).
fn cpp_build(vinclude: &Path) -> cc::Build {
    let mut b = cc::Build::new();
    b.cpp(true)
        .std("c++17")
        .opt_level(2)
        .debug(false)
        .warnings(false)
        .cargo_metadata(false)
        .include(vinclude)
        .include(vinclude.join("vltstd"));
    for (k, v) in DEFINES {
        b.define(k, Some(*v));
    }
    b
}

/// Every device to build: each `devices/<name>/rtl` of the workspace with the two
/// include files, then `DIRQL_DEVICE_RTL` (`name=folder:...`), which adds a device or
/// points one at another folder. Sorted by name: the first is the default model.
fn devices(root: &Path) -> Result<Vec<Device>, String> {
    let mut v: Vec<Device> = Vec::new();
    if let Ok(rd) = fs::read_dir(root.join("devices")) {
        for e in rd.flatten() {
            let rtl = e.path().join("rtl");
            if rtl.join("sim").join("dirql_device.vh").exists() {
                v.push(Device { name: e.file_name().to_string_lossy().into_owned(), rtl, slot1: None });
            }
        }
    }
    if let Ok(list) = env::var("DIRQL_DEVICE_RTL") {
        for item in list.split(':').filter(|s| !s.is_empty()) {
            let (name, dir) = item.split_once('=').ok_or_else(|| {
                format!(
                    "DIRQL_DEVICE_RTL: `{item}` is not `name=folder` (fix: e.g. DIRQL_DEVICE_RTL=mydev=/path/to/rtl)"
                )
            })?;
            let dir = PathBuf::from(dir);
            if dir.is_relative() {
                return Err(format!(
                    "DIRQL_DEVICE_RTL: `{item}`: the folder must be an absolute path (the build runs in another \
                     folder); fix: DIRQL_DEVICE_RTL={name}=/absolute/path/to/rtl"
                ));
            }
            if !dir.join("sim").join("dirql_device.vh").exists() {
                return Err(format!(
                    "DIRQL_DEVICE_RTL: {} has no sim/dirql_device.vh (fix: a device's RTL folder holds \
                     sim/dirql_device.vh and sim/dirql_probes.vh, docs/bring-your-own-device.md)",
                    dir.display()
                ));
            }
            v.retain(|d| d.name != name);
            v.push(Device { name: name.to_string(), rtl: dir, slot1: None });
        }
    }
    for d in &v {
        if d.name.is_empty() || !d.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "device name `{}` (from {}) must be letters, digits and `_` (it names a C++ class)",
                d.name,
                d.rtl.display()
            ));
        }
    }
    v.sort_by(|a, b| a.name.cmp(&b.name));
    if v.is_empty() {
        return Err(format!(
            "no device to simulate: no {}/devices/*/rtl/sim/dirql_device.vh, and DIRQL_DEVICE_RTL is not set \
             (fix: run from a dirql checkout, or set DIRQL_DEVICE_RTL=name=/path/to/your/rtl)",
            root.display()
        ));
    }
    Ok(v)
}

/// The two-slot models: a device whose `rtl/sim/dirql_partners` names other devices (one
/// per line, `#` comments) gets a model `<device>__<partner>` for each, with the partner
/// in slot 1 (`DIRQL_SLOT1`); the generated `dirql_slot1` module puts the partner's top and
/// its `dirql_probes.vh` behind the pin contract, so the partner's files are used as they
/// are.
fn pairs(devices: &[Device], wrapper: &Path, out: &Path) -> Result<Vec<Device>, String> {
    let mut v = Vec::new();
    // The module around slot 1's device: `rtl/sim/dirql_slot1.vt`, @TOP@ and @PROBES@
    // filled in (`make lint` fills it in the same way).
    let template_file = wrapper.join("dirql_slot1.vt");
    println!("cargo:rerun-if-changed={}", template_file.display());
    let template =
        || fs::read_to_string(&template_file).map_err(|e| format!("cannot read {}: {e}", template_file.display()));
    for d in devices {
        let list = d.rtl.join("sim").join("dirql_partners");
        // Watching a file that does not exist makes cargo rerun this script on every
        // build; its folder is watched instead, which notices the file being added.
        let watched = if list.exists() { list.clone() } else { d.rtl.join("sim") };
        println!("cargo:rerun-if-changed={}", watched.display());
        let Ok(text) = fs::read_to_string(&list) else { continue };
        for partner in text.lines().map(|l| l.split('#').next().unwrap_or("").trim()).filter(|l| !l.is_empty()) {
            let p = devices.iter().find(|e| e.name == partner).ok_or_else(|| {
                format!(
                    "{}: names `{partner}`, which is not a device here (built: {}); fix: name a folder of devices/ \
                     or a DIRQL_DEVICE_RTL entry",
                    list.display(),
                    devices.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")
                )
            })?;
            let name = format!("{}__{}", d.name, p.name);
            let vh = p.rtl.join("sim").join("dirql_device.vh");
            let text = fs::read_to_string(&vh).map_err(|e| format!("cannot read {}: {e}", vh.display()))?;
            let top = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("`define DIRQL_DUT").map(|r| r.trim().to_string()))
                .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .ok_or_else(|| {
                    format!("{}: no `define DIRQL_DUT <module>` line (fix: name the device's top module)", vh.display())
                })?;
            let dir = out.join(format!("slot1-{name}"));
            fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let wrapper = dir.join("dirql_slot1.v");
            let probes = p.rtl.join("sim").join("dirql_probes.vh");
            let text = template()?
                .replace("@NAME@", &name)
                .replace("@TOP@", &top)
                .replace("@PROBES@", &probes.display().to_string());
            if fs::read_to_string(&wrapper).ok().as_deref() != Some(text.as_str()) {
                fs::write(&wrapper, text).map_err(|e| format!("cannot write {}: {e}", wrapper.display()))?;
            }
            v.push(Device { name, rtl: d.rtl.clone(), slot1: Some(Slot1 { rtl: p.rtl.clone(), wrapper }) });
        }
    }
    Ok(v)
}

/// Every Verilog source and include file of one device's design (the wrapper's and the
/// device's), sorted for a stable hash.
fn rtl_sources(wrapper: &Path, rtl: &Path) -> Result<Vec<PathBuf>, String> {
    let mut v = Vec::new();
    for dir in [wrapper.to_path_buf(), rtl.to_path_buf(), rtl.join("sim")] {
        let rd = fs::read_dir(&dir).map_err(|e| {
            format!(
                "cannot read the RTL folder {}: {e}\nfix: run from a dirql checkout, or set DIRQL_DEVICE_RTL",
                dir.display()
            )
        })?;
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "v" || x == "sv" || x == "vh" || x == "svh") {
                v.push(p);
            }
        }
    }
    v.sort();
    if !v.iter().any(|p| p.file_name().is_some_and(|n| n == "dirql_sim_top.v")) {
        return Err(format!("{} has no dirql_sim_top.v (the wrapper the harness drives)", wrapper.display()));
    }
    Ok(v)
}

fn run_tool(tool: &str, args: &[&str]) -> Result<String, String> {
    let shown = format!("{tool} {}", args.join(" "));
    let out = Command::new(tool).args(args).output().map_err(|e| start_failure(tool, &args.join(" "), &e))?;
    if !out.status.success() {
        return Err(tool_failure(&shown, &out));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn start_failure(tool: &str, args: &str, e: &std::io::Error) -> String {
    format!(
        "command: {tool} {args}\ncould not start `{tool}`: {e}\n\
         fix: install Debian's Verilator 5.006 with\n    apt-get install --no-install-recommends verilator\n\
         (plus g++ and make if missing), or set VERILATOR=/path/to/verilator. `make test` does this for you."
    )
}

fn tool_failure(shown: &str, out: &std::process::Output) -> String {
    format!(
        "command: {shown}\nexit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n\
         fix: correct the RTL error above (check it quickly with `make lint`).",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn hash_of(parts: &[&[u8]]) -> u64 {
    let mut h = DefaultHasher::new();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

fn fresh(dir: &Path, lib: &str, key: u64) -> bool {
    let stamp_ok = fs::read_to_string(dir.join("stamp")).map(|s| s.trim() == key.to_string()).unwrap_or(false);
    stamp_ok && dir.join(format!("lib{lib}.a")).exists()
}

fn stamp(dir: &Path, key: u64) -> Result<(), String> {
    fs::write(dir.join("stamp"), key.to_string()).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------
// Coverage models (`dirql run|explore --coverage`, docs/architecture.md "RTL coverage").
//
// Only when `DIRQL_COVERAGE=1`: then each device's model gets a second class,
// `V<device>_cov`, Verilated with line and toggle coverage (and VCD tracing), compiled
// beside the normal one and named `<device>:coverage` at run time; Verilator's coverage
// runtime (verilated_cov.cpp) goes in an archive of its own. Without the variable none of
// this runs and nothing above changes: the normal model, its speed and its rebuild after an
// RTL edit are what they were. `dirql ... --coverage` builds this variant once, into
// `target/coverage` (testbenches/src/coverage_rtl.rs), so the two builds never evict each
// other.
// ---------------------------------------------------------------------------------------

/// The variable that asks for coverage models.
const COVERAGE_ENV: &str = "DIRQL_COVERAGE";
/// What the run-time name of a coverage model ends in (`display:coverage`).
const COVERAGE_SUFFIX: &str = ":coverage";
/// The extra Verilator flags of a coverage model, each with its reason.
const COVERAGE_FLAGS: &[&str] = &[
    // Every statement and branch arm of the RTL counted: what `genhtml` shows per line.
    "--coverage-line",
    // Every bit of every signal counted 0->1 and 1->0: wires that never move.
    "--coverage-toggle",
    // A coverage run may still write a VCD (`--vcd` beside `--coverage`); no FST.
    "--trace",
];

/// A device's coverage model as built.
struct CoverageModel {
    name: String,
    prefix: String,
    mdir: PathBuf,
    model_dir: PathBuf,
}

/// Builds the coverage model of every device when [`COVERAGE_ENV`] is `1`; else nothing.
/// Cached like the normal models: keyed on the RTL, the flags and the Verilator.
fn coverage_models(
    devices: &[Device],
    sources: &[Vec<PathBuf>],
    verilator: &str,
    version: &str,
    vinclude: &Path,
    wrapper: &Path,
    out: &Path,
) -> Result<Vec<CoverageModel>, String> {
    if env::var(COVERAGE_ENV).map_or(true, |v| v != "1") {
        return Ok(Vec::new());
    }
    let runtime_dir = out.join("vcoverage-runtime");
    let runtime_key = hash_of(&[version.as_bytes(), b"verilated_cov.cpp"]);
    if !fresh(&runtime_dir, "dirql_vcov", runtime_key) {
        fs::create_dir_all(&runtime_dir).map_err(|e| e.to_string())?;
        cpp_build(vinclude)
            .file(vinclude.join("verilated_cov.cpp"))
            .out_dir(&runtime_dir)
            .try_compile("dirql_vcov")
            .map_err(|e| e.to_string())?;
        stamp(&runtime_dir, runtime_key)?;
    }
    let mut v = Vec::new();
    for (dev, srcs) in devices.iter().zip(sources) {
        let prefix = format!("V{}_cov", dev.name);
        let mut parts: Vec<Vec<u8>> = vec![version.as_bytes().to_vec()];
        parts.extend(VERILATOR_FLAGS.iter().chain(COVERAGE_FLAGS).map(|f| f.as_bytes().to_vec()));
        for s in srcs {
            parts.push(s.display().to_string().into_bytes());
            parts.push(fs::read(s).map_err(|e| format!("cannot read {}: {e}", s.display()))?);
        }
        let key = hash_of(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>());
        let mdir = out.join(format!("obj_dir_cov-{}", dev.name));
        let model_dir = out.join(format!("vmodel_cov-{}", dev.name));
        let lib = format!("dirql_vmodel_cov_{}", dev.name);
        if !fresh(&model_dir, &lib, key) {
            let _ = fs::remove_dir_all(&mdir);
            let mut args: Vec<String> = VERILATOR_FLAGS.iter().chain(COVERAGE_FLAGS).map(|s| s.to_string()).collect();
            args.extend(["--prefix".into(), prefix.clone(), "--Mdir".into(), mdir.display().to_string()]);
            args.push(format!("-I{}", dev.rtl.join("sim").display()));
            args.push(format!("-I{}", dev.rtl.display()));
            args.push(format!("-I{}", wrapper.display()));
            if let Some(p) = &dev.slot1 {
                args.push("+define+DIRQL_SLOT1".into());
                args.push(format!("-I{}", p.rtl.display()));
            }
            args.extend(
                srcs.iter()
                    .filter(|s| s.extension().is_some_and(|e| e == "v" || e == "sv"))
                    .map(|s| s.display().to_string()),
            );
            run_tools(verilator, &[args])?;
            let units = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
            let unity = unity_units(&mdir, "dirql_unity", units)?;
            fs::create_dir_all(&model_dir).map_err(|e| e.to_string())?;
            let mut b = cpp_build(vinclude);
            b.include(&mdir);
            for u in &unity {
                b.file(u);
            }
            b.out_dir(&model_dir).try_compile(&lib).map_err(|e| e.to_string())?;
            stamp(&model_dir, key)?;
        }
        v.push(CoverageModel { name: dev.name.clone(), prefix, mdir, model_dir });
    }
    Ok(v)
}

/// The core of one coverage model: cpp/trace_vcd.cpp over its class, with the counters'
/// writer (`DIRQL_COVERAGE_CORE`).
fn build_coverage_core(c: &CoverageModel, vinclude: &Path) -> Result<(), String> {
    let mut b = cpp_build(vinclude);
    let cxx = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?).join("cxxbridge");
    b.file("cpp/trace_vcd.cpp").include(&c.mdir).include(cxx.join("crate")).include(cxx.join("include"));
    b.define("DIRQL_COVERAGE_CORE", Some("1"));
    b.define("DIRQL_VCD_TOP", Some(c.prefix.as_str()));
    b.define("DIRQL_VCD_TOP_HEADER", Some(format!("\"{}.h\"", c.prefix).as_str()));
    b.define("DIRQL_MAKE_VCD", Some(format!("make_cov_core_{}", c.name).as_str()));
    b.out_dir(&c.model_dir).try_compile(&format!("dirql_core_cov_{}", c.name)).map_err(|e| e.to_string())
}

/// The dispatch's declarations of the coverage cores.
fn coverage_dispatch(coverage: &[CoverageModel]) -> String {
    coverage.iter().map(|c| format!("std::unique_ptr<Core> make_cov_core_{}(const std::string&);\n", c.name)).collect()
}

/// The dispatch's lines that pick a coverage model by its run-time name.
fn coverage_dispatch_calls(coverage: &[CoverageModel]) -> String {
    coverage
        .iter()
        .map(|c| {
            format!(
                "  if (model == \"{0}{COVERAGE_SUFFIX}\") {{\n    if (fst) throw std::runtime_error(\"the coverage model \
                 writes VCD only: use --vcd with --coverage\");\n    return make_cov_core_{0}(path);\n  }}\n",
                c.name
            )
        })
        .collect()
}

/// Links the coverage models and their runtime (nothing without them).
fn link_coverage_models(coverage: &[CoverageModel], out: &Path) {
    for c in coverage {
        println!("cargo:rustc-link-search=native={}", c.model_dir.display());
        println!("cargo:rustc-link-lib=static=dirql_core_cov_{}", c.name);
        println!("cargo:rustc-link-lib=static=dirql_vmodel_cov_{}", c.name);
    }
    if !coverage.is_empty() {
        println!("cargo:rustc-link-search=native={}", out.join("vcoverage-runtime").display());
        println!("cargo:rustc-link-lib=static=dirql_vcov");
    }
}
