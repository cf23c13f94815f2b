//! Builds the Verilated model of `rtl/sim/dirql_sim_top.v` and links it behind the cxx
//! bridge in `src/ffi.rs`.
//!
//! Three archives, each rebuilt only when its own inputs change, so an RTL edit costs one
//! Verilator run plus one compile of the generated C++ (a unity build), and a Rust edit
//! costs nothing here:
//! - `dirql_vruntime`: the Verilator runtime (depends on the Verilator version only);
//! - `dirql_vmodel`: the generated model (depends on the RTL and the flags below);
//! - `dirql_bridge`: the cxx bridge and `cpp/model.cpp`.

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
    // Tracing compiled in; a run opts in by opening a VCD, otherwise it costs nothing.
    "--trace",
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
    // Name the class after the wrapper so the C++ shim can include it by a fixed name.
    "--prefix",
    "Vdirql_sim_top",
    "--top-module",
    "dirql_sim_top",
];

/// Defines the Verilator runtime and the generated code expect (as its own Makefile sets).
const DEFINES: &[(&str, &str)] =
    &[("VM_COVERAGE", "0"), ("VM_SC", "0"), ("VM_TRACE", "1"), ("VM_TRACE_VCD", "1"), ("VM_TRACE_FST", "0")];

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
    let rtl = env::var_os("DIRQL_RTL_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("rtl"));
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let verilator = env::var("VERILATOR").unwrap_or_else(|_| "verilator".to_string());

    println!("cargo:rerun-if-env-changed=VERILATOR");
    println!("cargo:rerun-if-env-changed=DIRQL_RTL_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=cpp/model.h");
    println!("cargo:rerun-if-changed=cpp/model.cpp");
    println!("cargo:rerun-if-changed=src/ffi.rs");

    let sources = rtl_sources(&rtl)?;
    // A new or removed file shows up as a changed folder.
    println!("cargo:rerun-if-changed={}", rtl.display());
    println!("cargo:rerun-if-changed={}", rtl.join("sim").display());
    for s in &sources {
        println!("cargo:rerun-if-changed={}", s.display());
    }

    let version = run_tool(&verilator, &["--version"])?;
    let vroot = PathBuf::from(run_tool(&verilator, &["--getenv", "VERILATOR_ROOT"])?.trim());
    let vinclude = vroot.join("include");
    if !vinclude.join("verilated.h").exists() {
        return Err(format!(
            "Verilator's runtime headers are not at {} (from `{verilator} --getenv VERILATOR_ROOT`).\n\
             fix: install Debian's package: apt-get install --no-install-recommends verilator",
            vinclude.display()
        ));
    }

    // 1. Runtime, keyed on the Verilator version.
    let runtime_key = hash_of(&[version.as_bytes()]);
    let runtime_dir = out.join("vruntime");
    if !fresh(&runtime_dir, "dirql_vruntime", runtime_key) {
        fs::create_dir_all(&runtime_dir).map_err(|e| e.to_string())?;
        let mut b = cpp_build(&vinclude);
        // verilated_threads.cpp is needed even for a single-threaded model, or the link fails.
        for f in ["verilated.cpp", "verilated_vcd_c.cpp", "verilated_threads.cpp"] {
            b.file(vinclude.join(f));
        }
        b.out_dir(&runtime_dir).compile("dirql_vruntime");
        stamp(&runtime_dir, runtime_key)?;
    }

    // 2. The model, keyed on the RTL, the flags and the Verilator version.
    let mut parts: Vec<Vec<u8>> = vec![version.clone().into_bytes()];
    parts.extend(VERILATOR_FLAGS.iter().map(|f| f.as_bytes().to_vec()));
    for s in &sources {
        parts.push(s.display().to_string().into_bytes());
        parts.push(fs::read(s).map_err(|e| format!("cannot read {}: {e}", s.display()))?);
    }
    let model_key = hash_of(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let model_dir = out.join("vmodel");
    let mdir = out.join("obj_dir");
    if !fresh(&model_dir, "dirql_vmodel", model_key) {
        let _ = fs::remove_dir_all(&mdir);
        let mut args: Vec<String> = VERILATOR_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push("--Mdir".into());
        args.push(mdir.display().to_string());
        args.push(format!("-I{}", rtl.display()));
        args.push(format!("-I{}", rtl.join("sim").display()));
        args.extend(
            sources
                .iter()
                .filter(|s| s.extension().is_some_and(|e| e == "v" || e == "sv"))
                .map(|s| s.display().to_string()),
        );
        let argrefs: Vec<&str> = args.iter().map(String::as_str).collect();
        run_tool(&verilator, &argrefs)?;

        // Generated file names are hashed: glob them. Unity builds roughly halve their
        // compile time; one unity file per core (cc compiles them in parallel) keeps every
        // core busy, which matters for the rebuild-after-an-RTL-edit time.
        let mut gen: Vec<PathBuf> = fs::read_dir(&mdir)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "cpp") && !p.ends_with("dirql_unity"))
            .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("dirql_unity")))
            .collect();
        gen.sort();
        // Largest files first, dealt round-robin, so the units come out about even.
        gen.sort_by_key(|p| std::cmp::Reverse(fs::metadata(p).map(|m| m.len()).unwrap_or(0)));
        // Construction, initialisation and trace-declaration code (`__Slow` files) runs
        // once per model; Verilator's own makefile compiles it with a cheaper optimisation
        // level, and so do we: one more parallel unit at -O0 (it runs once per model).
        let units = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
        let (slow, fast): (Vec<&PathBuf>, Vec<&PathBuf>) =
            gen.iter().partition(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains("__Slow")));
        let mut bodies = vec![String::new(); units];
        for (i, p) in fast.iter().enumerate() {
            bodies[i % units].push_str(&format!("#include \"{}\"\n", p.display()));
        }
        let slow_body: String = slow.iter().map(|p| format!("#include \"{}\"\n", p.display())).collect();
        fs::create_dir_all(&model_dir).map_err(|e| e.to_string())?;
        let mut b = cpp_build(&vinclude);
        b.include(&mdir);
        for (i, body) in bodies.iter().enumerate().filter(|(_, b)| !b.is_empty()) {
            let unity = mdir.join(format!("dirql_unity{i}.cpp"));
            fs::write(&unity, body).map_err(|e| e.to_string())?;
            b.file(&unity);
        }
        if !slow_body.is_empty() {
            // A translation unit of its own, compiled alongside the others.
            let unity = mdir.join("dirql_unity_slow.cpp");
            fs::write(&unity, format!("#pragma GCC optimize (\"O0\")\n{slow_body}")).map_err(|e| e.to_string())?;
            b.file(&unity);
        }
        b.out_dir(&model_dir).compile("dirql_vmodel");
        stamp(&model_dir, model_key)?;
    }

    // 3. The bridge, keyed on its own sources and the generated top-level header (an RTL
    // edit that keeps the wrapper's ports leaves it alone).
    let bridge_dir = out.join("bridge");
    let mut bparts: Vec<Vec<u8>> = vec![version.clone().into_bytes()];
    for f in ["src/ffi.rs", "cpp/model.h", "cpp/model.cpp"] {
        bparts.push(fs::read(manifest.join(f)).map_err(|e| format!("cannot read {f}: {e}"))?);
    }
    bparts.push(fs::read(mdir.join("Vdirql_sim_top.h")).unwrap_or_default());
    let bridge_key = hash_of(&bparts.iter().map(Vec::as_slice).collect::<Vec<_>>());
    if !fresh(&bridge_dir, "dirql_bridge", bridge_key) {
        build_bridge(&mdir, &vinclude, &bridge_dir)?;
        stamp(&bridge_dir, bridge_key)?;
    }
    for dir in [&bridge_dir, &model_dir, &runtime_dir] {
        println!("cargo:rustc-link-search=native={}", dir.display());
    }
    println!("cargo:rustc-link-lib=static=dirql_bridge");
    println!("cargo:rustc-link-lib=static=dirql_vmodel");
    println!("cargo:rustc-link-lib=static=dirql_vruntime");
    println!("cargo:rustc-link-lib=dylib=stdc++");
    println!("cargo:rustc-link-lib=dylib=pthread");
    Ok(())
}

/// Compiles the cxx bridge and `cpp/model.cpp` into `libdirql_bridge.a`.
fn build_bridge(mdir: &Path, vinclude: &Path, bridge_dir: &Path) -> Result<(), String> {
    let mut b = cxx_build::bridge("src/ffi.rs");
    b.file("cpp/model.cpp")
        .include(mdir)
        .include(vinclude)
        .include(vinclude.join("vltstd"))
        .std("c++17")
        .opt_level(2)
        .warnings(false)
        .cargo_metadata(false);
    for (k, v) in DEFINES {
        b.define(k, Some(*v));
    }
    fs::create_dir_all(bridge_dir).map_err(|e| e.to_string())?;
    b.out_dir(bridge_dir).compile("dirql_bridge");
    Ok(())
}

/// A C++ build with the flags the Verilated code needs: always -O2 (the dev profile would
/// otherwise give -O0 and a model half as fast), C++17, quiet about generated code.
fn cpp_build(vinclude: &Path) -> cc::Build {
    let mut b = cc::Build::new();
    b.cpp(true)
        .std("c++17")
        .opt_level(2)
        .debug(false)
        .warnings(false)
        .cargo_metadata(false)
        .include(vinclude)
        .include(vinclude.join("vltstd"))
        .flag_if_supported("-faligned-new")
        .flag_if_supported("-Wno-bool-operation")
        .flag_if_supported("-Wno-unused-parameter");
    for (k, v) in DEFINES {
        b.define(k, Some(*v));
    }
    b
}

/// Every Verilog source and include file of the design, sorted for a stable hash.
fn rtl_sources(rtl: &Path) -> Result<Vec<PathBuf>, String> {
    let mut v = Vec::new();
    for dir in [rtl.to_path_buf(), rtl.join("sim")] {
        let rd = fs::read_dir(&dir).map_err(|e| {
            format!(
                "cannot read the RTL folder {}: {e}\nfix: run from a dirql checkout, or set DIRQL_RTL_DIR",
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
        return Err(format!("{} has no sim/dirql_sim_top.v (the wrapper the harness drives)", rtl.display()));
    }
    Ok(v)
}

fn run_tool(tool: &str, args: &[&str]) -> Result<String, String> {
    let shown = format!("{tool} {}", args.join(" "));
    let out = Command::new(tool).args(args).output().map_err(|e| {
        format!(
            "command: {shown}\ncould not start `{tool}`: {e}\n\
             fix: install Debian's Verilator 5.006 with\n    apt-get install --no-install-recommends verilator\n\
             (plus g++ and make if missing), or set VERILATOR=/path/to/verilator. `make test` does this for you."
        )
    })?;
    if !out.status.success() {
        return Err(format!(
            "command: {shown}\nexit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n\
             fix: correct the RTL error above (check it quickly with `make lint`).",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
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
