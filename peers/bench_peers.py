"""`make bench-peers`: dirql against cocotb on the same adapter RTL and the same workloads,
pair by pair within each repetition, then the median (as `dirql bench` takes its ratios).

usage: python3 peers/bench_peers.py [REPS]   (from the repository root; make bench-peers
sets up the virtual environments first). Setups, each a cocotb a user could pick:
  icarus-gpi     cocotb 2.x + Icarus, clock from cocotb (GPI)
  icarus-hdl     cocotb 2.x + Icarus, clock generated in the HDL
  verilator-hdl  cocotb 1.9 + Verilator 5.006 --timing, clock in the HDL
  verilator-gpi  cocotb 1.9 + Verilator 5.006, clock from cocotb
PEER_SETUPS (comma-separated) picks a subset. Workload sizes: PEER_IDLE_CYCLES,
PEER_MMIO_PAIRS, PEER_IRQS (defaults below); dirql runs `dirql bench --reps 1`."""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "peers"
SETUPS = {
    "icarus-gpi": ("peers-venv2", "icarus", "0"),
    "icarus-hdl": ("peers-venv2", "icarus", "1"),
    "verilator-hdl": ("peers-venv19", "verilator", "1"),
    "verilator-gpi": ("peers-venv19", "verilator", "0"),
}
WORK = [("idle", "idle_cycles_per_s", "cycles/s"), ("mmio", "mmio_txn_per_s", "txn/s"),
        ("irq", "irq_round_trips_per_s", "irq/s")]
GOALS = {"idle": 5, "mmio": 500, "irq": 50}


def run(cmd, env=None, log=None):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if log:
        log.write_text(p.stdout + p.stderr)
    if p.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({p.returncode}); log: {log}\n{p.stderr[-2000:]}")
    return p.stdout, time.perf_counter() - t


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    setups = [s for s in os.environ.get("PEER_SETUPS", ",".join(SETUPS)).split(",") if s]
    env = dict(os.environ)
    env.setdefault("PEER_IDLE_CYCLES", "20000")
    env.setdefault("PEER_MMIO_PAIRS", "200")
    env.setdefault("PEER_IRQS", "4")
    BUILD.mkdir(parents=True, exist_ok=True)
    dirql = ROOT / "target" / "release" / "dirql"
    rows = {s: {w: [] for w, _, _ in WORK} for s in setups}  # ratios dirql / peer
    figs = {s: {w: [] for w, _, _ in WORK} for s in setups + ["dirql"]}
    for rep in range(reps):
        out, _ = run([dirql, "bench", "--reps", "1", "--cycles", "400000", "--json", "--scratch",
                      BUILD / "dirql-bench"], log=BUILD / "dirql-bench.log")
        d = json.loads(out)
        for w, key, _ in WORK:
            figs["dirql"][w].append(d[key])
        for s in setups:
            venv, sim, hdl = SETUPS[s]
            py = ROOT / "build" / venv / "bin" / "python"
            res = BUILD / f"{s}.json"
            out, dt = run([py, ROOT / "peers" / "run.py", sim, hdl, res, BUILD / s], env=env,
                          log=BUILD / f"{s}.log")
            p = json.loads(out.strip().splitlines()[-1])
            for w, key, _ in WORK:
                figs[s][w].append(p[key])
                rows[s][w].append(d[key] / p[key])
            print(f"bench-peers: repetition {rep + 1}/{reps}: {s} done in {dt:.0f} s", file=sys.stderr)
    med = statistics.median
    print(f"dirql / cocotb on the same RTL and workloads, {reps} repetitions, median [min .. max] "
          f"(load average {os.getloadavg()[0]:.1f} at the end)\n")
    print(f"{'workload':8} {'dirql':>18} " + " ".join(f"{s:>26}" for s in setups))
    for w, _, unit in WORK:
        cells = [f"{med(figs['dirql'][w]):.4g} {unit}".rjust(18)]
        for s in setups:
            r = rows[s][w]
            cells.append(f"{med(figs[s][w]):.4g}: {med(r):.0f}x [{min(r):.0f}..{max(r):.0f}]".rjust(26))
        print(f"{w:8} " + " ".join(cells))
    print("(each peer cell: its median figure, then dirql / it pair by pair: median [min .. max])")
    print()
    summary = {}
    for w, _, unit in WORK:
        best = max(setups, key=lambda s: med(figs[s][w]))
        r = med(rows[best][w])
        ok = "met" if r >= GOALS[w] else "NOT met"
        print(f"{w:5}: fastest cocotb {best}: {med(figs[best][w]):.4g} {unit}; dirql / it = {r:.0f}x "
              f"(goal >= {GOALS[w]}x: {ok})")
        summary[w] = {"best": best, "ratio": r, "goal": GOALS[w]}
    (BUILD / "summary.json").write_text(json.dumps({"figures": figs, "ratios": rows, "best": summary}, indent=1))


if __name__ == "__main__":
    main()
