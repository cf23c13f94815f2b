#!/usr/bin/env bash
# Writes a multi-gigabyte waveform with `dirql run` and checks it with `dirql check`,
# printing file size, checking speed and peak resident memory of each step: the evidence
# that checking is streaming (flat memory for any length). Not a test: figures only.
#
#   scripts/check-big-vcd.sh [CYCLES] [DIR]     (default 24000000 cycles, about 3.2 GB)
set -euo pipefail
cycles=${1:-24000000}
dir=${2:-${TMPDIR:-/tmp}/dirql-big}
dirql=${DIRQL:-target/release/dirql}
command -v /usr/bin/time >/dev/null || { echo "error: /usr/bin/time is missing: apt-get install time" >&2; exit 2; }
[ -x "$dirql" ] || cargo build --release -q -p dirql-cli
mkdir -p "$dir"
vcd="$dir/big.vcd"
need=$(( cycles / 1000000 * 140 ))   # MB, about 133 MB per million cycles of mode-set
free=$(df -Pm "$dir" | awk 'NR==2 {print $4}')
if [ "$free" -lt "$need" ]; then
    echo "error: $dir has ${free} MB free, the waveform needs about ${need} MB; pass a smaller CYCLES or another DIR" >&2
    exit 2
fi
measure() { # label, command...: prints wall seconds and peak RSS (MB) of the command
    local label=$1; shift
    local t; t=$(mktemp)
    local rc=0
    /usr/bin/time -f '%e %M' -o "$t" "$@" >/dev/null || rc=$?
    read -r secs kb <"$t"; rm -f "$t"
    echo "$label: ${secs} s, peak RSS $(( kb / 1024 )) MB (exit $rc)"
    LAST_SECS=$secs
}
measure "dirql run mode-set --cycles $cycles" "$dirql" run mode-set --cycles "$cycles" --vcd "$vcd"
mb=$(( $(stat -c %s "$vcd") / 1000000 ))
echo "waveform: $vcd, ${mb} MB"
measure "dirql check" "$dirql" check "$vcd"
echo "check speed: $(awk -v mb="$mb" -v s="$LAST_SECS" 'BEGIN { printf "%.1f", mb / s }') MB/s"
rm -f "$vcd" "$dir"/big.gtkw "$dir"/big.timing-*.svg
