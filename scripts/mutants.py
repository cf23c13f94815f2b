#!/usr/bin/env python3
"""`make mutants`: systematic mutation of the driver, the OS model and the RTL (docs/mutants.md).

  scripts/mutants.py driver [--file PATH]... [--shard K/N] [--re RE] [--seeds N]
  scripts/mutants.py rtl    [--file NAME]... [--match RE] [--limit N] [--seeds N]
  scripts/mutants.py report

`driver` runs cargo-mutants with cli/tests/mutation_oracle.rs as the only test
(.cargo/mutants.toml), then re-applies each survivor's diff to a scratch copy of the tree
and sweeps `dirql run --json` over more seeds to classify it. `rtl` applies the operators of
scripts/rtl_mutants.py one at a time to a copy of devices/display/rtl/, rebuilds only the Verilated model
(DIRQL_DEVICE_RTL, one shared target dir) and runs the same sweep. `report` writes
build/mutants/report.{md,json} from what the two left in build/mutants/.

Classes: caught (some rule failed: exit 1, or the run did not finish: any non-zero exit),
timeout (cargo-mutants: the oracle hung; counted as caught), missed (harm in `--json` with
exit 0: a false pass), harmless (the harm array present and empty on every run),
harm-unknown (no `harm` field: the harm oracles are not in this build), equivalent (the hand
list scripts/mutants-equivalent.toml), unviable (does not verilate or does not build).
Score = (caught + timeout) / (total - unviable - equivalent).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rtl_mutants  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "mutants"
# Scratch copy of the tracked files, and its own target dir: the worktree's target/ never
# holds a mutant's build.
# MUTANTS_WORK: another scratch folder, so that an RTL run can go beside a driver run (the
# driver run mutates its tree in place; a second run syncing the same tree would undo that).
WORK = Path(os.environ["MUTANTS_WORK"]).resolve() if os.environ.get("MUTANTS_WORK") else ROOT / "target" / "mutants"
TREE = WORK / "tree"
TARGET = WORK / "target"
# cargo-mutants' target dir: it builds the scratch tree in place (`--in-place`, one path for
# every mutant and every run, so cargo's incremental state carries over) with the `mutants`
# profile of Cargo.toml.
CM_TARGET = WORK / "cm-target"
DIRQL = TARGET / "release" / "dirql"
RTL_COPY = WORK / "rtl"
EQUIVALENT = ROOT / "scripts" / "mutants-equivalent.toml"
NICE = ["nice", "-n", "10"]
# Seeds the oracle (mutation_oracle.rs) runs; a survivor is swept over 1..--seeds.
ORACLE_SEEDS = 3
CPUS = (2, 1)
# The readings of VideoPortSynchronizeExecution under which the reference passes everywhere.
READINGS = ("current", "legacy")


def log(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------- scratch tree and builds


def sync_tree() -> None:
    """Copies the tracked files into TREE, only those whose bytes differ (so cargo's
    mtime-based freshness rebuilds only what changed), and removes files no longer tracked."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    tracked = {f for f in files.decode().split("\0") if f}
    for rel in tracked:
        src, dst = ROOT / rel, TREE / rel
        if not src.is_file():
            continue
        data = src.read_bytes()
        if dst.is_file() and dst.read_bytes() == data:
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(data)
        shutil.copymode(src, dst)
    for p in TREE.rglob("*"):
        if p.is_file() and str(p.relative_to(TREE)) not in tracked:
            p.unlink()


def build(rtl_dir: Path | None, driver: bool = False) -> tuple[bool, float, str]:
    """Builds the scratch tree's `dirql`: for the RTL schema in release (TARGET), for a
    driver survivor with the `mutants` profile in cargo-mutants' own target dir (CM_TARGET),
    whose incremental build of the same tree it reuses."""
    global DIRQL
    env = dict(os.environ, CARGO_TARGET_DIR=str(CM_TARGET if driver else TARGET))
    env.pop("DIRQL_DEVICE_RTL", None)
    if rtl_dir is not None:
        env["DIRQL_DEVICE_RTL"] = f"{DEVICE or 'display'}={rtl_dir}"
    profile = ["--profile", "mutants"] if driver else ["--release"]
    DIRQL = CM_TARGET / "mutants" / "dirql" if driver else TARGET / "release" / "dirql"
    t = time.monotonic()
    p = subprocess.run(
        NICE + ["cargo", "build"] + profile + ["-j", "2", "-p", "dirql-cli", "--bin", "dirql"],
        cwd=TREE,
        env=env,
        capture_output=True,
        text=True,
    )
    return p.returncode == 0, time.monotonic() - t, p.stderr[-3000:]


def dirql() -> Path:
    return DIRQL


# The device whose RTL the mutants are of (`rtl --device`): its scenarios are the oracle.
DEVICE: str | None = None


def scenarios() -> list[str]:
    out = subprocess.run([str(dirql()), "list", "--json"], check=True, capture_output=True, text=True).stdout
    listed = json.loads(out)
    if DEVICE is not None:
        return [s["name"] for d in listed["devices"] if d["name"] == DEVICE for s in d["scenarios"]]
    return [s["name"] for s in listed["scenarios"]]


# ---------------------------------------------------------------- the sweep


def sel_dir(sel: int | None) -> Path | None:
    """The working folder of runs of RTL mutant `sel` (its `mutant_sel.hex`); None outside
    the RTL schema."""
    if sel is None:
        return None
    d = WORK / "sel" / str(sel)
    d.mkdir(parents=True, exist_ok=True)
    (d / "mutant_sel.hex").write_text(f"{sel:04x}\n")
    return d


def one_run(scenario: str, reading: str, cpus: int, seed: int, timeout: float, cwd: Path | None = None) -> dict:
    args = ["run", scenario, "--reading", reading, "--cpus", str(cpus), "--seed", str(seed), "--json"]
    cmd = f"dirql {' '.join(args)}"
    try:
        p = subprocess.run(NICE + [str(dirql())] + args, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        return {"cmd": cmd, "exit": None, "failed": True, "why": f"no result in {timeout:.0f} s", "harm": None}
    try:
        j = json.loads(p.stdout)
    except json.JSONDecodeError:
        j = {}
    why = ""
    if p.returncode != 0:
        bad = [r for r in j.get("rules", []) if r.get("verdict") != "pass"]
        if bad:
            v = (bad[0].get("violations") or [{}])[0]
            why = f"{bad[0]['name']} at cycle {v.get('cycle')}: {str(v.get('message', ''))[:160]}"
        else:
            why = (p.stderr.strip().splitlines() or ["(no output)"])[-1][:200]
    return {"cmd": cmd, "exit": p.returncode, "failed": p.returncode != 0, "why": why, "harm": j.get("harm")}


def sweep(seeds: range, stop_on_fail: bool = True, timeout: float = 60.0, sel: int | None = None) -> dict:
    """Every scenario x READINGS x CPUS x seeds; stops at the first failing run when asked."""
    work = [(s, r, c, seed) for seed in seeds for s in scenarios() for r in READINGS for c in CPUS]
    cwd = sel_dir(sel)
    runs: list[dict] = []
    with ThreadPoolExecutor(max_workers=2) as ex:
        futs = [ex.submit(one_run, s, r, c, seed, timeout, cwd) for s, r, c, seed in work]
        for f in futs:
            r = f.result()
            runs.append(r)
            if r["failed"] and stop_on_fail:
                for g in futs:
                    g.cancel()
                break
    failed = [r for r in runs if r["failed"]]
    harmed = [r for r in runs if not r["failed"] and r["harm"]]
    return {
        "runs": len(runs),
        "failed": failed[:1],
        "harm": [{"cmd": r["cmd"], "harm": r["harm"][:3]} for r in harmed[:3]],
        "harm_absent": any(r["harm"] is None for r in runs if not r["failed"]),
    }


def classify(sw: dict) -> str:
    if sw["failed"]:
        return "caught"
    if sw["harm"]:
        return "missed"
    if sw["harm_absent"]:
        return "harm-unknown"
    return "harmless"


def equivalents() -> dict[str, str]:
    if not EQUIVALENT.exists():
        return {}
    data = tomllib.loads(EQUIVALENT.read_text())
    return {e["id"]: e["reason"] for e in data.get("equivalent", [])}


# ---------------------------------------------------------------- RTL


def cmd_rtl(a: argparse.Namespace) -> None:
    """All selected mutants in one mutant schema (rtl_mutants.schema): one Verilator build,
    then each mutant is one `mutant_sel.hex` in the runs' working folder."""
    global DEVICE
    DEVICE = a.device
    files = a.file or rtl_mutants.DEFAULT_FILES[a.device]
    kind = "rtl" if a.device == "display" else f"rtl-{a.device}"
    rtl = TREE / "devices" / a.device / "rtl"
    sync_tree()
    include = "".join(p.read_text() for p in sorted(rtl.glob("*.vh")))
    texts = {f: (rtl / f).read_text() for f in files}
    mutants = [m for f in files for m in rtl_mutants.enumerate_mutants(f, texts[f], include)]
    if a.match:
        mutants = [m for m in mutants if re.search(a.match, m.id)]
    if a.limit:
        mutants = mutants[: a.limit]
    numbered = list(enumerate(mutants, 1))
    log(f"rtl: {len(mutants)} mutant(s) of {', '.join(files)}")
    if RTL_COPY.exists():
        shutil.rmtree(RTL_COPY)
    shutil.copytree(rtl, RTL_COPY)
    results: dict[int, dict] = {}

    def write_schema(active: list[tuple[int, rtl_mutants.Mutant]]) -> list[rtl_mutants.Mutant]:
        left = []
        for f in files:
            mine = [(k, m) for k, m in active if m.file == f]
            text, lo = rtl_mutants.schema(texts[f], mine)
            (RTL_COPY / f).write_text(text)
            left += lo
        return left

    def lint() -> subprocess.CompletedProcess:
        # As the Makefile's lint of the wrapper around a device: the wrapper is rtl/sim/ (the
        # core's), the device's include files are its rtl/sim/, its modules its rtl/.
        wrapper = TREE / "rtl" / "sim"
        return subprocess.run(
            ["verilator", "--lint-only", f"-I{wrapper}", f"-I{RTL_COPY / 'sim'}", f"-I{RTL_COPY}"]
            + ["--top-module", "dirql_sim_top"]
            + [str(p) for p in sorted(wrapper.glob("*.v"))]
            + [str(p) for p in sorted(RTL_COPY.glob("*.v"))],
            capture_output=True,
            text=True,
        )

    active = numbered
    left = write_schema(active)
    for m in left:
        k = next(k for k, x in numbered if x is m)
        results[k] = {"cls": "unviable", "why": "no expression or statement to hold it in the schema"}
    if lint().returncode != 0:
        # Find the mutants that do not verilate on their own and leave them out.
        log("rtl: the schema does not verilate; linting the mutants one at a time")
        keep = []
        for k, m in active:
            (RTL_COPY / m.file).write_text(m.apply(texts[m.file]))
            p = lint()
            (RTL_COPY / m.file).write_text(texts[m.file])
            if p.returncode != 0:
                results[k] = {"cls": "unviable", "why": "does not verilate: " + (p.stderr.strip().splitlines() or [""])[0][:200]}
            else:
                keep.append((k, m))
        active = keep
        write_schema(active)
        p = lint()
        if p.returncode != 0:
            sys.exit(f"rtl: the schema of the viable mutants does not verilate:\n{p.stderr[-2000:]}")
    ok, build_s, err = build(RTL_COPY)
    if not ok:
        sys.exit(f"rtl: the schema does not build:\n{err}")
    log(f"rtl: one build for {len(active)} mutant(s): {build_s:.1f} s")
    t = time.monotonic()
    base = sweep(range(1, ORACLE_SEEDS + 1), sel=0)
    if base["failed"]:
        sys.exit(f"rtl: the schema with no mutant selected fails: {base['failed'][0]}")
    log(f"rtl: no mutant selected: {base['runs']} runs pass in {time.monotonic() - t:.1f} s")
    eq = equivalents()
    out = []
    for i, (k, m) in enumerate(numbered, 1):
        rec = {"id": m.id, "file": f"devices/{a.device}/rtl/{m.file}", "operator": m.operator, "description": m.description, "sel": k}
        t0 = time.monotonic()
        if k in results:
            rec.update(results[k])
        else:
            sw = sweep(range(1, ORACLE_SEEDS + 1), sel=k)
            by = "oracle seeds"
            if not sw["failed"]:
                sw = sweep(range(1, a.seeds + 1), sel=k)
                by = f"sweep of {a.seeds} seeds"
            rec["runs"] = sw["runs"]
            rec["run_s"] = round(time.monotonic() - t0, 1)
            rec["cls"] = classify(sw)
            if rec["cls"] == "caught":
                rec["why"] = f"{sw['failed'][0]['cmd']}: {sw['failed'][0]['why']} ({by})"
            elif sw["harm"]:
                rec["why"] = json.dumps(sw["harm"][0])
        if m.id in eq:
            if rec["cls"] == "caught":
                rec["note"] = "listed as equivalent but a rule failed: remove it from the list"
            elif rec["cls"] != "unviable":
                rec.update(cls="equivalent", why=eq[m.id])
        rec["build_s"] = round(build_s / max(len(active), 1), 1)
        out.append(rec)
        log(f"[{i}/{len(numbered)}] {rec['cls']:<12} {rec.get('run_s', 0):>5.1f} s  {m.id}  {rec.get('why', '')[:140]}")
        save(kind, out, a, extra={"schema_build_s": round(build_s, 1), "mutants_in_build": len(active)})
    save(kind, out, a, extra={"schema_build_s": round(build_s, 1), "mutants_in_build": len(active)})


# ---------------------------------------------------------------- driver


def cmd_driver(a: argparse.Namespace) -> None:
    if shutil.which("cargo-mutants") is None:
        log("installing cargo-mutants (cargo install --locked cargo-mutants)")
        subprocess.run(NICE + ["cargo", "install", "--locked", "cargo-mutants"], check=True)
    out_dir = OUT / "driver"
    out_dir.mkdir(parents=True, exist_ok=True)
    # The mutated files are in dirql-host and dirql-display, not in the default member;
    # .cargo/mutants.toml narrows it to the miniport and the OS model. --in-place in the
    # scratch tree (TREE, never the worktree): one source path for every mutant and every
    # run, so the incremental `mutants` profile build and the Verilated model carry over
    # (about 15 s a mutant instead of a fresh copy's full build). In place means one job.
    sync_tree()
    # Both crates that hold mutated files: the OS model (dirql-host) and the display
    # miniport (dirql-display); with dirql-host alone the miniport's mutants are not listed.
    packages = ["--package", "dirql-host", "--package", "dirql-display"]
    cmd = NICE + ["cargo", "mutants", "--in-place", *packages, "--output", str(out_dir), "--no-shuffle"]
    # cargo-mutants 27.1 runs the baseline on the mutated packages only (lab.rs
    # run_baseline), whatever test_package says, and dirql-host has no mutation_oracle: so
    # no baseline, and a fixed timeout instead of one scaled from it. (The oracle is a
    # `make test` test: the unmutated tree passing it is checked there.)
    # The oracle takes 2-3 s unloaded (60 runs); 60 s is a hang even on a loaded machine.
    cmd += ["--test-package", "dirql-cli", "--baseline", "skip", "--timeout", "60", "--build-timeout", "900"]
    # cargo-mutants 27.1 adds a --file glob to the config's examine_globs rather than
    # narrowing them, so a file is selected by the mutant names' path prefix instead.
    # (Several --re are alternatives, so a --re given with --file is folded into one.)
    files = "|".join(re.escape(f) for f in a.file or [])
    names = "|".join(a.re or [])
    if files or names:
        cmd += ["--re", (f"^(?:{files}):" if files else "") + (f".*(?:{names})" if names else "")]
    if a.shard:
        cmd += ["--shard", a.shard]
    env = dict(os.environ, CARGO_TARGET_DIR=str(CM_TARGET))
    if a.classify_only:
        log("driver: --classify-only: the survivors of the last cargo-mutants run")
    else:
        log("driver: " + " ".join(cmd[3:]))
        t = time.monotonic()
        rc = subprocess.run(cmd, cwd=TREE, env=env).returncode
        log(f"driver: cargo-mutants exit {rc} after {time.monotonic() - t:.0f} s")
    outcomes_file = out_dir / "mutants.out" / "outcomes.json"
    if not outcomes_file.exists():
        sys.exit(f"driver: cargo-mutants wrote no {outcomes_file} (no mutant matched, or it failed)")
    outcomes = json.loads(outcomes_file.read_text())
    eq = equivalents()
    results = []
    survivors = []
    for o in outcomes.get("outcomes", []):
        sc = o.get("scenario")
        if not isinstance(sc, dict) or "Mutant" not in sc:
            continue  # the baseline
        m = sc["Mutant"]
        name = mutant_name(m)
        summary = o.get("summary", "")
        phases = {p["phase"]: p["duration"] for p in o.get("phase_results", [])}
        cls = {"CaughtMutant": "caught", "MissedMutant": "survived", "Timeout": "timeout", "Unviable": "unviable"}.get(
            summary, summary.lower()
        )
        rec = {
            "id": name,
            "file": m.get("file") or m.get("source_file", {}).get("path", ""),
            "operator": m.get("genre", ""),
            "description": name,
            "cls": cls,
            "build_s": round(phases.get("Build", 0.0), 1),
            "run_s": round(phases.get("Test", 0.0), 1),
            # cargo-mutants 27.1 keeps each mutant's diff in a file of its own.
            "diff": m.get("diff") or read_text(out_dir / "mutants.out" / o["diff_path"]) if o.get("diff_path") else m.get("diff", ""),
        }
        results.append(rec)
        if cls == "survived":
            survivors.append(rec)
    log(f"driver: {len(results)} mutant(s), {len(survivors)} survived the oracle; classifying them")
    if survivors:
        sync_tree()
        ok, _, err = build(None, driver=True)
        if not ok:
            sys.exit(f"driver: the scratch tree does not build:\n{err}")
    for rec in survivors:
        diff = rec.get("diff") or ""
        if not diff:
            rec.update(cls="harm-unknown", why="no diff recorded by cargo-mutants")
            continue
        patched = apply_diff(diff)
        if not patched:
            rec.update(cls="harm-unknown", why="its diff does not apply to the scratch tree")
            continue
        ok, bsecs, err = build(None, driver=True)
        if not ok:
            rec.update(cls="unviable", why="does not build in release")
        else:
            t1 = time.monotonic()
            sw = sweep(range(1, a.seeds + 1))
            rec["classify_s"] = round(bsecs + time.monotonic() - t1, 1)
            rec["cls"] = classify(sw)
            if rec["cls"] == "caught":
                rec["why"] = f"{sw['failed'][0]['cmd']}: {sw['failed'][0]['why']} (sweep of {a.seeds} seeds)"
            elif sw["harm"]:
                rec["why"] = json.dumps(sw["harm"][0])
        sync_tree()  # undo the patch
        if rec["id"] in eq and rec["cls"] not in ("caught", "unviable"):
            rec.update(cls="equivalent", why=eq[rec["id"]])
        log(f"  {rec['cls']:<12} {rec.get('classify_s', 0):>5.1f} s  {rec['id']}  {rec.get('why', '')[:140]}")
        save("driver", results, a)
    save("driver", results, a)


def read_text(p: Path) -> str:
    return p.read_text() if p.is_file() else ""


def mutant_name(m: dict) -> str:
    if "name" in m:
        return m["name"]
    span = m.get("span", {}).get("start", {})
    f = m.get("file") or m.get("source_file", {}).get("path", "")
    return f"{f}:{span.get('line')}:{span.get('column')}: replace {m.get('function', {}).get('function_name', '')} with {m.get('replacement', '')}"


def apply_diff(diff: str) -> bool:
    for strip in ("-p1", "-p0"):
        p = subprocess.run(["patch", strip, "--forward", "--batch", "-s"], cwd=TREE, input=diff, text=True, capture_output=True)
        if p.returncode == 0:
            return True
    return False


# ---------------------------------------------------------------- report


def save(kind: str, results: list[dict], a: argparse.Namespace, extra: dict | None = None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    args = {k: v for k, v in vars(a).items() if k != "func"}
    data = {"kind": kind, "args": args, **(extra or {}), "mutants": results}
    (OUT / f"{kind}.json").write_text(json.dumps(data, indent=1))


CLASSES = ["caught", "timeout", "missed", "harm-unknown", "harmless", "equivalent", "unviable", "survived"]


def summarise(results: list[dict]) -> dict:
    counts = {c: sum(1 for r in results if r["cls"] == c) for c in CLASSES}
    total = len(results)
    denom = total - counts["unviable"] - counts["equivalent"]
    caught = counts["caught"] + counts["timeout"]
    viable = [r for r in results if r["cls"] != "unviable"]
    cost = {
        "build_s_mean": round(sum(r.get("build_s", 0) for r in viable) / len(viable), 1) if viable else None,
        "run_s_mean": round(sum(r.get("run_s", 0) for r in viable) / len(viable), 1) if viable else None,
    }
    return {
        "total": total,
        "counts": counts,
        "score": round(caught / denom, 3) if denom else None,
        "score_text": f"{caught}/{denom}" if denom else "n/a",
        "per_mutant_cost": cost,
    }


def cmd_report(_: argparse.Namespace) -> None:
    rep: dict = {}
    md = ["# Mutation report", "", "Written by `scripts/mutants.py report` (docs/mutants.md).", ""]
    for kind in ("driver", "rtl", "rtl-nic"):
        p = OUT / f"{kind}.json"
        if not p.exists():
            md += [f"## {kind}", "", "not run", ""]
            continue
        data = json.loads(p.read_text())
        res = data["mutants"]
        eq = equivalents()  # the hand list as it is now, also for results older than it
        for r in res:
            if r["id"] in eq and r["cls"] not in ("caught", "timeout", "unviable"):
                r.update(cls="equivalent", why=eq[r["id"]])
        s = summarise(res)
        rep[kind] = {"args": data["args"], **s, "survivors": [r for r in res if r["cls"] not in ("caught", "timeout", "unviable")]}
        c = s["counts"]
        md += [
            f"## {kind}",
            "",
            f"run with: `{json.dumps(data['args'])}`",
            "",
            f"**score {s['score_text']} = {s['score']}** (caught + timeout over total - unviable - equivalent)",
            "",
            "| " + " | ".join(CLASSES) + " | total |",
            "|" + "---|" * (len(CLASSES) + 1),
            "| " + " | ".join(str(c[k]) for k in CLASSES) + f" | {s['total']} |",
            "",
            f"per mutant: build {s['per_mutant_cost']['build_s_mean']} s, runs {s['per_mutant_cost']['run_s_mean']} s (means over viable mutants)",
            "",
            "| class | mutant | why |",
            "|---|---|---|",
        ]
        for r in rep[kind]["survivors"]:
            md.append(f"| {r['cls']} | `{r['id']}` {r.get('description', '') if kind.startswith('rtl') else ''} | {r.get('why', '')} |".replace("\n", " "))
        md.append("")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.json").write_text(json.dumps(rep, indent=1))
    (OUT / "report.md").write_text("\n".join(md))
    for kind, s in rep.items():
        log(f"mutation score, {kind}: {s['score_text']} = {s['score']}  {s['counts']}")
    log(f"wrote {OUT / 'report.md'} and {OUT / 'report.json'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(required=True)
    d = sub.add_parser("driver", help="cargo-mutants over the miniport and the OS model")
    d.add_argument("--file", action="append", help="only this source file, its path from the root (e.g. host-driver/src/kernel.rs)")
    d.add_argument("--shard", help="K/N: the K-th of N shards (cargo-mutants --shard)")
    d.add_argument("--re", action="append", help="only mutants whose name matches (cargo-mutants --re)")
    d.add_argument("--seeds", type=int, default=20, help="seeds per scenario and CPU count to classify a survivor")
    d.add_argument("--classify-only", action="store_true", help="classify the survivors of the last cargo-mutants run again")
    d.set_defaults(func=cmd_driver)
    r = sub.add_parser("rtl", help="source-level RTL mutants")
    r.add_argument("--device", default="display", choices=sorted(rtl_mutants.DEFAULT_FILES), help="whose RTL (default: display)")
    r.add_argument("--file", action="append", help="RTL file name (default: the device's interrupt, PCI target, MSI and window files)")
    r.add_argument("--match", help="only mutants whose id matches this regular expression")
    r.add_argument("--limit", type=int, help="at most this many mutants")
    r.add_argument("--seeds", type=int, default=20, help="seeds per scenario and CPU count to classify a survivor")
    r.set_defaults(func=cmd_rtl)
    p = sub.add_parser("report", help="write build/mutants/report.md and report.json")
    p.set_defaults(func=cmd_report)
    a = ap.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
