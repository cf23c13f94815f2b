//! Every device model the build holds (one per device folder, sim/build.rs) comes out of
//! reset with the bus released and answers a configuration read of its ID — whatever the
//! device. A model that is not built is refused by name.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use dirql_sim::{BridgeConfig, Bus, Command, Drive, Model, PciHostBridge, Request, SimError, Status};

#[test]
fn every_model_resets_to_a_released_bus_and_answers_its_id() {
    let names = Model::names();
    assert!(!names.is_empty(), "no model built");
    for name in &names {
        let mut m = Model::of(name, None).unwrap();
        let mut bus = Bus::released();
        for _ in 0..4 {
            bus = m.step(&Drive::idle());
        }
        assert_eq!((bus.frame_n, bus.devsel_n, bus.trdy_n, bus.inta_n), (1, 1, 1, 1), "{name} out of reset");
        let mut bridge = PciHostBridge::new(BridgeConfig::default());
        // Type 0, register 0 (Vendor and Device ID); the bridge drives IDSEL for type 0.
        bridge.submit(Request::single(Command::ConfigRead, 0, 0, 0, 1), 5).unwrap();
        let mut got = None;
        for now in 5..200 {
            let mut d = Drive::idle();
            d.rst_n = 1;
            bridge.tick(now, &bus, &mut d);
            bus = m.step(&d);
            got = bridge.take_completions().next();
            if got.is_some() {
                break;
            }
        }
        let c = got.unwrap_or_else(|| panic!("{name}: the ID read never completed"));
        assert_eq!(c.status, Status::Ok, "{name}");
        assert_ne!(c.data[0] & 0xFFFF, 0xFFFF, "{name}: no vendor ID (nobody claimed the read)");
    }
}

#[test]
fn a_model_that_was_not_built_is_refused_by_name() {
    match Model::of("no-such-device", None) {
        Err(e @ SimError::NoModel { .. }) => assert!(e.to_string().contains("no-such-device"), "{e}"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("built a model that does not exist"),
    }
}
