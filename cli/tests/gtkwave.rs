//! GTKWave itself (Debian's 3.3, under Xvfb; scripts/ensure-deps.sh test installs both),
//! opened with the `.gtkw` a failing run wrote, shows the decoded transaction rows and the
//! host codes by name: a Tcl script (`gtkwave -S`) reads every trace's value at the marker
//! the save file puts on the first violation, for the VCD and for the FST of the same run.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

mod child_guard;
use child_guard::KillOnDrop;

/// What GTKWave shows at marker A of `gtkw`: (trace name, value) per trace, in order.
fn shown_at_marker(wave: &Path, gtkw: &Path, dir: &Path) -> Vec<(String, String)> {
    for tool in ["gtkwave", "xvfb-run"] {
        let ok =
            Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success());
        assert!(ok, "{tool} is missing: run scripts/ensure-deps.sh test (Debian packages gtkwave, xvfb)");
    }
    let out = dir.join("shown.tsv");
    let script = dir.join("shown.tcl");
    std::fs::write(
        &script,
        format!(
            "set out [open {{{}}} w]\n\
             for {{set i 0}} {{$i < [gtkwave::getTotalNumTraces]}} {{incr i}} {{\n\
             puts $out \"[gtkwave::getTraceNameFromIndex $i]\\t[gtkwave::getTraceValueAtMarkerFromIndex $i]\"\n\
             }}\nclose $out\nexit\n",
            out.display()
        ),
    )
    .unwrap();
    let child = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1600x900x24", "gtkwave", "-S"])
        .arg(&script)
        .arg(wave)
        .arg(gtkw)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let done = KillOnDrop::new(child).wait_bounded(Duration::from_secs(120));
    assert!(done.status.success(), "gtkwave: {}", String::from_utf8_lossy(&done.stderr));
    std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| {
            let (n, v) = l.split_once('\t').unwrap_or((l, ""));
            (n.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn gtkwave_shows_the_decoded_rows_and_the_named_codes_for_vcd_and_fst() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["ms.vcd", "ms.fst"] {
        let wave = dir.path().join(name);
        let flag = if name.ends_with(".fst") { "--wave" } else { "--vcd" };
        let out = Command::new(env!("CARGO_BIN_EXE_dirql"))
            .args(["run", "mode-set", "--driver", "unsync-crtc", "--seed", "1", "--cycles", "3000", flag])
            .arg(&wave)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        let shown = shown_at_marker(&wave, &dir.path().join("ms.gtkw"), dir.path());
        let at = |n: &str| shown.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        // The marker is on the first violation, cycle 199 (sync-isolation): StartIO on CPU0
        // writing the CRTC index at PASSIVE_LEVEL. GTKWave shows the transaction there, its
        // five rows of parts after it, and the codes by name.
        let txn = "IO write BAR1 I/O port 3D4h CRTC index = 04h (byte 0) | CPU0 StartIO (PASSIVE) | ok";
        assert_eq!(at("PCI transaction"), Some(txn), "{name}: {shown:?}");
        let i = shown.iter().position(|(k, _)| k == "PCI transaction").unwrap();
        let parts: Vec<&str> = shown[i + 1..i + 6].iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(
            parts,
            ["IO write", "BAR1 I/O port 3D4h CRTC index", "= 04h (byte 0)", "CPU0 StartIO (PASSIVE)", "ok"],
            "{name}"
        );
        assert_eq!(at("cpu0_routine[3:0]"), Some("StartIO"), "{name}: {shown:?}");
        assert_eq!(at("cpu0_irql[4:0]"), Some("PASSIVE"), "{name}");
        assert_eq!(at("cpu0_op[7:0]"), Some("WritePort"), "{name}");
        assert_eq!(at("cpu1_routine[3:0]"), Some("thread"), "{name}");
        assert_eq!(at("lock_owner[1:0]"), Some("free"), "{name}");
        assert_eq!(at("bus_cpu[1:0]"), Some("CPU0"), "{name}");
        assert_eq!(at("bus_issuer[15:0]"), Some("StartIO PASSIVE"), "{name}");
        // The device's probes under its names for them.
        assert!(at("probe_crtc_index[31:0]").is_some(), "{name}: {shown:?}");
    }
}
