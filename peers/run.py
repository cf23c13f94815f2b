"""Builds and runs peers/test_peer.py for one setup; prints its figures as JSON.

usage: python run.py SIM HDL_CLOCK OUT.json BUILD_DIR   (SIM: icarus | verilator, HDL_CLOCK: 0 | 1)
Uses whichever cocotb the interpreter has (1.9: cocotb.runner, 2.x: cocotb_tools.runner)."""

import json
import os
import sys
from pathlib import Path

sim, hdl_clock, out, build = sys.argv[1], sys.argv[2] == "1", Path(sys.argv[3]).resolve(), Path(sys.argv[4]).resolve()
here = Path(__file__).resolve().parent
rtl = here.parent / "devices" / "display" / "rtl"
sources = sorted(str(p) for p in rtl.glob("*.v")) + [str(here / "peer_top.v")]
defines = {"HDL_CLOCK": 1} if hdl_clock else {}
try:
    from cocotb_tools.runner import get_runner  # cocotb 2.x
    v2 = True
except ImportError:
    from cocotb.runner import get_runner  # cocotb 1.9
    v2 = False

build_args = []
if sim == "verilator":
    # The RTL is lint-clean under -Wall; the wrapper's unused pins are not worth waivers here.
    build_args = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "-O3"]
    if hdl_clock:
        build_args.append("--timing")  # the `always #15` clock in peer_top
runner = get_runner(sim)
common = dict(includes=[str(rtl)], defines=defines, build_args=build_args, build_dir=str(build), always=False)
if v2:
    runner.build(sources=sources, hdl_toplevel="peer_top", timescale=("1ns", "1ps"), **common)
else:
    runner.build(verilog_sources=sources, hdl_toplevel="peer_top", timescale=("1ns", "1ps"), **common)
if out.exists():
    out.unlink()
env = {"PEER_OUT": str(out), "PEER_HDL_CLOCK": "1" if hdl_clock else "0", "PYTHONPATH": str(here)}
for k in ("PEER_IDLE_CYCLES", "PEER_MMIO_PAIRS", "PEER_IRQS"):
    if k in os.environ:
        env[k] = os.environ[k]
# results.xml beside the build, not in the source folder.
xml = str(build / "results.xml")
kw = dict(hdl_toplevel="peer_top", test_module="test_peer", test_dir=str(here), build_dir=str(build), extra_env=env,
          results_xml=xml)
if not v2:
    kw = dict(hdl_toplevel="peer_top", test_module="test_peer", build_dir=str(build), extra_env=env, results_xml=xml)
results = runner.test(**kw)
fig = json.loads(out.read_text()) if out.exists() else {}
missing = {"idle_cycles_per_s", "mmio_txn_per_s", "irq_round_trips_per_s"} - fig.keys()
if missing:
    sys.exit(f"peer run {sim} hdl_clock={int(hdl_clock)} failed: no {sorted(missing)} (see the cocotb log above)")
print(json.dumps(fig))
