#!/usr/bin/env bash
# Formal proofs of the dirql RTL with Debian's Yosys (docs/formal.md).
#
#   scripts/formal.sh               every property on the reference RTL, then every
#                                   broken twin; exit 0 only if the reference holds
#                                   (proven, or bounded where the table says so) and
#                                   each twin is refuted on its named property
#   scripts/formal.sh TWIN=name     only that twin: exit 1 naming the property and the
#                                   counterexample VCD (what a broken RTL looks like)
#   scripts/formal.sh --list        the property and twin tables
#   PCI_DUT=module PCI_SRC="files"  the PCI target properties on another device
#                                   (docs/bring-your-own-device.md)
#
# Engine: `sat -tempinduct` (Yosys' own SAT solver). yosys-smtbmc with Debian 12's
# z3 needed minutes per step on the PCI environment and Debian's boolector 1.5 does
# not accept this yosys-smtbmc's set-option lines, so smtbmc is not used.
set -euo pipefail
cd "$(dirname "$0")/.."
R=devices/display/rtl   # the display adapter's RTL and its formal properties
W=rtl/sim                 # the simulation wrapper's blocks (the pin-fault stage)
OUT=${FORMAL_OUT:-build/formal}
mkdir -p "$OUT"

twin_only=
for a in "$@"; do
  case "$a" in
    TWIN=*) twin_only=${a#TWIN=} ;;
    --list) list=1 ;;
    *) echo "formal: unknown argument '$a' (use TWIN=name or --list)" >&2; exit 2 ;;
  esac
done
[ -n "${TWIN:-}" ] && twin_only=$TWIN

PCI_DUT=${PCI_DUT:-dirql_target_pins}
PCI_SRC=${PCI_SRC:-$R/pci_target.v $R/formal/dirql_target_pins.v}

# job -> top module and sources (before any twin patch).
declare -A TOP=([irq]=irq_formal [msi]=msi_formal [seq]=seq_formal [inta]=inta_formal [pci]=pci_target_formal)
declare -A SRC=(
  [irq]="$R/dirql_irq.v $R/formal/irq_props.sv"
  [msi]="$R/dirql_msi.v $R/formal/irq_props.sv"
  [seq]="$R/dirql_seq_window.v $R/formal/irq_props.sv"
  [inta]="$(ls $R/*.v | grep -v -e dirql_fb_ram.v -e dirql_cmd_engine.v | tr '\n' ' ') $R/formal/abstract_fb_ram.v $R/formal/abstract_cmd_engine.v $R/formal/inta_props.sv"
  [pci]="$PCI_SRC $W/dirql_pin_fault.v $R/formal/pci_target_props.sv"
)
# INTA# reads documented module ports inside the adapter (no hierarchical references
# in Yosys 0.23, `bind` is ignored): connected after flatten.
INTA_CONNECT='connect -set obs_int_raw dut.u_irq.int_raw_o; connect -set obs_int_enable dut.u_irq.int_enable_o; connect -set obs_cr11 dut.u_vga.cr11_o; connect -set obs_intx_disable dut.u_pci_config.intx_disable_o; connect -set obs_msi_enable dut.u_pci_config.msi_enable_o;'

# Properties: name job bit mode depth. mode prove = temporal induction must close
# within depth; bmc = bounded to depth (the reason is in docs/formal.md).
PROPS="
irq_latch_not_lost        irq  0 prove 8
irq_w1c_only_written      irq  1 prove 8
irq_w1c_clears_written    irq  2 prove 8
irq_dismiss_1clk          irq  3 prove 8
irq_pending_level         irq  4 prove 8
inta_level                inta 0 prove 10
msi_hold                  msi  0 bmc   12
msi_one_per_edge          msi  1 bmc   12
seq_commit_gap            seq  0 prove 24
seq_error_otherwise       seq  1 prove 24
seq_commit_value          seq  2 bmc   14
devsel_decode_speed       pci  0 bmc   16
trdy_stop_with_devsel     pci  1 bmc   16
nothing_before_claim      pci  2 bmc   16
ad_read_after_turnaround  pci  3 bmc   16
par_after_ad              pci  4 bmc   16
stop_held                 pci  5 bmc   16
retry_no_data             pci  6 bmc   16
"

# Twins: name@property@file@patch(perl, applied to a temporary copy) [FAULT].
# The pin-fault twins are the simulation stage's modes (rtl/sim/dirql_pin_fault.v,
# fault = {arm, mode}); the others are patched copies of the RTL, never committed.
TWINS="
irq-w1c-all-bits@irq_w1c_only_written@dirql_irq.v@s/clear = status_w1c_i \? wdata_i :/clear = status_w1c_i ? {INT_NUM_BITS{1'b1}} :/@
irq-latch-lost@irq_latch_not_lost@dirql_irq.v@s/int_raw_d    = \(int_raw_q & ~\(clear & W1C_MASK\)\) \| event_set;/int_raw_d = status_w1c_i ? (int_raw_q & ~(clear & W1C_MASK)) : (int_raw_q | event_set);/@
irq-w1c-ignored@irq_w1c_clears_written@dirql_irq.v@s/clear = status_w1c_i \? wdata_i :/clear = 1'b0 ? wdata_i :/@
irq-enable-ignored@irq_dismiss_1clk@dirql_irq.v@s/wire \[INT_NUM_BITS-1:0\] status = raw & int_enable_q;/wire [INT_NUM_BITS-1:0] status = raw;/@
irq-cr11-mask-ignored@irq_pending_level@dirql_irq.v@s/assign pending_o      = status & vint_gate;/assign pending_o      = status;/@
inta-ignores-id@inta_level@dirql_adapter.v@s/\(\|int_pending\) && !intx_disable && !msi_enable/(|int_pending) \&\& !msi_enable/@
msi-ignores-hold@msi_hold@dirql_msi.v@s/bus_master_en_i && !hold_i\)/bus_master_en_i)/ + s/\|\| !bus_master_en_i \|\| hold_i\)/|| !bus_master_en_i)/@
msi-level@msi_one_per_edge@dirql_msi.v@s/queue_d  = queue_q \| \(pending_i & ~prev_q\);/queue_d  = queue_q | pending_i;/@
seq-gap-plus-one@seq_commit_gap@dirql_seq_window.v@s/since_q \+ 8'd1 >= GAP/since_q >= GAP/@
seq-error-only-on-writes@seq_error_otherwise@dirql_seq_window.v@s/assign seq_error_o = abort;/assign seq_error_o = abort \&\& mode_wr_i;/@
seq-value-dropped@seq_commit_value@dirql_seq_window.v@s/shadow_d\[\{mode_idx_i, 3'b000\} \+: 8\] = mode_data_i;/shadow_d[{mode_idx_i, 3'b000} +: 8] = 8'h00;/@
late-devsel@devsel_decode_speed@@@4'hB
late-devsel-trdy@trdy_stop_with_devsel@@@4'hB
no-turnaround@ad_read_after_turnaround@@@4'hD
no-turnaround-early@nothing_before_claim@@@4'hD
read-parity-no-cbe@par_after_ad@@@4'hC
stop-early@stop_held@pci_target.v@s/(no data.\n        if \()frame_ni(\) begin)/\${1}1'b1\${2}/@
retry-with-data@retry_no_data@pci_target.v@s/(no data.\n        if \(frame_ni\) begin\n(?:.*\n){4}        end)/\${1} else trdy_d = 1'b1;/@
"

if [ -n "${list:-}" ]; then
  echo "properties (name job bit mode depth):"; echo "$PROPS" | sed '/^$/d; s/^/  /'
  echo "twins (name@property@patched file@patch@pin fault):"; echo "$TWINS" | sed '/^$/d; s/^/  /'
  exit 0
fi

# run_one LABEL JOB BIT MODE DEPTH SRCS [FAULT] -> prints the verdict, sets VERDICT
# (proven / bounded / refuted / error) and CEX (the counterexample VCD, if any).
run_one() {
  local label=$1 job=$2 bit=$3 mode=$4 depth=$5 srcs=$6 fault=${7:-}
  local log="$OUT/$label.log" vcd="$OUT/$label.vcd" mask params connect=''
  mask=$((1 << bit))
  params="chparam -set PROPS $mask ${TOP[$job]};"
  [ -n "$fault" ] && params="$params chparam -set FAULT $fault ${TOP[$job]};"
  [ "$job" = inta ] && connect=$INTA_CONNECT
  local engine="sat -tempinduct -prove-asserts -set-assumes -seq 1 -maxsteps $depth -show-inputs -show-outputs -show-regs -dump_vcd $vcd"
  rm -f "$vcd"
  local t0=$SECONDS
  # prep: elaborate; async2sync: the PCI RST# flops as synchronous ones, which the SAT
  # engine can unroll (reset is an input constrained by assumption A1/initial clock);
  # memory_map: the SAT engine takes no memories (the checker's own model in seq);
  # flatten: one module, so the INTA# observers can be connected.
  if ! yosys -q -l "$log" -p "read_verilog -sv -formal -DPCI_DUT=$PCI_DUT -I$R -I$R/formal $srcs; $params prep -top ${TOP[$job]}; memory_map; flatten; $connect async2sync; dffunmap; opt -fast; $engine" >/dev/null 2>&1; then
    if ! grep -q "failed\|FAIL" "$log"; then
      VERDICT=error; CEX=; printf '  %-28s ERROR (yosys failed, see %s)\n' "$label" "$log"; return
    fi
  fi
  local dt=$((SECONDS - t0))
  if grep -q "Induction step proven: SUCCESS" "$log"; then
    local k; k=$(grep -o "Trying induction with length [0-9]*" "$log" | tail -1 | grep -o '[0-9]*$')
    VERDICT=proven; CEX=; rm -f "$vcd"
    printf '  %-28s proven (induction, length %s, %ss)\n' "$label" "$k" "$dt"
  elif grep -q "model found for base case: FAIL\|Assert failed\|base case: FAIL" "$log"; then
    local k; k=$(grep -o "Trying induction with length [0-9]*" "$log" | tail -1 | grep -o '[0-9]*$')
    VERDICT=refuted; CEX=$vcd
    printf '  %-28s refuted at step %s (%ss): counterexample %s\n' "$label" "${k:-0}" "$dt" "$vcd"
  elif grep -q "Reached maximum number of time steps" "$log"; then
    # Every base case up to depth held; the induction step did not close.
    VERDICT=bounded; CEX=; rm -f "$vcd"
    printf '  %-28s bounded to depth %s (%ss; induction does not close)\n' "$label" "$depth" "$dt"
  else
    VERDICT=error; CEX=; printf '  %-28s ERROR (no verdict, see %s)\n' "$label" "$log"
  fi
}

# twin_sources TWIN_FILE PATCH JOB -> the job's sources with the file replaced by a
# patched copy in $OUT/twin-<name>/ (fails if the patch no longer applies).
twin_sources() {
  local name=$1 file=$2 patch=$3 job=$4 dir="$OUT/twin-$1"
  mkdir -p "$dir"
  cp "$R/$file" "$dir/$file"
  perl -0pi -e "\$n = ($patch); END { exit(\$n ? 0 : 3) }" "$dir/$file" || {
    echo "formal: twin '$name': the patch of $R/$file no longer applies; update scripts/formal.sh" >&2
    exit 2; }
  if cmp -s "$R/$file" "$dir/$file"; then
    echo "formal: twin '$name': the patch of $R/$file changed nothing" >&2; exit 2
  fi
  echo "${SRC[$job]}" | tr ' ' '\n' | sed "s#^$R/$file\$#$dir/$file#" | tr '\n' ' '
}

prop_line() { echo "$PROPS" | awk -v p="$1" '$1 == p'; }

run_twin() {  # NAME PROPERTY FILE PATCH FAULT -> 0 if refuted on PROPERTY
  local name=$1 prop=$2 file=$3 patch=$4 fault=$5 line job bit mode depth srcs
  line=$(prop_line "$prop"); [ -n "$line" ] || { echo "formal: twin $name names unknown property $prop" >&2; exit 2; }
  read -r _ job bit mode depth <<<"$line"
  if [ -n "$file" ]; then srcs=$(twin_sources "$name" "$file" "$patch" "$job"); else srcs=${SRC[$job]}; fi
  run_one "twin-$name.$prop" "$job" "$bit" prove "$depth" "$srcs" "$fault"
  [ "$VERDICT" = refuted ]
}

if [ -n "$twin_only" ]; then
  line=$(echo "$TWINS" | awk -F'@' -v t="$twin_only" '$1 == t')
  [ -n "$line" ] || { echo "formal: no twin '$twin_only' (scripts/formal.sh --list shows them)" >&2; exit 2; }
  IFS='@' read -r name prop file patch fault <<<"$line"
  echo "formal: twin $name (expected to break $prop)"
  if run_twin "$name" "$prop" "$file" "$patch" "$fault"; then
    echo "formal: FAIL: property $prop refuted on twin $name; counterexample $CEX"
    exit 1
  fi
  echo "formal: twin $name was NOT refuted on $prop ($VERDICT)" >&2
  exit 3
fi

fail=0
echo "formal: reference RTL"
while read -r name job bit mode depth; do
  [ -n "$name" ] || continue
  run_one "$name" "$job" "$bit" "$mode" "$depth" "${SRC[$job]}"
  case "$mode:$VERDICT" in
    prove:proven|bmc:bounded|bmc:proven) ;;
    *) echo "formal: FAIL: $name is $VERDICT, expected $mode${CEX:+ (counterexample $CEX)}"; fail=1 ;;
  esac
done <<<"$PROPS"

echo "formal: broken twins (each must be refuted on its property)"
while IFS='@' read -r name prop file patch fault; do
  [ -n "$name" ] || continue
  if ! run_twin "$name" "$prop" "$file" "$patch" "$fault"; then
    echo "formal: FAIL: twin $name was not refuted on $prop ($VERDICT)"; fail=1
  fi
done <<<"$TWINS"

if ((fail)); then echo "formal: FAILED"; exit 1; fi
echo "formal: OK (reference holds, every twin refuted)"
