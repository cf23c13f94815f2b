//! The checker's quiet-cycle path (`Rule::on_repeat`, taken for a frame equal to the
//! previous one in every signal) gives the verdicts, violations, counts, excerpts and
//! timing statistics that feeding every frame through `Rule::on_frame` gives: on the
//! waveforms of every scenario with its broken driver and RTL twins, and on random frame
//! sequences with long runs of repeats.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::Cursor;

use dirql_host::videoport::SyncReading;
use dirql_sim::Frame;
use dirql_testbenches::check::{read_vcd, Checker, RuleReport, SourceTiming};
use dirql_testbenches::device::Device;
use dirql_testbenches::scenario::{run_with, RunOptions, RunSettings};
use proptest::prelude::*;

/// The rules' reports and the timing statistics of a checked waveform.
type Verdicts = (Vec<RuleReport>, Vec<SourceTiming>);

fn verdicts(c: Checker) -> Verdicts {
    let (r, t) = c.finish_all();
    (r, t.sources().to_vec())
}

/// Checks `vcd` with and without the quiet path; both verdicts, and how many frames were
/// quiet repeats.
fn both_ways(vcd: &[u8]) -> (Verdicts, Verdicts, u64) {
    let mut quick = Checker::for_device(&dirql_display::DISPLAY);
    let mut full = Checker::for_device(&dirql_display::DISPLAY).without_quiet_path();
    let (mut prev, mut repeats) = (None::<Frame>, 0);
    read_vcd("w", Cursor::new(vcd), |f| {
        quick.feed(f);
        full.feed(f);
        if prev.is_some_and(|p| dirql_testbenches::check::is_quiet_repeat(&p, f)) {
            repeats += 1;
        }
        prev = Some(*f);
    })
    .unwrap();
    (verdicts(quick), verdicts(full), repeats)
}

#[test]
fn every_scenario_and_twin_checks_the_same_with_the_quiet_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = &dirql_display::DISPLAY;
    let mut runs = Vec::new();
    for s in d.scenarios() {
        for t in d.drivers().into_iter().filter(|t| t.scenario.is_none_or(|n| n == s.name)) {
            runs.push((s, t, None));
        }
        for r in d.rtl_twins().iter().filter(|r| r.scenario == Some(s.name)) {
            runs.push((s, d.drivers()[0], Some(r)));
        }
    }
    let mut failing = 0;
    for (i, (scenario, driver, rtl)) in runs.iter().enumerate() {
        let vcd = dir.path().join(format!("{i}.vcd"));
        let settings = RunSettings {
            device: d,
            scenario,
            driver,
            seed: 2,
            cycles: 12_000,
            vcd: Some(vcd.clone()),
            reading: SyncReading::Current,
            cpus: 2,
        };
        let live = run_with(&settings, &RunOptions { rtl: *rtl, ..RunOptions::default() }).unwrap();
        let bytes = std::fs::read(&vcd).unwrap();
        let (quick, full, repeats) = both_ways(&bytes);
        let what = format!("{} / {} / {:?}", scenario.name, driver.name, rtl.map(|r| r.name));
        assert!(repeats > 1_000, "{what}: only {repeats} quiet repeats, the path is not exercised");
        assert_eq!(quick, full, "{what}: the quiet path changed the verdict");
        // The live run took the quiet path as well: its rules agree with the full check.
        let live_rules: Vec<_> = live.rules.iter().filter(|r| r.name != "run-completed").cloned().collect();
        let full_rules: Vec<_> = full.0.iter().map(|r| (r.name.clone(), r.verdict, r.checked)).collect();
        let live_rules: Vec<_> = live_rules.iter().map(|r| (r.name.clone(), r.verdict, r.checked)).collect();
        assert_eq!(live_rules, full_rules, "{what}: live and full check disagree");
        failing += usize::from(full.0.iter().any(|r| r.verdict == "fail"));
    }
    // The twins fail: the comparison covered violations, not only passes.
    assert!(failing >= runs.len() / 2, "{failing} of {} runs fail", runs.len());
}

/// A frame from random bytes; `calm` clears the one-cycle pulses and releases reset, so
/// that its repeats are quiet.
fn frame(cycle: u64, b: &[u8; 24], calm: bool) -> Frame {
    let mut f = Frame {
        cycle,
        rst_n: b[0] & 1 != 0,
        frame_n: b[1] & 3 != 0,
        irdy_n: b[2] & 3 != 0,
        trdy_n: b[3] & 3 != 0,
        devsel_n: b[4] & 3 != 0,
        stop_n: b[5] & 3 != 0,
        cbe_n: b[6] & 0xF,
        ad: u32::from_le_bytes([b[7], b[8], b[9], b[10]]),
        par: b[11] & 1 != 0,
        idsel: b[12] & 1 != 0,
        ad_drivers: b[13] & 3,
        inta_n: b[14] & 1 != 0,
        dev_inta_n: b[15] & 1 != 0,
        irql: [[0, 2, 3, 16][usize::from(b[16] & 3)], [0, 2, 3, 31][usize::from(b[17] & 3)]],
        routine: [b[18] % 9, b[19] % 9],
        op: [b[20] & 15, b[21] & 15],
        isr_ret: b[22] & 15,
        lock_owner: b[23] % 3,
        pic: b[0] >> 4,
        bus_cpu: b[1] >> 6,
        posted: b[2] >> 6,
        note: [u32::from(b[3] & 3) << 28 | u32::from(b[4]), u32::from(b[5] & 3) << 28 | u32::from(b[6])],
        dev: [
            u32::from(b[5] & 31),
            u32::from(b[6] & 31),
            u32::from(b[7]),
            u32::from(b[8] & 3),
            u32::from(b[9]),
            u32::from(b[10]),
            u32::from(b[11]) << 1 & 0x100 | u32::from(b[12]),
            u32::from(b[13] & b[14] & 31),
        ],
        msi: u16::from(b[12] & b[13]) << (8 * (b[14] & 1)),
        bus_issuer: u16::from(b[5]) << 8 | u16::from(b[6]),
        exclusive: b[7] & 3,
        slot: 0,
        ram_read: [0; 2],
        dma_landed: 0,
    };
    if calm {
        f.rst_n = true;
        f.isr_ret = 0;
        f.msi = 0;
        f.pic &= dirql_sim::PIC_IN_SERVICE | dirql_sim::PIC_MASKED;
        if b[1] & 4 != 0 {
            // Nothing excluding the ISR: what waits for delivery counts its cycles.
            (f.pic, f.lock_owner, f.irql) = (0, 0, [0, 0]);
            f.routine = [b[18] % 2, b[19] % 2];
        }
    }
    f
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Runs of repeats short, and as long as the rules' bounds (stall 330 cycles, ISR
    /// budget ~833, delivery 1000, DPC budget ~3333), so that what they time crosses them
    /// inside a run.
    #[test]
    fn random_frames_with_repeats_check_the_same(
        steps in prop::collection::vec(
            (any::<[u8; 24]>(), any::<bool>(), prop_oneof![0u16..8, 300u16..1100, 3200u16..3400]),
            1..24,
        )
    ) {
        let mut quick = Checker::for_device(&dirql_display::DISPLAY);
        let mut full = Checker::for_device(&dirql_display::DISPLAY).without_quiet_path();
        let mut cycle = 0;
        for (b, calm, repeats) in &steps {
            let f = frame(cycle + 1, b, *calm);
            for k in 0..=u64::from(*repeats) {
                let g = Frame { cycle: f.cycle + k, ..f };
                quick.feed(&g);
                full.feed(&g);
            }
            cycle = f.cycle + u64::from(*repeats);
        }
        prop_assert_eq!(verdicts(quick), verdicts(full));
    }
}
