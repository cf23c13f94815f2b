//! Reports people read: one line per rule, then the first violations with their cycle.

use std::fmt::Write;

use crate::check::RuleReport;

/// Violations shown per rule in the human summary (the JSON holds them all).
const SHOWN: usize = 5;

/// The per-rule table and the first violations of each failing rule.
pub fn rules_table(rules: &[RuleReport]) -> String {
    let mut s = String::new();
    for r in rules {
        let _ = writeln!(
            s,
            "  {:<18} {:<4}  {} checked, {} violation(s)",
            r.name,
            r.verdict.to_uppercase(),
            r.checked,
            r.violations.len()
        );
        for v in r.violations.iter().take(SHOWN) {
            let _ = writeln!(s, "      cycle {} ({} ns): {}", v.cycle, v.time_ns, v.message);
        }
        if r.violations.len() > SHOWN {
            let _ = writeln!(s, "      ... and {} more (see --json)", r.violations.len() - SHOWN);
        }
    }
    s
}
