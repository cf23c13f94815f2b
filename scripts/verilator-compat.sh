#!/usr/bin/env bash
# Builds dirql and runs `make test` and `dirql bench --build` against the Verilator installed
# under a prefix (e.g. /opt/verilator/5.020 from `./configure --prefix=...; make install`),
# by putting its bin/ first on PATH, so anyone can repeat a row of docs/compat.md.
#
# Usage: scripts/verilator-compat.sh PREFIX [--no-test] [--no-bench] [--bench-build]
# Logs go to build/compat-<version>-{build,test,bench}.log; the last lines are a summary.
# CPU-heavy steps run under `nice -n 15` with at most 2 jobs (a shared machine).
# `dirql bench` measures bare and co-simulation speed; --bench-build adds its clean build and
# rebuild after an RTL edit (it edits devices/display/rtl/dirql_regs.v for that, and puts it
# back: run it in a checkout nothing else uses). CARGO_TARGET_DIR is honoured.
set -uo pipefail

if [ $# -lt 1 ] || [ ! -x "$1/bin/verilator" ]; then
  echo "usage: $0 PREFIX [--no-test] [--no-bench] [--bench-build]" >&2
  echo "       PREFIX is a Verilator install prefix holding bin/verilator (got '${1:-}')." >&2
  exit 2
fi
prefix=$(cd "$1" && pwd)
shift
run_test=1 run_bench=1 bench_args=()
for a in "$@"; do
  case "$a" in
    --no-test) run_test=0 ;;
    --no-bench) run_bench=0 ;;
    --bench-build) bench_args=(--build) ;;
    *) echo "$0: unknown option '$a'" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
# The installed verilator finds its own runtime (`verilator --getenv VERILATOR_ROOT`); a
# VERILATOR_ROOT or VERILATOR left in the environment would point the build elsewhere.
unset VERILATOR_ROOT VERILATOR
export PATH="$prefix/bin:$PATH"
export CARGO_BUILD_JOBS=2
version=$(verilator --version | awk '{print $2}')
mkdir -p build
log=build/compat-$version
echo "verilator-compat: $(command -v verilator): $(verilator --version)"

summary=()
if nice -n 15 cargo build --release -p dirql-cli > "$log-build.log" 2>&1; then
  summary+=("build: ok")
else
  summary+=("build: FAILED (see $log-build.log)")
  tail -40 "$log-build.log"
  (IFS=';'; printf 'verilator-compat %s: %s\n' "$version" "${summary[*]}")
  exit 1
fi
status=0
if ((run_test)); then
  if nice -n 15 make test > "$log-test.log" 2>&1; then
    summary+=("make test: ok ($(grep -c '^test .* ok$' "$log-test.log") tests ok)")
  else
    status=1
    summary+=("make test: FAILED ($(grep -c '^test .* FAILED$' "$log-test.log") failed; see $log-test.log)")
    grep -E '^test .* FAILED$|^error' "$log-test.log" | head -20
  fi
fi
if ((run_bench)); then
  if nice -n 15 "${CARGO_TARGET_DIR:-target}/release/dirql" bench "${bench_args[@]}" > "$log-bench.log" 2>&1; then
    summary+=("bench: see below")
    cat "$log-bench.log"
  else
    status=1
    summary+=("bench: FAILED (see $log-bench.log)")
  fi
fi
(IFS=';'; printf 'verilator-compat %s: %s\n' "$version" "${summary[*]}")
exit $status
