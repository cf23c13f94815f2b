//! Frames from an FST file (GTKWave's Fast Signal Trace, as Verilator's `VerilatedFstC`
//! writes it), streaming: the hierarchy is read once, then the value changes of the
//! signals the rules need, one compressed block at a time, so memory stays flat for any
//! length (dirql's writer ends a block every 65 536 cycles).
//!
//! The file is read with the `fst-reader` crate (BSD-3-Clause, safe Rust) rather than
//! GTKWave's C reader (`fstapi.c`, which Verilator ships only for writing): a damaged file
//! then ends in an error, never in memory corruption, and checking needs no C++.
//!
//! A file whose writer was killed lacks the hierarchy and geometry fstapi writes on close;
//! [`read_fst_recovering`] reads its finished blocks with the hierarchy fstapi keeps beside
//! it while writing (`FILE.fst.hier`), after the same checks as a closed file's.

use std::io::{BufRead, Read, Seek, SeekFrom};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

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
    /// The writer never closed the file (a hard kill), and the hierarchy it keeps beside it
    /// until then, from which the whole blocks could be read, is missing or unusable.
    #[error("{path} is truncated: {reason}; its writer never closed it, so it lacks the hierarchy and signal geometry an FST gets on close. Its whole blocks could be read with the hierarchy the writer keeps beside it until then, {hierarchy}, but {hierarchy} {problem}")]
    Unrecoverable {
        /// The file.
        path: String,
        /// What is missing from it.
        reason: String,
        /// The side file of its writer (`FILE.fst.hier`).
        hierarchy: String,
        /// What is wrong with the side file.
        problem: String,
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

/// The blocks of a file, as far as they are whole.
struct Chain {
    /// The whole blocks, in file order.
    blocks: Vec<Block>,
    /// Where the whole blocks end: the file's length, or where the unfinished block starts.
    whole_len: u64,
    /// The file's length.
    len: u64,
    /// The block fstapi was writing when it stopped, if the file ends in one: what is
    /// wrong, as the message of a truncated file gives it.
    unfinished: Option<String>,
}

/// Walks the chain of blocks (a type byte, then a big-endian section length that counts
/// itself) from the start to the end of the file: tells a file that is not FST at all,
/// and one cut anywhere, from one whose blocks are whole, before the reader sees it. A
/// file that ends in the block its writer was writing (fstapi marks it `BL_SKIP` with
/// length 0 until it is finished) is not an error here: the caller decides whether its
/// whole blocks can be read.
fn block_chain<R: Read + Seek>(path: &str, r: &mut R) -> Result<Chain, FstError> {
    let io = |e: std::io::Error| FstError::Io { path: path.to_string(), source: e };
    let len = r.seek(SeekFrom::End(0)).map_err(io)?;
    r.seek(SeekFrom::Start(0)).map_err(io)?;
    if len == 0 {
        return Err(FstError::Empty { path: path.to_string() });
    }
    let mut head = [0u8; 9];
    let mut pos = 0u64;
    let mut blocks = Vec::new();
    let mut unfinished = None;
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
            let reason = format!("it ends inside the length of block {n} at byte {pos}");
            // fstapi writes a block's mark and placeholder length together, but a kill can
            // still leave part of them: the mark makes it the block in progress.
            if tpe == BL_SKIP {
                unfinished = Some(reason);
                break;
            }
            return Err(FstError::Truncated { path: path.to_string(), reason });
        };
        if tpe == BL_SKIP && section == 0 {
            // fstapi marks the block it is writing so; it is filled in when the block ends.
            unfinished = Some(format!("block {n} at byte {pos} was still being written when the writer stopped"));
            break;
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
    Ok(Chain { blocks, whole_len: pos, len, unfinished })
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
/// inside a value-change block are 32-bit, so they stay below 4 GiB unchecked. Signal
/// counts are checked against the geometry's, or `signals` for a file without geometry.
fn check_sizes<R: Read + Seek>(path: &str, r: &mut R, blocks: &[Block], signals: Option<u64>) -> Result<(), FstError> {
    let bad = |b: &Block, what: String| FstError::Malformed {
        path: path.to_string(),
        reason: format!("the block (type {}) at byte {}: {what}", b.tpe, b.at),
    };
    let io = |b: &Block, e: std::io::Error| bad(b, format!("unreadable ({e})"));
    let mut signals = signals;
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
/// FST writer appends to buses (`ad [31:0]`). Verilator 5.050's FST writer puts the
/// elements of an unpacked array `fifo_q` in a scope of their own (`fifo_q.fifo_q[0]`)
/// where its VCD writer and 5.006's FST keep them flat (`fifo_q[0]`): that scope is left
/// out, so both formats give every signal the same path.
fn var_path(scopes: &[String], name: &str) -> String {
    let base = name.split(" [").next().unwrap_or(name);
    let scopes = match scopes.split_last() {
        Some((array, outer)) if base.strip_prefix(array.as_str()).is_some_and(|r| r.starts_with('[')) => outer,
        _ => scopes,
    };
    let mut p = scopes.join(".");
    p.push('.');
    p.push_str(base);
    p
}

/// Streams the frames of the FST in `reader` into `sink`; returns the number of frames.
/// `path` names the file in errors. A file its writer never closed is refused as
/// truncated ([`read_fst_recovering`] reads it with the hierarchy its writer left).
pub fn read_fst<R: BufRead + Seek>(path: &str, reader: R, sink: impl FnMut(&Frame)) -> Result<u64, FstError> {
    read(path, reader, None::<(&str, std::io::Result<std::io::Cursor<Vec<u8>>>)>, sink).map(|r| r.frames)
}

/// What was read from an FST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FstRead {
    /// Frames (rising clock edges) given to the sink: the last one is this cycle.
    pub frames: u64,
    /// Set when the writer never closed the file and it was read with the hierarchy it left.
    pub recovered: Option<FstRecovery>,
}

/// How an FST its writer never closed (a hard kill) was read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FstRecovery {
    /// The writer's side file the hierarchy and signal geometry came from.
    pub hierarchy: String,
    /// What the file lacked (the block in progress, or the blocks written on close).
    pub reason: String,
    /// Whole value-change blocks read: the file up to the last block the writer finished.
    pub blocks: u64,
    /// Where the last whole block ends, in the file's time unit (ns for `dirql run`).
    pub end_time: u64,
    /// Bytes after the last whole block (the block being written), left unread.
    pub lost_bytes: u64,
}

/// The side file in which fstapi keeps the hierarchy of `fst` while writing it, deleted
/// when the file is closed (fstapi.c, `fstWriterCreate`: the FST's name + `.hier`).
pub fn hierarchy_file_of(fst: &Path) -> PathBuf {
    let mut name = fst.as_os_str().to_owned();
    name.push(".hier");
    PathBuf::from(name)
}

/// Like [`read_fst`], but an FST whose writer was stopped before closing it (SIGKILL, the
/// OOM killer) is read up to the last value-change block the writer finished, with the
/// hierarchy from its side file: `hierarchy` names that file ([`hierarchy_file_of`]),
/// `side` is the result of opening it, consulted only for such an FST. A closed FST is
/// read exactly as by `read_fst`.
pub fn read_fst_recovering<R, H>(
    path: &str,
    reader: R,
    hierarchy: &str,
    side: std::io::Result<H>,
    sink: impl FnMut(&Frame),
) -> Result<FstRead, FstError>
where
    R: BufRead + Seek,
    H: BufRead + Seek + Send + Sync + 'static,
{
    read(path, reader, Some((hierarchy, side)), sink)
}

/// Offset of the header's signal count (fstapi.c, `FST_HDR_OFFS_MAXHANDLE`), which fstapi
/// fills in at the first time step, once the hierarchy is complete.
const HDR_MAX_HANDLE_AT: u64 = 57;
/// The largest side file read: it is read into memory whole (twice), and a failed
/// allocation aborts the process. dirql's is 33 kB.
const HIERARCHY_MAX: u64 = 1 << 30;

fn read<R, H>(
    path: &str,
    mut reader: R,
    side: Option<(&str, std::io::Result<H>)>,
    sink: impl FnMut(&Frame),
) -> Result<FstRead, FstError>
where
    R: BufRead + Seek,
    H: BufRead + Seek + Send + Sync + 'static,
{
    let chain = block_chain(path, &mut reader)?;
    let has = |types: &[u8]| chain.blocks.iter().any(|b| types.contains(&b.tpe));
    let (geometry, hierarchy) = (has(&[BL_GEOM]), has(&[BL_HIER, BL_HIER_LZ4, BL_HIER_LZ4DUO]));
    if let Some((hier, side)) = side.filter(|_| chain.unfinished.is_some() || !geometry || !hierarchy) {
        let reason = chain.unfinished.clone().unwrap_or_else(|| match (geometry, hierarchy) {
            (false, false) => "its geometry and hierarchy blocks, written when the file is closed, are missing".into(),
            (false, true) => "its geometry block, written when the file is closed, is missing".into(),
            _ => "its hierarchy block, written when the file is closed, is missing".into(),
        });
        return recover(path, reader, &chain, Recovering { hierarchy: hier, reason }, side, sink);
    }
    if let Some(reason) = chain.unfinished {
        return Err(FstError::Truncated { path: path.to_string(), reason });
    }
    check_sizes(path, &mut reader, &chain.blocks, None)?;
    let open = || {
        FstReader::open(reader).map_err(|e| {
            let missing = |block: &str| FstError::Truncated {
                path: path.to_string(),
                reason: format!("its {block} block, written when the file is closed, is missing"),
            };
            match e {
                fst_reader::ReaderError::MissingGeometry() => missing("geometry"),
                fst_reader::ReaderError::MissingHierarchy() => missing("hierarchy"),
                e => FstError::Malformed { path: path.to_string(), reason: e.to_string() },
            }
        })
    };
    let frames = stream(path, open, None, sink)?;
    Ok(FstRead { frames, recovered: None })
}

/// An unfinished FST being read with its writer's side file.
struct Recovering<'a> {
    /// The side file.
    hierarchy: &'a str,
    /// What the FST lacks.
    reason: String,
}

impl Recovering<'_> {
    /// The error for a side file that cannot serve.
    fn unusable(&self, path: &str, problem: String) -> FstError {
        FstError::Unrecoverable {
            path: path.to_string(),
            reason: self.reason.clone(),
            hierarchy: self.hierarchy.to_string(),
            problem,
        }
    }
}

/// Reads the whole blocks of an unfinished FST with the hierarchy from its writer's side
/// file (`FstReader::open_incomplete` rebuilds the geometry from it). The checks stay
/// those of a closed file: the block chain, then every size, with the header's signal
/// count standing in for the geometry's; the side file must declare exactly that many.
fn recover<R, H>(
    path: &str,
    mut reader: R,
    chain: &Chain,
    how: Recovering<'_>,
    side: std::io::Result<H>,
    sink: impl FnMut(&Frame),
) -> Result<FstRead, FstError>
where
    R: BufRead + Seek,
    H: BufRead + Seek + Send + Sync + 'static,
{
    let vc = chain.blocks.iter().filter(|b| matches!(b.tpe, BL_VCDATA | BL_VCDATA_DYN_ALIAS | BL_VCDATA_DYN_ALIAS2));
    let Some(last) = vc.clone().next_back().copied() else {
        return Err(FstError::Truncated {
            path: path.to_string(),
            reason: format!(
                "{}, and its writer had not finished a single block of value changes: there is nothing to read",
                how.reason
            ),
        });
    };
    let mut side = side.map_err(|e| {
        how.unusable(
            path,
            match e.kind() {
                std::io::ErrorKind::NotFound => {
                    "does not exist (the writer deletes it on close; it may have been moved or removed)".into()
                }
                _ => format!("cannot be opened ({e})"),
            },
        )
    })?;
    let size = side
        .seek(SeekFrom::End(0))
        .and_then(|n| side.seek(SeekFrom::Start(0)).map(|_| n))
        .map_err(|e| how.unusable(path, format!("cannot be read ({e})")))?;
    if size == 0 {
        return Err(how.unusable(path, "is empty".into()));
    }
    if size > HIERARCHY_MAX {
        return Err(
            how.unusable(path, format!("holds {size} bytes, more than dirql reads as a hierarchy ({HIERARCHY_MAX})"))
        );
    }
    let bad = |e: std::io::Error| FstError::Malformed { path: path.to_string(), reason: format!("unreadable ({e})") };
    reader.seek(SeekFrom::Start(HDR_MAX_HANDLE_AT)).map_err(bad)?;
    let signals = read_u64_be(&mut reader).map_err(bad)?;
    // Section: length, start time, end time.
    reader.seek(SeekFrom::Start(last.at + 1 + 16)).map_err(bad)?;
    let end_time = read_u64_be(&mut reader).map_err(bad)?;
    check_sizes(path, &mut reader, &chain.blocks, Some(signals))?;
    let whole = Prefix::new(reader, chain.whole_len).map_err(bad)?;
    let open = || {
        FstReader::open_incomplete(whole, side)
            .map_err(|e| how.unusable(path, format!("is unusable, not a whole FST hierarchy ({e})")))
    };
    let frames = stream(path, open, Some((&how, signals, end_time)), sink)?;
    Ok(FstRead {
        frames,
        recovered: Some(FstRecovery {
            hierarchy: how.hierarchy.to_string(),
            reason: how.reason.clone(),
            blocks: vc.count() as u64,
            end_time,
            lost_bytes: chain.len - chain.whole_len,
        }),
    })
}

/// Reads the hierarchy and then the frames from the reader `open` gives. With
/// `recovering` (the side file, the signal count the file's blocks were checked against,
/// the end of its last whole block), the hierarchy must declare exactly that many signals.
fn stream<R: BufRead + Seek>(
    path: &str,
    open: impl FnOnce() -> Result<FstReader<R>, FstError>,
    recovering: Option<(&Recovering<'_>, u64, u64)>,
    mut sink: impl FnMut(&Frame),
) -> Result<u64, FstError> {
    let malformed = |e: &dyn std::fmt::Display| FstError::Malformed { path: path.to_string(), reason: e.to_string() };
    // The hierarchy comes from the side file when recovering: its faults are the side file's.
    let hier_error = |e: String| match recovering {
        Some((how, ..)) => how.unusable(path, e),
        None => malformed(&e),
    };
    // The reader is third-party code fed with a file that may be damaged; it reports most
    // damage as an error, but a panic must end in the same named error (exit 2), not a
    // crash. A panic in `sink` (the rules) is not the file's fault and goes on unwinding.
    let in_sink = std::cell::Cell::new(false);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| -> Result<u64, FstError> {
        let mut fst = open()?;
        let mut scopes: Vec<String> = Vec::new();
        let mut vars: Vec<(String, u64)> = Vec::new();
        // (handle, width) of each signal, as the reader sizes its values by them.
        let mut widths: Vec<(u64, u32)> = Vec::new();
        fst.read_hierarchy(|entry| match entry {
            FstHierarchyEntry::Scope { name, .. } => scopes.push(name),
            FstHierarchyEntry::UpScope => {
                scopes.pop();
            }
            FstHierarchyEntry::Var { name, handle, length, is_alias, .. } => {
                vars.push((var_path(&scopes, &name), handle.get_index() as u64));
                if !is_alias {
                    widths.push((handle.get_index() as u64, length));
                }
            }
            _ => {}
        })
        .map_err(|e| hier_error(format!("is not a whole FST hierarchy ({e})")))?;
        if vars.is_empty() {
            return Err(hier_error("declares no variables".into()));
        }
        if let Some((_, signals, _)) = recovering {
            let declared = vars.iter().map(|(_, k)| k + 1).max().unwrap_or(0);
            if declared != signals {
                return Err(hier_error(format!(
                    "declares {declared} signals where the file's header counts {signals}: it belongs to another file"
                )));
            }
        }
        let map =
            SignalMap::resolve(vars.iter().map(|(n, k)| (n.as_str(), *k))).map_err(|missing| match recovering {
                Some(_) => hier_error(format!("lacks signals the rules need: {missing}")),
                None => FstError::Missing { path: path.to_string(), missing },
            })?;
        // From a side file, the widths make the geometry the reader allocates each value of
        // a signal it reads by: a damaged one could ask for gigabytes. The rules read none
        // wider than 64 bits.
        if let Some((k, w)) = widths.iter().find(|(k, w)| recovering.is_some() && *w > 64 && !map.slots(*k).is_empty())
        {
            return Err(hier_error(format!("declares signal {k}, which the rules read, {w} bits wide")));
        }
        let handles: Vec<FstSignalHandle> = map.keys().map(|k| FstSignalHandle::from_index(k as usize)).collect();
        // An unfinished file's header holds no end time: the data ends with its last whole block.
        let filter = match recovering {
            Some((_, _, end_time)) => FstFilter::new(0, end_time, handles),
            None => FstFilter::filter_signals(handles),
        };
        let mut frames = FrameAssembler::for_map(&map);
        let mut now: Option<u64> = None;
        fst.read_signals(&filter, |time, handle, value| {
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

/// The first `len` bytes of a file: what the reader is shown of an unfinished FST (its
/// whole blocks, checked), so that no part of the block in progress reaches it.
struct Prefix<R> {
    inner: R,
    len: u64,
    /// The position in `inner`; every read and seek goes through here.
    pos: u64,
}

impl<R: Seek> Prefix<R> {
    fn new(mut inner: R, len: u64) -> std::io::Result<Self> {
        inner.seek(SeekFrom::Start(0))?;
        Ok(Prefix { inner, len, pos: 0 })
    }
}

impl<R: BufRead> Read for Prefix<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Prefix<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let left = usize::try_from(self.len.saturating_sub(self.pos)).unwrap_or(usize::MAX);
        let buf = self.inner.fill_buf()?;
        Ok(&buf[..buf.len().min(left)])
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.pos += amt as u64;
    }
}

impl<R: Seek> Seek for Prefix<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek to a negative or overflowing position")
        })?;
        self.inner.seek(SeekFrom::Start(target))?;
        self.pos = target;
        Ok(target)
    }
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
        // 5.050's array scope is dropped; a scope that merely prefixes the name is not.
        let a = vec!["TOP".to_string(), "eng".to_string(), "fifo_q".to_string()];
        assert_eq!(var_path(&a, "fifo_q[3] [31:0]"), "TOP.eng.fifo_q[3]");
        assert_eq!(var_path(&a, "fifo_q_n"), "TOP.eng.fifo_q.fifo_q_n");
    }

    #[test]
    fn the_block_chain_tells_empty_text_and_cut_files_apart() {
        let chain = |b: &[u8]| block_chain("t.fst", &mut Cursor::new(b.to_vec()));
        assert!(matches!(chain(b""), Err(FstError::Empty { .. })));
        assert!(matches!(chain(b"$date today $end\n"), Err(FstError::NotFst { .. })));
        let mut hdr = vec![0u8];
        hdr.extend_from_slice(&HDR_SECTION_LEN.to_be_bytes());
        hdr.resize(1 + HDR_SECTION_LEN as usize, 0);
        assert!(chain(&hdr).is_ok_and(|c| c.unfinished.is_none() && c.whole_len == hdr.len() as u64));
        assert!(matches!(chain(&hdr[..100]), Err(FstError::Truncated { .. })));
        assert!(matches!(chain(&hdr[..5]), Err(FstError::Truncated { .. })));
        let mut two = hdr.clone();
        two.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0, 20, 1, 2]);
        assert!(matches!(chain(&two), Err(FstError::Truncated { .. })));
        let mut odd = hdr.clone();
        odd.extend_from_slice(&[77, 0, 0, 0, 0, 0, 0, 0, 8]);
        assert!(matches!(chain(&odd), Err(FstError::Malformed { .. })));
        // The block in progress ends the chain; what precedes it is whole.
        let mut unfinished = hdr.clone();
        unfinished.extend_from_slice(&[BL_SKIP, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);
        let c = chain(&unfinished).unwrap();
        assert!(c.unfinished.unwrap().contains("block 2 at byte 330 was still being written"));
        assert_eq!((c.blocks.len(), c.whole_len), (1, 330));
        let mut cut_mark = hdr.clone();
        cut_mark.extend_from_slice(&[BL_SKIP, 0, 0]);
        assert!(chain(&cut_mark).unwrap().unfinished.unwrap().contains("inside the length of block 2"));
        // A cut of any other block is no block in progress.
        let mut cut_other = hdr;
        cut_other.extend_from_slice(&[BL_VCDATA_DYN_ALIAS2, 0, 0]);
        assert!(matches!(chain(&cut_other), Err(FstError::Truncated { .. })));
    }

    #[test]
    fn the_reader_sees_only_the_whole_blocks() {
        let mut p = Prefix::new(std::io::BufReader::with_capacity(4, Cursor::new(b"0123456789".to_vec())), 6).unwrap();
        let mut all = Vec::new();
        p.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"012345");
        assert_eq!(p.seek(SeekFrom::End(-2)).unwrap(), 4);
        let mut two = [0u8; 4];
        assert_eq!(p.read(&mut two).unwrap(), 2);
        assert_eq!(&two[..2], b"45");
        assert_eq!(p.seek(SeekFrom::Current(-5)).unwrap(), 1);
        assert_eq!(p.fill_buf().unwrap()[0], b'1');
        assert!(p.seek(SeekFrom::Current(-2)).is_err());
    }

    #[test]
    fn the_hierarchy_file_is_named_as_fstapi_names_it() {
        assert_eq!(hierarchy_file_of(Path::new("build/w/run.fst")), Path::new("build/w/run.fst.hier"));
    }
}
