//! Interrupt timing per source, the numbers hardware engineers validate: from the
//! assertion of a source (its bit of latched & enabled rising, which drives INTA#) to
//! the entry of the ISR that serviced it, to its acknowledge (the bit clearing), to the
//! release of the adapter's INTA#, and that ISR's duration. Samples are kept per source
//! (a few bytes per interrupt; an interrupt comes every few thousand cycles).
//!
//! With MSI the source is signalled by a message, not INTA#: the first MSI write on the
//! bus after the assertion whose vector's low bits name the source
//! ([`DeviceProfile::msi_source_mask`]) gives "source -> MSI write"; INTA# release does
//! not apply.

use dirql_sim::{Frame, PERIOD_NS};
use serde::Serialize;

use super::{msi_write, Ctx, DeviceProfile, IsrSpan, TRACED_CPUS};

/// min / median / p99 / max of a set of cycle counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Distribution {
    /// Samples.
    pub count: usize,
    /// Cycles.
    pub min: u64,
    /// Cycles.
    pub median: u64,
    /// Cycles (nearest rank).
    pub p99: u64,
    /// Cycles.
    pub max: u64,
    /// The same four in ns: min, median, p99, max.
    pub ns: [u64; 4],
    /// The samples, sorted (for the histogram).
    #[serde(skip)]
    pub samples: Vec<u32>,
}

impl Distribution {
    /// The distribution of `samples`.
    pub fn of(mut samples: Vec<u32>) -> Self {
        samples.sort_unstable();
        let n = samples.len();
        if n == 0 {
            return Distribution::default();
        }
        let rank = |p: f64| samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1] as u64;
        let (min, median, p99, max) = (samples[0] as u64, rank(0.5), rank(0.99), samples[n - 1] as u64);
        Distribution { count: n, min, median, p99, max, ns: [min, median, p99, max].map(|c| c * PERIOD_NS), samples }
    }
}

/// Timing of one source.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SourceTiming {
    /// Source name.
    pub source: &'static str,
    /// How the source was signalled: `INTA#`, or `MSI` when every sample came by message.
    pub signal: &'static str,
    /// Assertion to the MSI write on the bus (empty for INTA#).
    pub to_message: Distribution,
    /// INTA# assertion to ISR entry.
    pub to_isr_entry: Distribution,
    /// INTA# assertion to acknowledge (the source's bit clears on the adapter).
    pub to_ack: Distribution,
    /// INTA# assertion to the adapter releasing INTA#.
    pub to_release: Distribution,
    /// Duration of the ISR that serviced it (entry to return).
    pub isr_duration: Distribution,
    /// INTA# only: from the clock edge that latched the source to INTA# asserted (the
    /// device's assertion latency; 1 = in the interval of that edge).
    pub latch_to_inta: Distribution,
    /// INTA# only: from the data phase of the acknowledging write to INTA# released (the
    /// device's dismissal latency; 1 = in the next interval).
    pub ack_to_release: Distribution,
    /// The latencies the device declares: (assertion, dismissal), in cycles.
    pub declared: (u64, u64),
}

#[derive(Clone, Copy, Debug)]
struct Open {
    at: u64,
    entry: Option<u64>,
    ack: Option<(u64, usize)>,
    release: Option<u64>,
    /// INTA# seen asserted for it.
    asserted: Option<u64>,
    /// Nothing else was pending when it was acknowledged: the release is its own.
    alone: bool,
    /// The MSI write that signalled it: cycle, target CPU.
    message: Option<(u64, usize)>,
}

#[derive(Default)]
struct Samples {
    entry: Vec<u32>,
    ack: Vec<u32>,
    release: Vec<u32>,
    duration: Vec<u32>,
    message: Vec<u32>,
    latch: Vec<u32>,
    dismiss: Vec<u32>,
}

/// Collects timing while frames stream by.
pub struct TimingStats {
    spans: [IsrSpan; TRACED_CPUS],
    open: Vec<Option<Open>>,
    profile: DeviceProfile,
    /// Waiting for the ISR's return: (source, entry, cpu).
    awaiting_return: Vec<(usize, u64, usize)>,
    prev_pending: u32,
    /// MSI writes have been seen: each source is serviced by the ISR its own message starts.
    msi: bool,
    msi_source_mask: u8,
    declared: (u64, u64),
    samples: Vec<Samples>,
    result: Vec<SourceTiming>,
}

impl TimingStats {
    /// Fresh statistics for the device of `profile`.
    pub fn new(profile: DeviceProfile) -> Self {
        TimingStats {
            spans: [IsrSpan::default(); TRACED_CPUS],
            open: vec![None; profile.sources.len()],
            profile,
            awaiting_return: Vec::new(),
            prev_pending: 0,
            msi: false,
            msi_source_mask: profile.msi_source_mask,
            declared: (profile.assert_latency, profile.dismiss_latency),
            samples: (0..profile.sources.len()).map(|_| Samples::default()).collect(),
            result: Vec::new(),
        }
    }

    /// One cycle.
    pub fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if let Some((cpu, vector)) = ctx.phase.and_then(msi_write) {
            self.msi = true;
            let source = usize::from(vector & self.msi_source_mask);
            if let Some(o) = self.open.get_mut(source).and_then(Option::as_mut) {
                o.message.get_or_insert((f.cycle, cpu));
            }
        }
        for c in 0..TRACED_CPUS {
            if self.spans[c].update(f, c) {
                for o in self.open.iter_mut().flatten() {
                    // By line, the ISR entered next serves every pending source; by MSI,
                    // only the one its CPU entered for the source's own message.
                    if !self.msi || o.message.is_some_and(|(_, cpu)| cpu == c) {
                        o.entry.get_or_insert(f.cycle);
                    }
                }
            }
        }
        let pending = (self.profile.latched)(f) & (self.profile.enabled)(f);
        for s in 0..self.samples.len() {
            let bit = 1 << s;
            if pending & bit != 0 && self.prev_pending & bit == 0 {
                // An ISR already running when the source asserts may service it: entry 0.
                let running = !self.msi && self.spans.iter().any(|sp| sp.entered.is_some());
                self.open[s] = Some(Open {
                    at: f.cycle,
                    entry: running.then_some(f.cycle),
                    ack: None,
                    release: None,
                    asserted: None,
                    alone: false,
                    message: None,
                });
            }
            if pending & bit == 0 && self.prev_pending & bit != 0 {
                if let Some(o) = self.open[s].as_mut() {
                    // Acknowledged by the ISR running now; cleared by anyone else: no sample.
                    match (0..TRACED_CPUS).find(|&c| self.spans[c].entered.is_some()) {
                        Some(c) => {
                            o.ack = Some((f.cycle, c));
                            o.alone = pending == 0;
                        }
                        None => self.open[s] = None,
                    }
                }
            }
        }
        for s in 0..self.samples.len() {
            let Some(o) = self.open[s].as_mut() else { continue };
            if o.asserted.is_none() && !f.dev_inta_n {
                o.asserted = Some(f.cycle);
            }
            if let Some((ack, cpu)) = o.ack {
                if o.release.is_none() && f.dev_inta_n {
                    o.release = Some(f.cycle);
                }
                if let Some(rel) = o.release {
                    let entry = o.entry.unwrap_or(o.at).max(o.at);
                    let sm = &mut self.samples[s];
                    let d = |x: u64| u32::try_from(x - o.at).unwrap_or(u32::MAX);
                    sm.entry.push(d(entry));
                    sm.ack.push(d(ack));
                    sm.release.push(d(rel));
                    if let Some((m, _)) = o.message {
                        sm.message.push(d(m));
                    }
                    if let Some(a) = o.asserted.filter(|_| o.message.is_none()) {
                        sm.latch.push(d(a) + 1);
                        // The source's bit clears in the interval after the data phase;
                        // the line is its own to release only with nothing else pending.
                        if o.alone {
                            sm.dismiss.push(u32::try_from(rel + 1 - ack).unwrap_or(u32::MAX));
                        }
                    }
                    let isr_entry = self.spans[cpu].entered.unwrap_or(entry);
                    self.awaiting_return.push((s, isr_entry, cpu));
                    self.open[s] = None;
                }
            }
        }
        if !self.awaiting_return.is_empty() {
            let samples = &mut self.samples;
            self.awaiting_return.retain(|&(s, entered, cpu)| match f.isr_return(cpu) {
                Some(_) => {
                    samples[s].duration.push(u32::try_from(f.cycle - entered).unwrap_or(u32::MAX));
                    false
                }
                None => true,
            });
        }
        self.prev_pending = pending;
    }

    /// End of the waveform: computes the distributions.
    pub fn finish(&mut self, _last: u64) {
        self.result = self
            .samples
            .iter_mut()
            .enumerate()
            .filter(|(_, s)| !s.ack.is_empty())
            .map(|(i, s)| SourceTiming {
                source: self.profile.sources[i],
                signal: if s.message.len() == s.ack.len() { "MSI" } else { "INTA#" },
                to_message: Distribution::of(std::mem::take(&mut s.message)),
                to_isr_entry: Distribution::of(std::mem::take(&mut s.entry)),
                to_ack: Distribution::of(std::mem::take(&mut s.ack)),
                to_release: Distribution::of(std::mem::take(&mut s.release)),
                isr_duration: Distribution::of(std::mem::take(&mut s.duration)),
                latch_to_inta: Distribution::of(std::mem::take(&mut s.latch)),
                ack_to_release: Distribution::of(std::mem::take(&mut s.dismiss)),
                declared: self.declared,
            })
            .collect();
    }

    /// Per source with at least one serviced interrupt.
    pub fn sources(&self) -> &[SourceTiming] {
        &self.result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_quantiles_are_nearest_rank() {
        let d = Distribution::of((1..=100).rev().collect());
        assert_eq!((d.min, d.median, d.p99, d.max), (1, 50, 99, 100));
        assert_eq!(d.ns[3], 100 * PERIOD_NS);
        assert_eq!(Distribution::of(vec![]).count, 0);
    }
}
