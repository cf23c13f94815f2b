//! Reports people (and CI dashboards) read: the per-rule summary with the first
//! violations drawn as waveform excerpts, JUnit XML, interrupt timing tables and SVG
//! histograms.

use std::fmt::Write;

use crate::check::{Distribution, RuleReport, SourceTiming};

/// Violations shown per rule in the human summary (the JSON holds them all).
const SHOWN: usize = 5;

/// The per-rule table and the first violations of each failing rule, each with its CPU,
/// routine, signals and (for the first few) an excerpt of the waveform.
pub fn rules_table(rules: &[RuleReport]) -> String {
    let mut s = String::new();
    let w = rules.iter().map(|r| r.name.len()).max().unwrap_or(0).max(18);
    for r in rules {
        let _ = writeln!(
            s,
            "  {:<w$} {:<4}  {} checked, {} violation(s){}",
            r.name,
            r.verdict.to_uppercase(),
            r.checked,
            r.violations.len(),
            if r.exercised || r.verdict != "pass" { "" } else { " — not exercised (the scenario declares it)" }
        );
        for v in r.violations.iter().take(SHOWN) {
            let who = match (v.cpu, v.routine) {
                (Some(c), Some(rt)) => format!(" CPU{c} {rt}:"),
                (Some(c), None) => format!(" CPU{c}:"),
                _ => String::new(),
            };
            let _ = writeln!(s, "      cycle {} ({} ns):{who} {}", v.cycle, v.time_ns, v.message);
            if !v.signals.is_empty() {
                let _ = writeln!(s, "        signals: {}", v.signals.join(", "));
            }
            if let Some(x) = &v.excerpt {
                for line in x.lines() {
                    let _ = writeln!(s, "        {line}");
                }
            }
        }
        if r.violations.len() > SHOWN {
            let _ = writeln!(s, "      ... and {} more (see --json)", r.violations.len() - SHOWN);
        }
    }
    s
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// JUnit XML: one test suite (the scenario or file), one test case per rule.
pub fn junit(suite: &str, rules: &[RuleReport]) -> String {
    let failures = rules.iter().filter(|r| r.verdict != "pass").count();
    let suite = xml_escape(suite);
    let cases: Vec<String> = rules
        .iter()
        .map(|r| {
            let name = xml_escape(&r.name);
            if r.verdict == "pass" {
                return format!("    <testcase classname=\"{suite}\" name=\"{name}\"/>");
            }
            let first = r.violations.first().map_or(String::new(), |v| format!("cycle {}: {}", v.cycle, v.message));
            let mut c = format!(
                "    <testcase classname=\"{suite}\" name=\"{name}\">\n      <failure message=\"{}\" type=\"{}\">\n",
                xml_escape(&format!("{} violation(s); first at {first}", r.violations.len())),
                name
            );
            for v in &r.violations {
                let _ = writeln!(c, "cycle {} ({} ns): {}", v.cycle, v.time_ns, xml_escape(&v.message));
            }
            c.push_str("      </failure>\n    </testcase>");
            c
        })
        .collect();
    junit_document(&suite, &cases, failures)
}

/// A JUnit XML document of one test suite (`suite` already escaped) and its `cases`, each
/// a `<testcase>` element, `failures` of them failed.
fn junit_document(suite: &str, cases: &[String], failures: usize) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(s, "<testsuites tests=\"{}\" failures=\"{failures}\">", cases.len());
    let _ = writeln!(s, "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\">", cases.len());
    for c in cases {
        let _ = writeln!(s, "{c}");
    }
    let _ = writeln!(s, "  </testsuite>\n</testsuites>");
    s
}

/// JUnit XML of an exploration: one test case per rule that failed on some seed (how many
/// seeds, the first failing seed and the command that replays it), one for false passes
/// when there were any, and one passing case when nothing failed.
pub fn explore_junit(r: &crate::explore::ExploreReport) -> String {
    let suite = xml_escape(&format!("explore.{}.{}", r.scenario, r.driver));
    let replay = r.replay_command.as_deref().unwrap_or("(no replay: the first failure could not be replayed)");
    let mut cases: Vec<String> = Vec::new();
    for (rule, n) in &r.failures_by_rule {
        let first = r.first_failing_seed.map_or(String::new(), |s| format!("; first failing seed {s}"));
        let message = format!("failed on {n} of {} seeds{first}", r.seeds_run);
        cases.push(format!(
            "    <testcase classname=\"{suite}\" name=\"{}\">\n      <failure message=\"{}\" type=\"{}\">replay: {}\n      </failure>\n    </testcase>",
            xml_escape(rule),
            xml_escape(&message),
            xml_escape(rule),
            xml_escape(replay)
        ));
    }
    if let Some(fp) = &r.first_false_pass {
        let harm: Vec<String> =
            fp.harm.iter().map(|h| format!("{} at cycle {}: {}", h.kind, h.cycle, h.detail)).collect();
        cases.push(format!(
            "    <testcase classname=\"{suite}\" name=\"false-pass\">\n      <failure message=\"{}\" type=\"false-pass\">replay: {}\n{}\n      </failure>\n    </testcase>",
            xml_escape(&format!("{} seed(s) did harm with every rule passing; first: seed {}", r.false_passes, fp.seed)),
            xml_escape(&fp.replay_command),
            xml_escape(&harm.join("\n"))
        ));
    }
    let failures = cases.len();
    if cases.is_empty() {
        cases.push(format!("    <testcase classname=\"{suite}\" name=\"{} seeds\"/>", r.seeds_run));
    }
    junit_document(&suite, &cases, failures)
}

/// What a person needs from a run beyond the rules and the timing, one line each (what
/// `--json` has as `stopped`, `storms`, `line_disabled_at`, `second_device`,
/// `sync_overlap_cycles`, `messages` and `harm`).
pub fn run_notes(r: &crate::scenario::RunResult) -> String {
    let mut s = String::new();
    let by_message = if r.messages > 0 { format!(", {} by message", r.messages) } else { String::new() };
    let _ = writeln!(s, "  interrupts taken: {} ({} unclaimed{by_message})", r.interrupts, r.unclaimed);
    if let Some(why) = &r.stopped {
        let _ = writeln!(s, "  the run ended early at cycle {}: {why}", r.cycles);
    }
    if r.storms > 0 {
        let disabled = r
            .line_disabled_at
            .map_or(String::new(), |c| format!("; the OS disabled the line at cycle {c} (later interrupts are lost)"));
        let _ = writeln!(s, "  interrupt storms: {}{disabled}", r.storms);
    }
    if r.sync_overlap_cycles > 0 {
        let _ = writeln!(
            s,
            "  an ISR ran beside a synchronized routine for {} cycle(s) (allowed by the reading; see sync-isolation)",
            r.sync_overlap_cycles
        );
    }
    if let Some(d) = &r.second_device {
        let pending = if d.pending_at_end { ", one still pending at the end" } else { "" };
        let _ = writeln!(
            s,
            "  second device on the line: raised {} interrupt(s), its ISR serviced {}{pending}",
            d.raised, d.serviced
        );
    }
    if let Some(first) = r.bus_events.first() {
        let _ = writeln!(s, "  bus events: {} (first: {first})", r.bus_events.len());
    }
    if r.harm.is_empty() {
        let _ = writeln!(s, "  harm: none");
    } else {
        let _ = writeln!(s, "  harm ({}, by the run's own ground truth):", r.harm.len());
        for h in r.harm.iter().take(5) {
            let _ = writeln!(s, "    {} at cycle {}: {}", h.kind, h.cycle, h.detail);
        }
        if r.harm.len() > 5 {
            let _ = writeln!(s, "    ... {} more in --json", r.harm.len() - 5);
        }
    }
    s
}

/// The four latencies of a source, in order, with their labels: from INTA# assertion, or
/// for a source signalled by MSI from the source's assertion (with the MSI write instead
/// of the INTA# release, which does not apply).
pub fn measures(t: &SourceTiming) -> [(&'static str, &Distribution); 4] {
    if t.signal == "MSI" {
        return [
            ("source -> MSI write", &t.to_message),
            ("source -> ISR entry", &t.to_isr_entry),
            ("source -> acknowledge", &t.to_ack),
            ("ISR duration", &t.isr_duration),
        ];
    }
    [
        ("INTA# -> ISR entry", &t.to_isr_entry),
        ("INTA# -> acknowledge", &t.to_ack),
        ("INTA# -> INTA# release", &t.to_release),
        ("ISR duration", &t.isr_duration),
    ]
}

/// Interrupt timing per source: min / median / p99 / max in cycles and ns.
pub fn timing_table(sources: &[SourceTiming]) -> String {
    let mut s = String::new();
    if sources.is_empty() {
        return "  interrupt timing: no interrupt serviced\n".into();
    }
    let _ = writeln!(s, "  interrupt timing (cycles / ns):");
    for t in sources {
        let _ = writeln!(s, "    {} ({} serviced)", t.source, t.to_ack.count);
        let _ = writeln!(s, "      {:<24} {:>14} {:>14} {:>14} {:>14}", "", "min", "median", "p99", "max");
        for (label, d) in measures(t) {
            let cell = |c: u64, ns: u64| format!("{c} / {ns}");
            let _ = writeln!(
                s,
                "      {label:<24} {:>14} {:>14} {:>14} {:>14}",
                cell(d.min, d.ns[0]),
                cell(d.median, d.ns[1]),
                cell(d.p99, d.ns[2]),
                cell(d.max, d.ns[3])
            );
        }
        if t.latch_to_inta.count > 0 {
            let (a, r) = t.declared;
            let _ = writeln!(
                s,
                "      device latencies (declared: assert <= {a}, release <= {r} cycle(s)): latch -> INTA# max {}, \
                 acknowledge -> release max {}",
                t.latch_to_inta.max, t.ack_to_release.max
            );
        }
    }
    s
}

/// An SVG picture of one source: a histogram per measure, cycles on the x axis.
pub fn timing_svg(t: &SourceTiming) -> String {
    const W: f64 = 520.0;
    const H: f64 = 120.0;
    const BINS: usize = 24;
    let mut s = String::new();
    let total_h = 40.0 + 4.0 * (H + 40.0);
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{total_h}\" font-family=\"monospace\" font-size=\"11\">",
        W + 80.0
    );
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"20\" font-size=\"14\">{} interrupt timing (cycles; 1 cycle = 30 ns)</text>",
        t.source
    );
    for (k, (label, d)) in measures(t).into_iter().enumerate() {
        let top = 40.0 + k as f64 * (H + 40.0);
        let _ = writeln!(
            s,
            "<text x=\"10\" y=\"{}\">{label}: n={} min {} median {} p99 {} max {}</text>",
            top + 12.0,
            d.count,
            d.min,
            d.median,
            d.p99,
            d.max
        );
        let (lo, hi) = (d.min, d.max.max(d.min + 1));
        let width = (hi - lo + 1).div_ceil(BINS as u64).max(1);
        let mut bins = [0usize; BINS];
        for &x in &d.samples {
            let b = ((u64::from(x) - lo) / width) as usize;
            bins[b.min(BINS - 1)] += 1;
        }
        let peak = bins.iter().copied().max().unwrap_or(1).max(1) as f64;
        let bw = W / BINS as f64;
        for (i, &n) in bins.iter().enumerate() {
            let h = (H - 30.0) * n as f64 / peak;
            let x = 40.0 + i as f64 * bw;
            let y = top + H - h;
            let _ = writeln!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#4a7bd0\"><title>{}..{} cycles: {n}</title></rect>",
                bw - 1.0,
                lo + i as u64 * width,
                lo + (i as u64 + 1) * width - 1
            );
        }
        let _ = writeln!(s, "<line x1=\"40\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"black\"/>", top + H, 40.0 + W);
        let _ = writeln!(s, "<text x=\"40\" y=\"{}\">{lo}</text>", top + H + 14.0);
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            40.0 + W,
            top + H + 14.0,
            lo + BINS as u64 * width - 1
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Violation;

    fn rules() -> Vec<RuleReport> {
        vec![
            RuleReport { name: "a-rule".into(), verdict: "pass", checked: 3, exercised: true, violations: vec![] },
            RuleReport {
                name: "b<rule>".into(),
                verdict: "fail",
                checked: 1,
                exercised: true,
                violations: vec![Violation::new(7, "x & y".into()).on(1, Some(dirql_sim::Routine::Isr))],
            },
        ]
    }

    #[test]
    fn junit_has_one_testcase_per_rule_and_a_failure_for_the_failing_one() {
        let x = junit("scenario", &rules());
        assert_eq!(x.matches("<testcase ").count(), 2);
        assert_eq!(x.matches("<failure ").count(), 1);
        assert!(x.contains("b&lt;rule&gt;") && x.contains("cycle 7: x &amp; y"), "{x}");
        assert!(x.contains("failures=\"1\""));
    }

    #[test]
    fn summary_names_cpu_and_routine() {
        let t = rules_table(&rules());
        assert!(t.contains("cycle 7 (210 ns): CPU1 ISR: x & y"), "{t}");
    }

    #[test]
    fn svg_has_a_bar_per_bin_and_the_source_name() {
        let d = Distribution::of(vec![3, 4, 4, 9, 30]);
        let t = SourceTiming {
            source: "SRC0",
            signal: "INTA#",
            to_message: Distribution::default(),
            to_isr_entry: d.clone(),
            to_ack: d.clone(),
            to_release: d.clone(),
            isr_duration: d,
            latch_to_inta: Distribution::default(),
            ack_to_release: Distribution::default(),
            declared: (1, 1),
        };
        let svg = timing_svg(&t);
        assert!(svg.starts_with("<svg") && svg.contains("SRC0"));
        assert_eq!(svg.matches("<rect").count(), 4 * 24);
    }
}
