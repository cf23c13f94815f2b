//! Frames from a VCD file, streaming: the file is read once, front to back, keeping only
//! the current value of the signals the rules need, so memory stays flat for any length.

use std::io::BufRead;

use dirql_sim::Frame;
use vcd::{Command, Value};
use vcd::{IdCode, ScopeItem};

use super::signal_map::{parse_bits, FrameAssembler, SignalMap};

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

fn bits(v: &vcd::Vector) -> u64 {
    v.iter().fold(0u64, |acc, b| (acc << 1) | u64::from(b == Value::V1))
}

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

/// Variable types the `vcd` crate parses (IEEE 1364); anything else in a `$var` is
/// presented to it as `wire`.
const CRATE_VAR_TYPES: &[&[u8]] = &[
    b"event",
    b"integer",
    b"parameter",
    b"real",
    b"reg",
    b"supply0",
    b"supply1",
    b"time",
    b"tri",
    b"triand",
    b"trior",
    b"trireg",
    b"tri0",
    b"tri1",
    b"wand",
    b"wire",
    b"wor",
    b"string",
];
/// Scope types the `vcd` crate parses; anything else in a `$scope` is presented as `module`.
const CRATE_SCOPE_TYPES: &[&[u8]] = &[b"module", b"task", b"function", b"begin", b"fork"];
/// A header longer than this is handed to the crate as it is (no real one comes close).
const HEADER_LIMIT: usize = 64 << 20;

/// The header of `r` with the variable and scope types the `vcd` crate does not know
/// (IEEE 1800's `logic`, `bit`, `int`, ..., `interface`, `struct`, ... as GTKWave's
/// `fst2vcd` and SystemVerilog simulators write them) replaced by ones it does, followed by
/// the rest of `r` untouched. The rules read values, not types, so nothing is lost. Input
/// that does not start like a VCD header is passed through as it is, for the crate to
/// name what is wrong.
fn known_types<R: BufRead>(mut r: R) -> std::io::Result<std::io::Chain<std::io::Cursor<Vec<u8>>, R>> {
    let mut out = Vec::new();
    let mut line = Vec::new();
    // The keyword whose type token comes next: 1 after `$var`, 2 after `$scope`.
    let mut type_next = 0u8;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 || out.len() > HEADER_LIMIT {
            break;
        }
        let first = line.iter().position(|c| !c.is_ascii_whitespace());
        if out.iter().all(u8::is_ascii_whitespace) && first.is_some_and(|i| line[i] != b'$') {
            out.extend_from_slice(&line);
            break;
        }
        let mut rewritten = Vec::with_capacity(line.len());
        let mut end_of_header = false;
        for tok in line.split(u8::is_ascii_whitespace).filter(|t| !t.is_empty()) {
            let known: &[&[u8]] = match type_next {
                1 => CRATE_VAR_TYPES,
                2 => CRATE_SCOPE_TYPES,
                _ => &[],
            };
            let tok: &[u8] = match type_next {
                0 => tok,
                _ if known.contains(&tok) => tok,
                1 => b"wire",
                _ => b"module",
            };
            type_next = match tok {
                b"$var" => 1,
                b"$scope" => 2,
                _ => 0,
            };
            end_of_header |= tok == b"$enddefinitions";
            if !rewritten.is_empty() {
                rewritten.push(b' ');
            }
            rewritten.extend_from_slice(tok);
        }
        if line.last() == Some(&b'\n') {
            rewritten.push(b'\n');
        }
        out.extend_from_slice(&rewritten);
        if end_of_header {
            break;
        }
    }
    Ok(std::io::Read::chain(std::io::Cursor::new(out), r))
}

/// Streams the frames of the VCD in `reader` into `sink`; returns the number of frames.
///
/// The header (scopes, variables, id codes) is read by the `vcd` crate; the value-change
/// body, which is nearly all of a long file, is scanned here a line at a time from a
/// reused buffer: the crate reads the body one byte per call, which held checking to
/// ~75 MB/s (docs/perf.md).
pub fn read_vcd<R: BufRead>(path: &str, reader: R, mut sink: impl FnMut(&Frame)) -> Result<u64, VcdError> {
    let malformed = |reason: String| VcdError::Malformed { path: path.to_string(), reason };
    let reader = known_types(reader).map_err(|e| VcdError::Io { path: path.to_string(), source: e })?;
    let mut p = vcd::Parser::new(LastByte { inner: reader, last: None });
    let map = header_map(path, &mut p)?;
    let mut frames = FrameAssembler::for_map(&map);
    let r = p.reader();
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let mut in_comment = false;
    let mut lineno = 0u64;
    loop {
        line.clear();
        let n = r.read_until(b'\n', &mut line).map_err(|e| VcdError::Io { path: path.to_string(), source: e })?;
        if n == 0 {
            break;
        }
        lineno += 1;
        if line.last() != Some(&b'\n') {
            // Cut in the middle of a line: a run stopped by dirql ends on a whole line.
            return Err(VcdError::Truncated { path: path.to_string(), frames: frames.frames() });
        }
        let mut toks = line.split(u8::is_ascii_whitespace).filter(|t| !t.is_empty());
        while let Some(t) = toks.next() {
            if in_comment {
                in_comment = t != b"$end";
                continue;
            }
            let bad = |what: &str| malformed(format!("body line {lineno}: {what} `{}`", String::from_utf8_lossy(t)));
            match t[0] {
                b'#' => {
                    if t.len() < 2 || !t[1..].iter().all(u8::is_ascii_digit) {
                        return Err(bad("bad timestamp"));
                    }
                    frames.end_of_time(&mut sink);
                }
                b'$' => match t {
                    b"$comment" => in_comment = true,
                    b"$dumpvars" | b"$dumpall" | b"$dumpon" | b"$dumpoff" | b"$end" => {}
                    _ => return Err(bad("unexpected keyword")),
                },
                b'b' | b'B' => {
                    let Some(id) = toks.next() else { return Err(bad("vector change without an id")) };
                    let v = parse_bits(&t[1..]).ok_or_else(|| bad("bad vector value"))?;
                    let key = id_key(id).ok_or_else(|| bad("bad id code"))?;
                    frames.set(&map, key, v);
                }
                b'r' | b'R' | b's' | b'S' => {
                    if toks.next().is_none() {
                        return Err(bad("change without an id"));
                    }
                }
                b'0' | b'1' | b'x' | b'X' | b'z' | b'Z' => {
                    let key = id_key(&t[1..]).ok_or_else(|| bad("bad scalar change"))?;
                    frames.set(&map, key, u64::from(t[0] == b'1'));
                }
                _ => return Err(bad("unexpected token")),
            }
        }
    }
    frames.end_of_time(&mut sink);
    if frames.frames() == 0 {
        return Err(VcdError::Empty { path: path.to_string() });
    }
    Ok(frames.frames())
}

/// An id code (printable ASCII 33..=126) as a number, the same for the header's codes and
/// the body's; `None` for an empty or invalid one.
fn id_key(id: &[u8]) -> Option<u64> {
    if id.is_empty() {
        return None;
    }
    id.iter().try_fold(0u64, |k, &c| {
        if !(33..=126).contains(&c) {
            return None;
        }
        k.checked_mul(94)?.checked_add(u64::from(c - 32))
    })
}

/// Reads the header and maps each required signal to its id code.
fn header_map<R: BufRead>(path: &str, p: &mut vcd::Parser<LastByte<R>>) -> Result<SignalMap, VcdError> {
    let malformed = |reason: String| VcdError::Malformed { path: path.to_string(), reason };
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
    let mut keyed = Vec::with_capacity(vars.len());
    for (name, code, _) in &vars {
        let key = id_key(code.to_string().as_bytes()).ok_or_else(|| malformed(format!("bad id code {code}")))?;
        keyed.push((name.as_str(), key));
    }
    SignalMap::resolve(keyed.iter().copied()).map_err(|missing| VcdError::Missing { path: path.to_string(), missing })
}

/// The frames of a VCD read entirely by the `vcd` crate (its body parser too): the oracle
/// the fast body scanner is tested against (on real waveforms, by a device's tests).
#[doc(hidden)]
pub fn read_vcd_with_crate<R: BufRead>(path: &str, reader: R, mut sink: impl FnMut(&Frame)) -> Result<u64, VcdError> {
    let malformed = |reason: String| VcdError::Malformed { path: path.to_string(), reason };
    let mut p = vcd::Parser::new(LastByte { inner: reader, last: None });
    let map = header_map(path, &mut p)?;
    let mut frames = FrameAssembler::for_map(&map);
    for cmd in p.by_ref() {
        match cmd.map_err(|e| malformed(e.to_string()))? {
            Command::Timestamp(_) => frames.end_of_time(&mut sink),
            Command::ChangeScalar(code, v) => {
                if let Some(k) = id_key(code.to_string().as_bytes()) {
                    frames.set(&map, k, u64::from(v == Value::V1));
                }
            }
            Command::ChangeVector(code, v) => {
                if let Some(k) = id_key(code.to_string().as_bytes()) {
                    frames.set(&map, k, bits(&v));
                }
            }
            _ => {}
        }
    }
    frames.end_of_time(&mut sink);
    Ok(frames.frames())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_codes_decode_uniquely_and_reject_non_printables() {
        assert_eq!(id_key(b"!"), Some(1));
        assert_ne!(id_key(b"!#"), id_key(b"#!"));
        assert_eq!(id_key(b""), None);
        assert_eq!(id_key(b"a b"), None);
    }
}
