//! FST waveforms (`dirql run --wave FILE.fst`, Verilator's FST writer): checked afterwards
//! they give exactly the verdicts of the live run and of the same seed's VCD, at the same
//! cycles; they hold the VCD's frames cycle for cycle; the `.gtkw` beside them opens them;
//! a seed's FST is byte-identical; and a file that is not a whole FST is refused with
//! exit 2 and a message naming it.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use dirql_testbenches::device::Device as _;
use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::{Path, PathBuf};
use std::process::Command;

use dirql_display::Variant;
use dirql_host::videoport::SyncReading;
use dirql_host::{Machine, MachineConfig};
use dirql_sim::Frame;
use dirql_testbenches::check::{read_fst, read_vcd, Checker, RuleReport};
use dirql_testbenches::manifest::RunManifest;
use dirql_testbenches::scenario::{run, RunResult, RunSettings, RUN_RULE};
use serde_json::Value;

fn dirql(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dirql")).args(args).output().expect("dirql runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// One rule's verdict: (name, verdict, checked, [(cycle, message)]).
type Verdict = (String, String, u64, Vec<(u64, String)>);

/// The signal-level rules of a JSON report: everything a verdict consists of.
/// `run-completed` is the run's own rule, not a rule on the waveform, so a check does not
/// report it.
fn verdicts(report: &Value) -> Vec<Verdict> {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["name"] != RUN_RULE)
        .map(|r| {
            let v = r["violations"].as_array().unwrap();
            (
                r["name"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
                r["checked"].as_u64().unwrap(),
                v.iter().map(|x| (x["cycle"].as_u64().unwrap(), x["message"].as_str().unwrap().to_string())).collect(),
            )
        })
        .collect()
}

fn first_violation(report: &Value) -> Option<(u64, String)> {
    verdicts(report).into_iter().flat_map(|(name, _, _, v)| v.into_iter().map(move |(c, _)| (c, name.clone()))).min()
}

#[test]
fn checking_an_fst_gives_the_verdicts_of_the_live_run_and_of_the_vcd() {
    let dir = tempfile::tempdir().unwrap();
    // (scenario, driver, seed, exit status): a passing driver and two broken twins.
    for (scenario, driver, seed, exit) in
        [("vblank", "reference", 7, 0), ("vblank", "no-ack", 7, 1), ("mode-set", "no-readback", 2, 1)]
    {
        let wave = |ext: &str| dir.path().join(format!("{scenario}-{driver}.{ext}"));
        let (fst, vcd) = (wave("fst"), wave("vcd"));
        let seed = seed.to_string();
        let base = ["run", scenario, "--driver", driver, "--seed", seed.as_str(), "--json"];
        let (code, out, err) = dirql(&[&base[..], &["--wave", fst.to_str().unwrap()]].concat());
        assert_eq!(code, exit, "{driver}: run writing FST: {err}");
        let live_fst = json(&out);
        assert_eq!(live_fst["waveform"], fst.display().to_string());
        assert_eq!(live_fst["waveform_format"], "fst");
        assert!(live_fst["vcd"].is_null(), "an FST run reports no VCD");
        let (code, out, _) = dirql(&[&base[..], &["--vcd", vcd.to_str().unwrap()]].concat());
        assert_eq!(code, exit, "{driver}: run writing VCD");
        let live_vcd = json(&out);
        assert_eq!(live_vcd["waveform_format"], "vcd");
        let (code, out, _) = dirql(&base);
        assert_eq!(code, exit, "{driver}: run without a waveform");
        let live = json(&out);

        let (code, out, err) = dirql(&["check", fst.to_str().unwrap(), "--json"]);
        assert_eq!(code, exit, "{driver}: check of the FST: {err}");
        let checked_fst = json(&out);
        let (code, out, _) = dirql(&["check", vcd.to_str().unwrap(), "--json"]);
        assert_eq!(code, exit, "{driver}: check of the VCD");
        let checked_vcd = json(&out);

        let want = verdicts(&live);
        assert!(want.len() >= 9, "{driver}: only {} rules", want.len());
        assert_eq!(verdicts(&live_fst), want, "{driver}: tracing to FST changed the live verdicts");
        assert_eq!(verdicts(&live_vcd), want, "{driver}: tracing to VCD changed the live verdicts");
        assert_eq!(verdicts(&checked_fst), want, "{driver}: the FST's verdicts differ from the live run's");
        assert_eq!(verdicts(&checked_vcd), want, "{driver}: the VCD's verdicts differ from the live run's");
        assert_eq!(checked_fst["cycles"], live["cycles"]);
        assert_eq!(checked_fst["timing"], checked_vcd["timing"], "{driver}: interrupt timing differs");
        let first = first_violation(&checked_fst);
        assert_eq!(first, first_violation(&live), "{driver}: first violation");
        match exit {
            0 => assert_eq!(first, None),
            _ => {
                let breaks = Variant::by_name(driver).unwrap().breaks.unwrap();
                let (cycle, rule) = first.unwrap();
                assert_eq!(rule, breaks, "{driver}: the first violation is not of the rule it breaks");
                assert!(cycle > 0);
            }
        }
        // Why one writes FST for long runs: the same run, far smaller.
        let (f, v) = (std::fs::metadata(&fst).unwrap().len(), std::fs::metadata(&vcd).unwrap().len());
        assert!(f * 10 < v, "{driver}: FST {f} bytes against VCD {v} bytes");
    }
}

#[test]
fn the_save_file_beside_an_fst_opens_the_fst() {
    let dir = tempfile::tempdir().unwrap();
    let fst = dir.path().join("race.fst");
    let (code, out, _) = dirql(&["run", "vblank", "--driver", "no-ack", "--wave", fst.to_str().unwrap()]);
    assert_eq!(code, 1);
    let gtkw = dir.path().join("race.gtkw");
    assert!(out.contains(&format!("wrote: {}", gtkw.display())), "{out}");
    let text = std::fs::read_to_string(&gtkw).unwrap();
    let abs = std::fs::canonicalize(&fst).unwrap();
    assert!(text.contains(&format!("[dumpfile] \"{}\"\n", abs.display())), "{text}");
    assert!(text.contains("[markername] Aisr-dismissal @ cycle"), "{text}");
    assert!(!dir.path().join("race.vcd").exists(), "an FST run wrote a VCD too");
}

fn settings(scenario: &str, driver: &str, seed: u64, cycles: u64, wave: Option<PathBuf>) -> RunSettings {
    RunSettings {
        device: &dirql_display::DISPLAY,
        scenario: dirql_display::scenario(scenario).unwrap(),
        driver: dirql_display::twin(driver).unwrap(),
        seed,
        cycles,
        vcd: wave,
        reading: SyncReading::Current,
        cpus: 2,
    }
}

fn fst_frames(path: &Path) -> Vec<Frame> {
    let mut out = Vec::new();
    read_fst(&path.display().to_string(), BufReader::new(File::open(path).unwrap()), |f| out.push(*f)).unwrap();
    out
}

fn vcd_frames(path: &Path) -> Vec<Frame> {
    let mut out = Vec::new();
    read_vcd(&path.display().to_string(), BufReader::new(File::open(path).unwrap()), |f| out.push(*f)).unwrap();
    out
}

#[test]
fn an_fst_holds_the_frames_of_the_vcd_cycle_for_cycle_on_every_scenario() {
    let dir = tempfile::tempdir().unwrap();
    for (scenario, driver) in [
        ("vblank", "reference"),
        ("mode-set", "unsync-crtc"),
        ("shared-line", "claims-foreign"),
        ("sync-readings", "reference"),
    ] {
        let p = |ext: &str| dir.path().join(format!("{scenario}.{ext}"));
        run(&settings(scenario, driver, 3, 12_000, Some(p("fst")))).unwrap();
        run(&settings(scenario, driver, 3, 12_000, Some(p("vcd")))).unwrap();
        let (f, v) = (fst_frames(&p("fst")), vcd_frames(&p("vcd")));
        assert_eq!(f.len(), 12_000, "{scenario}");
        assert!(f == v, "{scenario}: the FST's frames differ from the VCD's");
        assert!(f.iter().any(|x| x.isr_ret != 0) && f.iter().any(|x| x.dev[0] != 0), "{scenario}: nothing happened");
    }
}

/// Every variable of a VCD as (dotted scope path and name, width), sorted.
fn vcd_vars(path: &Path) -> Vec<(String, u32)> {
    fn walk(items: &[vcd::ScopeItem], prefix: &str, out: &mut Vec<(String, u32)>) {
        for it in items {
            match it {
                vcd::ScopeItem::Scope(s) => walk(&s.items, &format!("{prefix}{}.", s.identifier), out),
                vcd::ScopeItem::Var(v) => out.push((format!("{prefix}{}", v.reference), v.size)),
                _ => {}
            }
        }
    }
    let mut p = vcd::Parser::new(BufReader::new(File::open(path).unwrap()));
    let mut out = Vec::new();
    walk(&p.parse_header().unwrap().items, "", &mut out);
    out.sort();
    out
}

/// Every variable of an FST, the same way (Verilator's FST writer appends ` [msb:lsb]` to
/// a bus's name; the VCD keeps the range apart).
fn fst_vars(path: &Path) -> Vec<(String, u32)> {
    let mut r = fst_reader::FstReader::open(BufReader::new(File::open(path).unwrap())).unwrap();
    let (mut scopes, mut out) = (Vec::<String>::new(), Vec::new());
    r.read_hierarchy(|e| match e {
        fst_reader::FstHierarchyEntry::Scope { name, .. } => scopes.push(name),
        fst_reader::FstHierarchyEntry::UpScope => {
            scopes.pop();
        }
        fst_reader::FstHierarchyEntry::Var { name, length, .. } => {
            let base = name.split(" [").next().unwrap().to_string();
            out.push((format!("{}.{base}", scopes.join(".")), length));
        }
        _ => {}
    })
    .unwrap();
    out.sort();
    out
}

#[test]
fn an_fst_has_the_scopes_and_signals_of_the_vcd() {
    // The waveform contract (docs/waveform.md) holds in both formats: same scopes, same
    // names, same widths, all of them (the rules read 38; people read the rest).
    let dir = tempfile::tempdir().unwrap();
    let p = |ext: &str| dir.path().join(format!("w.{ext}"));
    run(&settings("vblank", "reference", 1, 100, Some(p("fst")))).unwrap();
    run(&settings("vblank", "reference", 1, 100, Some(p("vcd")))).unwrap();
    let (f, v) = (fst_vars(&p("fst")), vcd_vars(&p("vcd")));
    assert!(v.len() > 1000, "only {} variables in the VCD", v.len());
    assert!(v.iter().any(|(n, w)| n == "TOP.dirql_sim_top.host.cpu0_note" && *w == 32));
    assert!(f == v, "FST and VCD declare different variables");
}

/// The rules on an FST, judged as `dirql check` judges it (with the run's manifest).
fn check_fst(path: &Path) -> Vec<RuleReport> {
    let mut c = Checker::for_device(&dirql_display::DISPLAY);
    read_fst(&path.display().to_string(), BufReader::new(File::open(path).unwrap()), |f| c.feed(f)).unwrap();
    let last = c.last_cycle();
    let mut rules = c.finish();
    RunManifest::read(path).unwrap().unwrap().judge(&mut rules, last, &dirql_display::registry());
    rules
}

#[test]
fn every_driver_variant_checked_from_its_fst_gives_its_live_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    for v in dirql_display::DISPLAY.drivers() {
        let scenario = v.scenario.unwrap_or("vblank");
        let path = dir.path().join(format!("{}.fst", v.name));
        let mut s = settings(scenario, v.name, 5, 0, Some(path.clone()));
        s.cycles = s.scenario.default_cycles;
        let live: RunResult = run(&s).unwrap();
        let after = check_fst(&path);
        assert_eq!(after.len(), live.rules.len(), "{}", v.name);
        for a in &after {
            let l = live.rules.iter().find(|r| r.name == a.name).unwrap();
            assert_eq!(l, a, "{}: rule {} differs between live and FST", v.name, a.name);
        }
    }
}

#[test]
fn same_seed_gives_a_byte_identical_fst_and_its_date_is_not_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    run(&settings("vblank", "reference", 42, 20_000, Some(p("a.fst")))).unwrap();
    run(&settings("vblank", "reference", 42, 20_000, Some(p("b.fst")))).unwrap();
    run(&settings("vblank", "reference", 43, 20_000, Some(p("c.fst")))).unwrap();
    let (a, b, c) =
        (std::fs::read(p("a.fst")).unwrap(), std::fs::read(p("b.fst")).unwrap(), std::fs::read(p("c.fst")).unwrap());
    assert!(a == b, "same seed, different FST");
    assert!(a != c, "different seeds gave the same FST");
    // Two runs within one second would share a wall-clock date anyway: look at the field.
    let date = fst_reader::FstReader::open(Cursor::new(&a)).unwrap().get_header().date;
    assert!(date.starts_with("(omitted by dirql"), "header date: {date:?}");
}

/// Value-change blocks in an FST (fstapi block types 1, 5 and 8), by walking its chain.
fn value_change_blocks(bytes: &[u8]) -> usize {
    let (mut pos, mut n) = (0usize, 0);
    while pos + 9 <= bytes.len() {
        let len = u64::from_be_bytes(bytes[pos + 1..pos + 9].try_into().unwrap()) as usize;
        n += usize::from(matches!(bytes[pos], 1 | 5 | 8));
        pos += 1 + len;
    }
    n
}

#[test]
fn the_fst_writer_ends_a_block_every_65536_cycles_whoever_drives_the_model() {
    // Memory of `dirql check` is one block's worth: the model bounds blocks by itself, not
    // only when `dirql run` flushes. 200 000 cycles with no flush from Rust: 4 blocks.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("long.fst");
    let mut m = Machine::new(&MachineConfig { vcd: Some(p.clone()), ..MachineConfig::default() }).unwrap();
    m.run_until(200_000);
    m.close_trace().unwrap();
    drop(m);
    let bytes = std::fs::read(&p).unwrap();
    assert_eq!(value_change_blocks(&bytes), 4, "200 000 cycles in blocks of 65 536");
    let mut frames = 0u64;
    read_fst("long.fst", Cursor::new(&bytes), |_| frames += 1).unwrap();
    assert_eq!(frames, 200_000);
}

/// A real FST of a failing run (written once per test binary).
fn sample_fst() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("sample.fst");
    run(&settings("vblank", "no-ack", 1, 150_000, Some(p.clone()))).unwrap();
    std::fs::read(p).unwrap()
}

#[test]
fn a_file_that_is_not_a_whole_fst_exits_2_naming_it_and_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let good = sample_fst();
    assert!(value_change_blocks(&good) >= 3, "the sample should span several blocks");
    // The block chain of the sample: cut points at and inside its blocks.
    let mut starts = Vec::new();
    let mut pos = 0usize;
    while pos < good.len() {
        starts.push(pos);
        pos += 1 + u64::from_be_bytes(good[pos + 1..pos + 9].try_into().unwrap()) as usize;
    }
    let hierarchy_at = *starts.last().unwrap();
    let mut unfinished = good[..starts[2]].to_vec();
    unfinished.extend_from_slice(&[255, 0, 0, 0, 0, 0, 0, 0, 0, 7, 7, 7]); // fstapi's mark of a block in progress
    let vcd = {
        let p = dir.path().join("real.vcd");
        run(&settings("vblank", "reference", 1, 3_000, Some(p.clone()))).unwrap();
        std::fs::read(p).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.fst", Vec::new(), "is empty"),
        ("text.fst", b"this is not a waveform\n".to_vec(), "is not an FST file"),
        ("a-vcd.fst", vcd, "like a VCD"),
        ("in-header.fst", good[..200].to_vec(), "is truncated"),
        ("mid-block.fst", good[..starts[2] + 1000].to_vec(), "is truncated"),
        ("no-hierarchy.fst", good[..hierarchy_at].to_vec(), "is truncated"),
        ("last-byte.fst", good[..good.len() - 1].to_vec(), "is truncated"),
        ("killed.fst", unfinished, "still being written"),
    ];
    for (name, bytes, needle) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let (code, out, err) = dirql(&["check", p.to_str().unwrap()]);
        assert_eq!(code, 2, "{name}: exit {code}, stdout {out}, stderr {err}");
        assert!(err.contains(&p.display().to_string()) && err.contains(needle), "{name}: {err}");
    }
    // The whole file is fine, and fails as its run did.
    let p = dir.path().join("whole.fst");
    std::fs::write(&p, &good).unwrap();
    assert_eq!(dirql(&["check", p.to_str().unwrap()]).0, 1);
}

#[test]
fn an_fst_of_another_design_exits_2_naming_the_missing_signals() {
    // tests/data/foreign.fst: a one-clock design (GTKWave's vcd2fst of a 3-line VCD).
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/foreign.fst");
    let (code, _, err) = dirql(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("foreign.fst") && err.contains("lacks signals") && err.contains("pci.frame_n"), "{err}");
}

#[test]
fn the_waveform_options_refuse_names_that_lie_about_the_format() {
    // In a scratch folder: were a name accepted, the run would write its files there.
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    let (fst, txt, bare, vcd) = (p("x.fst"), p("x.txt"), p("x"), p("y.vcd"));
    for (args, needle) in [
        (vec!["run", "vblank", "--vcd", &fst], format!("--wave {fst}")),
        (vec!["run", "vblank", "--wave", &txt], ".vcd or .fst".into()),
        (vec!["run", "vblank", "--wave", &bare], ".vcd or .fst".into()),
        (vec!["run", "vblank", "--wave", &fst, "--vcd", &vcd], "cannot be used with".into()),
    ] {
        let (code, _, err) = dirql(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(&needle), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a refused run wrote files");
}
