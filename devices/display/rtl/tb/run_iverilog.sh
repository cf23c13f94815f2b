#!/bin/sh
# Compile and run tb_dirql_adapter under Icarus Verilog, once per DEVSEL#
# timing (1 = medium, the default, and 0 = fast). Exits non-zero if anything
# fails to build or any check prints FAIL.
# Usage: devices/display/rtl/tb/run_iverilog.sh   (from the repository root or anywhere)
set -eu
rtl=$(cd "$(dirname "$0")/.." && pwd)
# The simulation wrapper's blocks (bus, pin-fault stage) are the core's, in rtl/sim.
wrapper=$(cd "$rtl/../../../rtl/sim" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
# -Wno-timescale: the RTL has no delays and so no `timescale; only the
# testbench sets 1ns units, which is what -Wall's timescale warning flags.
for devsel in 1 0; do
  iverilog -g2012 -Wall -Wno-timescale -I"$rtl" -I"$rtl/sim" -Ptb_dirql_adapter.DEVSEL=$devsel \
    -o "$out/tb_$devsel.vvp" \
    "$rtl"/*.v "$wrapper"/*.v "$rtl"/tb/tb_dirql_adapter.v
  vvp -n "$out/tb_$devsel.vvp" | tee "$out/log_$devsel.txt"
  if grep -q '^FAIL' "$out/log_$devsel.txt" ||
     ! grep -q '^PASS: all checks' "$out/log_$devsel.txt"; then
    status=1
  fi
done
exit $status
