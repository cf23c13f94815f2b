//! Rule `pci-protocol`: the bus monitor. It watches the wired bus alone and reports each
//! breach of the PCI Local Bus Specification 3.0, chapter 3, with its cycle:
//!
//! | check | spec |
//! |---|---|
//! | `irdy-without-frame`: IRDY# asserted with no transaction | §3.2.1, §3.3.3.1 |
//! | `irdy-in-address-phase`: IRDY# asserted in the address phase | §3.3.1 |
//! | `frame-deassert-without-irdy`: FRAME# deasserted while IRDY# is deasserted | §3.3.3.1 rule 2 |
//! | `frame-reassert`: FRAME# asserted again after the last data phase was signalled | §3.3.3.1 |
//! | `irdy-withdrawn`: IRDY# deasserted before its data phase completed | §3.2.1 rule 4 |
//! | `trdy-withdrawn`: TRDY# deasserted before its data phase completed | §3.2.1 rule 4 |
//! | `devsel-timing`: DEVSEL# asserted in the address phase, or later than slow decode (3 clocks after it) | §3.6.1 |
//! | `devsel-dropped`: DEVSEL# deasserted during the transaction without STOP# (not a target abort) | §3.3.3.2 |
//! | `trdy-without-devsel`: TRDY# asserted while DEVSEL# is deasserted | §3.3.3.2 |
//! | `stop-without-devsel`: STOP# asserted without DEVSEL# ever asserted in the transaction | §3.3.3.2.1 |
//! | `stop-withdrawn`: STOP# deasserted while FRAME# is still asserted | §3.3.3.2.1 |
//! | `target-signals-when-idle`: TRDY#, STOP# or DEVSEL# asserted with no transaction | §3.3.3.2 |
//! | `turnaround`: AD driven by one agent in the clock right after another | §3.1, §3.3.1 |
//! | `ad-contention`: AD driven by two agents in one clock | §3.1 |
//! | `parity`: PAR one clock after an address or completed data phase is not even parity over AD and C/BE# | §3.7.1 |

use dirql_sim::Frame;

use super::{Ctx, Ledger, Rule, Violation};

/// Last clock (counted from the address phase) at which DEVSEL# may first assert: slow
/// decode (§3.6.1; a subtractive decoder would use the next).
pub const DEVSEL_SLOW: u64 = 3;

#[derive(Clone, Copy, Debug, Default)]
struct Txn {
    addr_cycle: u64,
    devsel_seen: bool,
}

/// The rule's state.
#[derive(Default)]
pub struct PciProtocol {
    prev: Option<Frame>,
    txn: Option<Txn>,
    /// The previous clock drove AD in an address phase or a completed data phase.
    par_due: bool,
    /// What it checked and found.
    ledger: Ledger,
}

const SIGS: &[&str] = &["frame_n", "irdy_n", "trdy_n", "devsel_n", "stop_n", "cbe_n", "ad", "par", "ad_drivers"];

/// Even parity over AD[31:0] and C/BE#[3:0]: PAR makes the count of ones even.
pub fn pci_parity(ad: u32, cbe_n: u8) -> bool {
    (ad.count_ones() + u32::from(cbe_n & 0xF).count_ones()) % 2 == 1
}

impl PciProtocol {
    /// A fresh monitor.
    pub fn new() -> Self {
        Self::default()
    }

    fn report(&mut self, f: &Frame, check: &str, what: String) {
        self.ledger.violations.push(Violation::new(f.cycle, format!("{check}: {what}")).signals(SIGS));
    }
}

impl Rule for PciProtocol {
    fn name(&self) -> &'static str {
        "pci-protocol"
    }

    fn on_frame(&mut self, f: &Frame, _ctx: &Ctx<'_>) {
        if !f.rst_n {
            *self = PciProtocol { ledger: std::mem::take(&mut self.ledger), ..Self::default() };
            return;
        }
        let prev = self.prev.unwrap_or(Frame {
            frame_n: true,
            irdy_n: true,
            trdy_n: true,
            devsel_n: true,
            stop_n: true,
            ..*f
        });
        if f.ad_drivers == 3 {
            self.report(f, "ad-contention", "AD driven by the host and the adapter in the same clock".into());
        }
        if matches!((prev.ad_drivers, f.ad_drivers), (1, 2) | (2, 1)) {
            let (a, b) = if prev.ad_drivers == 1 { ("host", "adapter") } else { ("adapter", "host") };
            self.report(
                f,
                "turnaround",
                format!(
                    "the {b} drives AD in the clock right after the {a} drove it (cycle {}), no turnaround cycle",
                    prev.cycle
                ),
            );
        }
        if self.par_due && f.par != pci_parity(prev.ad, prev.cbe_n) {
            self.report(
                f,
                "parity",
                format!(
                    "PAR = {} for AD = {:#010x}, C/BE# = {:#x} of cycle {}: not even parity (expected {})",
                    u8::from(f.par),
                    prev.ad,
                    prev.cbe_n,
                    prev.cycle,
                    u8::from(pci_parity(prev.ad, prev.cbe_n))
                ),
            );
        }
        self.par_due = false;

        // Did the previous clock end the transaction?
        if let Some(t) = self.txn {
            let prev_done = !prev.irdy_n && (!prev.trdy_n || !prev.stop_n);
            if (prev.frame_n && prev_done) || (prev.frame_n && prev.irdy_n && f.cycle > t.addr_cycle + 1) {
                self.txn = None;
            }
        }
        match self.txn.as_mut() {
            None => {
                if !f.frame_n {
                    self.ledger.checked += 1;
                    self.txn = Some(Txn { addr_cycle: f.cycle, devsel_seen: false });
                    self.par_due = f.ad_drivers != 0;
                    if !f.irdy_n {
                        self.report(f, "irdy-in-address-phase", "IRDY# asserted in the address phase".into());
                    }
                    if !f.devsel_n && prev.devsel_n {
                        self.report(
                            f,
                            "devsel-timing",
                            "DEVSEL# asserted in the address phase (before any decode)".into(),
                        );
                    }
                } else {
                    if !f.irdy_n {
                        self.report(
                            f,
                            "irdy-without-frame",
                            "IRDY# asserted with no transaction (FRAME# never asserted)".into(),
                        );
                    }
                    let asserted: Vec<&str> = [("TRDY#", f.trdy_n), ("STOP#", f.stop_n), ("DEVSEL#", f.devsel_n)]
                        .iter()
                        .filter(|(_, v)| !v)
                        .map(|(n, _)| *n)
                        .collect();
                    if !asserted.is_empty() {
                        self.report(
                            f,
                            "target-signals-when-idle",
                            format!("{} asserted with the bus idle (FRAME# and IRDY# deasserted)", asserted.join(", ")),
                        );
                    }
                }
            }
            Some(t) => {
                let n = f.cycle - t.addr_cycle;
                let prev_done = !prev.irdy_n && (!prev.trdy_n || !prev.stop_n);
                let mut found: Vec<(&str, String)> = Vec::new();
                if !prev.frame_n && f.frame_n && f.irdy_n {
                    found.push(("frame-deassert-without-irdy", "FRAME# deasserted while IRDY# is deasserted".into()));
                }
                if prev.frame_n && !f.frame_n && n > 0 {
                    found.push((
                        "frame-reassert",
                        format!("FRAME# asserted again after the last data phase was signalled (cycle {})", prev.cycle),
                    ));
                }
                // Master abort: nobody claimed by the subtractive slot, the master may give up.
                let master_abort = !t.devsel_seen && n > DEVSEL_SLOW + 1;
                if !prev.irdy_n && !prev_done && f.irdy_n && !master_abort {
                    found.push((
                        "irdy-withdrawn",
                        format!("IRDY# deasserted before the data phase asserted at cycle {} completed", prev.cycle),
                    ));
                }
                if !prev.trdy_n && prev.irdy_n && f.trdy_n && f.stop_n {
                    found.push((
                        "trdy-withdrawn",
                        format!(
                            "TRDY# deasserted before the data phase completed (IRDY# deasserted at cycle {})",
                            prev.cycle
                        ),
                    ));
                }
                if !f.devsel_n && !t.devsel_seen {
                    t.devsel_seen = true;
                    if n > DEVSEL_SLOW {
                        found.push((
                            "devsel-timing",
                            format!("DEVSEL# first asserted {n} clocks after the address phase (cycle {}); slow decode is {DEVSEL_SLOW}", t.addr_cycle),
                        ));
                    }
                }
                if t.devsel_seen && !prev.devsel_n && f.devsel_n && f.stop_n && !prev_done {
                    found.push((
                        "devsel-dropped",
                        "DEVSEL# deasserted during the transaction without STOP# (not a target abort)".into(),
                    ));
                }
                if !f.trdy_n && f.devsel_n {
                    found.push(("trdy-without-devsel", "TRDY# asserted while DEVSEL# is deasserted".into()));
                }
                if !f.stop_n && f.devsel_n && !t.devsel_seen {
                    found.push((
                        "stop-without-devsel",
                        "STOP# asserted with DEVSEL# never asserted in this transaction".into(),
                    ));
                }
                if !prev.stop_n && f.stop_n && !prev.frame_n {
                    found.push((
                        "stop-withdrawn",
                        format!("STOP# deasserted while FRAME# was still asserted (cycle {})", prev.cycle),
                    ));
                }
                let done = !f.irdy_n && (!f.trdy_n || !f.stop_n);
                self.par_due = done && !f.trdy_n && f.ad_drivers != 0;
                for (c, w) in found {
                    self.report(f, c, w);
                }
            }
        }
        self.prev = Some(*f);
    }

    /// The bus idle in both cycles (every control signal released, no transaction open,
    /// AD not driven by two agents): no check can fire and no state changes but the previous
    /// frame's cycle. Anything else goes through `on_frame`.
    fn on_repeat(&mut self, f: &Frame, ctx: &Ctx<'_>) {
        let idle = f.frame_n && f.irdy_n && f.trdy_n && f.stop_n && f.devsel_n && f.ad_drivers != 3;
        if idle && self.txn.is_none() && !self.par_due {
            self.prev = Some(*f);
        } else {
            self.on_frame(f, ctx);
        }
    }

    /// An idle bus with nothing open only keeps the frame (`prev`): a run of repeats
    /// leaves the last one.
    fn quiet_until(&self, f: &Frame) -> u64 {
        let idle = f.frame_n && f.irdy_n && f.trdy_n && f.stop_n && f.devsel_n && f.ad_drivers != 3;
        if idle && self.txn.is_none() && !self.par_due {
            u64::MAX
        } else {
            0
        }
    }

    fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    fn ledger_mut(&mut self) -> &mut Ledger {
        &mut self.ledger
    }
}
