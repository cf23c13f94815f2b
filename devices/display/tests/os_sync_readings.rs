//! VideoPortSynchronizeExecution, row by row against the table in semantics.md §2, under
//! each reading: the IRQL the routine runs at, whether it holds the interrupt's spin lock,
//! whether the line is masked for every CPU, and what the call returns when the routine
//! returns FALSE.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use common::{boot, machine, TestMiniport};
use dirql_host::videoport::{Priority, SyncReading, VideoPortConfig};
use dirql_host::Irql;
use dirql_sim::{Routine, PIC_MASKED};

/// What one call looked like from inside the routine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    irql: Irql,
    locked: bool,
    /// The device line masked at the controller (for every CPU) while the routine ran.
    masked: bool,
    returned: bool,
}

fn observe(reading: SyncReading, priority: Priority, with_isr: bool) -> Seen {
    let mp = TestMiniport::new(with_isr);
    let inside: Rc<RefCell<Option<(Irql, bool)>>> = Rc::default();
    let ret: Rc<RefCell<Option<bool>>> = Rc::default();
    let (i, r) = (inside.clone(), ret.clone());
    let cfg = VideoPortConfig { reading, ..VideoPortConfig::default() };
    let (mut m, _) = boot(machine(1), cfg, mp, move |vp| {
        let got = vp.synchronize_execution(priority, &|vp| {
            let locked = vp.device().interrupt().is_some_and(|int| int.lock.owner() == Some(vp.cpu().id()));
            *i.borrow_mut() = Some((vp.cpu().irql(), locked));
            vp.cpu().work(20);
            false
        });
        *r.borrow_mut() = Some(got);
        assert_eq!(vp.cpu().irql(), Irql::PASSIVE, "the caller's IRQL is restored");
    });
    let masked = Rc::new(RefCell::new(false));
    let mk = masked.clone();
    m.observe(Box::new(move |f| {
        if f.routine[0] == Routine::Sync as u8 && f.pic & PIC_MASKED != 0 {
            *mk.borrow_mut() = true;
        }
    }));
    m.run_until(1_500);
    assert_eq!(m.stopped(), None);
    let (irql, locked) = inside.borrow().unwrap();
    let returned = ret.borrow().unwrap();
    let masked = *masked.borrow();
    Seen { irql, locked, masked, returned }
}

const DIRQL: Irql = Irql(16); // line 11 on the legacy x86 HAL
const SYNCH_SMP: Irql = Irql::PROFILE;

#[test]
fn every_row_of_the_table_under_every_reading() {
    use Priority::*;
    use SyncReading::*;
    let s = |irql, locked, masked, returned| Seen { irql, locked, masked, returned };
    // (reading, priority, ISR connected, expected). Without an ISR the line is never
    // unmasked, so `masked` is true there for every reading and says nothing.
    let rows = [
        (Current, Low, true, s(Irql::DISPATCH, false, false, true)),
        (Current, Low, false, s(Irql::DISPATCH, false, true, true)),
        (Current, Medium, true, s(DIRQL, true, false, true)),
        (Current, Medium, false, s(Irql::DISPATCH, false, true, true)),
        (Current, High, true, s(DIRQL, true, false, true)),
        (Current, High, false, s(Irql::DISPATCH, false, true, true)),
        (Legacy, Low, true, s(Irql::DISPATCH, false, false, true)),
        (Legacy, Low, false, s(Irql::DISPATCH, false, true, true)),
        (Legacy, Medium, true, s(DIRQL, true, false, true)),
        (Legacy, Medium, false, s(Irql::HIGH, false, true, true)),
        (Legacy, High, true, s(Irql::HIGH, true, true, true)),
        (Legacy, High, false, s(Irql::HIGH, false, true, true)),
        (ReactOs, Low, true, s(Irql::PASSIVE, false, false, false)),
        (ReactOs, Low, false, s(Irql::PASSIVE, false, true, false)),
        (ReactOs, Medium, true, s(DIRQL, true, false, false)),
        (ReactOs, Medium, false, s(Irql::PASSIVE, false, true, false)),
        (ReactOs, High, true, s(SYNCH_SMP, false, false, false)),
        (ReactOs, High, false, s(SYNCH_SMP, false, true, false)),
    ];
    for (reading, prio, isr, want) in rows {
        let got = observe(reading, prio, isr);
        assert_eq!(got, want, "{} {prio:?} ISR connected={isr}", reading.name());
    }
}

#[test]
fn reactos_high_priority_on_a_uniprocessor_build_raises_only_to_dispatch() {
    let mp = TestMiniport::new(true);
    let seen = Rc::new(RefCell::new(None));
    let s2 = seen.clone();
    let cfg = VideoPortConfig { reading: SyncReading::ReactOs, smp: false, ..VideoPortConfig::default() };
    let (mut m, _) = boot(machine(1), cfg, mp, move |vp| {
        vp.synchronize_execution(Priority::High, &|vp| {
            *s2.borrow_mut() = Some(vp.cpu().irql());
            true
        });
    });
    m.run_until(1_000);
    assert_eq!(*seen.borrow(), Some(Irql::DISPATCH));
}
