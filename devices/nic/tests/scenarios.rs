//! The network adapter under the generic rules: the reference passes and does no harm on
//! one and two CPUs over seeds; each twin fails exactly its declared rule first (and
//! nothing outside what it declares downstream); the waveform gives the live verdicts.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use dirql_nic::NIC;
use dirql_testbenches::check::{read_vcd, Checker};
use dirql_testbenches::device::Device;
use dirql_testbenches::scenario::run;

mod common;
use common::{failing, settings};

#[test]
fn the_reference_passes_and_does_no_harm_on_one_and_two_cpus() {
    for sc in NIC.scenarios() {
        for cpus in [1, 2] {
            for seed in 1..=4 {
                let r = run(&settings(sc.name, "reference", seed, cpus, None)).unwrap();
                assert!(r.harm.is_empty(), "{} cpus={cpus} seed={seed}: {:?}", sc.name, r.harm);
                assert_eq!(failing(&r), Vec::<&str>::new(), "{} cpus={cpus} seed={seed}", sc.name);
                assert!(r.interrupts >= 20, "{} cpus={cpus} seed={seed}: {} interrupts", sc.name, r.interrupts);
            }
        }
    }
}

/// Over seeds: every twin is caught on some seed; wherever it fails, its rule fails first
/// and nothing it does not declare fails; wherever it did harm, a rule failed (a race
/// twin may do nothing on a seed whose schedule never opens its window: then it passes).
#[test]
fn every_twin_fails_its_rule_first_and_nothing_undeclared() {
    for t in NIC.drivers().into_iter().filter(|t| t.breaks.is_some()) {
        let (rule, sc) = (t.breaks.unwrap(), t.scenario.unwrap());
        let mut caught = 0;
        for seed in 1..=6 {
            let r = run(&settings(sc, t.name, seed, 2, None)).unwrap();
            let failed = failing(&r);
            assert!(
                r.harm.is_empty() || !failed.is_empty(),
                "{} seed {seed}: harm {:?}, every rule passed",
                t.name,
                r.harm
            );
            if failed.is_empty() {
                continue;
            }
            caught += 1;
            for f in &failed {
                assert!(*f == rule || t.also_breaks.contains(f), "{} seed {seed}: {f} failed too", t.name);
            }
            let first = r
                .rules
                .iter()
                .filter(|x| x.verdict != "pass")
                .min_by_key(|x| x.violations.first().map_or(u64::MAX, |v| v.cycle))
                .unwrap();
            assert_eq!(first.name, rule, "{} seed {seed}: the first violation", t.name);
        }
        assert!(caught > 0, "{}: {rule} never failed over 6 seeds", t.name);
    }
}

#[test]
fn the_waveform_gives_the_live_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    for drv in ["reference", "nic-ack-all", "nic-no-ack", "nic-ring-before-flush"] {
        let p = dir.path().join(format!("{drv}.vcd"));
        let live = run(&settings("nic-traffic", drv, 2, 2, Some(p.clone()))).unwrap();
        let mut c = Checker::for_device(&NIC);
        read_vcd("t", std::io::BufReader::new(std::fs::File::open(&p).unwrap()), |f| c.feed(f)).unwrap();
        let offline = c.finish();
        common::assert_same_verdicts(drv, &offline, &live);
    }
}

/// dma-ordering: the twin that consumes the receive ring in MiniportInterrupt before its
/// first read of the adapter is caught at a stale read (a descriptor the adapter wrote back
/// and announced, still queued in the host bridge), no later than the harm the miniport's
/// ground truth records, on one and two CPUs; the reference, whose DPC does read
/// descriptors still in the bridge (unannounced ones), passes the rule having judged reads.
///
/// Both of the twin's symptoms show: the stale read (a write-back announced before the ISR
/// began, still in the bridge) and, when the write-back lands between the ISR's look at
/// the ring and its status read, an acknowledged descriptor nobody read (`dma-ordering`
/// (c)); every harm the oracle records has a violation at its cycle.
#[test]
fn consuming_the_ring_before_the_flushing_read_is_caught_at_the_stale_read() {
    let (mut stale, mut unread) = (0, 0);
    for cpus in [1, 2] {
        for seed in 1..=3 {
            let r = run(&settings("nic-traffic", "nic-ring-before-flush", seed, cpus, None)).unwrap();
            assert_eq!(failing(&r), vec!["dma-ordering"], "cpus={cpus} seed={seed}");
            let rule = r.rules.iter().find(|x| x.name == "dma-ordering").unwrap();
            for v in &rule.violations {
                if v.message.contains("had not reached host memory") {
                    assert_eq!(v.routine, Some("ISR"), "{}", v.message);
                    stale += 1;
                } else {
                    assert!(v.message.contains("acknowledged descriptor left"), "{}", v.message);
                    unread += 1;
                }
            }
            assert!(r.harm.iter().any(|h| h.kind == "rx-frame-unconsumed"), "cpus={cpus} seed={seed}: no harm");
            for h in &r.harm {
                assert!(
                    rule.violations.iter().any(|v| v.cycle == h.cycle),
                    "cpus={cpus} seed={seed}: harm at {} with no violation there",
                    h.cycle
                );
            }
            let reference = run(&settings("nic-traffic", "reference", seed, cpus, None)).unwrap();
            let rule = reference.rules.iter().find(|x| x.name == "dma-ordering").unwrap();
            assert_eq!((rule.verdict, rule.exercised), ("pass", true), "reference cpus={cpus} seed={seed}");
        }
    }
    assert!(stale > 0 && unread > 0, "stale reads {stale}, unread acknowledged descriptors {unread}");
}

/// Each RTL twin (the wrapper's pin-fault stage on the adapter's pins) fails exactly its
/// rule, live and from its waveform.
#[test]
fn every_rtl_twin_fails_exactly_its_rule() {
    use dirql_testbenches::scenario::{run_with, RunOptions};
    let dir = tempfile::tempdir().unwrap();
    for t in NIC.rtl_twins().iter().filter(|t| t.breaks.is_some()) {
        let p = dir.path().join(format!("{}.vcd", t.name));
        let opts = RunOptions { rtl: Some(t), ..RunOptions::default() };
        let r = run_with(&settings(t.scenario.unwrap(), "reference", 1, 2, Some(p.clone())), &opts).unwrap();
        assert_eq!(failing(&r), vec![t.breaks.unwrap()], "{}", t.name);
        let mut c = Checker::for_device(&NIC);
        read_vcd("t", std::io::BufReader::new(std::fs::File::open(&p).unwrap()), |f| c.feed(f)).unwrap();
        let offline: Vec<String> = c.finish().into_iter().filter(|x| x.verdict != "pass").map(|x| x.name).collect();
        assert_eq!(offline, vec![t.breaks.unwrap().to_string()], "{} from its waveform", t.name);
    }
}
