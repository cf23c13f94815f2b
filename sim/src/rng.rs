//! The one source of scheduling choices. Every choice the machine makes (interrupt target
//! and delay, stretches of CPU work, which CPU goes first) is one call of
//! [`Rng::below_or_eq`], numbered in the order it is made. A [`Schedule`] says how choices
//! are made:
//!
//! - `Seeded`: uniformly at random from a SplitMix64 stream, fixed by its seed on every
//!   platform, so a seed names a run exactly;
//! - `Forced`: the baseline (every choice 0: no jitter, CPU 0 first, interrupts to CPU 0)
//!   except the listed choices — the form a failing run is shrunk to and replayed from;
//! - `Pct`: probabilistic concurrency testing in spirit: the baseline, except at a few
//!   change points placed at random depths, where the choice is random. Bugs that need one
//!   or two specific deviations from the nominal schedule are found in few runs.
//!
//! With recording on, every non-baseline choice is kept, so a run can be turned into the
//! forced schedule that replays it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// How choices are made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Schedule {
    /// Uniform random choices from this seed.
    Seeded(u64),
    /// Baseline except these choices (index → value).
    Forced(BTreeMap<u64, u64>),
    /// Baseline except random choices at `depth` change points placed at random indices
    /// below `horizon`, all drawn from `seed`.
    Pct {
        /// Seed of the change points and their values.
        seed: u64,
        /// Number of change points.
        depth: u32,
        /// Choices considered (change points fall below it).
        horizon: u64,
    },
    /// A recorded run's choices below `upto` (baseline where it made none), uniform random
    /// choices from `seed` after: the coverage-guided exploration's mutation, which replays
    /// an interesting run up to a point and explores afresh from there.
    Splice {
        /// The recorded run's non-baseline choices.
        prefix: BTreeMap<u64, u64>,
        /// The first choice drawn from `seed`.
        upto: u64,
        /// Seed of the choices from `upto` on.
        seed: u64,
    },
}

/// A forced schedule that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad schedule '{0}': expected comma-separated INDEX=VALUE pairs, e.g. 12=1,40=3")]
pub struct ScheduleParseError(pub String);

impl FromStr for Schedule {
    type Err = ScheduleParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut m = BTreeMap::new();
        if s.trim() == "baseline" {
            return Ok(Schedule::Forced(m));
        }
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| ScheduleParseError(s.to_string()))?;
            let k = k.trim().parse().map_err(|_| ScheduleParseError(s.to_string()))?;
            let v = v.trim().parse().map_err(|_| ScheduleParseError(s.to_string()))?;
            m.insert(k, v);
        }
        Ok(Schedule::Forced(m))
    }
}

/// Formats a forced choice list as `INDEX=VALUE,...`, or `baseline` when empty (what
/// `Schedule::from_str` reads).
pub fn format_forced(m: &BTreeMap<u64, u64>) -> String {
    if m.is_empty() {
        return "baseline".to_string();
    }
    m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Seeded(s) => write!(f, "seed {s}"),
            Schedule::Forced(m) => write!(f, "forced [{}]", format_forced(m)),
            Schedule::Pct { seed, depth, horizon } => write!(f, "pct seed {seed} depth {depth} horizon {horizon}"),
            Schedule::Splice { prefix, upto, seed } => {
                write!(f, "forced [{}] below choice {upto}, then seed {seed}", format_forced(prefix))
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Mode {
    Seeded,
    Forced(BTreeMap<u64, u64>),
    Pct(BTreeMap<u64, ()>),
    Splice(BTreeMap<u64, u64>, u64),
}

/// The machine's choice source.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
    mode: Mode,
    index: u64,
    record: Option<BTreeMap<u64, u64>>,
}

impl Rng {
    /// Uniform random choices fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed, mode: Mode::Seeded, index: 0, record: None }
    }

    /// Choices made as `schedule` says.
    pub fn with_schedule(schedule: &Schedule) -> Self {
        match schedule {
            Schedule::Seeded(s) => Rng::new(*s),
            Schedule::Forced(m) => Rng { state: 0, mode: Mode::Forced(m.clone()), index: 0, record: None },
            Schedule::Pct { seed, depth, horizon } => {
                let mut r = Rng::new(*seed);
                let mut points = BTreeMap::new();
                for _ in 0..*depth {
                    points.insert(r.raw_below_or_eq(horizon.saturating_sub(1)), ());
                }
                Rng { state: r.state, mode: Mode::Pct(points), index: 0, record: None }
            }
            Schedule::Splice { prefix, upto, seed } => {
                Rng { state: *seed, mode: Mode::Splice(prefix.clone(), *upto), index: 0, record: None }
            }
        }
    }

    /// Keeps every non-baseline choice from now on (see [`Rng::recorded`]).
    pub fn record(&mut self) {
        self.record = Some(BTreeMap::new());
    }

    /// The non-baseline choices made while recording: the forced schedule of this run.
    pub fn recorded(&self) -> Option<&BTreeMap<u64, u64>> {
        self.record.as_ref()
    }

    /// Choices made so far.
    pub fn choices(&self) -> u64 {
        self.index
    }

    /// The next 64 random bits of the underlying stream (not a numbered choice).
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn raw_below_or_eq(&mut self, max: u64) -> u64 {
        // Multiply-shift: unbiased enough for scheduling and branch-free.
        ((u128::from(self.next_u64()) * (u128::from(max) + 1)) >> 64) as u64
    }

    /// One numbered choice in `0..=max`; 0 is the baseline. A choice with only one option
    /// (`max` = 0) is not numbered.
    #[inline]
    pub fn below_or_eq(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let i = self.index;
        self.index += 1;
        let v = match &self.mode {
            Mode::Seeded => self.raw_below_or_eq(max),
            Mode::Forced(m) => m.get(&i).copied().unwrap_or(0).min(max),
            Mode::Pct(points) => {
                if points.contains_key(&i) {
                    1 + self.raw_below_or_eq(max - 1)
                } else {
                    0
                }
            }
            Mode::Splice(m, upto) if i < *upto => m.get(&i).copied().unwrap_or(0).min(max),
            Mode::Splice(..) => self.raw_below_or_eq(max),
        };
        if v != 0 {
            if let Some(rec) = self.record.as_mut() {
                rec.insert(i, v);
            }
        }
        v
    }

    /// True with probability `num / den` (a numbered choice).
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        den != 0 && self.below_or_eq(den - 1) < num
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(r: &mut Rng, n: usize, max: u64) -> Vec<u64> {
        (0..n).map(|_| r.below_or_eq(max)).collect()
    }

    #[test]
    fn same_seed_same_sequence_and_different_seeds_differ() {
        let a = draws(&mut Rng::new(7), 16, 1000);
        let b = draws(&mut Rng::new(7), 16, 1000);
        let c = draws(&mut Rng::new(8), 16, 1000);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn below_or_eq_stays_in_range_and_reaches_both_ends() {
        let v = draws(&mut Rng::new(1), 1000, 3);
        assert!(v.iter().all(|&x| x <= 3));
        assert!(v.contains(&0) && v.contains(&3));
    }

    #[test]
    fn a_recorded_run_replays_exactly_from_its_forced_schedule() {
        let mut seeded = Rng::new(99);
        seeded.record();
        let maxes: Vec<u64> = (0..200).map(|i| (i % 5) as u64).collect();
        let original: Vec<u64> = maxes.iter().map(|&m| seeded.below_or_eq(m)).collect();
        let forced = Schedule::Forced(seeded.recorded().cloned().unwrap_or_default());
        let text = match &forced {
            Schedule::Forced(m) => format_forced(m),
            _ => unreachable!(),
        };
        let parsed: Schedule = text.parse().expect("round trip");
        assert_eq!(parsed, forced);
        let mut replay = Rng::with_schedule(&parsed);
        let again: Vec<u64> = maxes.iter().map(|&m| replay.below_or_eq(m)).collect();
        assert_eq!(original, again);
        assert!(original.iter().any(|&v| v != 0), "the seeded run made non-baseline choices");
    }

    #[test]
    fn pct_deviates_from_the_baseline_at_exactly_its_change_points() {
        let mut r = Rng::with_schedule(&Schedule::Pct { seed: 5, depth: 3, horizon: 100 });
        let v = draws(&mut r, 100, 4);
        let deviations = v.iter().filter(|&&x| x != 0).count();
        assert!((1..=3).contains(&deviations), "{deviations} deviations: {v:?}");
        let empty = draws(&mut Rng::with_schedule(&Schedule::Forced(BTreeMap::new())), 100, 4);
        assert!(empty.iter().all(|&x| x == 0), "the forced baseline is all zeros");
    }

    #[test]
    fn bad_schedule_text_is_rejected_with_the_text() {
        let e = "12=1,x".parse::<Schedule>().unwrap_err();
        assert!(e.to_string().contains("12=1,x"));
    }
}
