//! Rule `burst-integrity`: a validated burst sequence (driver note kind 2,
//! VideoPortSynchronizeExecution use (b), semantics.md §4) reaches the adapter as
//! contiguous data phases or back-to-back transactions of its CPU, with no other
//! transaction and no ISR in between; when the sequence opens the adapter's timed window
//! (dev[3]), every later write of it lands while the window is open, and a window abort
//! during it is a violation (the device's timed window as its profile declares it; the display's: contracts.md).
//!
//! The sequence spans from its first write to its last (the note's count); writes may be
//! posted and drain after the note is cleared, so the sequence ends when the announced
//! count has reached the adapter, or when the note is gone and the CPU has nothing left on
//! the bus or in the bridge.

use dirql_sim::{Frame, Routine};

use super::{is_write, phase_cpu, Ctx, DeviceProfile, Ledger, Rule, Violation, Window, TRACED_CPUS};

/// Driver note kind of a validated burst (contracts.md §3).
pub const NOTE_BURST: u32 = 2;

#[derive(Clone, Debug)]
struct Seq {
    cpu: usize,
    announced: u32,
    noted_at: u64,
    writes: u32,
    first: Option<u64>,
    last: Option<u64>,
    /// The window opened during the sequence.
    windowed: bool,
    broken: bool,
}

/// The rule's state.
pub struct BurstIntegrity {
    seq: [Option<Seq>; TRACED_CPUS],
    /// How the device shows its timed window, when it has one.
    window: Option<fn(&Frame) -> Window>,
    /// The device's timed-window state in the previous cycle.
    prev_win: Window,
    /// What it checked and found.
    ledger: Ledger,
}

const SIGS: &[&str] = &[
    "frame_n",
    "irdy_n",
    "trdy_n",
    "ad",
    "bus_cpu",
    "@window",
    "cpu0_note",
    "cpu1_note",
    "cpu0_routine",
    "cpu1_routine",
];

impl BurstIntegrity {
    /// A fresh rule.
    pub fn new(profile: DeviceProfile) -> Self {
        BurstIntegrity {
            seq: [None, None],
            window: profile.timed_window,
            prev_win: Window::Closed,
            ledger: Ledger::default(),
        }
    }

    fn fail(&mut self, c: usize, cycle: u64, what: String) {
        if let Some(s) = self.seq[c].as_mut() {
            if s.broken {
                return;
            }
            s.broken = true;
            let msg = format!(
                "CPU{c} burst sequence ({} writes announced at cycle {}, {} reached the device so far, first at \
                 cycle {}): {what}",
                s.announced,
                s.noted_at,
                s.writes,
                s.first.map_or("-".into(), |x| x.to_string())
            );
            self.ledger.violations.push(Violation::new(cycle, msg).on(c, None).signals(SIGS));
        }
    }

    fn end(&mut self, c: usize, cycle: u64) {
        if let Some(s) = self.seq[c].as_ref() {
            if s.writes != s.announced && !s.broken {
                let what = format!("ended after {} of its {} writes", s.writes, s.announced);
                self.fail(c, cycle, what);
            }
        }
        self.seq[c] = None;
    }
}

impl Rule for BurstIntegrity {
    fn name(&self) -> &'static str {
        "burst-integrity"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        let win = self.window.map_or(Window::Closed, |w| w(f));
        // Any abort of the adapter's timed window is a sequence that did not reach it in
        // one piece, announced by the driver or not (an unannounced one cannot be judged
        // write by write, but its abort is plain on the signals). Inside an announced
        // sequence the abort is reported below, with the sequence's details.
        if win == Window::Aborted && self.prev_win != Window::Aborted && self.seq.iter().all(Option::is_none) {
            self.ledger.checked += 1;
            let who: Vec<String> =
                (0..TRACED_CPUS).map(|c| format!("CPU{c} {}", f.routine_of(c).map_or("?", Routine::name))).collect();
            self.ledger.violations.push(
                Violation::new(
                    f.cycle,
                    format!(
                        "the device aborted a timed programming sequence: consecutive \
                         window writes came more than the allowed gap apart, outside any sequence the driver \
                         announced as a validated burst ({})",
                        who.join(", ")
                    ),
                )
                .signals(SIGS),
            );
        }
        self.prev_win = win;
        for c in 0..TRACED_CPUS {
            let noted = f.note[c] >> 28 == NOTE_BURST;
            if noted && self.seq[c].is_none() {
                self.ledger.checked += 1;
                self.seq[c] = Some(Seq {
                    cpu: c,
                    announced: f.note[c] & 0xFFFF,
                    noted_at: f.cycle,
                    writes: 0,
                    first: None,
                    last: None,
                    windowed: false,
                    broken: false,
                });
            }
        }
        if let Some(ph) = ctx.phase {
            let from = phase_cpu(ph);
            for c in 0..TRACED_CPUS {
                let Some(s) = self.seq[c].as_mut() else { continue };
                debug_assert_eq!(s.cpu, c);
                if from == Some(c) && is_write(ph) && s.writes < s.announced {
                    let last = s.writes + 1 == s.announced;
                    if s.windowed && win != Window::Open && !(last && win == Window::Committed) {
                        let w = s.writes + 1;
                        self.fail(
                            c,
                            ph.cycle,
                            format!("write {w} landed while the device's timed window was not open ({win:?})"),
                        );
                    }
                    let s = self.seq[c].as_mut().expect("checked above");
                    s.writes += 1;
                    s.first.get_or_insert(ph.cycle);
                    s.last = Some(ph.cycle);
                } else if s.first.is_some() && s.writes < s.announced {
                    let who = match from {
                        Some(o) => format!("CPU{o} ({})", f.routine_of(o).map_or("?", Routine::name)),
                        None => "another master".into(),
                    };
                    let dir = if is_write(ph) { "write" } else { "read" };
                    self.fail(c, ph.cycle, format!("a {dir} by {who} to {:#010x} came between its writes", ph.addr));
                }
            }
        }
        for c in 0..TRACED_CPUS {
            let Some(s) = self.seq[c].as_mut() else { continue };
            if s.first.is_some() && win == Window::Open {
                s.windowed = true;
            }
            let (started, unfinished, windowed) = (s.first.is_some(), s.writes < s.announced, s.windowed);
            if started && unfinished {
                if let Some(d) = (0..TRACED_CPUS).find(|&d| f.routine_of(d) == Some(Routine::Isr)) {
                    self.fail(c, f.cycle, format!("the ISR ran on CPU{d} in the middle of it"));
                }
            }
            if (started || windowed) && win == Window::Aborted {
                self.fail(c, f.cycle, "the device aborted its timed window during the sequence".into());
            }
            let s = self.seq[c].as_ref().expect("present");
            let noted = f.note[c] >> 28 == NOTE_BURST;
            let idle = f.posted == 0 && usize::from(f.bus_cpu) != c + 1;
            if !noted && (s.writes >= s.announced || idle) {
                self.end(c, f.cycle);
            }
        }
    }

    /// Nothing to do: the window's state is the previous cycle's (no abort edge); a note
    /// that opens a sequence opened it in the previous cycle, one whose absence ends it ended
    /// it then; with no data phase no write counts; and the ISR or the abort that breaks a
    /// sequence broke it in the previous cycle (`fail` reports once per sequence).
    fn on_repeat(&mut self, _f: &Frame, _ctx: &Ctx<'_>) {}

    /// Its quiet repeats do nothing (above), however many.
    fn quiet_until(&self, _f: &Frame) -> u64 {
        u64::MAX
    }

    fn finish(&mut self, _last_cycle: u64) {
        // A sequence still under way when the waveform ends is neither intact nor broken:
        // the waveform simply stops; whatever it did until then was judged as it happened.
        self.seq = [None, None];
    }

    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}
