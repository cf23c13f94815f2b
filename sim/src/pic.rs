//! A level-triggered interrupt controller for one shared PCI line (INTA#), in the manner of
//! an I/O APIC pin programmed level-sensitive: while the line is low and not in service it
//! requests a CPU; once a CPU takes the interrupt the pin is in service (remote IRR) and
//! is not looked at again until end of interrupt, when a line still low is delivered again.

use crate::frame::{PIC_DELIVER, PIC_EOI, PIC_IN_SERVICE, PIC_MASKED};
use crate::{Cycle, Rng};

/// Which CPU an interrupt is sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing {
    /// Always this CPU.
    Fixed(u8),
    /// A seeded random choice among the CPUs, per delivery.
    Random,
}

/// Settings of the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PicConfig {
    /// Cycles from seeing the line low to the request reaching the CPU.
    pub latency: u32,
    /// Extra random cycles (0..=jitter) added per delivery from the seeded scheduler.
    pub jitter: u32,
    /// Delivery target.
    pub routing: Routing,
    /// Injected faults on the line.
    pub faults: LineFaults,
}

impl Default for PicConfig {
    fn default() -> Self {
        PicConfig { latency: 2, jitter: 2, routing: Routing::Random, faults: LineFaults::default() }
    }
}

/// Faults injected on the interrupt line between the device and the controller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineFaults {
    /// Cycles `[from, to)` in which the controller does not see the line at all (a broken
    /// trace): an assertion then is seen only after the window, if the line is still low.
    pub drop_window: Option<(Cycle, Cycle)>,
    /// Extra cycles added to every delivery.
    pub extra_latency: u32,
    /// Every Nth end of interrupt, the controller delivers the line once more whatever its
    /// level, as a pin whose remote IRR went stale (a lost EOI broadcast) does: a spurious
    /// interrupt for the ISRs to decline.
    pub redeliver_every: Option<u32>,
}

/// The controller's state for the line.
#[derive(Clone, Debug)]
pub struct InterruptController {
    cfg: PicConfig,
    cpus: u8,
    in_service: bool,
    masked: bool,
    request: Option<(u8, Cycle)>,
    /// The pending request was forced by [`LineFaults::redeliver_every`]: the line's level
    /// does not withdraw it.
    forced: bool,
    eois: u32,
    pulses: u8,
    deliveries: u64,
}

impl InterruptController {
    /// A controller serving `cpus` CPUs.
    pub fn new(cfg: PicConfig, cpus: u8) -> Self {
        InterruptController {
            cfg,
            cpus: cpus.max(1),
            in_service: false,
            masked: false,
            request: None,
            forced: false,
            eois: 0,
            pulses: 0,
            deliveries: 0,
        }
    }

    /// Looks at the line once per cycle (`line_low` = INTA# asserted).
    #[inline]
    pub fn sample(&mut self, now: Cycle, line_low: bool, rng: &mut Rng) {
        if self.in_service || self.masked {
            return;
        }
        let line_low = line_low && !self.cfg.faults.drop_window.is_some_and(|(a, b)| (a..b).contains(&now));
        match (line_low, self.request) {
            (true, None) => {
                let cpu = match self.cfg.routing {
                    Routing::Fixed(c) => c.min(self.cpus - 1),
                    Routing::Random => rng.below_or_eq(u64::from(self.cpus - 1)) as u8,
                };
                let at = now
                    + Cycle::from(self.cfg.latency)
                    + Cycle::from(self.cfg.faults.extra_latency)
                    + rng.below_or_eq(u64::from(self.cfg.jitter));
                self.request = Some((cpu, at));
            }
            // A level request goes away with the level (8259/IOAPIC level mode).
            (false, Some(_)) if !self.forced => self.request = None,
            _ => {}
        }
    }

    /// The CPU a request is ready for at `now`, if any.
    #[inline]
    pub fn ready_for(&self, now: Cycle) -> Option<u8> {
        match self.request {
            Some((cpu, at)) if at <= now => Some(cpu),
            _ => None,
        }
    }

    /// Cycle at which the pending request becomes ready, if one is pending.
    pub fn next_ready(&self) -> Option<Cycle> {
        self.request.map(|(_, at)| at)
    }

    /// `cpu` takes the interrupt: the line goes in service.
    pub fn acknowledge(&mut self) {
        self.request = None;
        self.forced = false;
        self.in_service = true;
        self.pulses |= PIC_DELIVER;
        self.deliveries += 1;
    }

    /// End of interrupt at `now`: the line leaves service and is looked at again this cycle.
    pub fn eoi(&mut self, now: Cycle, rng: &mut Rng) {
        self.in_service = false;
        self.pulses |= PIC_EOI;
        self.eois = self.eois.wrapping_add(1);
        if let Some(n) = self.cfg.faults.redeliver_every.filter(|&n| n > 0 && !self.masked) {
            if self.eois.is_multiple_of(n) {
                // The stale request: delivered like a real one, withdrawn by nothing.
                self.sample(now, true, rng);
                self.forced = self.request.is_some();
            }
        }
    }

    /// Masks or unmasks the line.
    pub fn set_masked(&mut self, masked: bool) {
        self.masked = masked;
        if masked {
            self.request = None;
            self.forced = false;
        }
    }

    /// True while an interrupt is in service.
    pub fn in_service(&self) -> bool {
        self.in_service
    }

    /// True while the line is masked.
    pub fn masked(&self) -> bool {
        self.masked
    }

    /// Deliveries so far.
    pub fn deliveries(&self) -> u64 {
        self.deliveries
    }

    /// The traced `pic` bits for this cycle; pulses are cleared for the next.
    #[inline]
    pub fn probe(&mut self) -> u8 {
        let mut bits = self.pulses;
        self.pulses = 0;
        if self.in_service {
            bits |= PIC_IN_SERVICE;
        }
        if self.masked {
            bits |= PIC_MASKED;
        }
        bits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pic() -> InterruptController {
        InterruptController::new(
            PicConfig { latency: 2, jitter: 0, routing: Routing::Fixed(0), ..Default::default() },
            2,
        )
    }

    #[test]
    fn dropped_line_is_seen_only_after_the_window_and_delay_adds_latency() {
        let faults = LineFaults { drop_window: Some((10, 20)), extra_latency: 5, ..LineFaults::default() };
        let mut p =
            InterruptController::new(PicConfig { latency: 2, jitter: 0, routing: Routing::Fixed(1), faults }, 2);
        let mut r = Rng::new(0);
        for t in 10..20 {
            p.sample(t, true, &mut r);
            assert_eq!(p.next_ready(), None, "cycle {t}: the line is dropped");
        }
        p.sample(20, true, &mut r);
        assert_eq!(p.next_ready(), Some(27), "2 latency + 5 injected");
        assert_eq!(p.ready_for(27), Some(1));
    }

    #[test]
    fn low_line_is_delivered_after_latency_and_not_again_until_eoi() {
        let mut p = pic();
        let mut r = Rng::new(0);
        p.sample(10, true, &mut r);
        assert_eq!(p.ready_for(11), None);
        assert_eq!(p.ready_for(12), Some(0));
        p.acknowledge();
        assert!(p.probe() & PIC_DELIVER != 0);
        for t in 13..40 {
            p.sample(t, true, &mut r);
            assert_eq!(p.ready_for(t), None, "in service: the line is not looked at");
        }
        p.eoi(40, &mut r);
        p.sample(40, true, &mut r);
        assert_eq!(p.ready_for(42), Some(0), "still low at EOI: delivered again");
    }

    #[test]
    fn a_stale_remote_irr_redelivers_every_nth_eoi_with_the_line_released() {
        let faults = LineFaults { redeliver_every: Some(2), ..LineFaults::default() };
        let mut p =
            InterruptController::new(PicConfig { latency: 2, jitter: 0, routing: Routing::Fixed(0), faults }, 2);
        let mut r = Rng::new(0);
        for (round, t) in [(1u32, 10u64), (2, 100), (3, 200), (4, 300)] {
            p.sample(t, true, &mut r);
            p.acknowledge();
            p.eoi(t + 20, &mut r);
            p.sample(t + 20, false, &mut r);
            p.sample(t + 21, false, &mut r);
            let again = p.ready_for(t + 30);
            assert_eq!(again.is_some(), round % 2 == 0, "round {round}: released line, delivered again: {again:?}");
            if again.is_some() {
                p.acknowledge(); // in service until the next round's end of interrupt
            }
        }
    }

    #[test]
    fn released_line_withdraws_request_and_high_line_is_never_delivered() {
        let mut p = pic();
        let mut r = Rng::new(0);
        p.sample(0, false, &mut r);
        assert_eq!(p.ready_for(100), None);
        p.sample(1, true, &mut r);
        p.sample(2, false, &mut r);
        assert_eq!(p.ready_for(100), None);
    }
}
