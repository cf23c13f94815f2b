#!/usr/bin/env python3
"""Compares the exploration strategies on the same budget (docs/exploration.md, "Coverage-guided
exploration"): for each scenario/driver, each strategy explores the same seed ranges with functional
coverage on; the reachable set is taken as every cell any strategy hit in any range (the declared-
impossible cells are out already); reported per strategy, as the median over the ranges:

- cells hit, and the seeds it took to hit every cell of the reachable set (`-` when the budget ran out
  first: then the cells missed),
- per failing rule, the seeds to its first failure (the race twins' rules of effect).

Usage: scripts/coverage-strategies.py [--seeds N] [--ranges K] [--dirql PATH] SCENARIO[:DRIVER]...
Prints a Markdown table. Figures, not a test: nothing here passes or fails.
"""

import argparse
import json
import statistics
import subprocess
import sys

STRATEGIES = [("random", []), ("pct", ["--depth", "2"]), ("coverage", [])]


def explore(dirql, scenario, driver, strategy, extra, first, seeds):
    cmd = [dirql, "explore", scenario, "--driver", driver, "--seeds", str(seeds), "--first-seed", str(first),
           "--strategy", strategy, "--functional-coverage", "--no-shrink", "--json", "--replay-dir", "/tmp/dirql-cs"]
    out = subprocess.run(cmd + extra, capture_output=True, text=True)
    if out.returncode == 2:
        sys.exit(f"{' '.join(cmd)}: {out.stderr}")
    return json.loads(out.stdout)


def med(xs):
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--ranges", type=int, default=3)
    ap.add_argument("--dirql", default="target/release/dirql")
    ap.add_argument("targets", nargs="+")
    a = ap.parse_args()
    print(f"| scenario / driver | reachable cells (union) | strategy | cells hit | seeds to every reachable cell | "
          f"seeds to first failure, per rule |")
    print("|---|---|---|---|---|---|")
    for t in a.targets:
        scenario, _, driver = t.partition(":")
        driver = driver or "reference"
        runs = {}
        for s, extra in STRATEGIES:
            runs[s] = [explore(a.dirql, scenario, driver, s, extra, 1 + k * 100_000, a.seeds) for k in range(a.ranges)]
        union = set()
        for rs in runs.values():
            for r in rs:
                union |= set(r["coverage_first_hit"])
        for s, _ in STRATEGIES:
            hit, to_all, missed, rules = [], [], [], {}
            for r in runs[s]:
                fh = r["coverage_first_hit"]
                hit.append(len(fh))
                miss = [c for c in union if c not in fh]
                missed.append(len(miss))
                if not miss:
                    to_all.append(max(fh[c] for c in union))
                for rule, n in r.get("first_failure_by_rule", {}).items():
                    rules.setdefault(rule, []).append(n)
            reach = (f"{med(to_all):g} ({len(to_all)} of {a.ranges} ranges)" if to_all else
                     f"- (missed {med(missed):g})")
            fails = ", ".join(f"{rule} {med(v):g}" + ("" if len(v) == a.ranges else f" ({len(v)} of {a.ranges} ranges)")
                              for rule, v in sorted(rules.items())) or "none"
            print(f"| {scenario} / {driver} | {len(union)} | {s} | {med(hit):g} | {reach} | {fails} |")


if __name__ == "__main__":
    main()
