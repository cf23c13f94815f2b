#!/usr/bin/env bash
# The out-of-tree path, kept real (`make test`): copies examples/out-of-tree (a device of
# its own: RTL folder, profile, miniport, one scenario, one twin) to a temporary folder
# outside this checkout, points its dirql dependencies at this checkout, builds it and
# checks that the reference passes and the twin fails its rule (docs/bring-your-own-device.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/examples/out-of-tree" "$tmp/tick"
sed -i "s|DIRQL/|$root/|g" "$tmp/tick/Cargo.toml"
sed -i "s|RTL_DIR|$tmp/tick/rtl|" "$tmp/tick/.cargo/config.toml"
cd "$tmp/tick"
# Its own target folder, kept between runs (the Verilator runtime and models are cached there).
export CARGO_TARGET_DIR="$root/target/out-of-tree"
cargo build --release -q
bin="$CARGO_TARGET_DIR/release/tick-dirql"
# (Into a file first: `grep -q` closing the pipe early would fail `list` under pipefail.)
"$bin" list > "$tmp/list.txt"
grep -q '^  ticks ' "$tmp/list.txt" || { cat "$tmp/list.txt"; echo "out-of-tree: the tick scenario is not listed"; exit 1; }
"$bin" run ticks --json > "$tmp/ref.json" || { cat "$tmp/ref.json"; echo "out-of-tree: the reference failed"; exit 1; }
set +e
"$bin" run ticks --driver tick-no-ack --json > "$tmp/twin.json"
rc=$?
set -e
[ "$rc" = 1 ] || { echo "out-of-tree: the twin exited $rc, expected 1"; exit 1; }
python3 - "$tmp/ref.json" "$tmp/twin.json" <<'PY'
import json, sys
ref, twin = (json.load(open(p)) for p in sys.argv[1:3])
assert ref["verdict"] == "pass" and ref["device"] == "tick" and ref["interrupts"] >= 10, ref["verdict"]
failed = [r["name"] for r in twin["rules"] if r["verdict"] != "pass"]
assert "isr-dismissal" in failed, failed
print(f"out-of-tree: tick device from {sys.argv[1].rsplit('/', 1)[0]}: reference PASS "
      f"({ref['interrupts']} interrupts), tick-no-ack FAIL {failed}")
PY
