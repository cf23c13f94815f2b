//! GTKWave save files: written beside a waveform (VCD or FST; GTKWave opens both, and
//! Verilator's two writers name every signal alike) so that `gtkwave run.gtkw` opens it
//! with the useful signals grouped (decoded transactions, CPU0, CPU1, PCI, interrupt line,
//! adapter state) and, for a failing run, the view centred on the first violation with a
//! marker on it.
//!
//! The decode goes in a folder beside the save file (`FILE.decode/`), and the waveform's
//! bytes stay as they are: GTKWave 3.3 reads it through two mechanisms it has for this,
//! both independent of the waveform's format:
//!
//! - a *transaction filter process* (`^<`, Edit > Data Format > Transaction Filter Process):
//!   GTKWave pipes a trace's value changes to a program and draws the rows of text it
//!   answers with. dirql attaches `txn-filter.sh` to `rst_ni` (one change, so GTKWave's
//!   request is a few lines); the script answers every request with `txn.txt`, the run's
//!   transactions as dirql decoded them ([`crate::txn`]), one row of text per transaction
//!   and four rows of its parts;
//! - *translate filter files* (`^1`, Data Format > Translate Filter File): value -> text,
//!   for the host codes (routine, IRQL, driver operation, note, ISR return, lock owner, bus
//!   CPU, issuer, fault command, MSI taken). GTKWave looks up the value as the trace
//!   formats it, so translated traces are shown in decimal and the files are keyed so.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use dirql_sim::{Frame, PERIOD_NS};

use crate::check::{DeviceProfile, SIGNAL_TABLE};
use crate::txn::{irql_name, routine_name, txn_text, Response, Txn};

/// The groups, in order (every signal of the table with a group is in one): the CPUs
/// first, so that the decoded rows and the named host codes share the first screen.
const GROUPS: &[&str] = &["CPU0", "CPU1", "PCI", "interrupt line", "device state"];

/// Path of the scope the wrapper's signals live in (Verilator adds `TOP`).
const TOP: &str = "TOP.dirql_sim_top";

/// The rows the transaction filter answers with, in order (the first is the whole
/// transaction on one line).
pub const TXN_ROWS: [&str; 6] = ["PCI transaction", "  command", "  register", "  data", "  issuer", "  response"];

/// The save file for the waveform `wave`: beside it, same stem, `.gtkw`.
pub fn gtkw_path(wave: &Path) -> PathBuf {
    wave.with_extension("gtkw")
}

/// The folder of the decode for the waveform `wave`: beside it, `STEM.decode`.
pub fn decode_dir(wave: &Path) -> PathBuf {
    wave.with_extension("decode")
}

/// What a run shows beyond its signals: its transactions and the host codes' values seen.
#[derive(Clone, Debug, Default)]
pub struct Decode {
    /// The run's transactions, in order.
    pub txns: Vec<Txn>,
    /// Values seen of the signals whose names depend on the run (`cpuN_note`,
    /// `bus_issuer`, `msi`), by translate file.
    pub seen: BTreeSet<(&'static str, u32)>,
}

/// Gathers a [`Decode`] from the frames of a run: its transactions and the values its
/// run-dependent codes took (looked at only when they change).
#[derive(Clone, Debug)]
pub struct DecodeLog {
    txns: crate::txn::TxnLog,
    prev: Option<Frame>,
    seen: BTreeSet<(&'static str, u32)>,
}

impl DecodeLog {
    /// A log for the device described by `profile`.
    pub fn new(profile: &'static DeviceProfile) -> Self {
        DecodeLog { txns: crate::txn::TxnLog::new(profile), prev: None, seen: BTreeSet::new() }
    }

    /// One cycle.
    pub fn feed(&mut self, f: &Frame) {
        if f.slot != 0 {
            return;
        }
        self.txns.feed(f);
        let p = self.prev.unwrap_or_default();
        for cpu in 0..crate::check::TRACED_CPUS {
            if f.note[cpu] != p.note[cpu] || self.prev.is_none() {
                self.seen.insert(("note", f.note[cpu]));
            }
        }
        if f.bus_issuer != p.bus_issuer || self.prev.is_none() {
            self.seen.insert(("bus_issuer", u32::from(f.bus_issuer)));
        }
        if f.msi != p.msi || self.prev.is_none() {
            self.seen.insert(("msi", u32::from(f.msi)));
        }
        self.prev = Some(*f);
    }

    /// The decode of every frame fed.
    pub fn finish(self) -> Decode {
        Decode { txns: self.txns.finish(), seen: self.seen }
    }
}

/// GTKWave's name for a colour (its X11 colour table) for a response.
fn colour(r: Response) -> Option<&'static str> {
    match r {
        Response::Completed => None,
        Response::Disconnect => Some("yellow"),
        Response::Retry => Some("orange"),
        Response::TargetAbort | Response::MasterAbort => Some("red"),
        Response::Unfinished => Some("gray"),
    }
}

/// The transaction filter's answer: the rows of [`TXN_ROWS`], each a `$name` and one text
/// per transaction from its address phase to the clock after its last (times in ns, the
/// waveform's unit), ending in `$finish` (GTKWave reads until it).
pub fn txn_stream(txns: &[Txn], profile: &DeviceProfile) -> String {
    let texts: Vec<_> = txns.iter().map(|t| (t, txn_text(t, profile))).collect();
    let mut s = String::new();
    for (row, name) in TXN_ROWS.iter().enumerate() {
        if row > 0 {
            s.push_str("$next\n");
        }
        let _ = writeln!(s, "$name {}\n#0", name.trim());
        for (t, x) in &texts {
            let text = match row {
                0 => &x.line,
                1 => &x.command,
                2 => &x.register,
                3 => &x.data,
                4 => &x.who,
                _ => x.response,
            };
            let c = colour(t.response)
                .filter(|_| row == 0 || row == TXN_ROWS.len() - 1)
                .map_or(String::new(), |c| format!("?{c}?"));
            let _ = writeln!(s, "#{} {c}{text}", t.start * PERIOD_NS);
            let _ = writeln!(s, "#{}", (t.end + 1) * PERIOD_NS);
        }
    }
    s.push_str("$finish\n");
    s
}

/// The transaction filter process GTKWave runs (`/bin/sh txn-filter.sh`): it reads each
/// request up to its `data_end` comment and answers with `txn.txt` beside it, for as long
/// as GTKWave keeps the pipe open (it asks again when the waveform is reloaded).
pub const TXN_FILTER: &str = r#"#!/bin/sh
# GTKWave transaction filter process written by dirql (docs/waveform.md): answers each
# request with the transactions dirql decoded from this run, txn.txt beside this script.
here=$(dirname "$0")
while IFS= read -r line; do
  case $line in
    *data_end*) cat "$here/txn.txt" ;;
  esac
done
"#;

/// Driver operation codes (`host.cpuN_op`: the OS model's `kernel::Op`, docs/waveform.md).
pub const OPS: [&str; 16] = [
    "none",
    "ReadRegister",
    "WriteRegister",
    "ReadPort",
    "WritePort",
    "config read",
    "config write",
    "SynchronizeExecution",
    "StallExecution",
    "QueueDpc",
    "EOI",
    "ZeroMemory",
    "LogError",
    "Enable/DisableInterrupt",
    "StartIO request",
    "NdisMSynchronizeWithInterruptEx",
];

/// Pin-fault modes (`host.fault` [2:0], docs/sim-interface.md).
const FAULT_MODES: [&str; 8] =
    ["none", "target abort", "retry", "late DEVSEL#", "read parity no C/BE#", "no turnaround", "mode 6", "mode 7"];

/// A driver note's meaning (docs/contracts.md §3): [31:28] the kind.
pub fn note_name(v: u32) -> String {
    match v >> 28 {
        0 if v == 0 => "-".into(),
        1 => format!("intended data write: index {:02X}h value {:02X}h", (v >> 8) & 0xFF, v & 0xFF),
        2 => format!("validated burst: {} write(s)", v & 0xFFFF),
        3 => {
            let i = (v & 0xFFF) as usize;
            match i.checked_sub(1).and_then(|i| dirql_host::stop_codes::ALL.get(i)) {
                Some(code) => format!("bug check {code}"),
                None => format!("bug check (stop code #{i})"),
            }
        }
        k => format!("note kind {k}: {:07X}h", v & 0x0FFF_FFFF),
    }
}

/// The text of value `v` of a host code, by its translate file's name (`routine`, `irql`,
/// `op`, `note`, `isr_ret`, `lock_owner`, `bus_cpu`, `bus_issuer`, `fault`, `msi`).
pub fn code_text(kind: &str, v: u32) -> Option<String> {
    let per_cpu = |bits: u32, each: &dyn Fn(u32) -> String| {
        let mask = (1u32 << bits) - 1;
        let parts: Vec<String> = (0..2)
            .filter(|c| (v >> (bits * c)) & mask != 0)
            .map(|c| format!("CPU{c} {}", each((v >> (bits * c)) & mask)))
            .collect();
        if parts.is_empty() {
            "-".to_string()
        } else {
            parts.join(", ")
        }
    };
    let cpu = |zero: &str| match v {
        0 => zero.to_string(),
        1 => "CPU0".into(),
        2 => "CPU1".into(),
        _ => "bridge".into(),
    };
    Some(match kind {
        "routine" => routine_name(v as u8).map_or(format!("code {v}"), str::to_string),
        "irql" => irql_name(v as u8),
        "op" => OPS.get(v as usize).map_or(format!("op {v}"), |s| s.to_string()),
        "note" => note_name(v),
        "isr_ret" => per_cpu(2, &|b| match b {
            1 => "FALSE".into(),
            2 => "TRUE".into(),
            _ => "TRUE+DPC".into(),
        }),
        "lock_owner" => cpu("free"),
        "bus_cpu" => cpu("-"),
        "bus_issuer" => {
            let f = Frame { bus_issuer: v as u16, ..Frame::default() };
            match f.issuer() {
                Some((r, lock, irql)) => format!("{} {}{}", r.name(), irql_name(irql), if lock { " lock" } else { "" }),
                None => "-".into(),
            }
        }
        "fault" => {
            let mode = FAULT_MODES[(v & 7) as usize];
            match (v & 8 != 0, v & 7) {
                (_, 0) if v == 0 => "-".to_string(),
                (true, _) => format!("armed: {mode}"),
                (false, _) => mode.to_string(),
            }
        }
        "msi" => per_cpu(8, &|b| format!("vector {b:02X}h")),
        _ => return None,
    })
}

/// The text of value `v` of the signal called `name` in excerpts (a host code), if it has one.
pub fn signal_text(name: &str, v: u64) -> Option<String> {
    let sig = crate::check::SIGNAL_TABLE.iter().find(|s| s.name == name)?;
    code_text(translate_file_of(sig.path)?, u32::try_from(v).ok()?)
}

/// The translate files: name, and (value, text) pairs: every value of the small codes, and
/// of the wide ones (`note`, `bus_issuer`, `msi`) the values `seen` in the run (and every
/// stop code's note).
fn translate_files(seen: &BTreeSet<(&'static str, u32)>) -> Vec<(&'static str, Vec<(u32, String)>)> {
    let of = |kind: &'static str| seen.iter().filter(move |(k, _)| *k == kind).map(|&(_, v)| v);
    let stops = (1..=dirql_host::stop_codes::ALL.len() as u32).map(|i| (3 << 28) | i);
    let values: Vec<(&'static str, Vec<u32>)> = vec![
        ("routine", (0..16).collect()),
        ("irql", (0..32).collect()),
        ("op", (0..16).collect()),
        ("note", of("note").chain(stops).collect()),
        ("isr_ret", (0..16).collect()),
        ("lock_owner", (0..4).collect()),
        ("bus_cpu", (0..4).collect()),
        ("bus_issuer", of("bus_issuer").collect()),
        ("fault", (0..16).collect()),
        ("msi", of("msi").collect()),
    ];
    values
        .into_iter()
        .map(|(k, vs)| (k, vs.into_iter().filter_map(|v| code_text(k, v).map(|t| (v, t))).collect()))
        .collect()
}

/// The translate file a signal of the table is shown through (by its path), if any.
fn translate_file_of(path: &str) -> Option<&'static str> {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    Some(match leaf {
        l if l.ends_with("_routine") => "routine",
        l if l.ends_with("_irql") => "irql",
        l if l.ends_with("_op") => "op",
        l if l.ends_with("_note") => "note",
        "isr_ret" => "isr_ret",
        "lock_owner" => "lock_owner",
        "bus_cpu" => "bus_cpu",
        "bus_issuer" => "bus_issuer",
        "fault" => "fault",
        "msi" => "msi",
        _ => return None,
    })
}

/// The text of a save file for the waveform `wave` (its `[dumpfile]`), centred on
/// `focus` = (cycle, label) when given; `probes` are the device's names for its probes,
/// shown in the device group. With `decode` (the folder [`write_decode`] wrote), the
/// decoded rows come first and the host codes are shown by name.
pub fn gtkw_text(wave: &Path, focus: Option<(u64, &str)>, probes: &[&str], decode: Option<&Path>) -> String {
    let mut s = String::new();
    let abs = std::fs::canonicalize(wave).unwrap_or_else(|_| wave.to_path_buf());
    let _ = writeln!(s, "[*] dirql: GTKWave save file for {}", abs.display());
    let _ = writeln!(s, "[dumpfile] \"{}\"", abs.display());
    let _ = writeln!(s, "[timestart] {}", focus.map_or(0, |(c, _)| c.saturating_sub(VIEW_BEFORE) * PERIOD_NS));
    // A window large enough to read, the hierarchy pane closed and the names pane narrow,
    // so the waveform gets the room (GTKWave's own save-file keys).
    let _ = writeln!(s, "[size] 1600 900");
    let _ = writeln!(s, "[pos] -1 -1");
    let _ = writeln!(s, "[sst_width] 1");
    let _ = writeln!(s, "[signals_width] 230");
    let _ = writeln!(s, "[sst_expanded] 0");
    let _ = writeln!(s, "[sst_vpaned_height] 1");
    // Zoom: each step halves or doubles the span; measured in GTKWave 3.3 with the
    // 1600-pixel window above, -9 shows ~2.2 us (~75 cycles) and -7 ~0.55 us (~18 cycles),
    // where a transaction of four or five clocks has room for ~20 characters of its text.
    let marker = focus.map_or(-1i64, |(c, _)| i64::try_from(c * PERIOD_NS).unwrap_or(-1));
    let named: Vec<String> = (0..26).map(|i| if i == 0 { marker.to_string() } else { "-1".into() }).collect();
    let _ = writeln!(s, "*-7.000000 {marker} {}", named.join(" "));
    if let Some((c, label)) = focus {
        let _ = writeln!(s, "[markername] A{label} @ cycle {c}");
    }
    let decode = decode.map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf()));
    if let Some(d) = &decode {
        // The transaction filter on rst_ni, its rows in the blank traces after it.
        // 0x10000000 TR_TTRANSLATED | 0x20 right-justify | 0x8 binary.
        let _ = writeln!(s, "@800200\n-decoded");
        let _ = writeln!(s, "@10000028\n^<1 /bin/sh {}\n{TOP}.rst_ni", d.join("txn-filter.sh").display());
        let _ = writeln!(s, "@200");
        for _ in 1..TXN_ROWS.len() {
            let _ = writeln!(s, "-");
        }
        let _ = writeln!(s, "@1000200\n-decoded");
    }
    for group in GROUPS {
        let sigs: Vec<(&str, u32)> =
            SIGNAL_TABLE.iter().filter(|x| x.group == *group).map(|x| (x.path, x.width)).collect();
        // 0x800200: open group; 0x1000200: close group (GTKWave TR_GRP_BEGIN / TR_GRP_END | TR_BLANK).
        let _ = writeln!(s, "@800200\n-{group}");
        // The device's probes under its names for them (`probe_<name>`, declared in its
        // dirql_probes.vh), when it names them.
        let named: Vec<(String, u32)> =
            probes.iter().filter(|p| !p.is_empty()).map(|p| (format!("probe_{p}"), 32)).collect();
        let sigs: Vec<(&str, u32)> = if *group == "device state" && !named.is_empty() {
            named.iter().map(|(n, w)| (n.as_str(), *w)).collect()
        } else {
            sigs.to_vec()
        };
        for &(path, width) in &sigs {
            let name = if width == 1 { format!("{TOP}.{path}") } else { format!("{TOP}.{path}[{}:0]", width - 1) };
            // @28: binary, @22: hexadecimal, @24: decimal; @2024: decimal through the
            // translate file named on the line before (0x2000 TR_FTRANSLATED).
            let file = translate_file_of(path).filter(|_| width > 1);
            match (&decode, file) {
                (Some(d), Some(f)) => {
                    let _ = writeln!(s, "^1 {}\n@2024\n{name}", d.join(format!("{f}.txt")).display());
                }
                _ => {
                    let flag = match width {
                        1 => "28",
                        _ if path.contains("routine")
                            || path.contains("irql")
                            || path.contains("lock_owner")
                            || path.contains("posted") =>
                        {
                            "24"
                        }
                        _ => "22",
                    };
                    let _ = writeln!(s, "@{flag}\n{name}");
                }
            }
        }
        let _ = writeln!(s, "@1000200\n-{group}");
    }
    s
}

/// Cycles shown before the focus (the view at zoom -7 spans ~18).
const VIEW_BEFORE: u64 = 7;

/// Writes the decode folder for the waveform `wave` (the transaction filter, its answer
/// and the translate files); returns the folder.
pub fn write_decode(wave: &Path, decode: &Decode, profile: &DeviceProfile) -> std::io::Result<PathBuf> {
    let dir = decode_dir(wave);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("txn.txt"), txn_stream(&decode.txns, profile))?;
    std::fs::write(dir.join("txn-filter.sh"), TXN_FILTER)?;
    for (name, entries) in translate_files(&decode.seen) {
        let mut t = format!("# dirql: GTKWave translate filter file for {name} (decimal value, then its text)\n");
        let mut keys = BTreeSet::new();
        for (v, text) in entries {
            if keys.insert(v) {
                let _ = writeln!(t, "{v} {text}");
            }
        }
        std::fs::write(dir.join(format!("{name}.txt")), t)?;
    }
    Ok(dir)
}

/// Writes the save file beside the waveform `wave` (and, with `decode`, the decode folder
/// it reads); returns the files written.
pub fn write_gtkw(
    wave: &Path,
    focus: Option<(u64, &str)>,
    profile: &DeviceProfile,
    decode: Option<&Decode>,
) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let dir = match decode {
        Some(d) => {
            let dir = write_decode(wave, d, profile)?;
            out.push(dir.clone());
            Some(dir)
        }
        None => None,
    };
    let p = gtkw_path(wave);
    std::fs::write(&p, gtkw_text(wave, focus, profile.probes, dir.as_deref()))?;
    out.insert(0, p);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_file_groups_signals_and_marks_the_focus() {
        let t = gtkw_text(Path::new("/tmp/none.vcd"), Some((2027, "isr-dismissal")), &["status", "enable"], None);
        for g in ["-PCI", "-interrupt line", "-device state", "-CPU0", "-CPU1"] {
            assert_eq!(t.matches(&format!("\n{g}\n")).count(), 2, "group {g} opened and closed: {t}");
        }
        assert!(t.contains("TOP.dirql_sim_top.probe_status[31:0]"), "the device's probe names: {t}");
        assert!(!t.contains("dev_probe0_o"), "named probes replace the ports: {t}");
        assert!(t.contains("[timestart] 60600"), "{t}");
        assert!(t.contains("*-7.000000 60810 60810 -1"), "{t}");
        assert!(t.contains("TOP.dirql_sim_top.pci.ad[31:0]"));
        assert!(t.contains("[markername] Aisr-dismissal @ cycle 2027"));
        assert!(!t.contains("-decoded") && !t.contains("^1 "), "no decode asked for: {t}");
        let clean = gtkw_text(Path::new("/tmp/none.vcd"), None, &[], None);
        assert!(clean.contains("[timestart] 0") && clean.contains("*-7.000000 -1 -1"));
    }

    #[test]
    fn with_a_decode_the_rows_come_first_and_the_codes_go_through_their_files() {
        let t = gtkw_text(Path::new("/tmp/none.vcd"), None, &[], Some(Path::new("/tmp/none.decode")));
        let decoded = t.find("-decoded").unwrap_or(usize::MAX);
        assert!(decoded < t.find("-CPU0").unwrap_or(0), "{t}");
        assert!(t.contains("@10000028\n^<1 /bin/sh /tmp/none.decode/txn-filter.sh\nTOP.dirql_sim_top.rst_ni\n@200\n-\n-\n-\n-\n-\n@1000200\n-decoded"), "{t}");
        assert!(t.contains("^1 /tmp/none.decode/routine.txt\n@2024\nTOP.dirql_sim_top.host.cpu0_routine[3:0]"), "{t}");
        assert!(t.contains("^1 /tmp/none.decode/irql.txt\n@2024\nTOP.dirql_sim_top.host.cpu1_irql[4:0]"), "{t}");
        assert!(t.contains("@28\nTOP.dirql_sim_top.pci.frame_n\n"), "{t}");
    }

    #[test]
    fn the_codes_have_their_names() {
        let seen: BTreeSet<(&'static str, u32)> =
            [("note", 0x3000_0001), ("bus_issuer", 0x1215), ("msi", 0xB100)].into();
        let files = translate_files(&seen);
        let get = |f: &str, v: u32| {
            files
                .iter()
                .find(|(n, _)| *n == f)
                .and_then(|(_, e)| e.iter().find(|(k, _)| *k == v))
                .map(|(_, t)| t.clone())
        };
        assert_eq!(get("routine", 5).as_deref(), Some("StartIO"));
        assert_eq!(get("routine", 2).as_deref(), Some("ISR"));
        assert_eq!(get("irql", 0).as_deref(), Some("PASSIVE"));
        assert_eq!(get("irql", 2).as_deref(), Some("DISPATCH"));
        assert_eq!(get("irql", 16).as_deref(), Some("DIRQL 16"));
        assert_eq!(get("op", 7).as_deref(), Some("SynchronizeExecution"));
        assert_eq!(get("isr_ret", 0b1100).as_deref(), Some("CPU1 TRUE+DPC"));
        assert_eq!(get("note", 0x3000_0001).map(|s| s.starts_with("bug check ")), Some(true));
        assert_eq!(get("bus_issuer", 0x1215).as_deref(), Some("StartIO DIRQL 18 lock"));
        assert_eq!(get("msi", 0xB100).as_deref(), Some("CPU1 vector B1h"));
        assert_eq!(get("fault", 9).as_deref(), Some("armed: target abort"));
        assert_eq!(get("op", 14).as_deref(), Some("StartIO request"));
    }

    #[test]
    fn the_filter_answers_each_request_with_the_transactions() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("txn.txt"), "$name PCI transaction\n#0\n#30 x\n#60\n$finish\n").unwrap();
        std::fs::write(dir.path().join("txn-filter.sh"), TXN_FILTER).unwrap();
        let out = std::process::Command::new("/bin/sh")
            .arg(dir.path().join("txn-filter.sh"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write as _;
                let mut i = c.stdin.take().unwrap();
                // Two requests, as GTKWave sends them (the second on a reload).
                i.write_all(b"$comment args \"\" $end\n#0\nb1\n$comment data_end $end\n#0\n$comment data_end $end\n")?;
                drop(i);
                c.wait_with_output()
            })
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.matches("$finish").count(), 2, "{text}");
        assert!(text.starts_with("$name PCI transaction\n#0\n#30 x\n"), "{text}");
    }
}
