//! A waveform that cannot be written ends the run with exit 2 and a message naming the file
//! and the cause, and a VCD is left valid up to its last whole cycle (docs/robustness.md):
//! a full file system (a small tmpfs this test mounts), /dev/full, a file removed under the
//! run, a device given as an FST. Every run is bounded and killed if the test fails.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod child_guard;
use child_guard::KillOnDrop;

/// Long enough that every run here ends on its waveform, not on its cycle count.
const CYCLES: &str = "400000000";
const BOUND: Duration = Duration::from_secs(180);

fn spawn(args: &[&str]) -> KillOnDrop {
    KillOnDrop::new(
        Command::new(env!("CARGO_BIN_EXE_dirql"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

/// A tmpfs of `size` mounted on a fresh folder, unmounted on drop; `None` (after saying
/// why) where this process may not mount.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Self { dir }),
            Ok(o) => {
                println!("SKIPPED: cannot mount a tmpfs ({}): {}", o.status, String::from_utf8_lossy(&o.stderr).trim());
                None
            }
            Err(e) => {
                println!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Last timestamp of a VCD, read with the `vcd` crate alone; panics where it does not parse.
fn last_timestamp(path: &Path) -> u64 {
    let mut p = vcd::Parser::new(BufReader::new(File::open(path).unwrap()));
    p.parse_header().unwrap();
    let mut last = 0;
    for cmd in p {
        if let vcd::Command::Timestamp(t) = cmd.unwrap() {
            last = t;
        }
    }
    last
}

#[test]
fn a_vcd_on_a_full_disk_ends_the_run_with_exit_2_and_stays_valid_to_its_last_whole_cycle() {
    let Some(disk) = SmallDisk::mount("1m") else { return };
    let vcd = disk.path("full.vcd");
    let out = spawn(&["run", "vblank", "--cycles", CYCLES, "--vcd", vcd.to_str().unwrap()]).wait_bounded(BOUND);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "no verdict without the waveform: {}", String::from_utf8_lossy(&out.stdout));
    assert!(err.contains(vcd.to_str().unwrap()) && err.contains("No space left on device"), "{err}");
    let cycle: u64 = err
        .split("valid up to cycle ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no cycle in: {err}"));
    assert!(cycle > 1_000, "a 1 MiB disk holds more than {cycle} cycles");
    // Whole to its end: the falling edge of that cycle is the file's last time.
    assert_eq!(last_timestamp(&vcd), cycle * 30 + 15);
}

#[test]
fn an_fst_on_a_full_disk_ends_with_exit_2_and_is_read_to_its_last_whole_block() {
    let Some(disk) = SmallDisk::mount("1m") else { return };
    let fst = disk.path("full.fst");
    let out = spawn(&["run", "vblank", "--cycles", "3000000", "--wave", fst.to_str().unwrap()]).wait_bounded(BOUND);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty(), "no verdict without the waveform");
    let shown = fst.to_str().unwrap();
    assert!(err.contains(shown) && err.contains("No space left on device"), "{err}");
    let check = Command::new(env!("CARGO_BIN_EXE_dirql")).args(["check", shown, "--json"]).output().unwrap();
    if !dirql_sim::FST_KEEPS_HIER_FILE {
        // Verilator 5.050's writer writes header, geometry and hierarchy on close only, and
        // keeps no side file: the promise is exit 2 both times, never a verdict.
        assert!(err.contains("nothing of it can be read"), "{err}");
        assert_eq!(check.status.code(), Some(2), "{}", stderr(&check));
        assert!(stderr(&check).contains(shown), "{}", stderr(&check));
        return;
    }
    // fstapi: the run stops at the first flush that finds the disk full, and leaves the file
    // as a killed run would, cut to its whole blocks with the hierarchy file beside it.
    let up_to: u64 = err
        .split("value changes, up to cycle ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no cycle in: {err}"));
    assert!(up_to >= 65_536, "a 1 MiB disk holds more than one block: {err}");
    assert!(disk.path("full.fst.hier").exists(), "the hierarchy file was not kept");
    let j: serde_json::Value = serde_json::from_slice(&check.stdout)
        .unwrap_or_else(|e| panic!("no report ({e}), exit {:?}: {}", check.status.code(), stderr(&check)));
    // Read to exactly that cycle; every signal-level rule judges it, and the run that did
    // not finish does not pass: run-completed names the write failure.
    assert_eq!(j["recovered"]["up_to_cycle"], up_to, "{}", j["recovered"]);
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    for r in j["rules"].as_array().unwrap() {
        let expect = if r["name"] == "run-completed" { "fail" } else { "pass" };
        assert_eq!(r["verdict"], expect, "{}: {}", r["name"], r["violations"][0]["message"]);
    }
    let why = j["rules"].as_array().unwrap().iter().find(|r| r["name"] == "run-completed").unwrap()["violations"][0]
        ["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(why.contains("No space left on device"), "{why}");
}

#[test]
fn a_vcd_to_dev_full_ends_the_run_with_exit_2_naming_it() {
    let out = spawn(&["run", "vblank", "--cycles", CYCLES, "--vcd", "/dev/full"]).wait_bounded(BOUND);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("/dev/full") && err.contains("No space left on device"), "{err}");
}

#[test]
fn an_fst_path_that_is_a_device_is_refused_before_the_run_without_a_side_file() {
    let dir = tempfile::tempdir().unwrap();
    let fst = dir.path().join("full.fst");
    std::os::unix::fs::symlink("/dev/full", &fst).unwrap();
    let out = spawn(&["run", "vblank", "--cycles", CYCLES, "--wave", fst.to_str().unwrap()]).wait_bounded(BOUND);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(fst.to_str().unwrap()) && err.contains("not a regular file"), "{err}");
    assert!(!dir.path().join("full.fst.hier").exists(), "fstapi's side file was created");
}

#[test]
fn a_waveform_removed_under_the_run_ends_it_with_exit_2() {
    for name in ["gone.vcd", "gone.fst"] {
        let dir = tempfile::tempdir().unwrap();
        let wave = dir.path().join(name);
        let child = spawn(&["run", "vblank", "--cycles", CYCLES, "--wave", wave.to_str().unwrap()]);
        let start = Instant::now();
        while std::fs::metadata(&wave).map_or(0, |m| m.len()) < 300_000 {
            assert!(start.elapsed() < BOUND, "the run never got going");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::fs::remove_file(&wave).unwrap();
        let out = child.wait_bounded(BOUND);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(wave.to_str().unwrap()) && err.contains("removed"), "{name}: {err}");
    }
}

/// `dirql check` of a waveform in a folder that cannot be written still gives its verdict
/// (the timing SVGs it would write beside it are skipped with a note), and `--junit` makes
/// its own folder.
#[test]
fn check_in_a_read_only_folder_still_judges_and_junit_makes_its_folder() {
    let Some(disk) = SmallDisk::mount("8m") else { return };
    let vcd = disk.path("vblank.vcd");
    let run = Command::new(env!("CARGO_BIN_EXE_dirql"))
        .args(["run", "mode-set", "--driver", "unsync-crtc", "--seed", "1", "--vcd"])
        .arg(&vcd)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let ro = Command::new("mount").args(["-o", "remount,ro"]).arg(disk.dir.path()).status().unwrap();
    assert!(ro.success(), "remount read-only");
    let junit = tempfile::tempdir().unwrap();
    let xml = junit.path().join("not/yet/there/check.xml");
    let check =
        Command::new(env!("CARGO_BIN_EXE_dirql")).arg("check").arg(&vcd).arg("--junit").arg(&xml).output().unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "the live run's verdict: {text}{}", stderr(&check));
    assert!(text.contains("sync-isolation") && text.contains("verdict: FAIL"), "{text}");
    assert!(stderr(&check).contains("timing SVGs not written"), "{}", stderr(&check));
    assert!(std::fs::read_to_string(&xml).unwrap().contains("sync-isolation"));
}
