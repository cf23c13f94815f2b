//! The quiet-cycle fast path must be invisible: the same frames, cycle for cycle, and the
//! same VCD, byte for byte, as stepping every cycle through the host loop.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::cell::RefCell;
use std::rc::Rc;

use dirql_display::{regs, DirqlMiniport, Variant};
use dirql_host::pci::{enumerate, ResourcePlan};
use dirql_host::videoport::{video_port_initialize, VideoDevice, VideoPortConfig};
use dirql_host::{Cpu, Machine, MachineConfig};
use dirql_sim::{Faults, Frame, PinFault};

fn run(fast_path: bool, seed: u64, faults: Faults, vcd: &std::path::Path) -> Vec<Frame> {
    run_mode(fast_path, seed, faults, vcd, false)
}

/// As [`run`]; with `msi`, the miniport takes its interrupts as MSI messages to CPU1.
fn run_mode(fast_path: bool, seed: u64, faults: Faults, vcd: &std::path::Path, msi: bool) -> Vec<Frame> {
    let mut cfg = MachineConfig { seed, fast_path, vcd: Some(vcd.to_path_buf()), ..MachineConfig::default() };
    cfg.bridge.faults = faults;
    let mut m = Machine::new(&cfg).unwrap();
    let frames = Rc::new(RefCell::new(Vec::new()));
    let sink = frames.clone();
    m.observe(Box::new(move |f| sink.borrow_mut().push(*f)));
    m.spawn(
        0,
        Box::new(move |cpu: &Cpu<'_>| {
            let pci = enumerate(cpu, &ResourcePlan::default()).unwrap();
            let dev = VideoDevice::new(VideoPortConfig::default(), pci);
            let mp = Rc::new(DirqlMiniport::new(Variant::by_name("reference").unwrap()));
            if msi {
                mp.use_message_interrupts();
            }
            video_port_initialize(cpu, &dev, mp.clone()).unwrap();
            if msi {
                mp.connect_messages(cpu, &dev, 1).unwrap();
            }
            let bar0 = dev.pci.bars[0].unwrap().base;
            // Long stretches of modelled work between accesses: quiet cycles to skip.
            loop {
                cpu.mem_write32(bar0 + regs::REG_SCRATCH, 1);
                cpu.work(700);
            }
        }),
    );
    m.run_until(12_000);
    m.close_trace().unwrap();
    let out = frames.borrow().clone();
    out
}

#[test]
fn fast_path_gives_the_same_frames_and_the_same_vcd() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [1, 2, 3] {
        let (a, b) = (dir.path().join("fast.vcd"), dir.path().join("slow.vcd"));
        let fast = run(true, seed, Faults::default(), &a);
        let slow = run(false, seed, Faults::default(), &b);
        assert_eq!(fast.len(), 12_000);
        assert_eq!(fast.len(), slow.len());
        if let Some(i) = (0..fast.len()).find(|&i| fast[i] != slow[i]) {
            panic!("seed {seed}: frames differ first at cycle {}: {:?} vs {:?}", i + 1, fast[i], slow[i]);
        }
        assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "seed {seed}: VCDs differ");
        // And the scenario really had interrupts and bus traffic in it.
        assert!(fast.iter().any(|f| f.isr_return(0).is_some() || f.isr_return(1).is_some()));
    }
}

#[test]
fn fast_path_gives_the_same_frames_and_vcd_with_a_pin_fault_armed() {
    // Target aborts and a retry storm armed per transaction, and a broken-RTL variant armed
    // all run long (its DEVSEL# outlives the transaction by a clock, into the quiet cycles
    // that the fast path skips).
    let dir = tempfile::tempdir().unwrap();
    // Each with what shows it on the bus: STOP# (abort, retry); DEVSEL# after the
    // transaction; the adapter on AD in a clock without TRDY# (the turnaround clock).
    type Shows = fn(&Frame) -> bool;
    let cases: [(Faults, Shows); 3] = [
        (Faults { target_abort_every: Some(3), retry_window: Some((6_000, 6_400)), ..Faults::default() }, |f| {
            !f.stop_n
        }),
        (Faults { rtl_mutant: Some(PinFault::LateDevsel), ..Faults::default() }, |f| {
            !f.devsel_n && f.frame_n && f.irdy_n
        }),
        (Faults { rtl_mutant: Some(PinFault::NoTurnaround), ..Faults::default() }, |f| f.ad_drivers == 2 && f.trdy_n),
    ];
    for (i, (faults, shows)) in cases.into_iter().enumerate() {
        let (a, b) = (dir.path().join(format!("fast{i}.vcd")), dir.path().join(format!("slow{i}.vcd")));
        let fast = run(true, 1, faults, &a);
        let slow = run(false, 1, faults, &b);
        assert_eq!(fast.len(), slow.len());
        if let Some(k) = (0..fast.len()).find(|&k| fast[k] != slow[k]) {
            panic!("{faults:?}: frames differ first at cycle {}: {:?} vs {:?}", k + 1, fast[k], slow[k]);
        }
        assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "{faults:?}: VCDs differ");
        assert!(fast.iter().any(shows), "{faults:?}: no trace of the fault on the bus");
    }
}

#[test]
fn fast_path_is_invisible_with_msi_messages_too() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [1, 2] {
        let (a, b) = (dir.path().join("fast.vcd"), dir.path().join("slow.vcd"));
        let fast = run_mode(true, seed, Faults::default(), &a, true);
        let slow = run_mode(false, seed, Faults::default(), &b, true);
        assert_eq!(fast.len(), slow.len());
        if let Some(i) = (0..fast.len()).find(|&i| fast[i] != slow[i]) {
            panic!("seed {seed}: frames differ first at cycle {}: {:?} vs {:?}", i + 1, fast[i], slow[i]);
        }
        assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "seed {seed}: VCDs differ");
        let taken = fast.iter().filter(|f| f.msi_taken(1).is_some()).count();
        assert!(taken >= 4, "seed {seed}: only {taken} messages taken");
        assert!(fast.iter().all(|f| f.dev_inta_n), "INTA# asserted in MSI mode");
    }
}
