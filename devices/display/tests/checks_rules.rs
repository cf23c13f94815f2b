//! Every rule both ways on synthetic waveforms: the correct sequence passes and the
//! sequence that breaks it fails at the cycle where the waveform shows the breach. These
//! stand in for broken driver variants the host model does not have yet.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod checks_support;

use checks_support::{assert_clean, assert_violation_at, Wave};
use dirql_display::regs::{INT_VBLANK, REG_INT_ENABLE, REG_INT_STATUS};
use dirql_sim::{PIC_DELIVER, PIC_EOI, PIC_IN_SERVICE, PIC_MASKED};
use dirql_testbenches::check::{
    BurstIntegrity, IsrDismissal, IsrOwnership, NoLostInterrupt, NoSpuriousReentry, SyncIsolation,
};

const ISR: u8 = 2;
const SYNC: u8 = 4;
const THREAD: u8 = 1;
const SPIN: u8 = 6;
const DIRQL: u8 = 16;

/// The adapter latches `raw` with `enable`; INTA# follows.
fn adapter(w: &mut Wave, raw: u32, enable: u32) {
    // CR11 as the adapter resets it: the retrace latch armed, its interrupt enabled.
    w.host.dev[5] = 0x12;
    w.host.dev[0] = raw;
    w.host.dev[1] = enable;
    w.host.dev_inta_n = raw & enable == 0;
    w.host.inta_n = w.host.dev_inta_n;
}

fn ret(cpu: usize, claimed: bool) -> u8 {
    (if claimed { 2 } else { 1 }) << (2 * cpu)
}

/// Ways an ISR can go wrong.
#[derive(Default, Clone, Copy)]
struct Isr {
    claim: Option<bool>,
    ack: bool,
    extra_write: bool,
    deliver: bool,
}

/// One ISR on `cpu`: deliver, enter, read INT_STATUS and INT_ENABLE, maybe acknowledge,
/// return, EOI. Returns (entry cycle, return cycle, extra write cycle).
fn isr(w: &mut Wave, cpu: usize, how: Isr) -> (u64, u64, u64) {
    if how.deliver {
        w.pulse(|f| f.pic |= PIC_DELIVER);
    }
    w.host.pic |= PIC_IN_SERVICE;
    w.cpu(cpu, ISR, DIRQL);
    w.host.lock_owner = cpu as u8 + 1;
    let entry = w.now();
    let pending = w.host.dev[0] & w.host.dev[1];
    w.mmio_read(cpu as u8, REG_INT_STATUS, pending);
    w.mmio_read(cpu as u8, REG_INT_ENABLE, w.host.dev[1]);
    let mut extra = 0;
    if how.extra_write {
        extra = w.mmio_write(cpu as u8, 0x10, 1);
    }
    if how.ack {
        w.mmio_write(cpu as u8, REG_INT_STATUS, pending);
        w.mmio_read(cpu as u8, REG_INT_STATUS, 0);
        adapter(w, 0, w.host.dev[1]);
    }
    let claimed = how.claim.unwrap_or(pending != 0);
    let r = w.pulse(|f| f.isr_ret = ret(cpu, claimed));
    w.host.lock_owner = 0;
    w.pulse(|f| f.pic |= PIC_EOI);
    w.host.pic &= !PIC_IN_SERVICE;
    w.cpu(cpu, 0, 0);
    w.idle(3);
    (entry, r, extra)
}

fn good() -> Isr {
    Isr { claim: None, ack: true, extra_write: false, deliver: true }
}

fn booted() -> Wave {
    let mut w = Wave::new();
    w.idle(2);
    w.configure();
    w.cpu(0, THREAD, 0);
    w.idle(5);
    w
}

// ---- isr-ownership -------------------------------------------------------------------

fn ownership(w: &Wave) -> dirql_testbenches::check::RuleReport {
    w.check(Box::new(IsrOwnership::new(dirql_display::profile::PROFILE)))
}

#[test]
fn ownership_passes_a_claimed_own_interrupt_and_a_declined_foreign_one() {
    let mut w = booted();
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    isr(&mut w, 1, good());
    // The other device on the shared line: nothing of ours pending, FALSE.
    w.host.inta_n = false;
    isr(&mut w, 0, Isr { ack: false, ..good() });
    w.host.inta_n = true;
    let r = ownership(&w);
    assert_clean(&r);
    assert_eq!(r.checked, 2);
}

#[test]
fn ownership_fails_an_isr_claiming_an_interrupt_that_is_not_its_own() {
    let mut w = booted();
    w.host.inta_n = false;
    // INT_RAW has a disabled source latched: not pending for the rule.
    adapter(&mut w, 1 << 1, INT_VBLANK);
    w.host.inta_n = false;
    let (_, r, _) = isr(&mut w, 1, Isr { claim: Some(true), ack: false, ..good() });
    assert_violation_at(&ownership(&w), r, "not its own");
}

#[test]
fn ownership_fails_an_isr_declining_its_own_pending_interrupt() {
    let mut w = booted();
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    let (_, r, _) = isr(&mut w, 0, Isr { claim: Some(false), ack: false, ..good() });
    assert_violation_at(&ownership(&w), r, "returned FALSE although");
}

#[test]
fn ownership_fails_a_declining_isr_that_writes_the_adapter_but_not_a_stale_posted_write() {
    let mut w = booted();
    w.host.inta_n = false;
    let (_, _, extra) = isr(&mut w, 0, Isr { ack: false, extra_write: true, ..good() });
    assert_violation_at(&ownership(&w), extra, "write to BAR0+0x010");
    // A posted write of the interrupted thread draining before the ISR's first read is
    // not the ISR's.
    let mut w = booted();
    w.host.inta_n = false;
    w.host.pic |= PIC_DELIVER;
    w.cpu(0, ISR, DIRQL);
    w.host.posted = 1;
    w.mmio_write(0, 0x10, 5);
    w.host.posted = 0;
    w.host.pic = 0;
    w.mmio_read(0, REG_INT_STATUS, 0);
    w.pulse(|f| f.isr_ret = ret(0, false));
    w.cpu(0, 0, 0);
    w.idle(2);
    assert_clean(&ownership(&w));
}

// ---- isr-dismissal, CR11 path --------------------------------------------------------

fn cr11_isr(w: &mut Wave, index: u8, value: u8, word: bool) -> u64 {
    adapter(w, INT_VBLANK, INT_VBLANK);
    w.pulse(|f| f.pic |= PIC_DELIVER);
    w.cpu(1, ISR, DIRQL);
    w.mmio_read(1, REG_INT_STATUS, INT_VBLANK);
    let ack = if word {
        let data = u32::from(index) | u32::from(value) << 8;
        w.write(Some(1), dirql_sim::Command::IoWrite, checks_support::BAR1 + 0x14, data, 0x3)
    } else {
        w.io_write_byte(1, 0x14, index);
        w.io_write_byte(1, 0x15, value)
    };
    // The adapter clears its latch only for CR11 bit 4 = 0 (contracts.md §1).
    if index == 0x11 && value & 0x10 == 0 {
        adapter(w, 0, INT_VBLANK);
    }
    w.io_write_byte(1, 0x15, value | 0x10);
    let r = w.pulse(|f| f.isr_ret = ret(1, true));
    w.pulse(|f| f.pic |= PIC_EOI);
    w.cpu(1, 0, 0);
    w.idle(3);
    let _ = ack;
    r
}

fn dismissal(w: &Wave) -> dirql_testbenches::check::RuleReport {
    w.check(Box::new(IsrDismissal::new(dirql_display::profile::PROFILE)))
}

#[test]
fn dismissal_accepts_the_cr11_acknowledge_byte_or_word() {
    for word in [false, true] {
        let mut w = booted();
        cr11_isr(&mut w, 0x11, 0x20 | 0x05, word);
        let r = dismissal(&w);
        assert_clean(&r);
        assert_eq!(r.checked, 1);
    }
}

#[test]
fn dismissal_rejects_a_cr11_write_with_bit4_set_or_to_another_index() {
    for (index, value) in [(0x11u8, 0x35u8), (0x12, 0x05)] {
        let mut w = booted();
        let r = cr11_isr(&mut w, index, value, false);
        assert_violation_at(&dismissal(&w), r, "no acknowledging write");
    }
}

// ---- no-spurious-reentry -------------------------------------------------------------

fn reentry(w: &Wave) -> dirql_testbenches::check::RuleReport {
    w.check(Box::new(NoSpuriousReentry::new()))
}

#[test]
fn reentry_passes_one_isr_per_delivery() {
    let mut w = booted();
    for cpu in [0, 1, 1] {
        adapter(&mut w, INT_VBLANK, INT_VBLANK);
        isr(&mut w, cpu, good());
    }
    let r = reentry(&w);
    assert_clean(&r);
    assert_eq!(r.checked, 3);
}

#[test]
fn reentry_fails_an_isr_without_delivery_and_two_isrs_at_once() {
    let mut w = booted();
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    let (entry, _, _) = isr(&mut w, 0, Isr { deliver: false, ..good() });
    assert_violation_at(&reentry(&w), entry, "no delivery");

    let mut w = booted();
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    w.pulse(|f| f.pic |= PIC_DELIVER);
    w.cpu(0, ISR, DIRQL);
    w.idle(2);
    let both = w.now();
    w.cpu(1, ISR, DIRQL);
    w.idle(3);
    assert_violation_at(&reentry(&w), both, "at once");
}

#[test]
fn reentry_fails_a_delivery_with_the_line_released() {
    let mut w = booted();
    let d = w.pulse(|f| f.pic |= PIC_DELIVER);
    w.cpu(0, ISR, DIRQL);
    w.pulse(|f| f.isr_ret = ret(0, false));
    w.cpu(0, 0, 0);
    w.idle(2);
    assert_violation_at(&reentry(&w), d, "released");
}

#[test]
fn reentry_matches_an_isr_to_a_message_taken_and_fails_a_vector_nobody_sent() {
    let mut w = booted();
    w.msi(1, 0xB1);
    w.idle(2);
    w.pulse(|f| f.msi = 0xB1 << 8);
    w.idle(3);
    w.cpu(1, ISR, 11);
    w.idle(4);
    w.pulse(|f| f.isr_ret = ret(1, true));
    w.cpu(1, THREAD, 0);
    w.idle(2);
    let r = reentry(&w);
    assert_clean(&r);
    assert_eq!(r.checked, 1);

    // The same vector taken by the other CPU: nobody sent it there.
    let mut w = booted();
    w.msi(1, 0xB1);
    w.idle(2);
    let wrong = w.pulse(|f| f.msi = 0xB1);
    w.idle(3);
    w.cpu(0, ISR, 11);
    w.idle(3);
    assert_violation_at(&reentry(&w), wrong, "out of nothing");
}

// ---- no-lost-interrupt ---------------------------------------------------------------

#[test]
fn lost_passes_a_message_held_off_by_irql_then_taken() {
    let mut w = booted();
    w.cpu(1, SYNC, 11);
    w.msi(1, 0xB0);
    w.idle(1500); // longer than the bound, but CPU1 is at the device IRQL throughout
    w.cpu(1, THREAD, 0);
    w.idle(5);
    w.pulse(|f| f.msi = 0xB0 << 8);
    w.idle(2);
    let r = lost(&w);
    assert_clean(&r);
    assert_eq!(r.checked, 1);
}

#[test]
fn lost_fails_a_message_never_taken_and_one_merged_into_another() {
    let bound = dirql_display::profile::PROFILE.delivery_bound;
    let mut w = booted();
    let sent = w.msi(0, 0xB1);
    w.idle(bound + 5);
    let r = lost(&w);
    assert_violation_at(&r, sent + bound - 1, "not been taken");

    let mut w = booted();
    w.msi(0, 0xB1);
    w.idle(3);
    let again = w.msi(0, 0xB1);
    w.idle(2);
    w.pulse(|f| f.msi = 0xB1);
    w.idle(2);
    let r = lost(&w);
    assert_violation_at(&r, again, "merges them");
    assert_eq!(r.violations.len(), 1, "{:?}", r.violations);
}

fn lost(w: &Wave) -> dirql_testbenches::check::RuleReport {
    w.check(Box::new(NoLostInterrupt::new(dirql_display::profile::PROFILE)))
}

#[test]
fn lost_passes_an_interrupt_held_off_by_a_sync_routine_then_delivered() {
    let mut w = booted();
    w.cpu(0, SYNC, DIRQL);
    w.host.lock_owner = 1;
    w.idle(3);
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    w.idle(1500); // longer than the delivery bound, but excluded the whole time
    w.host.lock_owner = 0;
    w.cpu(0, THREAD, 0);
    w.idle(4);
    isr(&mut w, 1, good());
    let r = lost(&w);
    assert_clean(&r);
    assert_eq!(r.checked, 1);
}

#[test]
fn lost_fails_an_interrupt_eaten_by_a_sync_routine() {
    let mut w = booted();
    w.cpu(0, SYNC, DIRQL);
    w.host.lock_owner = 1;
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    w.idle(3);
    w.mmio_write(0, REG_INT_STATUS, INT_VBLANK);
    adapter(&mut w, 0, INT_VBLANK);
    let released = w.now();
    w.idle(3);
    w.host.lock_owner = 0;
    w.cpu(0, THREAD, 0);
    w.idle(3);
    let r = lost(&w);
    assert_violation_at(&r, released, "withdrawn");
    assert_eq!(r.violations[0].cpu, Some(0));
    assert_eq!(r.violations[0].routine, Some("sync-routine"));
}

#[test]
fn lost_does_not_count_an_interrupt_withdrawn_by_disabling_it() {
    let mut w = booted();
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    w.idle(3);
    adapter(&mut w, INT_VBLANK, 0);
    w.idle(3);
    assert_clean(&lost(&w));
}

#[test]
fn lost_fails_an_interrupt_never_delivered_after_the_exclusion_ended() {
    let bound = dirql_display::profile::PROFILE.delivery_bound;
    let mut w = booted();
    w.cpu(0, SYNC, DIRQL);
    w.host.lock_owner = 1;
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    w.idle(10);
    w.host.lock_owner = 0;
    w.cpu(0, THREAD, 0);
    let free = w.now();
    w.idle(bound + 10);
    let r = lost(&w);
    assert_violation_at(&r, free + bound - 1, "not been seen by any ISR");
    assert!(r.violations[0].message.contains("the interrupt lock held by CPU0"), "{}", r.violations[0].message);
}

#[test]
fn lost_fails_an_interrupt_masked_until_the_end() {
    let mut w = booted();
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    let masked = w.now();
    w.host.pic |= PIC_MASKED;
    w.idle(dirql_display::profile::PROFILE.delivery_bound + 5);
    assert_violation_at(&lost(&w), masked, "never delivered");
}

/// (k) A retrace with the source enabled while CR11[4] = 0 holds its latch clear and no
/// ISR runs is lost: the driver left the hold in place (found by `make mutants`: the
/// miniport's CR11 re-arm `cr11 | CR11_REARM` mutated to `cr11 ^ CR11_REARM`, harm
/// `retrace-unserviced`, every rule passing). Inside an ISR (its dismissal's clear, then
/// set) the same event is not judged.
#[test]
fn lost_fails_a_retrace_thrown_away_by_a_hold_left_in_place_outside_an_isr() {
    let held = |in_isr: bool| {
        let mut w = booted();
        adapter(&mut w, 0, INT_VBLANK);
        w.host.dev[5] = 0x02; // CR11[4] = 0: the retrace latch held clear, CR11[5] = 0
        if in_isr {
            w.cpu(1, ISR, DIRQL);
        }
        w.idle(3);
        let at = w.pulse(|f| f.dev[7] = INT_VBLANK);
        w.idle(3);
        (lost(&w), at)
    };
    let (r, at) = held(false);
    assert_violation_at(&r, at, "held clear by the driver");
    assert!(held(true).0.violations.iter().all(|v| !v.message.contains("held clear")), "{:?}", held(true).0.violations);
}

// ---- sync-isolation ------------------------------------------------------------------

fn sync(w: &Wave) -> dirql_testbenches::check::RuleReport {
    w.check(Box::new(SyncIsolation::new(dirql_display::profile::PROFILE)))
}

#[test]
fn sync_passes_an_isr_that_spins_until_the_routine_ends_and_a_low_priority_overlap() {
    let mut w = booted();
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    w.cpu(0, SYNC, DIRQL);
    w.host.lock_owner = 1;
    w.pulse(|f| f.pic |= PIC_DELIVER);
    w.cpu(1, SPIN, DIRQL);
    w.idle(20);
    w.host.lock_owner = 0;
    w.cpu(0, THREAD, 0);
    isr(&mut w, 1, Isr { deliver: false, ..good() });
    // VpLowPriority: DISPATCH, no lock — not synchronized with the ISR, not checked.
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    w.cpu(0, SYNC, 2);
    isr(&mut w, 1, good());
    let r = sync(&w);
    assert_clean(&r);
    // One synchronized routine, and the two ISRs' eight accesses to the adapter.
    assert_eq!(r.checked, 9);
}

#[test]
fn sync_reports_the_overlap_a_raise_only_reading_allows_and_the_isr_access() {
    let mut w = booted();
    adapter(&mut w, INT_VBLANK, INT_VBLANK);
    w.cpu(0, SYNC, 27); // reactos VpHighPriority: SYNCH_LEVEL on this CPU, no lock
    w.idle(2);
    w.pulse(|f| f.pic |= PIC_DELIVER);
    let overlap = w.now();
    w.cpu(1, ISR, DIRQL);
    let access = w.mmio_read(1, REG_INT_STATUS, INT_VBLANK);
    w.idle(2);
    let r = sync(&w);
    assert_violation_at(&r, overlap, "reactos");
    assert_violation_at(&r, access, "reached the adapter");
    assert_eq!(r.violations[0].cpu, Some(1));
}

/// The reactos reading on two CPUs: the ISR starts in the very cycle the lock-less
/// VpHighPriority routine on the other CPU ends (no cycle shows both). Nothing orders them,
/// so it is the overlap that reading allows (found by the 1000-seed sweep: `mode-set
/// --reading reactos --cpus 2 --seed 26`, harm `isr-in-exclusive-routine`, every rule
/// passing). One cycle later, or with the lock handed over, it is not.
#[test]
fn sync_reports_an_isr_starting_in_the_cycle_a_lock_less_routine_ends() {
    let handoff = |gap: u64, locked: bool| {
        let mut w = booted();
        adapter(&mut w, INT_VBLANK, INT_VBLANK);
        w.cpu(0, SYNC, 27);
        if locked {
            w.host.lock_owner = 1;
        }
        w.idle(2);
        w.pulse(|f| f.pic |= PIC_DELIVER);
        w.cpu(0, THREAD, 0);
        w.host.lock_owner = 0;
        w.idle(gap);
        let (entry, _, _) = isr(&mut w, 1, Isr { deliver: false, ..good() });
        (sync(&w), entry)
    };
    let (r, entry) = handoff(0, false);
    assert_violation_at(&r, entry, "in the cycle CPU0's synchronized routine");
    assert_eq!(r.violations.len(), 1, "{:?}", r.violations);
    assert_clean(&handoff(1, false).0);
    assert_clean(&handoff(0, true).0);
}

// ---- burst-integrity -----------------------------------------------------------------

fn burst(w: &Wave) -> dirql_testbenches::check::RuleReport {
    w.check(Box::new(BurstIntegrity::new(dirql_display::profile::PROFILE)))
}

/// CPU0 announces three writes and issues them; the window opens after the first.
fn burst_wave(between: impl FnOnce(&mut Wave) -> u64) -> (Wave, u64) {
    let mut w = booted();
    w.host.note[0] = 2 << 28 | 3;
    w.idle(1);
    w.mmio_write(0, 0x40, 0x5EC0_DE42);
    w.host.dev[3] = 1;
    w.mmio_write(0, 0x100, 50);
    let at = between(&mut w);
    w.mmio_write(0, 0x104, 40);
    w.host.dev[3] = 2;
    w.idle(1);
    w.host.dev[3] = 0;
    w.host.note[0] = 0;
    w.idle(3);
    (w, at)
}

#[test]
fn burst_passes_an_unbroken_sequence_inside_the_window() {
    let (w, _) = burst_wave(|_| 0);
    let r = burst(&w);
    assert_clean(&r);
    assert_eq!(r.checked, 1);
}

#[test]
fn burst_fails_an_isr_a_foreign_transaction_or_an_abort_inside_the_sequence() {
    let (w, at) = burst_wave(|w| {
        w.cpu(1, ISR, DIRQL);
        let at = w.now();
        w.idle(2);
        w.cpu(1, 0, 0);
        at
    });
    assert_violation_at(&burst(&w), at, "ISR ran on CPU1");
    let (w, at) = burst_wave(|w| w.mmio_read(1, REG_INT_STATUS, 0));
    assert_violation_at(&burst(&w), at, "came between its writes");
    let (w, at) = burst_wave(|w| {
        w.host.dev[3] = 3;
        let at = w.now();
        w.idle(1);
        w.host.dev[3] = 0;
        at
    });
    let r = burst(&w);
    assert_violation_at(&r, at, "aborted");
}

#[test]
fn burst_fails_a_sequence_that_falls_short() {
    let mut w = booted();
    w.host.note[0] = 2 << 28 | 3;
    w.mmio_write(0, 0x40, 0x5EC0_DE42);
    w.mmio_write(0, 0x100, 50);
    w.host.note[0] = 0;
    let end = w.now();
    w.idle(3);
    assert_violation_at(&burst(&w), end, "2 of its 3 writes");
}

// ---- register-integrity --------------------------------------------------------------

fn reg(w: &Wave) -> dirql_testbenches::check::RuleReport {
    w.check(Box::new(dirql_display::RegisterIntegrity::new()))
}

/// CPU0 programs CR06 := 0x28; `between` runs between its index and data writes; the
/// adapter reports the write as landing in `landed`.
fn crtc(between: impl FnOnce(&mut Wave), landed: Option<u8>) -> (Wave, u64) {
    let mut w = booted();
    w.io_write_byte(0, 0x14, 0x06);
    between(&mut w);
    w.host.note[0] = 1 << 28 | 0x06 << 8 | 0x28;
    let d = w.io_write_byte(0, 0x15, 0x28);
    w.host.note[0] = 0;
    w.idle(4);
    if let Some(i) = landed {
        w.frames[usize::try_from(d).unwrap()].dev[6] = 0x100 | u32::from(i) | 0x28 << 16;
    }
    (w, d)
}

#[test]
fn register_passes_a_write_that_lands_where_meant() {
    let (w, _) = crtc(|_| {}, Some(0x06));
    let r = reg(&w);
    assert_clean(&r);
    assert_eq!(r.checked, 1);
}

#[test]
fn register_fails_a_write_redirected_by_an_isr_changing_the_index() {
    let (w, d) = crtc(
        |w| {
            w.cpu(1, ISR, DIRQL);
            w.io_write_byte(1, 0x14, 0x11);
            w.cpu(1, 0, 0);
        },
        Some(0x11),
    );
    let r = reg(&w);
    assert_violation_at(&r, d + 1, "wrote CR11");
    assert!(r.violations[0].message.contains("by CPU1 (ISR)"), "{}", r.violations[0].message);
}

#[test]
fn register_fails_a_write_the_adapter_never_reports() {
    let (w, d) = crtc(|_| {}, None);
    assert_violation_at(&reg(&w), d, "no CRTC register");
}

/// An ISR on CPU1 that finds the CRTC index at 0x06, selects CR11 and, if `restore`,
/// selects 0x06 again before returning; CPU0 writes the index to 0x0A in the middle when
/// `foreign`. The adapter's index probe follows the writes. Returns the return cycle.
fn index_isr(w: &mut Wave, restore: bool, foreign: bool) -> u64 {
    w.host.dev[2] = 0x06;
    w.idle(2);
    w.cpu(1, ISR, DIRQL);
    w.idle(1);
    w.io_write_byte(1, 0x14, 0x11);
    w.host.dev[2] = 0x11;
    if foreign {
        w.io_write_byte(0, 0x14, 0x0A);
        w.host.dev[2] = 0x0A;
    }
    if restore {
        w.io_write_byte(1, 0x14, 0x06);
        w.host.dev[2] = 0x06;
    }
    let r = w.pulse(|f| f.isr_ret = ret(1, true));
    w.cpu(1, 0, 0);
    w.idle(3);
    r
}

#[test]
fn register_passes_an_isr_that_restores_the_crtc_index_and_one_another_cpu_moved() {
    let mut w = booted();
    index_isr(&mut w, true, false);
    let r = reg(&w);
    assert_clean(&r);
    assert_eq!(r.checked, 1);
    let mut w = booted();
    index_isr(&mut w, false, true);
    assert_clean(&reg(&w));
}

#[test]
fn register_fails_an_isr_that_leaves_the_crtc_index_moved() {
    let mut w = booted();
    let ret_at = index_isr(&mut w, false, false);
    let r = reg(&w);
    assert_violation_at(&r, ret_at, "found it at 0x06");
    assert_eq!(r.violations[0].cpu, Some(1));
}

// ---- deferred-work -------------------------------------------------------------------

const DPC: u8 = 3;

fn deferred(w: &Wave) -> dirql_testbenches::check::RuleReport {
    w.check(Box::new(dirql_testbenches::check::DeferredWork::new(dirql_display::profile::PROFILE)))
}

/// One ISR on CPU0 that reads INT_STATUS and INT_ENABLE (showing `raw` enabled),
/// acknowledges and returns TRUE with isr_ret code `code` (2: no DPC, 3: a DPC queued).
/// Returns the return cycle; CPU0 is back at PASSIVE in thread code after it.
fn isr_returning(w: &mut Wave, raw: u32, code: u8) -> u64 {
    adapter(w, raw, raw);
    w.pulse(|f| f.pic |= PIC_DELIVER);
    w.cpu(0, ISR, DIRQL);
    w.mmio_read(0, REG_INT_STATUS, raw);
    w.mmio_read(0, REG_INT_ENABLE, raw);
    w.mmio_write(0, REG_INT_STATUS, raw);
    w.mmio_read(0, REG_INT_STATUS, 0);
    adapter(w, 0, raw);
    let r = w.pulse(|f| f.isr_ret = code);
    w.pulse(|f| f.pic |= PIC_EOI);
    w.cpu(0, THREAD, 0);
    r
}

#[test]
fn deferred_passes_a_queued_dpc_that_runs_and_reports_one_that_never_does() {
    let profile = dirql_display::profile::PROFILE;
    // The DPC runs right after the ISR's return: judged and clean.
    let mut w = booted();
    isr_returning(&mut w, INT_VBLANK, 3);
    w.cpu(0, DPC, 2);
    w.idle(5);
    w.cpu(0, THREAD, 0);
    w.idle(profile.dpc_latency_cycles + 10);
    let r = deferred(&w);
    assert_clean(&r);
    // The DPC ran (a), and the episode left VBLANK enabled (c).
    assert_eq!(r.checked, 2);
    // The same DPC queued, and the CPU never runs one: reported once the bound has passed.
    let mut w = booted();
    let at = isr_returning(&mut w, INT_VBLANK, 3);
    w.idle(profile.dpc_latency_cycles + 10);
    let r = deferred(&w);
    assert_violation_at(&r, at + profile.dpc_latency_cycles + 1, "no DPC has run on CPU0");
    // A DPC on the other CPU does not run this CPU's queue.
    let mut w = booted();
    let at = isr_returning(&mut w, INT_VBLANK, 3);
    w.cpu(1, DPC, 2);
    w.idle(5);
    w.cpu(1, 0, 0);
    w.idle(profile.dpc_latency_cycles + 10);
    assert_violation_at(&deferred(&w), at + profile.dpc_latency_cycles + 1, "no DPC has run on CPU0");
    // Queued too close to the end of the waveform to judge: not a violation, not counted.
    let mut w = booted();
    isr_returning(&mut w, INT_VBLANK, 3);
    w.idle(profile.dpc_latency_cycles / 2);
    let r = deferred(&w);
    assert_clean(&r);
    assert_eq!(r.checked, 0);
}

#[test]
fn deferred_reports_an_isr_that_claims_a_deferred_source_without_queueing_its_dpc() {
    use dirql_display::regs::{INT_CMD_DONE, INT_CMD_ERROR};
    let mut w = booted();
    let at = isr_returning(&mut w, INT_CMD_DONE, 2);
    w.idle(20);
    assert_violation_at(&deferred(&w), at, "having seen CMD_DONE");
    // With the DPC of an earlier ISR still to run on this CPU, skipping the call is no loss.
    let mut w = booted();
    isr_returning(&mut w, INT_VBLANK, 3);
    w.idle(3);
    isr_returning(&mut w, INT_CMD_DONE, 2);
    w.cpu(0, DPC, 2);
    w.idle(5);
    w.cpu(0, THREAD, 0);
    assert_clean(&deferred(&w));
    // A source the driver finishes in the ISR (CMD_ERROR is not in the profile's deferred
    // sources) needs no DPC.
    let mut w = booted();
    isr_returning(&mut w, INT_CMD_ERROR, 2);
    w.idle(20);
    let r = deferred(&w);
    assert_clean(&r);
    assert_eq!(r.checked, 1);
}

// ---- raster-timing --------------------------------------------------------------------

fn raster(w: &Wave) -> dirql_testbenches::check::RuleReport {
    w.check(Box::new(dirql_display::RasterTiming::new()))
}

/// A retrace event `gap` cycles after the previous frame's; returns its cycle.
fn retrace_after(w: &mut Wave, gap: u64) -> u64 {
    w.idle(gap - 1);
    w.pulse(|f| f.dev[7] = 1)
}

/// The mode block MODE[0..8] written through the window and committed; returns the commit cycle.
fn commit_mode(w: &mut Wave, mode: [u32; 8]) -> u64 {
    w.mmio_write(0, 0x40, 0x5EC0_DE42);
    for (n, v) in mode.iter().enumerate() {
        w.mmio_write(0, 0x100 + 4 * n as u32, *v);
    }
    w.pulse(|f| f.dev[3] = 2)
}

#[test]
fn raster_passes_retraces_one_reset_frame_apart_and_fails_one_a_clock_late() {
    let mut w = booted();
    retrace_after(&mut w, 2000);
    for _ in 0..4 {
        retrace_after(&mut w, 2000);
    }
    let r = raster(&w);
    assert_clean(&r);
    assert_eq!(r.checked, 5);
    let late = retrace_after(&mut w, 2001);
    assert_violation_at(&raster(&w), late, "came 2001 clocks after the previous one");
}

#[test]
fn raster_follows_a_committed_mode_and_fails_an_adapter_that_keeps_the_old_one() {
    // htotal 20 x vtotal 30 = 600 clocks a frame, retrace line 25.
    let mode = [20, 16, 17, 18, 30, 24, 25, 27];
    let mut w = booted();
    retrace_after(&mut w, 2000);
    commit_mode(&mut w, mode);
    retrace_after(&mut w, 150); // the raster runs into the new frame: not judged
    let mut good = Wave { frames: w.frames.clone(), host: w.host };
    for _ in 0..3 {
        retrace_after(&mut good, 600);
    }
    assert_clean(&raster(&good));
    // The adapter that still runs 2000-clock frames: no retrace 600 clocks after the last.
    let last = w.now() - 1;
    w.idle(2000);
    assert_violation_at(&raster(&w), last + 601, "no vertical retrace since the previous one");
}

#[test]
fn raster_fails_a_raster_that_stops_after_a_commit() {
    let mode = [20, 16, 17, 18, 30, 24, 25, 27];
    let mut w = booted();
    retrace_after(&mut w, 2000);
    let at = commit_mode(&mut w, mode);
    w.idle(2 * 600 + 300);
    assert_violation_at(&raster(&w), at + 2 * 600 + 256 + 1, "since the timing changed at cycle");
}

#[test]
fn deferred_fails_an_episode_that_leaves_a_serviced_source_disabled() {
    let profile = dirql_display::profile::PROFILE;
    // The ISR masks VBLANK for its DPC, which runs and unmasks it: clean.
    let episode = |w: &mut Wave, rearm: bool| {
        isr_returning(w, INT_VBLANK, 3);
        adapter(w, 0, 0);
        w.cpu(0, DPC, 2);
        w.idle(3);
        if rearm {
            w.mmio_write(0, REG_INT_ENABLE, INT_VBLANK);
            adapter(w, 0, INT_VBLANK);
        }
        w.idle(2);
        w.cpu(0, THREAD, 0);
        let end = w.now();
        w.idle(profile.dpc_latency_cycles + 10);
        end
    };
    let mut w = booted();
    episode(&mut w, true);
    assert_clean(&deferred(&w));
    // The DPC that skips its work: VBLANK's interrupts are off for good.
    let mut w = booted();
    let end = episode(&mut w, false);
    assert_violation_at(&deferred(&w), end, "left VBLANK disabled");
}
