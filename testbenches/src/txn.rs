//! PCI transactions decoded from the wired bus, one per address phase, for people: the
//! command, the BAR and register it went to (named by the device's profile), its first
//! data and how many data phases moved, how the target answered (PCI Local Bus Spec 3.0
//! §3.3.3: completion, disconnect, retry, target abort; §3.3.3.1: master abort), and who
//! issued it (`host.bus_cpu`, `host.bus_issuer`). The GTKWave decode ([`crate::gtkw`]) and
//! the HTML report ([`crate::html`]) draw these; no rule reads them (the rules have their
//! own decoder, [`crate::check::PciDecoder`], which this one runs inside for the BARs).

use dirql_sim::{Command, Frame, Routine};

use crate::check::{msi_write, Ctx, DataPhase, DeviceProfile, PciDecoder, Target};

/// How a transaction ended (PCI 3.0 §3.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// Every data phase the master wanted completed, no STOP#.
    Completed,
    /// STOP# after at least one data phase (disconnect with or without data).
    Disconnect,
    /// STOP# with DEVSEL# before any data moved: the master must issue it again.
    Retry,
    /// STOP# with DEVSEL# deasserted: the target will never complete it.
    TargetAbort,
    /// No DEVSEL#: nobody claimed it and the master gave up.
    MasterAbort,
    /// Still on the bus when the waveform ended.
    Unfinished,
}

impl Response {
    /// Its name as the decode shows it.
    pub fn name(self) -> &'static str {
        match self {
            Response::Completed => "ok",
            Response::Disconnect => "disconnect",
            Response::Retry => "retry",
            Response::TargetAbort => "target abort",
            Response::MasterAbort => "master abort",
            Response::Unfinished => "unfinished",
        }
    }
}

/// One decoded transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Txn {
    /// Cycle of its address phase.
    pub start: u64,
    /// Last cycle it held the bus (FRAME# or IRDY# asserted).
    pub end: u64,
    /// C/BE# of the address phase.
    pub cmd_code: u8,
    /// AD of the address phase.
    pub addr: u32,
    /// Where it went, from the BARs configuration software wrote.
    pub target: Target,
    /// The device mastered it (MSI, DMA).
    pub by_device: bool,
    /// IDSEL in the address phase (a configuration access to the device).
    pub idsel: bool,
    /// AD and byte enables (active high) of the first data phase.
    pub data: u32,
    /// Byte enables of the first data phase.
    pub be: u8,
    /// Data phases that completed.
    pub phases: u32,
    /// How it ended.
    pub response: Response,
    /// `host.bus_cpu`: 0 none, N = CPU N-1, 3 the bridge.
    pub bus_cpu: u8,
    /// `host.bus_issuer`: who issued it ([`Frame::issuer`]).
    pub issuer: u16,
}

impl Txn {
    /// Its command, `None` for a code the bridge never issues.
    pub fn cmd(&self) -> Option<Command> {
        Command::from_code(self.cmd_code)
    }
}

/// A transaction on the bus, not yet over.
#[derive(Clone, Copy, Debug)]
struct Open {
    txn: Txn,
    devsel: bool,
    stopped: Option<Response>,
}

/// Decodes transactions from frames, one frame per cycle (slot 0's view: the bus is the
/// same in both views of a two-slot run).
#[derive(Clone, Debug, Default)]
pub struct TxnLog {
    decoder: PciDecoder,
    decl: &'static [Option<crate::check::BarDecl>],
    open: Option<Open>,
    done: Vec<Txn>,
}

impl TxnLog {
    /// A log for the device described by `profile` (its BARs name the targets).
    pub fn new(profile: &'static DeviceProfile) -> Self {
        TxnLog { decoder: PciDecoder::with_msi_cap(profile.msi_cap_offset), decl: profile.bars, ..TxnLog::default() }
    }

    /// One cycle.
    pub fn feed(&mut self, f: &Frame) {
        if f.slot != 0 {
            return;
        }
        let ph = self.decoder.feed(f);
        if !f.rst_n {
            self.open = None;
            return;
        }
        let Some(o) = self.open.as_mut() else {
            if !f.frame_n {
                // The address phase (§3.3.1): the first clock of FRAME#.
                let ph0 = DataPhase {
                    cycle: f.cycle,
                    cmd: Command::from_code(f.cbe_n & 0xF),
                    addr: f.ad,
                    data: 0,
                    be: 0,
                    idsel: f.idsel,
                    bus_cpu: f.bus_cpu,
                    by_device: f.ad_drivers & 2 != 0,
                    issuer: f.bus_issuer,
                };
                let ctx = Ctx { bars: self.decoder.bars(), decl: self.decl, ..Ctx::default() };
                self.open = Some(Open {
                    txn: Txn {
                        start: f.cycle,
                        end: f.cycle,
                        cmd_code: f.cbe_n & 0xF,
                        addr: f.ad,
                        target: ctx.target(&ph0),
                        by_device: ph0.by_device,
                        idsel: f.idsel,
                        data: 0,
                        be: 0,
                        phases: 0,
                        response: Response::Unfinished,
                        bus_cpu: f.bus_cpu,
                        issuer: f.bus_issuer,
                    },
                    devsel: false,
                    stopped: None,
                });
            }
            return;
        };
        o.txn.end = f.cycle;
        if !f.devsel_n {
            o.devsel = true;
        }
        if let Some(ph) = ph {
            if o.txn.phases == 0 {
                o.txn.data = ph.data;
                o.txn.be = ph.be;
                if ph.bus_cpu != 0 {
                    o.txn.bus_cpu = ph.bus_cpu;
                }
                if ph.issuer != 0 {
                    o.txn.issuer = ph.issuer;
                }
            }
            o.txn.phases += 1;
        }
        if !f.stop_n && o.stopped.is_none() {
            // §3.3.3.2: STOP# with DEVSEL# deasserted is a target abort; with DEVSEL#,
            // before any data, a retry; after data (or with TRDY#), a disconnect.
            o.stopped = Some(if f.devsel_n {
                Response::TargetAbort
            } else if o.txn.phases == 0 && f.trdy_n {
                Response::Retry
            } else {
                Response::Disconnect
            });
        }
        // Over once FRAME# is high and the final phase ended (data or STOP#), or the
        // master gave up (FRAME# and IRDY# both high), as `PciDecoder` ends it.
        if f.frame_n && (f.irdy_n || !f.trdy_n || !f.stop_n) {
            let mut t = o.txn;
            t.response = match o.stopped {
                Some(r) => r,
                None if !o.devsel => Response::MasterAbort,
                None => Response::Completed,
            };
            self.done.push(t);
            self.open = None;
        }
    }

    /// The transactions decoded so far, and one still on the bus as unfinished.
    pub fn finish(mut self) -> Vec<Txn> {
        if let Some(o) = self.open.take() {
            self.done.push(o.txn);
        }
        self.done
    }
}

/// Short name of a command, as a logic analyser shows it.
pub fn command_name(code: u8) -> String {
    use Command::*;
    match Command::from_code(code) {
        Some(IoRead) => "IO read".into(),
        Some(IoWrite) => "IO write".into(),
        Some(MemRead) => "Mem read".into(),
        Some(MemWrite) => "Mem write".into(),
        Some(ConfigRead) => "Cfg read".into(),
        Some(ConfigWrite) => "Cfg write".into(),
        Some(MemReadMultiple) => "Mem read multiple".into(),
        Some(MemReadLine) => "Mem read line".into(),
        Some(MemWriteInvalidate) => "Mem write+invalidate".into(),
        None => format!("cmd {code:X}h"),
    }
}

/// The name of a type-0 configuration header dword (PCI 3.0 §6.1), or of the device's MSI
/// capability (§6.8.1) at `msi_cap`.
fn config_name(off: u32, msi_cap: Option<u32>) -> String {
    let dw = off & 0xFC;
    let name = match dw {
        0x00 => "Vendor/Device ID".to_string(),
        0x04 => "Command/Status".into(),
        0x08 => "Class/Revision".into(),
        0x0C => "BIST/Header/Latency/Cache line".into(),
        0x10..=0x24 => format!("BAR{}", (dw - 0x10) / 4),
        0x28 => "CardBus CIS".into(),
        0x2C => "Subsystem ID".into(),
        0x30 => "Expansion ROM".into(),
        0x34 => "Capabilities pointer".into(),
        0x3C => "Interrupt Line/Pin".into(),
        _ => match msi_cap.map(|c| dw.wrapping_sub(c)) {
            Some(0) => "MSI Message Control".into(),
            Some(4) => "MSI Message Address".into(),
            Some(8) => "MSI Message Upper Address/Data".into(),
            Some(12) => "MSI Message Data".into(),
            _ => return format!("{dw:02X}h"),
        },
    };
    format!("{dw:02X}h {name}")
}

/// Who issued a transaction, from `host.bus_cpu` and `host.bus_issuer`.
pub fn issuer_name(t: &Txn) -> String {
    if t.by_device {
        return "device (bus master)".into();
    }
    let cpu = match t.bus_cpu {
        1 => "CPU0",
        2 => "CPU1",
        3 => "bridge",
        _ => "host",
    };
    let f = Frame { bus_issuer: t.issuer, ..Frame::default() };
    match f.issuer() {
        Some((r, lock, irql)) => {
            let lock = if lock { ", interrupt lock held" } else { "" };
            format!("{cpu} {} ({}{lock})", r.name(), irql_name(irql))
        }
        None => cpu.into(),
    }
}

/// An IRQL's name (x86 numbering, dirql_host::Irql): PASSIVE, APC, DISPATCH, DIRQL n,
/// PROFILE, CLOCK, IPI, POWER, HIGH.
pub fn irql_name(irql: u8) -> String {
    match irql {
        0 => "PASSIVE".into(),
        1 => "APC".into(),
        2 => "DISPATCH".into(),
        27 => "PROFILE".into(),
        28 => "CLOCK".into(),
        29 => "IPI".into(),
        30 => "POWER".into(),
        31 => "HIGH".into(),
        n => format!("DIRQL {n}"),
    }
}

/// The register a transaction went to, named by the device's profile.
pub fn target_name(t: &Txn, profile: &DeviceProfile) -> String {
    match t.target {
        Target::Config => config_name(t.addr, profile.msi_cap_offset),
        Target::Bar(b, _) => {
            let name = profile.describe(t.target);
            if name.starts_with(&format!("BAR{b}")) {
                name
            } else {
                format!("BAR{b} {name}")
            }
        }
        Target::Other => {
            let ph = DataPhase {
                cycle: t.start,
                cmd: t.cmd(),
                addr: t.addr,
                data: t.data,
                be: t.be,
                idsel: t.idsel,
                bus_cpu: t.bus_cpu,
                by_device: t.by_device,
                issuer: t.issuer,
            };
            match msi_write(&ph) {
                Some((cpu, vector)) => format!("MSI to CPU{cpu} vector {vector:02X}h"),
                None if t.by_device => format!("host RAM {:08X}h", t.addr),
                None => format!("{:08X}h (no BAR of the device)", t.addr),
            }
        }
    }
}

/// The data of a transaction: `= D` written, `-> D` read, with its byte enables when not all
/// four, and how many more data phases moved.
pub fn data_text(t: &Txn) -> String {
    if t.phases == 0 {
        return "no data".into();
    }
    let arrow = if t.cmd().is_some_and(Command::is_write) { "=" } else { "->" };
    let more = if t.phases > 1 { format!(" +{} phase(s)", t.phases - 1) } else { String::new() };
    // A partial access shows the bytes it moved (PCI 3.0 §3.2.2: C/BE# name the lanes),
    // when the enabled lanes are contiguous.
    let (lo, n) = (t.be.trailing_zeros(), t.be.count_ones());
    if t.be != 0xF && t.be != 0 && u32::from(t.be >> lo) == (1 << n) - 1 {
        let v = (t.data >> (8 * lo)) & (u32::MAX >> (32 - 8 * n));
        return format!(
            "{arrow} {v:0w$X}h (byte {lo}{}){more}",
            if n > 1 { format!("-{}", lo + n - 1) } else { String::new() },
            w = 2 * n as usize
        );
    }
    let be = if t.be == 0xF { String::new() } else { format!(" BE {:04b}", t.be) };
    format!("{arrow} {:08X}h{be}{more}", t.data)
}

/// The texts a transaction is shown with: the whole of it on one line, then its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnText {
    /// Everything, one line: command, register, data, issuer, response.
    pub line: String,
    /// Command.
    pub command: String,
    /// Register (BAR and name).
    pub register: String,
    /// Data.
    pub data: String,
    /// Issuer.
    pub who: String,
    /// Response.
    pub response: &'static str,
}

/// How `t` is shown.
pub fn txn_text(t: &Txn, profile: &DeviceProfile) -> TxnText {
    let command = command_name(t.cmd_code);
    let register = target_name(t, profile);
    let data = data_text(t);
    let who = issuer_name(t);
    let response = t.response.name();
    TxnText {
        line: format!("{command} {register} {data} | {who} | {response}"),
        command,
        register,
        data,
        who,
        response,
    }
}

/// The routine code's name (`host.cpuN_routine`).
pub fn routine_name(code: u8) -> Option<&'static str> {
    Routine::from_code(code).map(Routine::name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{BarDecl, NO_DEVICE};

    static PROFILE: DeviceProfile = DeviceProfile { bars: &[Some(BarDecl { size: 0x1000, io: false })], ..NO_DEVICE };

    fn idle(cycle: u64) -> Frame {
        Frame {
            cycle,
            rst_n: true,
            frame_n: true,
            irdy_n: true,
            trdy_n: true,
            devsel_n: true,
            stop_n: true,
            cbe_n: 0xF,
            ..Frame::default()
        }
    }

    /// A single-phase transaction: address phase at `at`, DEVSEL# from `at + 2`, and the
    /// target's answer in `at + 3`.
    fn single(at: u64, cmd: u8, addr: u32, data: u32, answer: &str) -> Vec<Frame> {
        let mut v = vec![Frame { frame_n: false, cbe_n: cmd, ad: addr, bus_cpu: 1, bus_issuer: 0x205, ..idle(at) }];
        let wait = Frame { irdy_n: false, cbe_n: 0, ad: data, bus_cpu: 1, bus_issuer: 0x205, ..idle(at + 1) };
        v.push(wait);
        match answer {
            "ok" => v.push(Frame { devsel_n: false, trdy_n: false, ..wait.clone_at(at + 2) }),
            "retry" => v.push(Frame { devsel_n: false, stop_n: false, ..wait.clone_at(at + 2) }),
            "abort" => {
                v.push(Frame { devsel_n: false, ..wait.clone_at(at + 2) });
                v.push(Frame { stop_n: false, ..wait.clone_at(at + 3) });
            }
            _ => {
                for k in 2..7 {
                    v.push(wait.clone_at(at + k));
                }
                v.push(idle(at + 7));
            }
        }
        v
    }

    trait At {
        fn clone_at(&self, cycle: u64) -> Frame;
    }
    impl At for Frame {
        fn clone_at(&self, cycle: u64) -> Frame {
            Frame { cycle, ..*self }
        }
    }

    fn decode(frames: &[Frame]) -> Vec<Txn> {
        let mut log = TxnLog::new(&PROFILE);
        // BAR0 at 0xE000_0000, as configuration software would write it.
        let mut cfg = single(0, 0b1011, 0x10, 0xE000_0000, "ok");
        for f in &mut cfg {
            f.idsel = true;
        }
        for f in cfg.iter().chain(std::iter::once(&idle(4))).chain(frames) {
            log.feed(f);
        }
        log.finish().split_off(1)
    }

    #[test]
    fn each_answer_is_named_and_the_register_follows_the_bars() {
        let mut frames = single(10, 0b0111, 0xE000_0010, 0x1234, "ok");
        frames.push(idle(13));
        frames.extend(single(14, 0b0110, 0xE000_0004, 0, "retry"));
        frames.push(idle(17));
        frames.extend(single(18, 0b0110, 0xE000_0004, 0, "abort"));
        frames.push(idle(22));
        frames.extend(single(23, 0b0110, 0xF000_0000, 0, "none"));
        let t = decode(&frames);
        let got: Vec<(u64, Response, Target)> = t.iter().map(|t| (t.start, t.response, t.target)).collect();
        assert_eq!(
            got,
            vec![
                (10, Response::Completed, Target::Bar(0, 0x10)),
                (14, Response::Retry, Target::Bar(0, 4)),
                (18, Response::TargetAbort, Target::Bar(0, 4)),
                (23, Response::MasterAbort, Target::Other),
            ]
        );
        let text = txn_text(&t[0], &PROFILE);
        assert_eq!(text.line, "Mem write BAR0+0x10 = 00001234h | CPU0 StartIO (DISPATCH) | ok", "{text:?}");
        assert_eq!(t[0].end, 12);
        assert_eq!(txn_text(&t[3], &PROFILE).data, "no data");
        let byte = Txn { be: 0b0010, data: 0x2A00, ..t[0] };
        assert_eq!(data_text(&byte), "= 2Ah (byte 1)");
        let word = Txn { be: 0b1100, data: 0x1105_0000, ..t[0] };
        assert_eq!(data_text(&word), "= 1105h (byte 2-3)");
    }
}
