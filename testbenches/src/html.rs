//! The report page (`--html DIR`): one self-contained HTML file a person reads in a
//! browser — no script, no style sheet, font or picture fetched from anywhere. It holds the
//! verdict table; each violation with its message, the signals it names drawn as SVG over
//! the cycles around it with the decoded transactions above them ([`crate::txn`]), and the
//! command that replays it; the run's notes and timing histograms; for an exploration, the
//! failing seeds by rule and the shrunk schedule; links to the waveform and its `.gtkw`.

use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

use dirql_sim::Frame;

use crate::check::{
    excerpt_signals, excerpt_value, is_bit, DeviceProfile, RuleReport, SourceTiming, Violation, EXCERPTS_PER_RULE,
};
use crate::report::{measures, timing_svg};
use crate::txn::{txn_text, Response, Txn};

/// How a shrink went: forced choices before, after, and the runs it took.
pub type ShrinkStats = (usize, usize, u64);

/// What an exploration adds to the page.
#[derive(Clone, Debug, Default)]
pub struct ExploreSummary {
    /// Seeds run and how many failed.
    pub seeds_run: u64,
    /// Failing seeds.
    pub failures: u64,
    /// Failing seeds by rule.
    pub by_rule: Vec<(String, u64)>,
    /// The first failing seed and after how many seeds it was found.
    pub first_failing: Option<(u64, u64)>,
    /// The shrunk schedule, with (forced choices before, after, runs it took).
    pub shrunk: Option<(String, Option<ShrinkStats>)>,
    /// Seeds that did harm with every rule passing (false passes), and the first's replay.
    pub false_passes: (u64, Option<String>),
}

/// Everything the page shows.
#[derive(Clone, Debug)]
pub struct Page<'a> {
    /// The headline: the command and what it judged.
    pub title: String,
    /// `pass` or `fail`.
    pub verdict: &'a str,
    /// The rules' verdicts.
    pub rules: &'a [RuleReport],
    /// The run's notes (interrupts, storms, harm, ...), as the text report prints them.
    pub notes: Option<String>,
    /// Interrupt timing per source.
    pub timing: &'a [SourceTiming],
    /// The device the violations are of (its probes' and registers' names).
    pub profile: &'a DeviceProfile,
    /// The run's transactions (the excerpts draw those around each violation).
    pub txns: &'a [Txn],
    /// The command that replays the run, with its waveform.
    pub replay: Option<String>,
    /// For an exploration.
    pub explore: Option<ExploreSummary>,
    /// Files to link: (what, path).
    pub files: Vec<(String, PathBuf)>,
}

/// HTML-escapes `s` (text and attribute values).
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Cycles drawn before and after a violation's: all the checker kept.
const SVG_BEFORE: u64 = crate::check::WINDOW_BEFORE;
const SVG_AFTER: u64 = crate::check::WINDOW_AFTER;
/// Pixels per cycle, the label column, row height.
const CW: f64 = 46.0;
const LABEL_W: f64 = 150.0;
const ROW_H: f64 = 22.0;
/// Width of a character of the 11-pixel monospace font, for fitting text in a box.
const CHAR_W: f64 = 6.7;

/// Text cut to fit `px` pixels (with `…` when cut).
fn fit(s: &str, px: f64) -> String {
    let n = ((px - 4.0) / CHAR_W).floor().max(0.0) as usize;
    if s.chars().count() <= n {
        s.to_string()
    } else if n == 0 {
        String::new()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn response_fill(r: Response) -> &'static str {
    match r {
        Response::Completed => "#dbe8fb",
        Response::Disconnect => "#fbf0b5",
        Response::Retry => "#fbd9a5",
        Response::TargetAbort | Response::MasterAbort => "#f6b3b3",
        Response::Unfinished => "#dddddd",
    }
}

/// The excerpt of `v` drawn as SVG: the transactions on the bus in those cycles (four rows:
/// command and register, data, issuer, response), then each signal the violation names
/// (a level for one bit, the value where a bus changes), and a marker on its cycle.
pub fn excerpt_svg(rule: &str, v: &Violation, profile: &DeviceProfile, txns: &[Txn]) -> Option<String> {
    if v.window.is_empty() {
        return None;
    }
    let default = ["dev_inta_n", "cpu0_routine", "cpu1_routine"];
    let asked: Vec<&str> = if v.signals.is_empty() { default.to_vec() } else { v.signals.clone() };
    let names = excerpt_signals(&asked, profile);
    let lo = v.cycle.saturating_sub(SVG_BEFORE).max(v.window.first().map_or(0, |f| f.cycle));
    let hi = (v.cycle + SVG_AFTER).min(v.window.last().map_or(v.cycle, |f| f.cycle));
    let frames: Vec<&Frame> = v.window.iter().filter(|f| f.cycle >= lo && f.cycle <= hi).collect();
    let n = hi - lo + 1;
    let x = |c: u64| LABEL_W + (c.saturating_sub(lo)) as f64 * CW;
    let txn_rows = ["transaction", "data", "issuer", "response"];
    let rows = txn_rows.len() + names.len();
    let top = 24.0;
    let width = LABEL_W + n as f64 * CW + 10.0;
    let height = top + rows as f64 * ROW_H + 10.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg class=\"excerpt\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         font-family=\"monospace\" font-size=\"11\" role=\"img\" aria-label=\"{} at cycle {}\">",
        escape(rule),
        v.cycle
    );
    let _ = writeln!(s, "<rect x=\"0\" y=\"0\" width=\"{width:.0}\" height=\"{height:.0}\" fill=\"#ffffff\"/>");
    // Cycle ticks every 5 cycles, and a faint line every cycle.
    for c in lo..=hi {
        let cx = x(c);
        let stroke = if c % 5 == 0 { "#c8c8c8" } else { "#eeeeee" };
        let _ = writeln!(
            s,
            "<line x1=\"{cx:.1}\" y1=\"{top}\" x2=\"{cx:.1}\" y2=\"{:.1}\" stroke=\"{stroke}\"/>",
            height - 10.0
        );
        if c % 5 == 0 {
            let _ = writeln!(s, "<text x=\"{cx:.1}\" y=\"14\" fill=\"#666\">{c}</text>");
        }
    }
    let row_y = |r: usize| top + r as f64 * ROW_H;
    for (r, label) in txn_rows.iter().enumerate() {
        let _ = writeln!(s, "<text x=\"4\" y=\"{:.1}\" font-weight=\"bold\">{label}</text>", row_y(r) + ROW_H * 0.65);
    }
    for t in txns.iter().filter(|t| t.end >= lo && t.start <= hi) {
        let text = txn_text(t, profile);
        let (x0, x1) = (x(t.start.max(lo)), x((t.end + 1).min(hi + 1)));
        let w = (x1 - x0 - 2.0).max(1.0);
        let fill = response_fill(t.response);
        let what = format!("{} {}", text.command, text.register);
        for (r, part) in [&what, &text.data, &text.who, &text.response.to_string()].iter().enumerate() {
            let y = row_y(r) + 2.0;
            let _ = writeln!(
                s,
                "<g class=\"txn\"><title>cycle {}-{}: {}</title><rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" \
                 height=\"{:.1}\" rx=\"3\" fill=\"{fill}\" stroke=\"#6d86b0\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
                t.start,
                t.end,
                escape(&text.line),
                x0 + 1.0,
                ROW_H - 4.0,
                x0 + 3.0,
                y + ROW_H * 0.6,
                escape(&fit(part, w))
            );
        }
    }
    // A faint line under every row, so that a low level reads as its own row's.
    for r in 1..=rows {
        let y = row_y(r);
        let _ = writeln!(s, "<line x1=\"0\" y1=\"{y:.1}\" x2=\"{width:.0}\" y2=\"{y:.1}\" stroke=\"#e4e4e4\"/>");
    }
    for (i, name) in names.iter().enumerate() {
        let r = txn_rows.len() + i;
        let (y0, y1) = (row_y(r) + 4.0, row_y(r) + ROW_H - 4.0);
        let _ = writeln!(s, "<text x=\"4\" y=\"{:.1}\">{}</text>", row_y(r) + ROW_H * 0.65, escape(name));
        let val = |f: &Frame| excerpt_value(f, name, profile.probes);
        if is_bit(name) {
            let mut pts = String::new();
            for f in &frames {
                let level = val(f).map(|v| if v != 0 { y0 } else { y1 });
                if let Some(y) = level {
                    let _ = write!(pts, "{:.1},{y:.1} {:.1},{y:.1} ", x(f.cycle), x(f.cycle) + CW);
                }
            }
            let _ = writeln!(s, "<polyline points=\"{pts}\" fill=\"none\" stroke=\"#1a7f37\" stroke-width=\"1.5\"/>");
        } else {
            // A box per run of equal values, its value written in it.
            let mut k = 0;
            while k < frames.len() {
                let v0 = val(frames[k]);
                let mut j = k;
                while j + 1 < frames.len() && val(frames[j + 1]) == v0 {
                    j += 1;
                }
                let (bx0, bx1) = (x(frames[k].cycle), x(frames[j].cycle) + CW);
                let text =
                    v0.map_or("?".to_string(), |v| crate::gtkw::signal_text(name, v).unwrap_or(format!("{v:x}")));
                let _ = writeln!(
                    s,
                    "<g><title>{}: {text} (cycles {}-{})</title><polygon points=\"{:.1},{:.1} {:.1},{y0:.1} {:.1},{y0:.1} \
                     {:.1},{:.1} {:.1},{y1:.1} {:.1},{y1:.1}\" fill=\"none\" stroke=\"#1a7f37\"/><text x=\"{:.1}\" \
                     y=\"{:.1}\">{}</text></g>",
                    escape(name),
                    frames[k].cycle,
                    frames[j].cycle,
                    bx0,
                    (y0 + y1) / 2.0,
                    bx0 + 3.0,
                    bx1 - 3.0,
                    bx1,
                    (y0 + y1) / 2.0,
                    bx1 - 3.0,
                    bx0 + 3.0,
                    bx0 + 5.0,
                    y1 - 3.0,
                    escape(&fit(&text, bx1 - bx0 - 4.0))
                );
                k = j + 1;
            }
        }
    }
    let mx = x(v.cycle) + CW / 2.0;
    let _ = writeln!(
        s,
        "<line class=\"marker\" x1=\"{mx:.1}\" y1=\"18\" x2=\"{mx:.1}\" y2=\"{:.1}\" stroke=\"#d1242f\" stroke-width=\"2\"/>",
        height - 6.0
    );
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"22\" fill=\"#d1242f\" font-weight=\"bold\">{} @ cycle {}</text>",
        mx + 4.0,
        escape(rule),
        v.cycle
    );
    s.push_str("</svg>\n");
    Some(s)
}

/// `target` relative to the folder `from`, both made absolute (so the page and the files
/// it links can move together).
pub fn relative(target: &Path, from: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (t, f) = (abs(target), abs(from));
    let tc: Vec<Component> = t.components().collect();
    let fc: Vec<Component> = f.components().collect();
    let common = tc.iter().zip(&fc).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return t.display().to_string();
    }
    let mut p = PathBuf::new();
    for _ in common..fc.len() {
        p.push("..");
    }
    for c in &tc[common..] {
        p.push(c.as_os_str());
    }
    p.display().to_string()
}

/// Percent-escapes what a relative URL may not hold as it is.
fn url(p: &str) -> String {
    let mut o = String::new();
    for b in p.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => o.push(b as char),
            b => {
                let _ = write!(o, "%{b:02X}");
            }
        }
    }
    o
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#1f2328;max-width:1500px}\
h1{font-size:20px}h2{font-size:17px;margin-top:28px}h3{font-size:15px}\
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left}\
.pass{color:#1a7f37;font-weight:bold}.fail{color:#d1242f;font-weight:bold}\
.violation{border-left:4px solid #d1242f;padding:4px 12px;margin:12px 0;background:#fff8f8}\
.msg{font-size:14px}code,pre{background:#f6f8fa;padding:2px 4px}pre{padding:8px;overflow-x:auto}\
.svgbox{overflow-x:auto;border:1px solid #d0d7de;background:#fff}.replay{font-size:13px}";

/// The page.
pub fn page(p: &Page<'_>, dir: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        escape(&p.title)
    );
    let vclass = if p.verdict == "pass" { "pass" } else { "fail" };
    let _ = writeln!(s, "<h1>{}</h1>", escape(&p.title));
    let _ = writeln!(s, "<p id=\"verdict\">verdict: <span class=\"{vclass}\">{}</span></p>", p.verdict.to_uppercase());
    if !p.files.is_empty() {
        let _ = writeln!(s, "<p id=\"files\">");
        for (what, path) in &p.files {
            let rel = relative(path, dir);
            let _ = writeln!(s, "{}: <a href=\"{}\">{}</a><br>", escape(what), escape(&url(&rel)), escape(&rel));
        }
        let _ = writeln!(s, "</p>");
    }
    if let Some(cmd) = &p.replay {
        let _ = writeln!(s, "<p class=\"replay\">replay: <code>{}</code></p>", escape(cmd));
    }
    if let Some(e) = &p.explore {
        let _ = writeln!(s, "<h2>Exploration</h2>\n<table id=\"explore\">");
        let _ = writeln!(s, "<tr><th>seeds run</th><td>{}</td></tr>", e.seeds_run);
        let _ = writeln!(s, "<tr><th>failing seeds</th><td>{}</td></tr>", e.failures);
        if let Some((seed, k)) = e.first_failing {
            let _ = writeln!(s, "<tr><th>first failing seed</th><td>{seed} (found after {k} seed(s))</td></tr>");
        }
        if let Some((t, stats)) = &e.shrunk {
            let how =
                stats.map_or(String::new(), |(b, a, runs)| format!(" ({b} forced choice(s) -> {a} in {runs} run(s))"));
            let _ = writeln!(s, "<tr><th>shrunk schedule</th><td><code>{}</code>{}</td></tr>", escape(t), escape(&how));
        }
        let _ = writeln!(s, "<tr><th>false passes</th><td>{}</td></tr>", e.false_passes.0);
        if let Some(cmd) = &e.false_passes.1 {
            let _ = writeln!(s, "<tr><th>first false pass</th><td><code>{}</code></td></tr>", escape(cmd));
        }
        let _ = writeln!(s, "</table>\n<h3>Failing seeds by rule</h3>\n<table id=\"by-rule\"><tr><th>rule</th><th>failing seeds</th></tr>");
        for (rule, n) in &e.by_rule {
            let _ = writeln!(s, "<tr><td>{}</td><td>{n}</td></tr>", escape(rule));
        }
        let _ = writeln!(s, "</table>");
        if !p.rules.is_empty() {
            let _ = writeln!(s, "<p>Below: the replay of the first failing seed, checked from its waveform.</p>");
        }
    }
    if !p.rules.is_empty() {
        let _ = writeln!(
            s,
            "<h2>Verdicts</h2>\n<table id=\"verdicts\"><tr><th>rule</th><th>verdict</th><th>checked</th><th>violations</th></tr>"
        );
        for r in p.rules {
            let c = if r.verdict == "pass" { "pass" } else { "fail" };
            let note =
                if r.exercised || r.verdict != "pass" { "" } else { " (not exercised: the scenario declares it)" };
            let name = if r.violations.is_empty() {
                escape(&r.name)
            } else {
                format!("<a href=\"#rule-{}\">{}</a>", escape(&r.name), escape(&r.name))
            };
            let _ = writeln!(
                s,
                "<tr><td>{name}</td><td class=\"{c}\">{}</td><td>{}{note}</td><td>{}</td></tr>",
                r.verdict.to_uppercase(),
                r.checked,
                r.violations.len()
            );
        }
        let _ = writeln!(s, "</table>");
    }
    if let Some(n) = &p.notes {
        let _ = writeln!(s, "<h2>Run</h2>\n<pre id=\"notes\">{}</pre>", escape(n.trim_end()));
    }
    // The failing rules in the order their first violations came: the page reads as the run went.
    let mut failing: Vec<&RuleReport> = p.rules.iter().filter(|r| !r.violations.is_empty()).collect();
    failing.sort_by_key(|r| r.violations.first().map_or(u64::MAX, |v| v.cycle));
    if !failing.is_empty() {
        let _ = writeln!(s, "<h2>Violations</h2>");
    }
    for r in failing {
        let _ = writeln!(
            s,
            "<h3 id=\"rule-{}\">{} — {} violation(s)</h3>",
            escape(&r.name),
            escape(&r.name),
            r.violations.len()
        );
        for (i, v) in r.violations.iter().enumerate() {
            let who = match (v.cpu, v.routine) {
                (Some(c), Some(rt)) => format!("CPU{c} {rt}: "),
                (Some(c), None) => format!("CPU{c}: "),
                _ => String::new(),
            };
            let _ = writeln!(s, "<div class=\"violation\">");
            let _ = writeln!(
                s,
                "<p class=\"msg\"><b>cycle {} ({} ns)</b>: {}{}</p>",
                v.cycle,
                v.time_ns,
                escape(&who),
                escape(&v.message)
            );
            if !v.signals.is_empty() {
                let _ = writeln!(s, "<p>signals: <code>{}</code></p>", escape(&v.signals.join(", ")));
            }
            match excerpt_svg(&r.name, v, p.profile, p.txns) {
                Some(svg) => {
                    let _ = writeln!(s, "<div class=\"svgbox\">\n{svg}</div>");
                }
                None if i < EXCERPTS_PER_RULE => {
                    let _ = writeln!(s, "<p>(no waveform excerpt: the frames around it were not kept)</p>");
                }
                None => {
                    let _ = writeln!(
                        s,
                        "<p>(excerpts are drawn for the first {EXCERPTS_PER_RULE} violations of a rule)</p>"
                    );
                }
            }
            if let Some(x) = &v.excerpt {
                let _ = writeln!(s, "<details><summary>as text</summary><pre>{}</pre></details>", escape(x));
            }
            if let Some(cmd) = &p.replay {
                let _ = writeln!(s, "<p class=\"replay\">replay: <code>{}</code></p>", escape(cmd));
            }
            let _ = writeln!(s, "</div>");
        }
    }
    if !p.timing.is_empty() {
        let _ = writeln!(s, "<h2>Interrupt timing</h2>");
        for t in p.timing {
            let _ = writeln!(
                s,
                "<h3>{} ({} serviced)</h3>\n<table><tr><th></th><th>min</th><th>median</th><th>p99</th><th>max</th></tr>",
                escape(t.source),
                t.to_ack.count
            );
            for (label, d) in measures(t) {
                let _ = writeln!(
                    s,
                    "<tr><td>{}</td><td>{} / {} ns</td><td>{} / {} ns</td><td>{} / {} ns</td><td>{} / {} ns</td></tr>",
                    escape(label),
                    d.min,
                    d.ns[0],
                    d.median,
                    d.ns[1],
                    d.p99,
                    d.ns[2],
                    d.max,
                    d.ns[3]
                );
            }
            let _ = writeln!(s, "</table>\n<div class=\"svgbox\">\n{}</div>", timing_svg(t));
        }
    }
    let _ = writeln!(s, "</body>\n</html>");
    s
}

/// Writes the page into the folder `dir` (made if missing) as `name`; returns its path.
pub fn write_page(p: &Page<'_>, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    std::fs::write(&path, page(p, dir))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::NO_DEVICE;

    #[test]
    fn a_violation_gets_its_message_an_svg_and_the_replay_and_the_page_fetches_nothing() {
        let frames: Vec<Frame> = (0..60)
            .map(|c| Frame { cycle: c, rst_n: true, dev_inta_n: c < 30, ad: c as u32, ..Frame::default() })
            .collect();
        let mut v = Violation::new(30, "INTA# <low> & \"stuck\"".into()).signals(&["dev_inta_n", "ad"]);
        v.window = frames[6..47].to_vec();
        let rules = vec![RuleReport {
            name: "isr-dismissal".into(),
            verdict: "fail",
            checked: 1,
            exercised: true,
            violations: vec![v],
        }];
        let p = Page {
            title: "dirql run x".into(),
            verdict: "fail",
            rules: &rules,
            notes: Some("  harm: none\n".into()),
            timing: &[],
            profile: &NO_DEVICE,
            txns: &[],
            replay: Some("dirql run x --seed 1".into()),
            explore: None,
            files: vec![],
        };
        let h = page(&p, Path::new("/tmp"));
        assert!(h.contains("INTA# &lt;low&gt; &amp; &quot;stuck&quot;"), "{h}");
        assert_eq!(h.matches("<svg class=\"excerpt\"").count(), 1);
        assert!(h.contains("isr-dismissal @ cycle 30"));
        assert!(h.contains("replay: <code>dirql run x --seed 1</code>"));
        assert!(!h.contains("<script") && !h.contains("src=") && !h.contains("@import"), "{h}");
        // Every http(s) string is the SVG namespace, never something fetched.
        assert_eq!(h.matches("http").count(), h.matches("http://www.w3.org/2000/svg").count());
    }

    #[test]
    fn relative_links_climb_out_of_the_page_folder() {
        assert_eq!(relative(Path::new("/a/b/w.vcd"), Path::new("/a/c")), "../b/w.vcd");
        assert_eq!(relative(Path::new("/a/c/w.vcd"), Path::new("/a/c")), "w.vcd");
        assert_eq!(url("a b/c.vcd"), "a%20b/c.vcd");
        assert_eq!(fit("abcdefghij", 40.0), "abcd…");
    }
}
