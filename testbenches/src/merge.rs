//! `dirql merge`: the shards of one exploration (`dirql explore --shard K/N --json`, run on
//! as many machines) joined into the report that one unsharded run of the same seeds gives:
//! the counts added, the failing seeds together, the first failing seed overall with its
//! replay (from the shard that ran it), the first false pass likewise. Only the wall-clock
//! figures (`jobs`, `elapsed_s`, `seeds_per_s`) say that several machines ran it.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::coverage::CoverageReport;

/// Shards that cannot be joined.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Nothing to merge.
    #[error("no report to merge (fix: name the JSON files `dirql explore --shard K/N --json` wrote)")]
    Empty,
    /// A file is not an exploration report.
    #[error("{path}: not a `dirql explore --json` report ({reason})")]
    NotAReport {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Two files are of different explorations.
    #[error("{path}: {field} is {theirs}, but {first} has {ours}: shards of one exploration only")]
    Mismatch {
        /// The file that differs.
        path: String,
        /// The field.
        field: &'static str,
        /// Its value there.
        theirs: String,
        /// The first file.
        first: String,
        /// Its value in the first file.
        ours: String,
    },
    /// The shards do not cover the seeds exactly once.
    #[error("the shards are {got}, of {count}: {what} (fix: merge every shard 0..{count} once)")]
    Shards {
        /// The shard indices given.
        got: String,
        /// Shards in all.
        count: u64,
        /// Missing or repeated.
        what: String,
    },
}

/// The fields that say which exploration a report is of: equal in every shard.
const SAME: &[&str] = &["scenario", "driver", "rtl", "strategy", "first_seed", "seeds", "reading", "cpus", "cycles"];

/// Joins `parts` (file name, its JSON).
pub fn merge(parts: &[(String, Value)]) -> Result<Value, MergeError> {
    let Some((first_path, first)) = parts.first() else { return Err(MergeError::Empty) };
    for (path, v) in parts {
        let obj = v.as_object().ok_or_else(|| not_a_report(path, "not a JSON object"))?;
        for f in SAME.iter().chain(&["seeds_run", "failures", "failing_seeds", "shard"]) {
            if !obj.contains_key(*f) {
                return Err(not_a_report(path, &format!("no `{f}`: written by an older dirql?")));
            }
        }
        for f in SAME {
            if v[*f] != first[*f] {
                return Err(MergeError::Mismatch {
                    path: path.clone(),
                    field: f,
                    theirs: v[*f].to_string(),
                    first: first_path.clone(),
                    ours: first[*f].to_string(),
                });
            }
        }
    }
    check_shards(parts)?;
    let sum = |f: &str| parts.iter().map(|(_, v)| v[f].as_u64().unwrap_or(0)).sum::<u64>();
    let sum_map = |f: &str| {
        let mut m: BTreeMap<String, u64> = BTreeMap::new();
        for (_, v) in parts {
            for (k, n) in v[f].as_object().into_iter().flatten() {
                *m.entry(k.clone()).or_default() += n.as_u64().unwrap_or(0);
            }
        }
        m
    };
    let mut failing: Vec<u64> = parts
        .iter()
        .flat_map(|(_, v)| v["failing_seeds"].as_array().into_iter().flatten().filter_map(Value::as_u64))
        .collect();
    failing.sort_unstable();
    // The part that ran the first failing seed, and the one that ran the first false pass.
    let first_fail = parts
        .iter()
        .filter(|(_, v)| v["first_failing_seed"].is_u64())
        .min_by_key(|(_, v)| v["first_failing_seed"].as_u64());
    let first_false = parts
        .iter()
        .filter(|(_, v)| v["first_false_pass"]["seed"].is_u64())
        .min_by_key(|(_, v)| v["first_false_pass"]["seed"].as_u64());
    let elapsed = parts.iter().map(|(_, v)| v["elapsed_s"].as_f64().unwrap_or(0.0)).fold(0.0, f64::max);
    let seeds_run = sum("seeds_run");
    let mut out: Map<String, Value> = first.as_object().cloned().unwrap_or_default();
    let from_fail = |f: &str| first_fail.map_or(Value::Null, |(_, v)| v[f].clone());
    let first_seed = first["first_seed"].as_u64().unwrap_or(0);
    let first_failing = from_fail("first_failing_seed");
    out.insert("shard".into(), Value::Null);
    out.insert("seeds_run".into(), json!(seeds_run));
    out.insert("failures".into(), json!(sum("failures")));
    out.insert("failing_seeds".into(), json!(failing));
    out.insert("failures_by_rule".into(), json!(sum_map("failures_by_rule")));
    let mut first_by_rule: BTreeMap<String, u64> = BTreeMap::new();
    for (_, v) in parts {
        for (k, n) in v["first_failure_by_rule"].as_object().into_iter().flatten() {
            let n = n.as_u64().unwrap_or(u64::MAX);
            let e = first_by_rule.entry(k.clone()).or_insert(n);
            *e = (*e).min(n);
        }
    }
    out.insert("first_failure_by_rule".into(), json!(first_by_rule));
    out.insert(
        "seeds_to_first_failure".into(),
        first_failing.as_u64().map_or(Value::Null, |s| json!(s - first_seed + 1)),
    );
    out.insert("first_failing_seed".into(), first_failing);
    for f in ["replay_command", "replay", "shrunk_schedule", "shrink_stats"] {
        out.insert(f.into(), from_fail(f));
    }
    out.insert("harmed_seeds".into(), json!(sum("harmed_seeds")));
    out.insert("harm_by_kind".into(), json!(sum_map("harm_by_kind")));
    out.insert("false_passes".into(), json!(sum("false_passes")));
    out.insert("first_false_pass".into(), first_false.map_or(Value::Null, |(_, v)| v["first_false_pass"].clone()));
    out.insert("jobs".into(), json!(sum("jobs")));
    out.insert("elapsed_s".into(), json!(elapsed));
    out.insert("seeds_per_s".into(), json!(seeds_run as f64 / elapsed.max(1e-9)));
    out.insert("merged_from".into(), json!(parts.iter().map(|(p, _)| p).collect::<Vec<_>>()));
    merge_functional_coverage(parts, &mut out)?;
    Ok(Value::Object(out))
}

/// The shards' functional coverage added up, and each cell's first hit the earliest of
/// theirs (seeds are counted from the range's first, so the smallest is the unsharded
/// run's). Shards that collected none give none; some with and some without is refused.
fn merge_functional_coverage(parts: &[(String, Value)], out: &mut Map<String, Value>) -> Result<(), MergeError> {
    let with: Vec<&(String, Value)> = parts.iter().filter(|(_, v)| !v["functional_coverage"].is_null()).collect();
    if with.is_empty() {
        return Ok(());
    }
    if with.len() != parts.len() {
        let (path, _) = parts.iter().find(|(_, v)| v["functional_coverage"].is_null()).unwrap_or(&parts[0]);
        return Err(not_a_report(path, "no functional coverage, while other shards have it (fix: explore every shard with the same coverage options)"));
    }
    let mut total: Option<CoverageReport> = None;
    let mut first_hit: BTreeMap<String, u64> = BTreeMap::new();
    for (path, v) in with {
        let c: CoverageReport = serde_json::from_value(v["functional_coverage"].clone())
            .map_err(|e| not_a_report(path, &format!("its functional_coverage does not read: {e}")))?;
        match total.as_mut() {
            Some(t) => t.merge(&c).map_err(|e| not_a_report(path, &e.to_string()))?,
            None => total = Some(c),
        }
        for (cell, n) in v["coverage_first_hit"].as_object().into_iter().flatten() {
            let n = n.as_u64().unwrap_or(u64::MAX);
            let e = first_hit.entry(cell.clone()).or_insert(n);
            *e = (*e).min(n);
        }
    }
    out.insert("functional_coverage".into(), json!(total));
    out.insert("coverage_first_hit".into(), json!(first_hit));
    Ok(())
}

/// The coverage.dat files the shards' RTL coverage was merged into, when they have it.
pub fn rtl_coverage_files(parts: &[(String, Value)]) -> Vec<std::path::PathBuf> {
    parts.iter().filter_map(|(_, v)| v["rtl_coverage"]["dat"].as_str().map(std::path::PathBuf::from)).collect()
}

fn not_a_report(path: &str, reason: &str) -> MergeError {
    MergeError::NotAReport { path: path.to_string(), reason: reason.to_string() }
}

/// Every shard `0..count` once (or one unsharded report alone).
fn check_shards(parts: &[(String, Value)]) -> Result<(), MergeError> {
    let shards: Vec<Option<(u64, u64)>> =
        parts.iter().map(|(_, v)| v["shard"]["index"].as_u64().zip(v["shard"]["count"].as_u64())).collect();
    let got = || {
        shards.iter().map(|s| s.map_or("unsharded".into(), |(i, n)| format!("{i}/{n}"))).collect::<Vec<_>>().join(", ")
    };
    if shards.iter().all(Option::is_none) && parts.len() == 1 {
        return Ok(());
    }
    let count = shards.iter().flatten().map(|&(_, n)| n).max().unwrap_or(0);
    if shards.iter().any(|s| s.is_none_or(|(_, n)| n != count)) {
        return Err(MergeError::Shards { got: got(), count, what: "not all of one split".into() });
    }
    let mut seen = vec![0u32; count as usize];
    for &(i, _) in shards.iter().flatten() {
        if let Some(n) = seen.get_mut(i as usize) {
            *n += 1;
        }
    }
    let missing: Vec<String> = (0..count).filter(|&i| seen[i as usize] == 0).map(|i| i.to_string()).collect();
    let twice: Vec<String> = (0..count).filter(|&i| seen[i as usize] > 1).map(|i| i.to_string()).collect();
    if !missing.is_empty() || !twice.is_empty() {
        let what = match (missing.is_empty(), twice.is_empty()) {
            (false, true) => format!("missing {}", missing.join(", ")),
            (true, false) => format!("repeated {}", twice.join(", ")),
            _ => format!("missing {}, repeated {}", missing.join(", "), twice.join(", ")),
        };
        return Err(MergeError::Shards { got: got(), count, what });
    }
    Ok(())
}
