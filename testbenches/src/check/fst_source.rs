//! Frames from an FST file (GTKWave's Fast Signal Trace, as Verilator's `VerilatedFstC`
//! writes it), streaming: the hierarchy is read once, then the value changes of the
//! signals the rules need, one compressed block at a time, so memory stays flat for any
//! length (dirql's writer ends a block every 65 536 cycles).
//!
//! The file is read with the `fst-reader` crate (BSD-3-Clause, safe Rust) rather than
//! GTKWave's C reader (`fstapi.c`, which Verilator ships only for writing): a damaged file
//! then ends in an error, never in memory corruption, and checking needs no C++.

use std::io::{BufRead, Read, Seek, SeekFrom};
use std::panic::{self, AssertUnwindSafe};

use dirql_sim::Frame;
use fst_reader::{FstFilter, FstHierarchyEntry, FstReader, FstSignalHandle, FstSignalValue, ReadSignalsError};

use super::signal_map::{parse_bits, FrameAssembler, SignalMap};

/// Why an FST file could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum FstError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file holds nothing.
    #[error("{path} is empty (0 bytes): not an FST waveform")]
    Empty {
        /// The file.
        path: String,
    },
    /// The file does not start like an FST file.
    #[error("{path} is not an FST file: {reason}")]
    NotFst {
        /// The file.
        path: String,
        /// What was found instead.
        reason: String,
    },
    /// Blocks are missing at the end: the file was cut, or its writer never closed it.
    #[error("{path} is truncated: {reason}; an FST file is complete only once its writer closed it (a run ended by dirql, SIGINT or SIGTERM closes it; a hard kill or a cut copy does not)")]
    Truncated {
        /// The file.
        path: String,
        /// What is missing.
        reason: String,
    },
    /// An FST file whose contents the reader rejects.
    #[error("{path} is not a valid FST: {reason}")]
    Malformed {
        /// The file.
        path: String,
        /// What the reader said.
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
    /// The file holds no clock edge.
    #[error("{path} holds no rising clock edge: nothing to check (an empty waveform)")]
    NoEdge {
        /// The file.
        path: String,
    },
}

/// Block types of the FST format (GTKWave's fstapi.h, `enum fstBlockType`).
const BL_HDR: u8 = 0;
const BL_VCDATA: u8 = 1;
const BL_BLACKOUT: u8 = 2;
const BL_GEOM: u8 = 3;
const BL_HIER: u8 = 4;
const BL_VCDATA_DYN_ALIAS: u8 = 5;
const BL_HIER_LZ4: u8 = 6;
const BL_HIER_LZ4DUO: u8 = 7;
const BL_VCDATA_DYN_ALIAS2: u8 = 8;
const BL_ZWRAPPER: u8 = 254;
const BL_SKIP: u8 = 255;
const BL_KNOWN: &[u8] = &[
    BL_HDR,
    BL_VCDATA,
    BL_BLACKOUT,
    BL_GEOM,
    BL_HIER,
    BL_VCDATA_DYN_ALIAS,
    BL_HIER_LZ4,
    BL_HIER_LZ4DUO,
    BL_VCDATA_DYN_ALIAS2,
    BL_ZWRAPPER,
    BL_SKIP,
];
/// Length of the header block's section (fstapi.c, `FST_HDR_SIZE`).
const HDR_SECTION_LEN: u64 = 329;

/// One block: its type, where its type byte is, and its section length (which counts the
/// 8 bytes of the length itself).
#[derive(Clone, Copy, Debug)]
struct Block {
    tpe: u8,
    at: u64,
    section: u64,
}

/// Walks the chain of blocks (a type byte, then a big-endian section length that counts
/// itself) from the start to the end of the file: tells a file that is not FST at all,
/// and one cut anywhere, from one whose blocks are whole, before the reader sees it.
fn block_chain<R: Read + Seek>(path: &str, r: &mut R) -> Result<Vec<Block>, FstError> {
    let io = |e: std::io::Error| FstError::Io { path: path.to_string(), source: e };
    let len = r.seek(SeekFrom::End(0)).map_err(io)?;
    r.seek(SeekFrom::Start(0)).map_err(io)?;
    if len == 0 {
        return Err(FstError::Empty { path: path.to_string() });
    }
    let mut head = [0u8; 9];
    let mut pos = 0u64;
    let mut blocks = Vec::new();
    while pos < len {
        let n = blocks.len() + 1;
        let avail = (len - pos).min(9) as usize;
        r.seek(SeekFrom::Start(pos)).map_err(io)?;
        r.read_exact(&mut head[..avail]).map_err(io)?;
        let tpe = head[0];
        let section = (avail == 9).then(|| u64::from_be_bytes(head[1..9].try_into().unwrap_or([0; 8])));
        if blocks.is_empty() && (tpe != BL_HDR || section.is_some_and(|s| s != HDR_SECTION_LEN)) {
            let what = if head[0] == b'$' {
                format!(
                    "it starts with the text `{}`, like a VCD (`dirql check` reads VCD when the name does not end in .fst)",
                    String::from_utf8_lossy(&head[..avail]).trim()
                )
            } else if head[..avail].iter().all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()) {
                format!("it starts with the text `{}`", String::from_utf8_lossy(&head[..avail]).trim())
            } else {
                format!("its first bytes are not an FST header block (type {tpe})")
            };
            return Err(FstError::NotFst { path: path.to_string(), reason: what });
        }
        let Some(section) = section else {
            return Err(FstError::Truncated {
                path: path.to_string(),
                reason: format!("it ends inside the length of block {n} at byte {pos}"),
            });
        };
        if tpe == BL_SKIP && section == 0 {
            // fstapi marks the block it is writing so; it is filled in when the block ends.
            return Err(FstError::Truncated {
                path: path.to_string(),
                reason: format!("block {n} at byte {pos} was still being written when the writer stopped"),
            });
        }
        if tpe == BL_ZWRAPPER {
            return Err(FstError::Malformed {
                path: path.to_string(),
                reason: "it is wrapped whole in gzip (repacked on close), which would have to be unpacked in memory; \
                         dirql reads FST as Verilator writes it"
                    .into(),
            });
        }
        if !BL_KNOWN.contains(&tpe) || section < 8 {
            return Err(FstError::Malformed {
                path: path.to_string(),
                reason: format!("block {n} at byte {pos} has type {tpe} and length {section}"),
            });
        }
        let end = pos.saturating_add(1).saturating_add(section);
        if end > len {
            return Err(FstError::Truncated {
                path: path.to_string(),
                reason: format!(
                    "block {n} (type {tpe}) at byte {pos} needs {section} bytes, the file has {}",
                    len - pos - 1
                ),
            });
        }
        blocks.push(Block { tpe, at: pos, section });
        pos = end;
    }
    r.seek(SeekFrom::Start(0)).map_err(io)?;
    Ok(blocks)
}

/// The most output one input byte can give (rounded up), for the compressors FST uses:
/// zlib's deflate 1032:1, LZ4 255:1.
const ZLIB_RATIO: u64 = 1032;
const LZ4_RATIO: u64 = 255;

/// Could `compressed` bytes of a compressor with `ratio` hold `uncompressed` bytes?
fn could_hold(uncompressed: u64, compressed: u64, ratio: u64) -> bool {
    uncompressed <= compressed.saturating_mul(ratio).saturating_add(64)
}

fn read_u64_be<R: Read>(r: &mut R) -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_be_bytes(b))
}

/// An unsigned LEB128 number, as FST writes its variable-length integers; and its length.
fn read_varint<R: Read>(r: &mut R) -> std::io::Result<(u64, u64)> {
    let mut v = 0u64;
    for i in 0..10u64 {
        let mut b = [0u8; 1];
        r.read_exact(&mut b)?;
        v |= u64::from(b[0] & 0x7f) << (7 * i);
        if b[0] & 0x80 == 0 {
            return Ok((v, i + 1));
        }
    }
    Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "variable-length integer longer than 10 bytes"))
}

/// Checks every size the reader allocates memory for before it reads the bytes behind it
/// (uncompressed lengths, signal and time counts) against what the enclosing block can
/// hold. The reader trusts them: a damaged one would make it ask for exabytes, and a
/// failed allocation aborts the process instead of ending in an error. Per-signal lengths
/// inside a value-change block are 32-bit, so they stay below 4 GiB unchecked.
fn check_sizes<R: Read + Seek>(path: &str, r: &mut R, blocks: &[Block]) -> Result<(), FstError> {
    let bad = |b: &Block, what: String| FstError::Malformed {
        path: path.to_string(),
        reason: format!("the block (type {}) at byte {}: {what}", b.tpe, b.at),
    };
    let io = |b: &Block, e: std::io::Error| bad(b, format!("unreadable ({e})"));
    let mut signals = None;
    // The geometry first: its signal count bounds the value-change blocks'.
    let order = blocks.iter().filter(|b| b.tpe == BL_GEOM).chain(blocks.iter().filter(|b| b.tpe != BL_GEOM));
    for b in order {
        // `s` is where the section starts (its length field), `end` where the block ends.
        let (s, end) = (b.at + 1, b.at + 1 + b.section);
        r.seek(SeekFrom::Start(s + 8)).map_err(|e| io(b, e))?;
        match b.tpe {
            BL_GEOM => {
                let compressed = b.section.checked_sub(24).ok_or_else(|| bad(b, "shorter than its fields".into()))?;
                let unc = read_u64_be(r).map_err(|e| io(b, e))?;
                let max_handle = read_u64_be(r).map_err(|e| io(b, e))?;
                if !(unc == compressed || could_hold(unc, compressed, ZLIB_RATIO)) || max_handle > unc {
                    return Err(bad(b, format!("{max_handle} signals in {unc} bytes from {compressed} compressed")));
                }
                signals = Some(max_handle);
            }
            BL_HIER_LZ4 | BL_HIER_LZ4DUO => {
                let compressed = b.section.checked_sub(16).ok_or_else(|| bad(b, "shorter than its fields".into()))?;
                let unc = read_u64_be(r).map_err(|e| io(b, e))?;
                let (first, skip) =
                    if b.tpe == BL_HIER_LZ4DUO { read_varint(r).map_err(|e| io(b, e))? } else { (compressed, 0) };
                let compressed = compressed.saturating_sub(skip);
                if !could_hold(first, compressed, LZ4_RATIO) || !could_hold(unc, first, LZ4_RATIO) {
                    return Err(bad(b, format!("a hierarchy of {unc} bytes from {compressed} compressed")));
                }
            }
            BL_HIER if b.section < 16 + 10 => return Err(bad(b, "shorter than its fields".into())),
            BL_BLACKOUT => {
                let (count, _) = read_varint(r).map_err(|e| io(b, e))?;
                if count > b.section {
                    return Err(bad(b, format!("{count} blackouts in {} bytes", b.section)));
                }
            }
            BL_VCDATA | BL_VCDATA_DYN_ALIAS | BL_VCDATA_DYN_ALIAS2 => {
                let Some(signals) = signals else { continue }; // no geometry: the reader says so
                                                               // Section: length, start time, end time, memory hint, then the frame (the
                                                               // values at the start time), then the changes; the time table is last.
                r.seek(SeekFrom::Start(s + 32)).map_err(|e| io(b, e))?;
                let (f_unc, l1) = read_varint(r).map_err(|e| io(b, e))?;
                let (f_comp, l2) = read_varint(r).map_err(|e| io(b, e))?;
                let (f_max, l3) = read_varint(r).map_err(|e| io(b, e))?;
                let vc_at = (s + 32 + l1 + l2 + l3).saturating_add(f_comp);
                if vc_at > end || !(f_unc == f_comp || could_hold(f_unc, f_comp, ZLIB_RATIO)) || f_max > signals {
                    return Err(bad(
                        b,
                        format!("a frame of {f_max} signals in {f_unc} bytes from {f_comp} compressed"),
                    ));
                }
                r.seek(SeekFrom::Start(vc_at)).map_err(|e| io(b, e))?;
                let (vc_max, l4) = read_varint(r).map_err(|e| io(b, e))?;
                if vc_max > signals {
                    return Err(bad(b, format!("changes of {vc_max} signals; the file declares {signals}")));
                }
                let vc_start = vc_at + l4;
                r.seek(SeekFrom::Start(end - 24)).map_err(|e| io(b, e))?;
                let t_unc = read_u64_be(r).map_err(|e| io(b, e))?;
                let t_comp = read_u64_be(r).map_err(|e| io(b, e))?;
                let t_items = read_u64_be(r).map_err(|e| io(b, e))?;
                let chain_len_at = end.checked_sub(t_comp.saturating_add(32)).filter(|&c| c >= vc_start);
                let Some(chain_len_at) = chain_len_at else {
                    return Err(bad(b, format!("a time table of {t_comp} bytes does not fit")));
                };
                if !(t_unc == t_comp || could_hold(t_unc, t_comp, ZLIB_RATIO)) || t_items > t_unc {
                    return Err(bad(b, format!("{t_items} times in {t_unc} bytes from {t_comp} compressed")));
                }
                r.seek(SeekFrom::Start(chain_len_at)).map_err(|e| io(b, e))?;
                let chain = read_u64_be(r).map_err(|e| io(b, e))?;
                if chain > chain_len_at - vc_start {
                    return Err(bad(b, format!("a signal index of {chain} bytes does not fit")));
                }
            }
            _ => {}
        }
    }
    r.seek(SeekFrom::Start(0)).map_err(|e| FstError::Io { path: path.to_string(), source: e })?;
    Ok(())
}

/// A variable's dotted path: its scopes, then its name without the bit range Verilator's
/// FST writer appends to buses (`ad [31:0]`).
fn var_path(scopes: &[String], name: &str) -> String {
    let base = name.split(" [").next().unwrap_or(name);
    let mut p = scopes.join(".");
    p.push('.');
    p.push_str(base);
    p
}

/// Streams the frames of the FST in `reader` into `sink`; returns the number of frames.
/// `path` names the file in errors.
pub fn read_fst<R: BufRead + Seek>(path: &str, mut reader: R, mut sink: impl FnMut(&Frame)) -> Result<u64, FstError> {
    let blocks = block_chain(path, &mut reader)?;
    check_sizes(path, &mut reader, &blocks)?;
    let malformed = |e: &dyn std::fmt::Display| FstError::Malformed { path: path.to_string(), reason: e.to_string() };
    // The reader is third-party code fed with a file that may be damaged; it reports most
    // damage as an error, but a panic must end in the same named error (exit 2), not a
    // crash. A panic in `sink` (the rules) is not the file's fault and goes on unwinding.
    let in_sink = std::cell::Cell::new(false);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| -> Result<u64, FstError> {
        let mut fst = FstReader::open(reader).map_err(|e| {
            let missing = |block: &str| FstError::Truncated {
                path: path.to_string(),
                reason: format!("its {block} block, written when the file is closed, is missing"),
            };
            match e {
                fst_reader::ReaderError::MissingGeometry() => missing("geometry"),
                fst_reader::ReaderError::MissingHierarchy() => missing("hierarchy"),
                e => malformed(&e),
            }
        })?;
        let mut scopes: Vec<String> = Vec::new();
        let mut vars: Vec<(String, u64)> = Vec::new();
        fst.read_hierarchy(|entry| match entry {
            FstHierarchyEntry::Scope { name, .. } => scopes.push(name),
            FstHierarchyEntry::UpScope => {
                scopes.pop();
            }
            FstHierarchyEntry::Var { name, handle, .. } => {
                vars.push((var_path(&scopes, &name), handle.get_index() as u64));
            }
            _ => {}
        })
        .map_err(|e| malformed(&e))?;
        if vars.is_empty() {
            return Err(malformed(&"its hierarchy declares no variables"));
        }
        let map = SignalMap::resolve(vars.iter().map(|(n, k)| (n.as_str(), *k)))
            .map_err(|missing| FstError::Missing { path: path.to_string(), missing })?;
        let handles: Vec<FstSignalHandle> = map.keys().map(|k| FstSignalHandle::from_index(k as usize)).collect();
        let mut frames = FrameAssembler::default();
        let mut now: Option<u64> = None;
        fst.read_signals(&FstFilter::filter_signals(handles), |time, handle, value| {
            if now.is_some_and(|t| t != time) {
                in_sink.set(true);
                frames.end_of_time(&mut sink);
                in_sink.set(false);
            }
            now = Some(time);
            if let FstSignalValue::String(digits) = value {
                let v = parse_bits(digits)
                    .ok_or_else(|| format!("value `{}` of signal {handle} at time {time}", digits.escape_ascii()))?;
                frames.set(&map, handle.get_index() as u64, v);
            }
            Ok::<(), String>(())
        })
        .map_err(|e| match e {
            ReadSignalsError::CallbackError(what) => malformed(&format!("not a binary value: {what}")),
            ReadSignalsError::ReadError(e) => malformed(&e),
        })?;
        if now.is_some() {
            in_sink.set(true);
            frames.end_of_time(&mut sink);
            in_sink.set(false);
        }
        Ok(frames.frames())
    }));
    let frames = match outcome {
        Ok(r) => r?,
        Err(p) if in_sink.get() => panic::resume_unwind(p),
        Err(p) => {
            let what = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            return Err(malformed(&format!("the FST reader gave up on it ({what})")));
        }
    };
    if frames == 0 {
        return Err(FstError::NoEdge { path: path.to_string() });
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn bus_names_lose_their_range_and_gain_their_scopes() {
        let s = vec!["TOP".to_string(), "dirql_sim_top".to_string(), "pci".to_string()];
        assert_eq!(var_path(&s, "ad [31:0]"), "TOP.dirql_sim_top.pci.ad");
        assert_eq!(var_path(&s, "frame_n"), "TOP.dirql_sim_top.pci.frame_n");
    }

    #[test]
    fn the_block_chain_tells_empty_text_and_cut_files_apart() {
        let chain = |b: &[u8]| block_chain("t.fst", &mut Cursor::new(b.to_vec())).map(|_| ());
        assert!(matches!(chain(b""), Err(FstError::Empty { .. })));
        assert!(matches!(chain(b"$date today $end\n"), Err(FstError::NotFst { .. })));
        let mut hdr = vec![0u8];
        hdr.extend_from_slice(&HDR_SECTION_LEN.to_be_bytes());
        hdr.resize(1 + HDR_SECTION_LEN as usize, 0);
        assert!(chain(&hdr).is_ok());
        assert!(matches!(chain(&hdr[..100]), Err(FstError::Truncated { .. })));
        assert!(matches!(chain(&hdr[..5]), Err(FstError::Truncated { .. })));
        let mut two = hdr.clone();
        two.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0, 20, 1, 2]);
        assert!(matches!(chain(&two), Err(FstError::Truncated { .. })));
        let mut odd = hdr.clone();
        odd.extend_from_slice(&[77, 0, 0, 0, 0, 0, 0, 0, 8]);
        assert!(matches!(chain(&odd), Err(FstError::Malformed { .. })));
        let mut unfinished = hdr;
        unfinished.extend_from_slice(&[BL_SKIP, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
        assert!(matches!(chain(&unfinished), Err(FstError::Truncated { .. })));
    }
}
