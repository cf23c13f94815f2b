//! The FST reader never takes the process down, whatever the file: a real FST cut anywhere
//! is refused as truncated, and one with corrupted bytes gives a verdict or a named error
//! (exit 2 at the CLI), never a panic that escapes or a crash. The same holds for an FST
//! whose run was killed, read with the hierarchy file its writer left, when either file is
//! damaged.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::Cursor;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use dirql_host::videoport::SyncReading;
use dirql_testbenches::check::{read_fst, read_fst_recovering, Checker};
use dirql_testbenches::scenario::{run, RunSettings};
use proptest::prelude::*;

/// A real waveform with interrupts in it, two value-change blocks long (written once).
fn seed_fst() -> &'static [u8] {
    static F: OnceLock<Vec<u8>> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("seed.fst");
        let s = RunSettings {
            device: &dirql_display::DISPLAY,
            scenario: dirql_display::scenario("vblank").unwrap(),
            driver: dirql_display::twin("no-ack").unwrap(),
            seed: 1,
            cycles: 70_000,
            vcd: Some(p.clone()),
            reading: SyncReading::Current,
            cpus: 2,
        };
        run(&s).unwrap();
        std::fs::read(p).unwrap()
    })
}

/// Reads `bytes` as an FST through every rule; Ok(frames) or Err(message).
fn check(bytes: &[u8]) -> Result<u64, String> {
    let mut c = Checker::for_device(&dirql_display::DISPLAY);
    let r = read_fst("fuzz.fst", Cursor::new(bytes), |f| c.feed(f)).map_err(|e| e.to_string());
    let _ = c.finish();
    r
}

#[test]
fn the_unmodified_seed_is_checked_and_fails_as_recorded() {
    assert_eq!(check(seed_fst()), Ok(70_000));
}

#[test]
fn a_cut_anywhere_is_refused_as_truncated() {
    let v = seed_fst();
    // Every cut in the header block, then a coarse grid over the rest.
    let cuts = (1..400).chain((400..v.len()).step_by(v.len() / 300 + 1)).chain([v.len() - 1]);
    for cut in cuts {
        let e = check(&v[..cut]).expect_err("a cut FST was accepted");
        assert!(e.contains("fuzz.fst") && e.contains("truncated"), "cut at byte {cut}: {e}");
    }
}

/// (type, offset of the type byte, section length) of every block.
fn blocks(v: &[u8]) -> Vec<(u8, usize, usize)> {
    let (mut pos, mut out) = (0usize, Vec::new());
    while pos + 9 <= v.len() {
        let len = u64::from_be_bytes(v[pos + 1..pos + 9].try_into().unwrap()) as usize;
        out.push((v[pos], pos, len));
        pos += 1 + len;
    }
    out
}

#[test]
fn a_damaged_size_is_refused_before_the_reader_allocates_for_it() {
    // Each of these, left to the reader, asks for far more memory than exists, and a
    // failed allocation aborts the process: this test then dies instead of failing.
    let v = seed_fst();
    let b = blocks(v);
    let find = |t: u8| b.iter().copied().find(|x| x.0 == t).unwrap();
    let (_, geom, _) = find(3);
    let (_, hier, _) = find(6);
    let (_, vc, vc_len) = find(8);
    let vc_end = vc + 1 + vc_len;
    let t_comp = u64::from_be_bytes(v[vc_end - 16..vc_end - 8].try_into().unwrap()) as usize;
    let huge = (1u64 << 60).to_be_bytes();
    for (what, at) in [
        ("hierarchy length", hier + 9),
        ("geometry length", geom + 9),
        ("signal count", geom + 17),
        ("time count", vc_end - 8),
        ("time table length", vc_end - 16),
        ("signal index length", vc_end - 24 - t_comp - 8),
    ] {
        let mut d = v.to_vec();
        d[at..at + 8].copy_from_slice(&huge);
        let e = check(&d).expect_err(what);
        assert!(e.contains("fuzz.fst") && e.contains("not a valid FST"), "{what}: {e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn corrupted_bytes_never_escape_as_a_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20)) {
        let mut v = seed_fst().to_vec();
        for (i, b) in flips {
            let at = i.index(v.len());
            v[at] = b;
        }
        if let Err(e) = check(&v) {
            prop_assert!(e.contains("fuzz.fst"), "error does not name the file: {}", e);
        }
    }
}

/// Value-change blocks the writer finished, up to the block it is writing.
fn finished_blocks(v: &[u8]) -> u64 {
    let (mut pos, mut n) = (0usize, 0);
    while pos + 9 <= v.len() {
        let len = u64::from_be_bytes(v[pos + 1..pos + 9].try_into().unwrap()) as usize;
        if len == 0 || pos + 1 + len > v.len() {
            break;
        }
        n += u64::from(matches!(v[pos], 1 | 5 | 8));
        pos += 1 + len;
    }
    n
}

/// A real FST whose run (`no-ack`, so the rules find violations) was killed after its
/// writer finished two blocks, and the hierarchy file its writer left (made once).
fn killed_fst() -> &'static (Vec<u8>, Vec<u8>) {
    static F: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("killed.fst");
        let mut child = Command::new(env!("CARGO_BIN_EXE_dirql"))
            .args(["run", "vblank", "--driver", "no-ack", "--cycles", "500000000", "--wave", p.to_str().unwrap()])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while finished_blocks(&std::fs::read(&p).unwrap_or_default()) < 2 {
            assert!(start.elapsed() < Duration::from_secs(120), "the run never got going");
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        (std::fs::read(&p).unwrap(), std::fs::read(dir.path().join("killed.fst.hier")).unwrap())
    })
}

/// Reads `fst` with the side file `hier` through every rule: Ok(frames) or Err(message).
fn recover(fst: &[u8], hier: &[u8]) -> Result<u64, String> {
    let mut c = Checker::for_device(&dirql_display::DISPLAY);
    let side = Ok(Cursor::new(hier.to_vec()));
    let r = read_fst_recovering("fuzz.fst", Cursor::new(fst), "fuzz.fst.hier", side, |f| c.feed(f));
    let _ = c.finish();
    match r {
        Ok(r) if r.recovered.is_some() => Ok(r.frames),
        Ok(r) => Err(format!("read as a closed file: {r:?}")),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn the_killed_seed_is_recovered_to_its_last_finished_block() {
    let (fst, hier) = killed_fst();
    let blocks = finished_blocks(fst);
    assert_eq!(recover(fst, hier), Ok(blocks * 65_536));
}

#[test]
fn a_cut_hierarchy_file_is_refused_naming_it() {
    let (fst, hier) = killed_fst();
    let cuts = (0..200).chain((200..hier.len()).step_by(hier.len() / 200 + 1));
    for cut in cuts {
        // The last entries close scopes: a cut there loses no signal.
        if let Err(e) = recover(fst, &hier[..cut]) {
            assert!(e.contains("fuzz.fst.hier"), "cut at byte {cut}: {e}");
        } else {
            assert!(cut > hier.len() - 16, "a hierarchy cut at byte {cut} of {} was accepted", hier.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_corrupted_hierarchy_file_never_escapes_as_a_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20)) {
        let (fst, hier) = killed_fst();
        let mut h = hier.clone();
        for (i, b) in flips {
            let at = i.index(h.len());
            h[at] = b;
        }
        if let Err(e) = recover(fst, &h) {
            prop_assert!(e.contains("fuzz.fst"), "error does not name the file: {}", e);
        }
    }

    #[test]
    fn a_corrupted_killed_fst_never_escapes_as_a_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20)) {
        let (fst, hier) = killed_fst();
        let mut v = fst.clone();
        for (i, b) in flips {
            let at = i.index(v.len());
            v[at] = b;
        }
        if let Err(e) = recover(&v, hier) {
            prop_assert!(e.contains("fuzz.fst"), "error does not name the file: {}", e);
        }
    }
}
