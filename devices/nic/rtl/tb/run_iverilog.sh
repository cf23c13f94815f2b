#!/bin/sh
# Compile and run tb_dirql_nic under Icarus Verilog, once per DEVSEL# timing
# of the device's target (1 = medium, the default, and 0 = fast). Exits
# non-zero if anything fails to build or any check prints FAIL.
# Usage: devices/nic/rtl/tb/run_iverilog.sh   (from anywhere)
set -eu
rtl=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
# -Wno-timescale: the RTL has no delays and so no `timescale; only the bench
# sets 1 ns units. -I tb: the bench's copy of the register map (nic_map.vh).
for devsel in 1 0; do
  iverilog -g2012 -Wall -Wno-timescale -I"$rtl/tb" -Ptb_dirql_nic.DEVSEL=$devsel \
    -o "$out/tb_$devsel.vvp" \
    "$rtl"/*.v "$rtl"/tb/dirql_nic_dev.v "$rtl"/tb/tb_dirql_nic.v
  vvp -n "$out/tb_$devsel.vvp" | tee "$out/log_$devsel.txt"
  if grep -q '^FAIL' "$out/log_$devsel.txt" ||
     ! grep -q '^PASS: all checks' "$out/log_$devsel.txt"; then
    status=1
  fi
done
exit $status
