//! Frames from a VCD file, streaming: the file is read once, front to back, keeping only
//! the current value of the signals the rules need, so memory stays flat for any length.

use std::collections::HashMap;
use std::io::BufRead;

use dirql_sim::Frame;
use vcd::{Command, IdCode, ScopeItem, Value};

/// The signals the rules read, by path below the wrapper `dirql_sim_top`.
pub const REQUIRED_SIGNALS: &[&str] = &[
    "clk_i",
    "rst_ni",
    "pci.frame_n",
    "pci.irdy_n",
    "pci.trdy_n",
    "pci.devsel_n",
    "pci.stop_n",
    "pci.cbe_n",
    "pci.ad",
    "pci.par",
    "pci.idsel",
    "pci.ad_drivers",
    "pci.inta_n",
    "pci.dev_inta_n",
    "host.cpu0_irql",
    "host.cpu1_irql",
    "host.cpu0_routine",
    "host.cpu1_routine",
    "host.cpu0_op",
    "host.cpu1_op",
    "host.isr_ret",
    "host.lock_owner",
    "host.pic_in_service",
    "host.pic_deliver",
    "host.pic_eoi",
    "host.pic_masked",
    "host.bus_cpu",
    "host.posted",
    "host.cpu0_note",
    "host.cpu1_note",
    "dev_probe0_o",
    "dev_probe1_o",
    "dev_probe2_o",
    "dev_probe3_o",
    "dev_probe4_o",
    "dev_probe5_o",
    "dev_probe6_o",
    "dev_probe7_o",
];

/// Why a VCD could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum VcdError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not a VCD, or malformed.
    #[error("{path} is not a valid VCD: {reason}")]
    Malformed {
        /// The file.
        path: String,
        /// What the parser said.
        reason: String,
    },
    /// A signal the rules need is not in the file.
    #[error("{path} lacks signals the rules need: {missing} (expected below scope `dirql_sim_top`; was it written by `dirql run`?)")]
    Missing {
        /// The file.
        path: String,
        /// The missing signals, comma-separated.
        missing: String,
    },
    /// The file ends in the middle of a line: cut off while being written or copied.
    #[error("{path} is truncated: its last line is incomplete after {frames} clock cycle(s); a run stopped by dirql (or a signal) ends on a whole line, so this file was cut by something else")]
    Truncated {
        /// The file.
        path: String,
        /// Complete cycles before the cut.
        frames: u64,
    },
    /// The file holds no clock edge.
    #[error("{path} holds no rising clock edge: nothing to check (empty or truncated waveform)")]
    Empty {
        /// The file.
        path: String,
    },
}

fn flatten(items: &[ScopeItem], prefix: &str, out: &mut Vec<(String, IdCode, u32)>) {
    for it in items {
        match it {
            ScopeItem::Scope(s) => flatten(&s.items, &format!("{prefix}{}.", s.identifier), out),
            ScopeItem::Var(v) => out.push((format!("{prefix}{}", v.reference), v.code, v.size)),
            _ => {}
        }
    }
}

#[inline]
fn bits(v: &vcd::Vector) -> u64 {
    v.iter().fold(0u64, |acc, b| (acc << 1) | u64::from(b == Value::V1))
}

const CLK: usize = 0;

/// A reader that remembers the last byte it handed out, to tell a file that ends on a
/// whole line from one cut in the middle of a line.
struct LastByte<R> {
    inner: R,
    last: Option<u8>,
}

impl<R: BufRead> std::io::Read for LastByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LastByte<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if amt > 0 {
            if let Ok(b) = self.inner.fill_buf() {
                if let Some(&x) = b.get(amt - 1) {
                    self.last = Some(x);
                }
            }
        }
        self.inner.consume(amt);
    }
}

/// Streams the frames of the VCD in `reader` into `sink`; returns the number of frames.
pub fn read_vcd<R: BufRead>(path: &str, reader: R, mut sink: impl FnMut(&Frame)) -> Result<u64, VcdError> {
    let malformed = |reason: String| VcdError::Malformed { path: path.to_string(), reason };
    let mut p = vcd::Parser::new(LastByte { inner: reader, last: None });
    let header = p.parse_header().map_err(|e| {
        // A header that stops part-way (but did start like a VCD) was cut off.
        if e.kind() == std::io::ErrorKind::UnexpectedEof && p.reader().last.is_some() {
            VcdError::Truncated { path: path.to_string(), frames: 0 }
        } else {
            malformed(e.to_string())
        }
    })?;
    let mut vars = Vec::new();
    flatten(&header.items, "", &mut vars);
    if vars.is_empty() {
        return Err(malformed("no $var definitions in the header".into()));
    }
    let mut slots: HashMap<IdCode, Vec<usize>> = HashMap::new();
    let mut missing = Vec::new();
    for (slot, want) in REQUIRED_SIGNALS.iter().enumerate() {
        let suffix = format!("dirql_sim_top.{want}");
        match vars.iter().find(|(name, _, _)| name.ends_with(&suffix)) {
            Some((_, code, _)) => slots.entry(*code).or_default().push(slot),
            None => missing.push(*want),
        }
    }
    if !missing.is_empty() {
        return Err(VcdError::Missing { path: path.to_string(), missing: missing.join(", ") });
    }
    let mut val = vec![0u64; REQUIRED_SIGNALS.len()];
    let mut clk_emitted = 0u64; // clock value when the last frame was considered
    let mut frames = 0u64;
    let mut emit = |val: &[u64], clk_prev: &mut u64, frames: &mut u64| {
        let clk = val[CLK];
        if clk == 1 && *clk_prev == 0 {
            *frames += 1;
            sink(&frame_of(*frames, val));
        }
        *clk_prev = clk;
    };
    for cmd in p.by_ref() {
        let cmd = match cmd {
            Ok(c) => c,
            // The body ended inside a command: cut off, not malformed.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(VcdError::Truncated { path: path.to_string(), frames });
            }
            Err(e) => return Err(malformed(e.to_string())),
        };
        match cmd {
            Command::Timestamp(_) => emit(&val, &mut clk_emitted, &mut frames),
            Command::ChangeScalar(code, v) => {
                if let Some(ss) = slots.get(&code) {
                    for &s in ss {
                        val[s] = u64::from(v == Value::V1);
                    }
                }
            }
            Command::ChangeVector(code, v) => {
                if let Some(ss) = slots.get(&code) {
                    let b = bits(&v);
                    for &s in ss {
                        val[s] = b;
                    }
                }
            }
            _ => {}
        }
    }
    if !matches!(p.reader().last, Some(b'\n') | None) {
        return Err(VcdError::Truncated { path: path.to_string(), frames });
    }
    emit(&val, &mut clk_emitted, &mut frames);
    if frames == 0 {
        return Err(VcdError::Empty { path: path.to_string() });
    }
    Ok(frames)
}

fn frame_of(cycle: u64, v: &[u64]) -> Frame {
    let b = |i: usize| v[i] != 0;
    let u = |i: usize| v[i] as u8;
    let pic = u(22) | u(23) << 1 | u(24) << 2 | u(25) << 3;
    Frame {
        cycle,
        rst_n: b(1),
        frame_n: b(2),
        irdy_n: b(3),
        trdy_n: b(4),
        devsel_n: b(5),
        stop_n: b(6),
        cbe_n: u(7),
        ad: v[8] as u32,
        par: b(9),
        idsel: b(10),
        ad_drivers: u(11),
        inta_n: b(12),
        dev_inta_n: b(13),
        irql: [u(14), u(15)],
        routine: [u(16), u(17)],
        op: [u(18), u(19)],
        isr_ret: u(20),
        lock_owner: u(21),
        pic,
        bus_cpu: u(26),
        posted: u(27),
        note: [v[28] as u32, v[29] as u32],
        dev: std::array::from_fn(|i| v[30 + i] as u32),
    }
}
