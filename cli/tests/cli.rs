//! The command line is a contract: exit 0 = pass, 1 = a check failed, 2 = bad input, and
//! a message naming the input.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::process::Command;

fn dirql(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dirql")).args(args).output().expect("dirql runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_reference_exits_0_and_broken_exits_1_naming_rule_and_cycle() {
    let (code, out, _) = dirql(&["run", "vblank"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = dirql(&["run", "vblank", "--driver", "no-ack", "--json"]);
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(j["scenario"], "vblank");
    assert_eq!(j["seed"], 1);
    assert!(j["cycles"].as_u64().unwrap() >= 20_000);
    let rule = j["rules"].as_array().unwrap().iter().find(|r| r["name"] == "isr-dismissal").expect("rule listed");
    assert_eq!(rule["verdict"], "fail");
    assert!(rule["violations"][0]["cycle"].as_u64().unwrap() > 0);
    assert!(rule["violations"][0]["message"].as_str().unwrap().contains("INT_STATUS"));
}

#[test]
fn cycles_option_lengthens_and_shortens_the_run() {
    let (_, out, _) = dirql(&["run", "vblank", "--cycles", "5000", "--json"]);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["cycles"], 5000);
    let (_, out, _) = dirql(&["run", "vblank", "--cycles", "45000", "--json"]);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["cycles"], 45000);
    assert!(j["interrupts"].as_u64().unwrap() >= 20);
}

#[test]
fn bad_input_exits_2_and_names_the_input() {
    for (args, needle) in [
        (vec!["run", "nosuch"], "nosuch"),
        (vec!["run", "vblank", "--driver", "nodriver"], "nodriver"),
        (vec!["run", "vblank", "--seed", "abc"], "abc"),
        (vec!["run", "vblank", "--reading", "whatever"], "whatever"),
        (vec!["run", "vblank", "--cpus", "7"], "--cpus"),
        (vec!["run", "vblank", "--rtl", "nortl"], "nortl"),
        (vec!["run", "vblank", "--fault", "nofault"], "nofault"),
        (vec!["check", "/nonexistent/file.vcd"], "/nonexistent/file.vcd"),
    ] {
        let (code, _, err) = dirql(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: message does not name {needle}: {err}");
    }
}

#[test]
fn check_rejects_non_vcd_empty_and_foreign_vcd_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("text.vcd", "this is not a waveform\n", "not a valid VCD"),
        ("empty.vcd", "", "not a valid VCD"),
        (
            "foreign.vcd",
            "$timescale 1ns $end\n$scope module top $end\n$var wire 1 ! clk $end\n$upscope $end\n$enddefinitions $end\n#0\n0!\n#5\n1!\n",
            "lacks signals",
        ),
    ];
    for (name, body, needle) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        let (code, _, err) = dirql(&["check", p.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(needle) && err.contains(name), "{name}: {err}");
    }
}

#[test]
fn check_of_a_written_waveform_exits_like_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.vcd");
    let bad = dir.path().join("bad.vcd");
    assert_eq!(dirql(&["run", "vblank", "--vcd", good.to_str().unwrap()]).0, 0);
    assert_eq!(dirql(&["run", "mode-set", "--driver", "no-readback", "--vcd", bad.to_str().unwrap()]).0, 1);
    assert_eq!(dirql(&["check", good.to_str().unwrap()]).0, 0);
    let (code, out, _) = dirql(&["check", bad.to_str().unwrap(), "--json"]);
    assert_eq!(code, 1);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["verdict"], "fail");
}

#[test]
fn list_json_names_scenarios_and_drivers_with_their_broken_rule() {
    let (code, out, _) = dirql(&["list", "--json"]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(j["scenarios"].as_array().unwrap().iter().any(|s| s["name"] == "vblank"));
    let drivers = j["drivers"].as_array().unwrap();
    assert!(drivers.iter().any(|d| d["name"] == "reference" && d.get("breaks").is_none()));
    assert!(drivers
        .iter()
        .any(|d| d["name"] == "no-ack" && d["breaks"] == "isr-dismissal" && d["scenario"] == "vblank"));
}

#[test]
fn rtl_twins_are_listed_run_with_rtl_and_checked_from_their_waveform_alike() {
    let (code, out, _) = dirql(&["list", "--json"]);
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rtl = j["rtl"].as_array().unwrap();
    assert!(rtl.iter().any(|v| v["name"] == "reference" && v.get("breaks").is_none()));
    let broken: Vec<_> = rtl.iter().filter(|v| v.get("breaks").is_some()).collect();
    assert!(broken.len() >= 2, "{rtl:?}");
    let dir = tempfile::tempdir().unwrap();
    for v in broken {
        let (name, rule, scenario) =
            (v["name"].as_str().unwrap(), v["breaks"].as_str().unwrap(), v["scenario"].as_str().unwrap());
        assert!(!v["description"].as_str().unwrap().is_empty());
        let vcd = dir.path().join(format!("{name}.vcd"));
        let (code, out, err) = dirql(&["run", scenario, "--rtl", name, "--vcd", vcd.to_str().unwrap(), "--json"]);
        assert_eq!(code, 1, "{name}: {err}");
        let live: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(live["rtl"], name);
        let (code, out, _) = dirql(&["check", vcd.to_str().unwrap(), "--json"]);
        assert_eq!(code, 1, "{name}: the waveform alone is not flagged");
        let after: serde_json::Value = serde_json::from_str(&out).unwrap();
        for r in after["rules"].as_array().unwrap() {
            let l = live["rules"].as_array().unwrap().iter().find(|x| x["name"] == r["name"]).unwrap();
            assert_eq!(l, r, "{name}: {} differs between run and check", r["name"]);
            assert_eq!(r["verdict"], if r["name"] == rule { "fail" } else { "pass" }, "{name}: {}", r["name"]);
        }
    }
    // An unknown one is bad input: named, with the known ones listed.
    let (code, _, err) = dirql(&["run", "vblank", "--rtl", "nortl"]);
    assert_eq!(code, 2);
    assert!(err.contains("'nortl'") && err.contains("late-devsel") && err.contains("reference"), "{err}");
    let (_, _, err) = dirql(&["run", "vblank", "--fault", "nofault"]);
    assert!(err.contains("target-abort") && err.contains("retry-storm"), "{err}");
}

/// The contract as `dirql list --json` states it: for every broken twin, driver or RTL,
/// `dirql run <its scenario> --driver|--rtl <name>` with nothing else (seed 1) exits 1, and
/// the rule it breaks fails first.
#[test]
fn every_listed_twin_fails_its_rule_with_the_plain_run_command() {
    let (code, out, _) = dirql(&["list", "--json"]);
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut twins = 0;
    for (key, flag) in [("drivers", "--driver"), ("rtl", "--rtl")] {
        for v in list[key].as_array().unwrap().iter().filter(|v| !v["breaks"].is_null()) {
            let (name, rule, scenario) =
                (v["name"].as_str().unwrap(), v["breaks"].as_str().unwrap(), v["scenario"].as_str().unwrap());
            let (code, out, _) = dirql(&["run", scenario, flag, name, "--json"]);
            assert_eq!(code, 1, "dirql run {scenario} {flag} {name}: exit {code}");
            let j: serde_json::Value = serde_json::from_str(&out).unwrap();
            let failed: Vec<(&str, u64)> = j["rules"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["verdict"] == "fail")
                .map(|r| (r["name"].as_str().unwrap(), r["violations"][0]["cycle"].as_u64().unwrap()))
                .collect();
            let first = failed.iter().min_by_key(|(_, c)| *c).unwrap();
            assert!(failed.iter().any(|(r, _)| *r == rule), "{name}: {rule} did not fail: {failed:?}");
            assert!(
                failed.iter().filter(|(_, c)| *c == first.1).any(|(r, _)| *r == rule),
                "{name}: {rule} is not the first to fail: {failed:?}"
            );
            twins += 1;
        }
    }
    assert!(twins >= 14, "only {twins} twins listed");
}
