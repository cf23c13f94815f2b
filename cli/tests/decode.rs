//! The decode written beside a waveform for GTKWave (docs/waveform.md, "Decoded
//! transactions") says what the run did on the bus: one row entry per transaction, at its
//! address phase, with its command, data and issuer as the waveform has them, and the answer
//! the host bridge itself recorded for the aborted ones; the save file shows it and the
//! host codes by name; the same decode comes from the live run, from its VCD and from its
//! FST; and the filter process GTKWave runs answers with it.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::Command;

use dirql_sim::Frame;

fn dirql(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dirql")).args(args).output().unwrap();
    assert!(out.status.code().is_some_and(|c| c < 2), "dirql {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One entry of a row: from, to (ns), text.
type Entry = (u64, u64, String);

/// The rows of a transaction filter answer (`txn.txt`), by `$name`.
fn rows(text: &str) -> Vec<(String, Vec<Entry>)> {
    let mut rows: Vec<(String, Vec<Entry>)> = Vec::new();
    let mut open: Option<(u64, String)> = None;
    let mut finished = false;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("$name ") {
            rows.push((name.to_string(), Vec::new()));
        } else if line == "$next" || line == "$finish" {
            assert!(open.is_none(), "an entry left open before {line}");
            finished = line == "$finish";
        } else if let Some(rest) = line.strip_prefix('#') {
            let (t, txt) = rest.split_once(' ').unwrap_or((rest, ""));
            let t: u64 = t.parse().unwrap();
            if let Some((from, s)) = open.take() {
                rows.last_mut().unwrap().1.push((from, t, s));
            }
            if !txt.is_empty() {
                // A colour comes first as ?name?.
                let txt = match txt.strip_prefix('?') {
                    Some(r) => r.split_once('?').unwrap().1,
                    None => txt,
                };
                open = Some((t, txt.to_string()));
            }
        }
    }
    assert!(finished, "the answer ends in $finish");
    rows
}

/// A transaction as the signals show it, told apart without dirql's decoders: its address
/// phase is a falling edge of FRAME#; its first data phase the first clock after it with
/// IRDY# and TRDY# both low.
#[derive(Debug)]
struct Seen {
    start: u64,
    cmd: u8,
    first: Option<(u32, u8, u8)>,
}

fn seen(vcd: &Path) -> Vec<Seen> {
    let mut out: Vec<Seen> = Vec::new();
    let mut prev_frame = true;
    let file = BufReader::new(File::open(vcd).unwrap());
    dirql_testbenches::check::read_vcd("w.vcd", file, |f: &Frame| {
        if f.slot != 0 || !f.rst_n {
            return;
        }
        if prev_frame && !f.frame_n {
            out.push(Seen { start: f.cycle, cmd: f.cbe_n & 0xF, first: None });
        } else if let Some(t) = out.last_mut() {
            if !f.irdy_n && !f.trdy_n && t.first.is_none() {
                t.first = Some((f.ad, !f.cbe_n & 0xF, f.bus_cpu));
            }
        }
        prev_frame = f.frame_n;
    })
    .unwrap();
    out
}

const PERIOD_NS: u64 = 30;

#[test]
fn every_transaction_of_the_run_is_a_row_with_its_command_data_and_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let vcd = dir.path().join("w.vcd");
    let (code, _) = dirql(&["run", "vblank", "--seed", "3", "--cycles", "12000", "--vcd", vcd.to_str().unwrap()]);
    assert_eq!(code, 0);
    let decode = dir.path().join("w.decode");
    let rows = rows(&std::fs::read_to_string(decode.join("txn.txt")).unwrap());
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["PCI transaction", "command", "register", "data", "issuer", "response"]);
    let truth = seen(&vcd);
    assert!(truth.len() > 100, "the run moves data: {}", truth.len());
    for (name, entries) in &rows {
        let starts: Vec<u64> = entries.iter().map(|e| e.0).collect();
        let want: Vec<u64> = truth.iter().map(|t| t.start * PERIOD_NS).collect();
        assert_eq!(starts, want, "row {name}: one entry per address phase, at it");
    }
    let command = |c: u8| match c {
        0b0010 => "IO read",
        0b0011 => "IO write",
        0b0110 => "Mem read",
        0b0111 => "Mem write",
        0b1010 => "Cfg read",
        0b1011 => "Cfg write",
        _ => "?",
    };
    for (i, t) in truth.iter().enumerate() {
        assert_eq!(rows[1].1[i].2, command(t.cmd), "cycle {}", t.start);
        assert!(rows[0].1[i].2.starts_with(command(t.cmd)), "{:?}", rows[0].1[i]);
        let (data, be, cpu) = t.first.unwrap_or_else(|| panic!("no data phase at cycle {}", t.start));
        let d = &rows[3].1[i].2;
        if be == 0xF {
            assert!(d.contains(&format!("{data:08X}h")), "cycle {}: {d} for {data:08X}", t.start);
        } else {
            let lane = be.trailing_zeros();
            assert!(
                d.contains(&format!("{:02X}", (data >> (8 * lane)) & 0xFF)),
                "cycle {}: {d} for {data:08X}/{be:04b}",
                t.start
            );
        }
        if let 1..=2 = cpu {
            assert!(rows[4].1[i].2.starts_with(&format!("CPU{}", cpu - 1)), "cycle {}: {:?}", t.start, rows[4].1[i]);
        }
        assert_eq!(rows[5].1[i].2, "ok", "a plain run's transactions complete");
    }
    let registers: Vec<&str> = rows[2].1.iter().map(|e| e.2.as_str()).collect();
    for r in ["BAR0+0x004 INT_STATUS", "BAR1 I/O port 3D4h CRTC index", "BAR1 I/O port 3D5h CRTC data", "10h BAR0"] {
        assert!(registers.contains(&r), "{r} among {:?}", &registers[..registers.len().min(40)]);
    }
    // The save file shows the rows (the filter on rst_ni, its blank rows after it) and
    // every host code through its file; each file is there and names the codes.
    let gtkw = std::fs::read_to_string(dir.path().join("w.gtkw")).unwrap();
    let abs = std::fs::canonicalize(&decode).unwrap();
    assert!(
        gtkw.contains(&format!("^<1 /bin/sh {}/txn-filter.sh\nTOP.dirql_sim_top.rst_ni\n", abs.display())),
        "{gtkw}"
    );
    for line in gtkw.lines().filter_map(|l| l.strip_prefix("^1 ")) {
        assert!(Path::new(line).exists(), "{line}");
    }
    for (file, entry) in [
        ("routine", "5 StartIO"),
        ("routine", "2 ISR"),
        ("irql", "2 DISPATCH"),
        ("isr_ret", "12 CPU1 TRUE+DPC"),
        ("op", "7 SynchronizeExecution"),
    ] {
        let text = std::fs::read_to_string(decode.join(format!("{file}.txt"))).unwrap();
        assert!(text.lines().any(|l| l == entry), "{file}.txt has `{entry}`:\n{text}");
        assert!(gtkw.contains(&format!("^1 {}/{file}.txt\n@2024\n", abs.display())), "{gtkw}");
    }
    // The filter process GTKWave runs answers a request with the decode.
    let mut child = Command::new("/bin/sh")
        .arg(decode.join("txn-filter.sh"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut i = child.stdin.take().unwrap();
        i.write_all(b"$comment args \"\" $end\n#0\nb0\n#90\nb1\n$comment data_end $end\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.stdout, std::fs::read(decode.join("txn.txt")).unwrap());
}

#[test]
fn the_answer_the_bridge_recorded_is_the_response_shown() {
    let dir = tempfile::tempdir().unwrap();
    for (fault, answer, event) in
        [("target-abort", "target abort", "target abort"), ("master-abort", "master abort", "master abort")]
    {
        let vcd = dir.path().join(format!("{fault}.vcd"));
        let (_, out) =
            dirql(&["run", "vblank", "--fault", fault, "--cycles", "12000", "--json", "--vcd", vcd.to_str().unwrap()]);
        let j: serde_json::Value = serde_json::from_str(&out).unwrap();
        let events: Vec<u64> = j["bus_events"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e.as_str())
            .filter(|e| e.contains(&format!(": {event}")))
            .map(|e| e.trim_start_matches("cycle ").split(':').next().unwrap().parse().unwrap())
            .collect();
        assert!(!events.is_empty(), "{fault}: the bridge saw some: {}", j["bus_events"]);
        let rows = rows(&std::fs::read_to_string(dir.path().join(format!("{fault}.decode/txn.txt"))).unwrap());
        let shown: Vec<&Entry> = rows[5].1.iter().filter(|e| e.2 == answer).collect();
        assert_eq!(shown.len(), events.len(), "{fault}: {shown:?} against the bridge's {events:?}");
        // The bridge reports the answer at the clock edge that samples it: the one that
        // ends the transaction's last interval (docs/waveform.md, "A target abort").
        for (e, c) in shown.iter().zip(&events) {
            assert!(e.0 <= c * PERIOD_NS && c * PERIOD_NS <= e.1, "{fault}: the bridge's cycle {c} in {e:?}");
        }
    }
    let vcd = dir.path().join("retry.vcd");
    dirql(&["run", "vblank", "--fault", "retry-storm", "--cycles", "9000", "--vcd", vcd.to_str().unwrap()]);
    let rows = rows(&std::fs::read_to_string(dir.path().join("retry.decode/txn.txt")).unwrap());
    let retries = rows[5].1.iter().filter(|e| e.2 == "retry").count();
    // The storm answers every transaction started in cycles 5000-5600 with retry, until the
    // bridge gives up after 64 re-issues.
    assert!(retries >= 64, "{retries} retries");
    assert!(rows[5].1.iter().filter(|e| e.2 == "retry").all(|e| (5000 * PERIOD_NS..5700 * PERIOD_NS).contains(&e.0)));
}

#[test]
fn the_live_decode_is_the_one_read_back_from_the_vcd_and_the_fst() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["w.vcd", "w.fst"] {
        let wave = dir.path().join(name);
        let flag = if name.ends_with(".fst") { "--wave" } else { "--vcd" };
        dirql(&["run", "mode-set", "--driver", "unsync-crtc", "--cycles", "6000", flag, wave.to_str().unwrap()]);
        let live = std::fs::read(dir.path().join("w.decode/txn.txt")).unwrap();
        std::fs::remove_dir_all(dir.path().join("w.decode")).unwrap();
        dirql(&["check", wave.to_str().unwrap(), "--gtkw"]);
        let back = std::fs::read(dir.path().join("w.decode/txn.txt")).unwrap();
        assert!(live == back, "{name}: the decode read back differs from the live one");
        assert!(live.len() > 10_000);
    }
}
