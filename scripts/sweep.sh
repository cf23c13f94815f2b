#!/usr/bin/env bash
# The 1000-seed sweep (docs/rules.md "1000-seed sweep"): harm => some rule fails, measured.
#
#   reference: every scenario x every reading x --cpus 1, 2 x --strategy random, pct.
#              Where the reference passes (every scenario under current and legacy; vblank,
#              shared-line and msi under reactos too) it must show no failure and no harm.
#              Where a reading lets the ISR into a VpHighPriority routine (sync-readings and
#              mode-set under reactos) failures are expected, but no false pass.
#   twins:     every driver twin and RTL twin on the scenario `dirql list` names for it,
#              x --cpus 1, 2 (random): no false pass (a seed with harm and every rule passing).
#
# Environment (all optional):
#   DIRQL         the binary (default target/release/dirql, copied first so a rebuild
#                 during the sweep does not change it under the runs)
#   SWEEP_SEEDS   seeds per row (default 1000)
#   SWEEP_ONLY    "reference" or "twins": only that half
#   SWEEP_OUT     where the JSON of each row and table.md go (default build/sweep)
#
# Exit 1 on any false pass, any failure or harm where the reference must pass, or a twin row
# whose twin did harm on no seed and failed on no seed on two CPUs (a twin that shows nothing).
# Everything runs under `nice -n 15`, one explore at a time on 2 worker threads.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${SWEEP_SEEDS:-1000}"
out="${SWEEP_OUT:-build/sweep}"
only="${SWEEP_ONLY:-}"
mkdir -p "$out/bin" "$out/waves"
src="${DIRQL:-target/release/dirql}"
[[ -x "$src" ]] || { echo "sweep: no $src (cargo build --release -p dirql-cli)" >&2; exit 2; }
cp "$src" "$out/bin/dirql"
bin="$out/bin/dirql"
rows="$out/rows.tsv"
: >"$rows"

# row KIND EXPECT ARGS...: one explore; KIND names the row, EXPECT is pass | fail-ok.
row() {
  local kind="$1" expect="$2"
  shift 2
  local name
  name="$(echo "$kind $*" | tr ' /' '__')"
  local cmd=("$bin" explore "$@" --seeds "$seeds" --jobs 2 --no-shrink --replay-dir "$out/waves" --json)
  local rc=0
  nice -n 15 "${cmd[@]}" >"$out/$name.json" || rc=$?
  if [[ $rc -ge 2 ]]; then
    echo "sweep: explore $* exited $rc" >&2
    exit 2
  fi
  printf '%s\t%s\t%s\t%s\n' "$kind" "$expect" "$out/$name.json" "dirql explore $* --seeds $seeds --no-shrink --json" >>"$rows"
  python3 - "$out/$name.json" "$kind" "$*" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
print(f"sweep: {sys.argv[2]:<9} {sys.argv[3]:<62} seeds {j['seeds_run']:>5}  failing {j['failures']:>5}  "
      f"harmed {j['harmed_seeds']:>5}  false passes {j['false_passes']:>3}  {j['seeds_per_s']:.0f} seeds/s", flush=True)
EOF
}

scenarios=$("$bin" list --json | python3 -c 'import json,sys; print(" ".join(s["name"] for s in json.load(sys.stdin)["scenarios"]))')

if [[ "$only" != twins ]]; then
  for sc in $scenarios; do
    for reading in current legacy reactos; do
      expect=pass
      # The reactos reading of VpHighPriority takes no lock: the ISR on the other CPU runs
      # inside the routine (sync-readings by design, mode-set's timed sequence too).
      if [[ "$reading" == reactos && ( "$sc" == sync-readings || "$sc" == mode-set ) ]]; then
        expect=fail-ok
      fi
      for cpus in 1 2; do
        for strategy in random pct; do
          row reference "$expect" "$sc" --reading "$reading" --cpus "$cpus" --strategy "$strategy"
        done
      done
    done
  done
fi

if [[ "$only" != reference ]]; then
  # name scenario, one per line, for the driver twins and the RTL twins.
  twins=$("$bin" list --json | python3 -c '
import json, sys
j = json.load(sys.stdin)
for v in j["drivers"]:
    if v.get("scenario"): print("driver", v["name"], v["scenario"])
for v in j["rtl"]:
    if v.get("scenario"): print("rtl", v["name"], v["scenario"])')
  while read -r kind name sc; do
    for cpus in 1 2; do
      if [[ "$kind" == driver ]]; then
        row twin fail-ok "$sc" --driver "$name" --cpus "$cpus"
      else
        row twin fail-ok "$sc" --rtl "$name" --cpus "$cpus"
      fi
    done
  done <<<"$twins"
fi

python3 - "$rows" "$out/table.md" <<'EOF'
import json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
md = ["| row | command | seeds | failing | harmed | false passes | seeds/s |", "|---|---|---|---|---|---|---|"]
bad = []
quiet_twins = {}
for kind, expect, path, cmd in rows:
    j = json.load(open(path))
    md.append(f"| {kind} | `{cmd}` | {j['seeds_run']} | {j['failures']} | {j['harmed_seeds']} | {j['false_passes']} | {j['seeds_per_s']:.0f} |")
    if j["false_passes"]:
        fp = j["first_false_pass"]
        bad.append(f"FALSE PASS: {cmd}: {j['false_passes']} seed(s); first {fp['seed']}: {fp['harm'][0]['kind']} at cycle "
                   f"{fp['harm'][0]['cycle']}; replay: {fp['replay_command']}")
    if expect == "pass" and (j["failures"] or j["harmed_seeds"]):
        bad.append(f"FALSE ALARM or HARM on the reference: {cmd}: {j['failures']} failing {j['failures_by_rule']}, "
                   f"{j['harmed_seeds']} harmed {j['harm_by_kind']}; replay: {j['replay_command']}")
    if kind == "twin" and "--cpus 2" in cmd:
        quiet_twins[cmd] = j["failures"] == 0 and j["harmed_seeds"] == 0
for cmd, quiet in quiet_twins.items():
    if quiet:
        bad.append(f"TWIN SHOWS NOTHING: {cmd}: no failing and no harmed seed on two CPUs")
open(sys.argv[2], "w").write("\n".join(md) + "\n")
print("\n".join(md))
for b in bad:
    print("sweep: " + b)
print(f"sweep: {len(rows)} row(s), {len(bad)} problem(s); table in {sys.argv[2]}")
sys.exit(1 if bad else 0)
EOF
