//! The host-side scenarios' own observations (RunResult fields that the signal-level rules
//! do not cover): where the readings of VideoPortSynchronizeExecution differ on two CPUs,
//! and ISR chaining on the shared INTA# line.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::fs::File;
use std::io::BufReader;

use dirql_display::{regs, regs_ext as ext, Variant};
use dirql_host::videoport::SyncReading;
use dirql_sim::{Command, Frame, Routine};
use dirql_testbenches::check::{read_vcd, DataPhase, PciDecoder};
use dirql_testbenches::scenario::{run, RunResult, RunSettings};

fn run_with(scenario: &str, driver: &str, seed: u64, reading: SyncReading) -> RunResult {
    let sc = dirql_display::scenario(scenario).expect("scenario exists");
    run(&RunSettings {
        device: &dirql_display::DISPLAY,
        scenario: sc,
        driver: dirql_display::twin(driver).expect("driver exists"),
        seed,
        cycles: sc.default_cycles,
        vcd: None,
        reading,
        cpus: 2,
    })
    .expect("run starts")
}

#[test]
fn sync_readings_isr_overlaps_a_high_priority_routine_only_under_reactos() {
    for seed in 1..=4 {
        for reading in SyncReading::ALL {
            let r = run_with("sync-readings", "reference", seed, reading);
            assert!(r.stopped.is_none(), "{} seed {seed}: {:?}", reading.name(), r.stopped);
            assert!(r.interrupts >= 5, "{} seed {seed}: only {} interrupts", reading.name(), r.interrupts);
            match reading {
                SyncReading::ReactOs => assert!(
                    r.sync_overlap_cycles > 0,
                    "seed {seed}: reactos VpHighPriority takes no lock, yet the ISR on CPU1 never overlapped it"
                ),
                _ => assert_eq!(
                    r.sync_overlap_cycles,
                    0,
                    "{} seed {seed}: the ISR ran during a VpHighPriority routine",
                    reading.name()
                ),
            }
        }
    }
}

#[test]
fn shared_line_reference_leaves_the_other_devices_interrupts_to_its_isr() {
    for seed in 1..=4 {
        let r = run_with("shared-line", "reference", seed, SyncReading::Current);
        assert_eq!(r.verdict, "pass", "seed {seed}: {:?}", r.rules);
        let d = r.second_device.clone().unwrap();
        assert!(d.raised >= 4, "seed {seed}: the second device raised only {} interrupts", d.raised);
        assert_eq!(d.serviced + u64::from(d.pending_at_end), d.raised, "seed {seed}: {d:?}");
        assert_eq!((r.unclaimed, r.storms), (0, 0), "seed {seed}");
        // Both devices' interrupts were taken: more than the second device's alone.
        assert!(r.interrupts > d.serviced, "seed {seed}: no display interrupt among {}", r.interrupts);
    }
}

#[test]
fn other_scenarios_have_no_second_device_and_no_storm() {
    let r = run_with("vblank", "reference", 1, SyncReading::Current);
    assert!(r.second_device.is_none());
    assert_eq!(r.storms, 0);
    assert!(r.bug_check.is_none());
}

#[test]
fn never_dismissing_storms_and_the_os_disables_the_line() {
    let r = run_with("vblank", "no-ack", 1, SyncReading::Current);
    assert_eq!(r.storms, 1);
    let at = r.line_disabled_at.unwrap();
    assert!(at > 2000 && at < 20_000, "line disabled at cycle {at}");
    // The storm threshold (500 deliveries with the line still low at EOI) was reached.
    assert!(r.interrupts >= 500, "{} deliveries", r.interrupts);
}

#[test]
fn claims_foreign_starves_the_other_device_until_the_os_disables_the_line() {
    // Long enough for 500 deliveries with the line still low (each ISR dismisses the
    // retrace through CR11, several I/O accesses).
    let sc = dirql_display::scenario("shared-line").unwrap();
    let r = run(&RunSettings {
        device: &dirql_display::DISPLAY,
        scenario: sc,
        driver: dirql_display::twin("claims-foreign").unwrap(),
        seed: 1,
        cycles: 40_000,
        vcd: None,
        reading: SyncReading::Current,
        cpus: 2,
    })
    .unwrap();
    let d = r.second_device.clone().unwrap();
    assert!(d.raised >= 1);
    assert_eq!(d.serviced, 0, "the second device's ISR ran although the display ISR claimed everything");
    assert_eq!(r.storms, 1, "the line stayed low through every EOI: a storm");
    assert!(r.line_disabled_at.is_some());
    // The reference on the same seed serviced it.
    let ok = run_with("shared-line", "reference", 1, SyncReading::Current);
    assert!(ok.second_device.unwrap().serviced >= 1);
}

#[test]
fn bug_check_variants_stop_with_their_stop_code_at_the_cycle_reported() {
    for v in ["forbidden-call", "slow-high-priority"] {
        let var = Variant::by_name(v).unwrap();
        let r = run_with(var.scenario.unwrap(), v, 2, SyncReading::Current);
        let b = r.bug_check.clone().unwrap_or_else(|| panic!("{v}: no bug check"));
        assert_eq!(Some(b.code), dirql_display::expected_stop_code(v), "{v}");
        assert!(dirql_host::stop_codes::IRQL_DISCIPLINE.contains(&b.code));
        // One cycle shows the CPU as it was at the breach, the next the bug check; the run
        // stops there.
        assert_eq!(r.cycles, b.cycle + 1, "{v}: the run went on past the bug check");
        assert!(
            r.cycles < dirql_display::scenario(var.scenario.unwrap()).unwrap().default_cycles,
            "{v}: ran to the end"
        );
    }
}

/// Frames of a run's waveform, decoded: (frame, data phase completed in it, BAR0).
fn frames(scenario: &str, driver: &str, seed: u64) -> Vec<(Frame, Option<DataPhase>, Option<u32>)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.vcd");
    let sc = dirql_display::scenario(scenario).unwrap();
    run(&RunSettings {
        device: &dirql_display::DISPLAY,
        scenario: sc,
        driver: dirql_display::twin(driver).unwrap(),
        seed,
        cycles: sc.default_cycles,
        vcd: Some(path.clone()),
        reading: SyncReading::Current,
        cpus: 2,
    })
    .unwrap();
    let mut dec = PciDecoder::default();
    let mut out = Vec::new();
    read_vcd("w", BufReader::new(File::open(&path).unwrap()), |f| {
        let ph = dec.feed(f);
        out.push((*f, ph, dec.bars()[0].map(|b| b & !0xF)));
    })
    .unwrap();
    out
}

#[test]
fn dpc_touches_int_enable_only_inside_a_synchronized_routine_unless_dpc_unsync() {
    let enable_writes_from_bare_dpc = |driver: &str| {
        frames("vblank", driver, 1)
            .iter()
            .filter(|(f, ph, bar0)| match (ph, bar0) {
                (Some(ph), Some(b)) if ph.addr == b + regs::REG_INT_ENABLE && ph.bus_cpu > 0 => {
                    f.routine[usize::from(ph.bus_cpu - 1)] == Routine::Dpc as u8
                }
                _ => false,
            })
            .count()
    };
    assert_eq!(enable_writes_from_bare_dpc("reference"), 0);
    assert!(enable_writes_from_bare_dpc("dpc-unsync") > 0, "the unsynchronized DPC never showed on the bus");
}

#[test]
fn mode_writes_carry_the_burst_note_unless_the_sequence_is_split() {
    let mode_writes = |driver: &str| {
        let (mut noted, mut bare) = (0, 0);
        for (f, ph, bar0) in frames("mode-set", driver, 1) {
            if let (Some(ph), Some(b)) = (ph, bar0) {
                let off = ph.addr.wrapping_sub(b);
                if ph.cmd == Some(Command::MemWrite) && (ext::REG_MODE0..ext::REG_MODE0 + 32).contains(&off) {
                    let note = f.note[usize::from(ph.bus_cpu.max(1) - 1)];
                    if note >> 28 == 2 {
                        noted += 1;
                    } else {
                        bare += 1;
                    }
                }
            }
        }
        (noted, bare)
    };
    let (noted, bare) = mode_writes("reference");
    assert!(noted >= 8 && bare == 0, "reference: {noted} noted, {bare} bare MODE writes");
    let (noted, bare) = mode_writes("split-sequence");
    assert!(noted == 0 && bare >= 8, "split-sequence: {noted} noted, {bare} bare MODE writes");
}
