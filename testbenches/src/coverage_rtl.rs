//! RTL code coverage (`dirql run|explore --coverage`): Verilator's line and toggle
//! counters of a coverage model of the device, written per run as `coverage.dat`, merged
//! across seeds with `verilator_coverage --write`, turned into lcov with `--write-info` and
//! into HTML with `genhtml` (Debian's `lcov`).
//!
//! The coverage model is a second Verilated class per device, built by sim/build.rs only
//! when `DIRQL_COVERAGE=1` (docs/architecture.md "RTL coverage"). A `dirql` built without it
//! (the normal one: its model, speed and rebuild time untouched) hands a `--coverage`
//! command to the coverage build in `target/coverage` of the checkout it was built from,
//! building that once ([`reexec_in_coverage_build`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

/// What the run-time name of a coverage model ends in (sim/build.rs `COVERAGE_SUFFIX`).
pub const SUFFIX: &str = ":coverage";

/// The coverage model of the model a run would use (`cfg_model`, empty: the device's own).
pub fn model_name(cfg_model: &str, device_model: &str) -> String {
    let m = if cfg_model.is_empty() { device_model } else { cfg_model };
    format!("{m}{SUFFIX}")
}

/// True when this build holds coverage models.
pub fn available() -> bool {
    dirql_sim::Model::names().iter().any(|n| n.ends_with(SUFFIX))
}

/// Why coverage could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    /// A tool could not be started or failed.
    #[error("{tool} failed: {detail} (fix: {fix})")]
    Tool {
        /// The command.
        tool: String,
        /// Its exit status and stderr.
        detail: String,
        /// What to do.
        fix: &'static str,
    },
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

fn tool(cmd: &mut Command, fix: &'static str) -> Result<String, CoverageError> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| CoverageError::Tool { tool: shown.clone(), detail: e.to_string(), fix })?;
    if !out.status.success() {
        return Err(CoverageError::Tool {
            tool: shown,
            detail: format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim()),
            fix,
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

const VERILATOR_FIX: &str = "install Debian's verilator, which brings verilator_coverage";
const LCOV_FIX: &str = "apt-get install --no-install-recommends lcov (scripts/ensure-deps.sh coverage)";

/// The merged coverage of many runs, and the reports made of it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RtlCoverage {
    /// The merged `coverage.dat`.
    pub dat: String,
    /// The lcov tracefile.
    pub info: String,
    /// The HTML report's index (`None` when `genhtml` was not asked for).
    pub html: Option<String>,
    /// Per RTL file: lines with a count, and of them hit.
    pub files: Vec<FileCoverage>,
    /// All files: lines with a count, and of them hit.
    pub lines: u64,
    /// Lines hit.
    pub lines_hit: u64,
}

/// One RTL file's line coverage, from the lcov tracefile.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileCoverage {
    /// The file.
    pub file: String,
    /// Lines with a count.
    pub lines: u64,
    /// Of them, hit.
    pub hit: u64,
    /// Lines never hit.
    pub missed: Vec<u64>,
}

/// Merges `inputs` (coverage.dat files) into `out` (`verilator_coverage --write`).
pub fn merge_dat(inputs: &[PathBuf], out: &Path) -> Result<(), CoverageError> {
    let mut c = Command::new("verilator_coverage");
    c.arg("--write").arg(out).args(inputs);
    tool(&mut c, VERILATOR_FIX).map(|_| ())
}

/// From the merged `dat` in `dir`: the lcov tracefile, its per-file summary, and with
/// `html` the genhtml report (`dir/html/index.html`).
pub fn reports(dat: &Path, dir: &Path, html: bool) -> Result<RtlCoverage, CoverageError> {
    let info = dir.join("coverage.info");
    tool(Command::new("verilator_coverage").arg("--write-info").arg(&info).arg(dat), VERILATOR_FIX)?;
    let text = std::fs::read_to_string(&info)
        .map_err(|e| CoverageError::Io { path: info.display().to_string(), source: e })?;
    let files = summarize(&text);
    let html_index = if html {
        let out = dir.join("html");
        tool(
            Command::new("genhtml")
                .arg("--quiet")
                .arg("--output-directory")
                .arg(&out)
                .arg("--title")
                .arg("dirql RTL coverage")
                .arg(&info),
            LCOV_FIX,
        )?;
        Some(out.join("index.html").display().to_string())
    } else {
        None
    };
    Ok(RtlCoverage {
        dat: dat.display().to_string(),
        info: info.display().to_string(),
        html: html_index,
        lines: files.iter().map(|f| f.lines).sum(),
        lines_hit: files.iter().map(|f| f.hit).sum(),
        files,
    })
}

/// Line coverage per source file of an lcov tracefile (`SF:` then `DA:line,count`). A line
/// with several counters (a statement and a toggle, say) counts once, hit if any is.
pub fn summarize(info: &str) -> Vec<FileCoverage> {
    let mut out = Vec::new();
    let mut cur: Option<(String, std::collections::BTreeMap<u64, u64>)> = None;
    let close = |c: Option<(String, std::collections::BTreeMap<u64, u64>)>, out: &mut Vec<FileCoverage>| {
        if let Some((file, lines)) = c {
            out.push(FileCoverage {
                file,
                lines: lines.len() as u64,
                hit: lines.values().filter(|&&n| n > 0).count() as u64,
                missed: lines.iter().filter(|(_, &n)| n == 0).map(|(&l, _)| l).collect(),
            });
        }
    };
    for l in info.lines() {
        if let Some(f) = l.strip_prefix("SF:") {
            close(cur.take(), &mut out);
            cur = Some((f.to_string(), Default::default()));
        } else if let Some(d) = l.strip_prefix("DA:") {
            let mut it = d.split(',');
            if let (Some(Ok(line)), Some(Ok(n)), Some((_, lines))) =
                (it.next().map(str::parse::<u64>), it.next().map(str::parse::<u64>), cur.as_mut())
            {
                *lines.entry(line).or_default() += n;
            }
        } else if l == "end_of_record" {
            close(cur.take(), &mut out);
        }
    }
    close(cur, &mut out);
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// The text summary: per file, lines hit of lines counted.
pub fn table(c: &RtlCoverage) -> String {
    let mut s = format!(
        "RTL coverage (line and toggle, Verilator): {} of {} lines hit ({:.1}%)\n",
        c.lines_hit,
        c.lines,
        100.0 * c.lines_hit as f64 / c.lines.max(1) as f64
    );
    for f in &c.files {
        s.push_str(&format!("  {:>5} / {:<5} {}\n", f.hit, f.lines, f.file));
    }
    s.push_str(&format!("  coverage.dat: {}\n  lcov: {}\n", c.dat, c.info));
    if let Some(h) = &c.html {
        s.push_str(&format!("  html: {h}\n"));
    }
    s
}

/// The `dirql` of the coverage build (`target/coverage/release/dirql` of the checkout this
/// binary was built from), built first when missing or stale (cargo decides; a fresh one
/// costs a second), and run with this command's arguments. Returns its exit code.
pub fn reexec_in_coverage_build() -> Result<std::process::ExitStatus, String> {
    // testbenches/ of the checkout this binary was built from.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default();
    if !root.join("sim/build.rs").exists() {
        return Err(format!(
            "this dirql has no coverage models, and its checkout ({}) is gone, so they cannot be built \
             (fix: in a dirql checkout, DIRQL_COVERAGE=1 cargo build --release -p dirql-cli --target-dir \
             target/coverage, then run target/coverage/release/dirql)",
            root.display()
        ));
    }
    let target = root.join("target/coverage");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("dirql: --coverage: using the coverage build in {} (its first build takes minutes; later ones are cargo's check)", target.display());
    let st = Command::new(&cargo)
        .current_dir(&root)
        .env("DIRQL_COVERAGE", "1")
        .args(["build", "--release", "--quiet", "-p", "dirql-cli", "--target-dir"])
        .arg(&target)
        .status()
        .map_err(|e| format!("cannot run {cargo} to build the coverage models: {e} (fix: install Rust with rustup)"))?;
    if !st.success() {
        return Err(format!(
            "building the coverage models failed ({st}); fix the error above, or build them by hand: \
             DIRQL_COVERAGE=1 cargo build --release -p dirql-cli --target-dir target/coverage"
        ));
    }
    let exe = target.join("release/dirql");
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    Command::new(&exe).args(&args).status().map_err(|e| format!("cannot run {}: {e}", exe.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line with two counters counts once; a file's missed lines are named.
    #[test]
    fn lcov_lines_are_summarized_per_file() {
        let info = "TN:\nSF:/a.v\nDA:3,1\nDA:3,0\nDA:5,0\nDA:7,9\nend_of_record\nSF:/b.v\nDA:1,0\nend_of_record\n";
        let s = summarize(info);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].lines, s[0].hit, s[0].missed.clone()), (3, 2, vec![5]));
        assert_eq!((s[1].lines, s[1].hit), (1, 0));
    }
}
