//! Coverage (docs/coverage.md): functional coverage read from the frames is the same live
//! and from the waveform, names its holes and its impossible cells, costs a run nothing
//! unless asked; the coverage-guided exploration is deterministic and replays what it
//! found; RTL coverage (opt-in: `make coverage`, it builds the coverage models) merges
//! across shards as across seeds.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn dirql(args: &[&str]) -> (Option<i32>, Value, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_dirql")).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let j = serde_json::from_str(&text).unwrap_or(Value::Null);
    (o.status.code(), j, format!("{text}\n{}", String::from_utf8_lossy(&o.stderr)))
}

fn cell<'a>(j: &'a Value, group: &str, name: &str) -> &'a Value {
    let g = j["groups"].as_array().unwrap().iter().find(|g| g["name"] == group).unwrap();
    g["cells"].as_array().unwrap().iter().find(|c| c["cell"] == name).map_or(&Value::Null, |c| &c["hits"])
}

/// The table a run collects live is the one `dirql check --coverage` reads from its
/// waveform: one device with line interrupts, the same with messages, and two devices on
/// one line (slot 0's view).
#[test]
fn functional_coverage_of_a_run_equals_that_of_its_waveform() {
    let dir = tempfile::tempdir().unwrap();
    for (scenario, seed) in [("mode-set", "3"), ("msi", "2"), ("nic-shared-inta", "2")] {
        let vcd = dir.path().join(format!("{scenario}.vcd"));
        let (code, live, text) = dirql(&[
            "run",
            scenario,
            "--seed",
            seed,
            "--functional-coverage",
            "--vcd",
            vcd.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, Some(0), "{text}");
        let (code, checked, text) = dirql(&["check", vcd.to_str().unwrap(), "--coverage", "--json"]);
        assert_eq!(code, Some(0), "{text}");
        let (a, b) = (&live["functional_coverage"], &checked["functional_coverage"]);
        assert!(a.is_object(), "{scenario}: no functional coverage in the run's JSON");
        assert_eq!(a, b, "{scenario}: live and waveform coverage differ");
        // Every interrupt the kernel took is one tuple (a single source pending at each).
        let tuples: u64 = a["interrupts"].as_array().unwrap().iter().map(|t| t["hits"].as_u64().unwrap()).sum();
        assert!(tuples >= live["interrupts"].as_u64().unwrap() && tuples > 0, "{scenario}: {tuples} tuples");
    }
}

/// The holes the issue names are named: mode-set never latches CMD_ERROR, FIFO_LOW or
/// SEQ_ERROR and never signals by message, while the retrace latches and is serviced; an
/// impossible cell is declared with its reason, not left out.
#[test]
fn the_table_names_its_holes_and_declares_what_cannot_occur() {
    let (code, j, text) = dirql(&["run", "mode-set", "--seed", "3", "--functional-coverage", "--json"]);
    assert_eq!(code, Some(0), "{text}");
    let c = &j["functional_coverage"];
    assert!(cell(c, "source", "VBLANK / latched").as_u64().unwrap() > 0);
    assert!(cell(c, "source", "VBLANK / serviced").as_u64().unwrap() > 0);
    assert!(cell(c, "interrupt", "CMD_DONE / line").as_u64().unwrap() > 0);
    let source = c["groups"].as_array().unwrap().iter().find(|g| g["name"] == "source").unwrap();
    let holes: Vec<&str> = source["holes"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
    for s in ["CMD_ERROR", "FIFO_LOW", "SEQ_ERROR"] {
        assert!(holes.contains(&format!("{s} / latched").as_str()), "{s} latched is no hole: {holes:?}");
    }
    let landed = c["groups"].as_array().unwrap().iter().find(|g| g["name"] == "interrupt-landed").unwrap();
    let reasons: Vec<&str> =
        landed["impossible"].as_array().unwrap().iter().map(|x| x["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("a DPC runs at DISPATCH_LEVEL")), "{reasons:?}");
    assert!(landed["impossible"].as_array().unwrap().iter().all(|x| x["hits"] == 0), "{landed}");
    // The same in text.
    let (_, _, text) = dirql(&["run", "mode-set", "--seed", "3", "--functional-coverage"]);
    assert!(text.contains("functional coverage (1 run(s)): "), "{text}");
    assert!(text.contains("    holes (") && text.contains("CMD_ERROR / latched"), "{text}");
    assert!(text.contains("cannot occur (") && text.contains("a DPC runs at DISPATCH_LEVEL"), "{text}");
    // Not asked for: not collected, not reported.
    let (_, j, _) = dirql(&["run", "mode-set", "--seed", "3", "--json"]);
    assert!(j.get("functional_coverage").is_none() && j.get("rtl_coverage").is_none());
}

/// `--strategy coverage` makes the same schedules whatever the worker count (generations
/// grow the corpus in seed order), finds the CRTC race, and its replay, a forced schedule,
/// fails as the explored run did.
#[test]
fn the_coverage_strategy_is_deterministic_and_replays_what_it_found() {
    let dir = tempfile::tempdir().unwrap();
    let waves = dir.path().to_str().unwrap();
    let args = |jobs: &'static str| {
        vec![
            "explore",
            "mode-set",
            "--driver",
            "unsync-crtc",
            "--strategy",
            "coverage",
            "--seeds",
            "40",
            "--no-shrink",
            "--jobs",
            jobs,
            "--json",
            "--replay-dir",
            waves,
        ]
    };
    let (code, one, text) = dirql(&args("1"));
    assert_eq!(code, Some(1), "{text}");
    let (_, two, _) = dirql(&args("2"));
    for f in ["failing_seeds", "failures_by_rule", "first_failure_by_rule", "functional_coverage", "coverage_first_hit"]
    {
        assert_eq!(one[f], two[f], "{f} differs between 1 and 2 jobs");
    }
    assert_eq!(one["strategy"], "Coverage");
    assert_eq!(one["replay"]["same_verdict"], true, "{}", one["replay"]);
    assert!(one["replay_command"].as_str().unwrap().contains("--schedule '"), "{}", one["replay_command"]);
    assert!(one["functional_coverage"]["runs"].as_u64() == Some(40));
}

fn rtl_lines(j: &Value) -> Vec<(String, u64, u64)> {
    j["rtl_coverage"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap().to_string(), f["lines"].as_u64().unwrap(), f["hit"].as_u64().unwrap()))
        .collect()
}

/// RTL coverage of four shards, merged, is that of the unsharded exploration (per file:
/// lines counted and hit), with coverage.dat, lcov and the HTML report written; a shard's
/// coverage.dat gone is bad input. Opt-in (`make coverage`): `--coverage` builds the
/// coverage models into target/coverage the first time (minutes).
#[test]
#[ignore = "builds the coverage models (minutes): run by `make coverage`"]
fn rtl_coverage_of_four_shards_merged_equals_the_unsharded_exploration() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let explore = |extra: &[&str], cov: &str, out: &Path| {
        let mut a = vec!["explore", "vblank", "--seeds", "8", "--jobs", "2", "--json", "--coverage", "--coverage-dir"];
        a.push(cov);
        a.extend_from_slice(extra);
        let (code, j, text) = dirql(&a);
        assert_eq!(code, Some(0), "{text}");
        std::fs::write(out, serde_json::to_vec(&j).unwrap()).unwrap();
        j
    };
    let all = explore(&[], &d("all"), &dir.path().join("all.json"));
    let lines = rtl_lines(&all);
    let hit: u64 = lines.iter().map(|l| l.2).sum();
    assert!(hit > 0 && lines.iter().any(|l| l.0.ends_with("dirql_irq.v")), "{lines:?}");
    assert!(Path::new(&d("all")).join("html/index.html").exists());
    assert!(Path::new(&d("all")).join("coverage.info").exists());
    assert_eq!(std::fs::read_dir(Path::new(&d("all")).join("seeds")).unwrap().count(), 8);
    let shards: Vec<_> = (0..4).map(|k| dir.path().join(format!("s{k}.json"))).collect();
    for (k, p) in shards.iter().enumerate() {
        explore(&["--shard", &format!("{k}/4")], &d(&format!("s{k}")), p);
    }
    let mut args = vec!["merge".to_string()];
    args.extend(shards.iter().map(|p| p.to_str().unwrap().to_string()));
    args.extend(["--json".into(), "--coverage-dir".into(), d("merged")]);
    let (code, m, text) = dirql(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(rtl_lines(&m), lines);
    assert_eq!(m["functional_coverage"], all["functional_coverage"]);
    assert!(Path::new(&d("merged")).join("html/index.html").exists());
    std::fs::remove_file(Path::new(&d("s2")).join("coverage.dat")).unwrap();
    let (code, _, text) = dirql(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("coverage.dat is not here"), "{text}");
}
