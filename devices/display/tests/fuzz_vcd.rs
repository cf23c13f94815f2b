//! The VCD reader and the checkers never panic, whatever the file: a real waveform cut,
//! corrupted, shuffled or padded gives either a verdict or a named error (exit 2 at the
//! CLI), and random frames never crash a rule.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::Cursor;
use std::sync::OnceLock;

use dirql_host::videoport::SyncReading;
use dirql_sim::Frame;
use dirql_testbenches::check::{read_vcd, Checker};
use dirql_testbenches::scenario::{run, RunSettings};
use proptest::prelude::*;

/// A real, short waveform with interrupts in it (written once per test binary).
fn seed_vcd() -> &'static [u8] {
    static V: OnceLock<Vec<u8>> = OnceLock::new();
    V.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("seed.vcd");
        let s = RunSettings {
            device: &dirql_display::DISPLAY,
            scenario: dirql_display::scenario("vblank").unwrap(),
            driver: dirql_display::twin("no-ack").unwrap(),
            seed: 1,
            cycles: 4_500,
            vcd: Some(p.clone()),
            reading: SyncReading::Current,
            cpus: 2,
        };
        run(&s).unwrap();
        std::fs::read(p).unwrap()
    })
}

/// Reads `bytes` as a VCD through every rule; Ok(frames) or Err(message), never a panic.
fn check(bytes: &[u8]) -> Result<u64, String> {
    let mut c = Checker::for_device(&dirql_display::DISPLAY);
    let r = read_vcd("fuzz.vcd", Cursor::new(bytes), |f| c.feed(f)).map_err(|e| e.to_string());
    let _ = c.finish();
    r
}

#[test]
fn the_unmodified_seed_is_checked_and_fails_as_recorded() {
    let mut c = Checker::for_device(&dirql_display::DISPLAY);
    let n = read_vcd("seed", Cursor::new(seed_vcd()), |f| c.feed(f)).unwrap();
    assert_eq!(n, 4_500);
    assert!(c.finish().iter().any(|r| r.verdict == "fail"));
}

#[test]
fn truncation_anywhere_gives_a_verdict_or_a_named_error() {
    let v = seed_vcd();
    // Every prefix length on a coarse grid, plus every cut in the header.
    let header_end = v.windows(15).position(|w| w == b"$enddefinitions").unwrap() + 15;
    let cuts = (0..header_end + 40).chain((header_end..v.len()).step_by(v.len() / 400 + 1));
    for cut in cuts {
        let whole_line = cut == 0 || v[cut - 1] == b'\n';
        match check(&v[..cut]) {
            Ok(frames) => {
                assert!(frames <= 4_500);
                assert!(whole_line, "cut at byte {cut}, mid-line, was accepted as a complete waveform");
            }
            Err(e) => {
                assert!(e.contains("fuzz.vcd"), "error does not name the file: {e}");
                if !whole_line && cut > header_end {
                    assert!(e.contains("truncated"), "cut at byte {cut}: {e}");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn corrupted_bytes_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..40)) {
        let mut v = seed_vcd().to_vec();
        for (i, b) in flips {
            let at = i.index(v.len());
            v[at] = b;
        }
        if let Err(e) = check(&v) {
            prop_assert!(e.contains("fuzz.vcd"), "error does not name the file: {}", e);
        }
    }

    #[test]
    fn dropped_duplicated_and_garbage_lines_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, "[ -~]{0,20}"), 1..30)
    ) {
        let text = String::from_utf8_lossy(seed_vcd()).into_owned();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (i, op, junk) in edits {
            let at = i.index(lines.len());
            match op {
                0 => { lines.remove(at); }
                1 => { let l = lines[at].clone(); lines.insert(at, l); }
                _ => lines.insert(at, junk),
            }
        }
        let _ = check(lines.join("\n").as_bytes());
    }

    #[test]
    fn random_frames_never_crash_a_rule(frames in prop::collection::vec(any::<[u8; 24]>(), 1..400)) {
        let mut c = Checker::for_device(&dirql_display::DISPLAY);
        for (i, b) in frames.iter().enumerate() {
            let f = Frame {
                cycle: i as u64 + 1,
                rst_n: b[0] & 1 != 0,
                frame_n: b[1] & 1 != 0,
                irdy_n: b[2] & 1 != 0,
                trdy_n: b[3] & 1 != 0,
                devsel_n: b[4] & 1 != 0,
                stop_n: b[5] & 1 != 0,
                cbe_n: b[6] & 0xF,
                ad: u32::from_le_bytes([b[7], b[8], b[9], b[10]]),
                par: b[11] & 1 != 0,
                idsel: b[12] & 1 != 0,
                ad_drivers: b[13] & 3,
                inta_n: b[14] & 1 != 0,
                dev_inta_n: b[15] & 1 != 0,
                irql: [b[16] & 31, b[17] & 31],
                routine: [b[18] & 15, b[19] & 15],
                op: [b[20], b[21]],
                isr_ret: b[22] & 15,
                lock_owner: b[23] & 3,
                pic: b[0] >> 4,
                bus_cpu: b[1] >> 6,
                posted: b[2] >> 4,
                note: [u32::from(b[3]) << 28 | u32::from(b[4]), 0],
                dev: [u32::from(b[5] & 31), u32::from(b[6] & 31), u32::from(b[7]), u32::from(b[8]), u32::from(b[9]), u32::from(b[10]), u32::from(b[11]), 0],
                // Random vectors taken by random CPUs: the MSI paths of the rules too.
                msi: u16::from(b[12] & b[13]) << (8 * (b[14] & 1)),
                bus_issuer: u16::from(b[5]) << 8 | u16::from(b[6]),
                exclusive: b[7] & 3,
                // Random host-RAM reads and landings: the dma-ordering rule too.
                ram_read: [u32::from_le_bytes([b[8] | 1, b[9], b[10], 0x10]), 0],
                dma_landed: u16::from(b[11] & 7),
                ..Frame::default()
            };
            c.feed(&f);
        }
        let _ = c.finish();
    }
}

#[test]
fn a_waveform_from_before_host_msi_existed_still_checks_the_same() {
    // Waveforms written before the MSI probe was added lack `host.msi`: it is optional.
    let v = seed_vcd();
    let text = std::str::from_utf8(v).unwrap();
    let old: String = text
        .lines()
        .filter(|l| !(l.trim_start().starts_with("$var") && l.contains(" msi ")))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(old.len() < text.len(), "the seed waveform has a host.msi variable to drop");
    let verdicts = |bytes: &[u8]| {
        let mut c = Checker::for_device(&dirql_display::DISPLAY);
        read_vcd("w", Cursor::new(bytes), |f| c.feed(f)).unwrap();
        c.finish().into_iter().map(|r| (r.name, r.verdict, r.violations.len())).collect::<Vec<_>>()
    };
    assert_eq!(verdicts(old.as_bytes()), verdicts(v));
}

#[test]
fn a_vcd_with_systemverilog_types_checks_like_the_original() {
    // GTKWave's fst2vcd and SystemVerilog simulators write `$var logic`, `bit`, `int`, and
    // scopes such as `interface`: the rules read values, not types, so such a file must
    // check exactly like the Verilog-typed original.
    let v = std::str::from_utf8(seed_vcd()).unwrap();
    let (mut n, mut scopes) = (0, 0);
    let sv: String = v
        .lines()
        .map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            let out = if t.starts_with(&["$var", "wire", "1"]) {
                n += 1;
                l.replacen("wire", "bit", 1)
            } else if t.starts_with(&["$var", "wire"]) {
                l.replacen("wire", "logic", 1)
            } else if t.starts_with(&["$scope", "module"]) {
                scopes += 1;
                // Every other scope, the top one included.
                if scopes % 2 == 1 {
                    l.replacen("module", "interface", 1)
                } else {
                    l.to_string()
                }
            } else {
                l.to_string()
            };
            out + "\n"
        })
        .collect();
    assert!(n > 10 && sv.contains("$var logic") && sv.contains("$scope interface"));
    let verdicts = |bytes: &[u8]| {
        let mut c = Checker::for_device(&dirql_display::DISPLAY);
        let frames = read_vcd("w", Cursor::new(bytes), |f| c.feed(f)).unwrap();
        (frames, c.finish().into_iter().map(|r| (r.name, r.verdict, r.violations.len())).collect::<Vec<_>>())
    };
    assert_eq!(verdicts(sv.as_bytes()), verdicts(v.as_bytes()));
}

/// The fast VCD body scanner against the `vcd` crate's own parser, on real waveforms of
/// several scenarios and drivers: the same frames.
#[test]
fn the_fast_body_scanner_gives_the_crates_frames_on_real_waveforms() {
    use dirql_testbenches::check::read_vcd_with_crate;
    let frames = |bytes: &[u8], fast: bool| {
        let mut out = Vec::new();
        let r = if fast {
            read_vcd("t", std::io::Cursor::new(bytes), |f| out.push(*f))
        } else {
            read_vcd_with_crate("t", std::io::Cursor::new(bytes), |f| out.push(*f))
        };
        r.expect("valid VCD");
        out
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for (scenario, driver) in [
        ("vblank", "reference"),
        ("mode-set", "unsync-crtc"),
        ("shared-line", "claims-foreign"),
        ("sync-readings", "reference"),
    ] {
        let p = dir.path().join(format!("{scenario}.vcd"));
        let s = RunSettings {
            device: &dirql_display::DISPLAY,
            scenario: dirql_display::scenario(scenario).expect("scenario"),
            driver: dirql_display::twin(driver).expect("driver"),
            seed: 3,
            cycles: 12_000,
            vcd: Some(p.clone()),
            reading: SyncReading::ReactOs,
            cpus: 2,
        };
        run(&s).expect("run");
        let bytes = std::fs::read(&p).expect("vcd");
        let (a, b) = (frames(&bytes, true), frames(&bytes, false));
        assert_eq!(a.len(), 12_000, "{scenario}");
        assert!(a == b, "{scenario}: the fast scanner's frames differ from the crate's");
        assert!(a.iter().any(|f| f.dev[0] != 0 && f.note.iter().any(|&n| n != 0) || f.isr_ret != 0));
    }
}
