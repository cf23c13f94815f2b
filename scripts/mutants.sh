#!/usr/bin/env bash
# `make mutants`: driver and OS-model mutants (cargo-mutants), RTL mutants (source-level
# operators), then the report with a mutation score for each (docs/mutants.md).
#
# Environment (all optional):
#   MUTANTS_DRIVER_ARGS  extra arguments for `scripts/mutants.py driver`, e.g.
#                        "--file devices/display/src/miniport.rs --shard 0/4"
#   MUTANTS_RTL_ARGS     extra arguments for `scripts/mutants.py rtl`, e.g. "--file dirql_irq.v"
#   MUTANTS_SKIP         "driver", "rtl" or "sweep": leave that part out (the last results of the
#                        driver and RTL halves stay in the report)
# Everything CPU-heavy runs under `nice -n 10` with at most two jobs: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh sim
command -v patch >/dev/null || { echo "mutants: needs patch(1): apt-get install --no-install-recommends patch" >&2; exit 2; }
if ! command -v cargo-mutants >/dev/null; then
  echo "mutants: installing cargo-mutants from crates.io (cargo install --locked cargo-mutants)"
  nice -n 10 cargo install --locked cargo-mutants -j 2
fi
skip="${MUTANTS_SKIP:-}"
# The 1000-seed sweep first (scripts/sweep.sh): harm => failure over the reference and every
# twin; MUTANTS_SKIP=sweep leaves it out.
# A sweep that finds a false pass still lets the mutants run; its status is the script's.
sweep_rc=0
if [[ "$skip" != sweep ]]; then
  nice -n 10 cargo build --release -p dirql-cli -j 2
  scripts/sweep.sh || sweep_rc=$?
fi
# shellcheck disable=SC2086  # the ARGS variables are word lists on purpose
[[ "$skip" == driver ]] || python3 scripts/mutants.py driver ${MUTANTS_DRIVER_ARGS:-}
# shellcheck disable=SC2086
[[ "$skip" == rtl ]] || python3 scripts/mutants.py rtl ${MUTANTS_RTL_ARGS:-}
python3 scripts/mutants.py report
exit "$sweep_rc"
