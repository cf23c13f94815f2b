//! The README's sample output is what `make sim` prints: run the same command and compare
//! line by line (only the folder of the waveform differs).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::process::Command;

#[test]
fn the_readme_shows_what_make_sim_prints() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme.find("dirql run vblank  driver=reference").expect("the sample in the README");
    let end = start + readme[start..].find("open it with:").expect("the sample's last line");
    let shown: Vec<&str> = readme[start..end].lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let vcd = dir.path().join("vblank.vcd");
    let out = Command::new(env!("CARGO_BIN_EXE_dirql"))
        .args(["run", "vblank", "--driver", "reference", "--seed", "1", "--vcd"])
        .arg(&vcd)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap().replace(&dir.path().display().to_string(), "build/waves");
    let got: Vec<&str> = text.lines().collect();
    assert_eq!(got, shown, "README.md's sample output is stale: paste this run's output there");
}
