//! Rule `raster-timing`: the adapter's raster runs at the timing the driver programmed. The
//! vertical retrace (and so the retrace interrupt, and every frame a driver waits for)
//! comes once per frame of htotal × vtotal clocks (docs/contracts.md §1, `vga_timing.v`),
//! where the totals are what the driver wrote: the mode block committed through the timed
//! window (MODE[0] htotal, MODE[4] vtotal, MODE[6] the retrace line, as written on the
//! bus), or a CRTC write to CR00, CR06 or CR10 that the adapter reports landed (probe 6,
//! checked against the driver's intent by `register-integrity`). The reset timing is
//! htotal 50, vtotal 40, retrace line 32: the first retrace comes one whole frame after reset.
//!
//! Judged on the waveform alone: the retrace events the interrupt block receives (probe 7
//! bit 0). Between two retraces with no timing change in between the gap must be exactly one
//! frame; after a change the raster finishes its line and runs into the new frame, so the
//! next retrace must come within two new frames and a line. An adapter that commits a mode
//! other than the one written, or whose raster stops, fails here although every interrupt it
//! raises is served correctly.

use dirql_sim::{Command, Frame};
use dirql_testbenches::check::{Ctx, Ledger, Rule, Target, Violation};

use crate::regs::{CR_HTOTAL, CR_VSS, CR_VTOTAL, REG_MODE0, REG_MODE7};

/// The reset timing (contracts.md §1): htotal, vtotal, retrace line.
const RESET: Timing = Timing { htotal: 50, vtotal: 40, vss: 32 };
/// The longest line a change can leave the raster in (an 8-bit htotal).
const LONGEST_LINE: u64 = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Timing {
    htotal: u8,
    vtotal: u8,
    vss: u8,
}

impl Timing {
    /// Clocks per frame: totals below 2 count as 2 (vga_timing.v).
    fn frame(self) -> u64 {
        u64::from(self.htotal.max(2)) * u64::from(self.vtotal.max(2))
    }

    /// The retrace line is inside the frame, so a retrace comes at all.
    fn retraces(self) -> bool {
        self.vss < self.vtotal.max(2)
    }

    fn describe(self) -> String {
        format!(
            "htotal {} x vtotal {} = {} clocks a frame, retrace at line {}",
            self.htotal,
            self.vtotal,
            self.frame(),
            self.vss
        )
    }
}

/// The rule's state.
pub struct RasterTiming {
    timing: Timing,
    /// MODE[0..8] as last written on the bus (the adapter's shadow; 0 at reset).
    mode: [u8; 8],
    /// The last retrace, and whether the timing changed since.
    last_retrace: Option<u64>,
    /// Cycle of the last timing change (or reset) not yet followed by a retrace.
    changed_at: Option<u64>,
    /// The current wait has been reported late (once).
    reported: bool,
    in_reset: bool,
    ledger: Ledger,
}

const SIGS: &[&str] = &["dev_events", "seq_window", "crtc_write", "ad", "cbe_n"];

impl Default for RasterTiming {
    fn default() -> Self {
        Self::new()
    }
}

impl RasterTiming {
    /// A fresh rule (the adapter out of reset).
    pub fn new() -> Self {
        RasterTiming {
            timing: RESET,
            mode: [0; 8],
            last_retrace: None,
            changed_at: Some(0),
            reported: false,
            in_reset: true,
            ledger: Ledger::default(),
        }
    }

    fn change(&mut self, t: Timing, at: u64) {
        if t != self.timing {
            self.timing = t;
            self.changed_at = Some(at);
            self.reported = false;
        }
    }

    /// The latest cycle the next retrace may come at, if one must come.
    fn deadline(&self) -> Option<u64> {
        if !self.timing.retraces() {
            return None;
        }
        match (self.changed_at, self.last_retrace) {
            (Some(c), _) => Some(c + 2 * self.timing.frame() + LONGEST_LINE),
            (None, Some(r)) => Some(r + self.timing.frame()),
            (None, None) => None,
        }
    }
}

impl Rule for RasterTiming {
    fn name(&self) -> &'static str {
        "raster-timing"
    }

    fn on_frame(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        if !f.rst_n {
            *self = RasterTiming { ledger: std::mem::take(&mut self.ledger), ..RasterTiming::new() };
            return;
        }
        if self.in_reset {
            // The raster starts with the first clock out of reset.
            self.in_reset = false;
            self.changed_at = Some(f.cycle);
        }
        if f.dev[7] & 1 != 0 {
            self.ledger.checked += 1;
            if let (None, Some(prev)) = (self.changed_at, self.last_retrace) {
                let gap = f.cycle - prev;
                if gap != self.timing.frame() && !self.reported {
                    self.ledger.violations.push(
                        Violation::new(
                            f.cycle,
                            format!(
                                "the adapter's vertical retrace came {gap} clocks after the previous one (cycle \
                                 {prev}), but the timing the driver programmed ({}) makes every frame {} clocks",
                                self.timing.describe(),
                                self.timing.frame()
                            ),
                        )
                        .signals(SIGS),
                    );
                }
            }
            self.last_retrace = Some(f.cycle);
            self.changed_at = None;
            self.reported = false;
        } else if let Some(d) = self.deadline().filter(|&d| f.cycle > d && !self.reported) {
            self.reported = true;
            self.ledger.checked += 1;
            let since = match (self.changed_at, self.last_retrace) {
                (Some(c), _) => format!("since the timing changed at cycle {c}"),
                (None, Some(r)) => format!("since the previous one at cycle {r}"),
                (None, None) => String::new(),
            };
            self.ledger.violations.push(
                Violation::new(
                    d + 1,
                    format!(
                        "no vertical retrace {since}, by cycle {d}: the timing the driver programmed ({}) brings one \
                         every {} clocks",
                        self.timing.describe(),
                        self.timing.frame()
                    ),
                )
                .signals(SIGS),
            );
        }
        // A CRTC timing register written (the adapter's report: dev[6] valid, not dropped).
        if f.dev[6] & 0x300 == 0x100 {
            let (index, data) = (f.dev[6] as u8, (f.dev[6] >> 16) as u8);
            let mut t = self.timing;
            match index {
                CR_HTOTAL => t.htotal = data,
                CR_VTOTAL => t.vtotal = data,
                CR_VSS => t.vss = data,
                _ => {}
            }
            self.change(t, f.cycle);
        }
        // The mode block: MODE[n] written on the bus; committed when the window says so.
        if let Some(ph) = ctx.phase.filter(|p| matches!(p.cmd, Some(Command::MemWrite | Command::MemWriteInvalidate))) {
            if let Target::Bar(0, off) = ctx.target(ph) {
                if (REG_MODE0..=REG_MODE7).contains(&off) && off % 4 == 0 && ph.be & 1 != 0 {
                    self.mode[((off - REG_MODE0) / 4) as usize] = ph.data as u8;
                }
            }
        }
        if f.dev[3] & 0xFF == 2 {
            let t = Timing { htotal: self.mode[0], vtotal: self.mode[4], vss: self.mode[6] };
            self.change(t, f.cycle);
        }
    }

    /// A quiet repeat (`on_repeat` is `on_frame` here) is out of reset (as the previous
    /// frame was, so `in_reset` is over); a retrace flag held over it would be counted again,
    /// so then every repeat; else the timing registers and the window show what the previous
    /// frame applied (`change` of the same timing does nothing) and no data phase: what is
    /// left is the deadline, which reads the cycle: repeats are skipped up to it.
    fn quiet_until(&self, f: &Frame) -> u64 {
        if f.dev[7] & 1 != 0 {
            return 0;
        }
        if self.reported {
            return u64::MAX;
        }
        self.deadline().unwrap_or(u64::MAX)
    }

    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}
