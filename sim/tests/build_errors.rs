//! A failed build explains itself: the command, its output, and the fix. Each case runs
//! the real build script through cargo, in a target folder of its own.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;
use std::process::Command;

fn build(target: &Path, envs: &[(&str, &str)]) -> (bool, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut c = Command::new(env!("CARGO"));
    c.args(["build", "--offline", "--release", "-q", "-p", "dirql-sim"])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target);
    for (k, v) in envs {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn missing_verilator_rtl_syntax_error_and_missing_compiler_each_name_the_command() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("target");

    let (ok, err) = build(&target, &[("VERILATOR", "/nonexistent/verilator")]);
    assert!(!ok);
    assert!(err.contains("command: /nonexistent/verilator --version"), "{err}");
    assert!(err.contains("apt-get install --no-install-recommends verilator"), "{err}");

    // A Verilator older than 5.006 is refused by its version, before anything is compiled.
    let old = tmp.path().join("verilator");
    std::fs::write(&old, "#!/bin/sh\necho 'Verilator 4.038 2020-07-11 rev v4.036-114-g0cd4a57ad'\n").unwrap();
    std::fs::set_permissions(&old, <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755))
        .unwrap();
    let (ok, err) = build(&target, &[("VERILATOR", old.to_str().unwrap())]);
    assert!(!ok);
    assert!(err.contains("is Verilator 4.038; dirql needs Verilator 5.006 or newer"), "{err}");
    assert!(err.contains("fix: install Debian 12's Verilator 5.006"), "{err}");
    assert!(!err.contains("command: "), "no tool ran after the version check: {err}");

    // A device of its own (out of tree) whose RTL has a syntax error in it.
    let rtl = tmp.path().join("rtl");
    std::fs::create_dir_all(rtl.join("sim")).unwrap();
    std::fs::write(rtl.join("sim/dirql_device.vh"), "`define DIRQL_DUT broken_dev\n").unwrap();
    std::fs::write(rtl.join("sim/dirql_probes.vh"), "").unwrap();
    std::fs::write(rtl.join("broken_dev.v"), "module broken_dev;\n  wire broken = ;\nendmodule\n").unwrap();
    let dev = format!("broken={}", rtl.display());
    let (ok, err) = build(&target, &[("DIRQL_DEVICE_RTL", dev.as_str())]);
    assert!(!ok);
    assert!(err.contains("exit status"), "{err}");
    assert!(err.contains("broken_dev.v"), "the compiler's message naming the file is shown: {err}");
    assert!(err.contains("fix:"), "{err}");

    // A device folder without the wrapper's include files is named, with the fix.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let dev = format!("empty={}", empty.display());
    let (ok, err) = build(&target, &[("DIRQL_DEVICE_RTL", dev.as_str())]);
    assert!(!ok);
    assert!(err.contains("has no sim/dirql_device.vh") && err.contains("fix:"), "{err}");

    // No C++ compiler: cxx's own build script (link-cplusplus) stops first and names the
    // compiler it tried; `make` never gets here, scripts/ensure-deps.sh installs g++ first.
    let (ok, err) = build(&target, &[("CXX", "/nonexistent/c++")]);
    assert!(!ok);
    assert!(err.contains("/nonexistent/c++"), "{err}");
}
