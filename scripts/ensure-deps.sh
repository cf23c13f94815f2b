#!/usr/bin/env bash
# Installs what `make sim` / `make test` / `make lint` need on a Debian machine, or says
# exactly what to install. Usage: scripts/ensure-deps.sh sim|test|lint|formal|coverage
set -euo pipefail
mode=${1:-sim}

# command -> Debian package
declare -A pkg=([verilator]=verilator [g++]=g++ [make]=make)
case "$mode" in
  sim) ;;
  # test: the Icarus RTL bench; headless Chromium opens the --html report page
  # (cli/tests/html_report.rs); GTKWave under Xvfb reads the decode through the .gtkw
  # (cli/tests/gtkwave.rs; xvfb-run needs xauth).
  test) pkg[iverilog]=iverilog; pkg[chromium]=chromium; pkg[gtkwave]=gtkwave; pkg[xvfb-run]=xvfb; pkg[xauth]=xauth ;;
  lint) pkg[iverilog]=iverilog; pkg[yosys]=yosys ;;
  # formal: scripts/formal.sh runs Yosys' own SAT engine (sat -tempinduct); yosys-smtbmc
  # and z3 come along for running a job by hand (docs/formal.md says why it is not the
  # default), perl applies the broken-twin patches.
  formal) pkg[yosys]=yosys; pkg[yosys-smtbmc]=yosys; pkg[z3]=z3; pkg[perl]=perl ;;
  # coverage: verilator_coverage merges coverage.dat and writes lcov; genhtml (Debian's
  # lcov) writes the HTML report (testbenches/src/coverage_rtl.rs).
  coverage) pkg[verilator_coverage]=verilator; pkg[genhtml]=lcov ;;
  *) echo "ensure-deps: unknown mode '$mode' (use sim, test, lint, formal or coverage)" >&2; exit 2 ;;
esac

if [ "$mode" != formal ] && ! command -v cargo >/dev/null 2>&1; then
  echo "ensure-deps: cargo is missing. Install Rust 1.80 or newer with rustup (https://rustup.rs)," >&2
  echo "             Debian's own cargo package is too old for this workspace." >&2
  exit 1
fi

missing=()
for c in "${!pkg[@]}"; do
  command -v "$c" >/dev/null 2>&1 || missing+=("${pkg[$c]}")
done
# header -> Debian package: Verilator's FST writer (fstapi.c, built into the model's
# runtime by sim/build.rs) compresses with zlib, so every mode needs its headers; from
# 5.050 its own writer (include/fstcpp) compresses with the system LZ4 too. liblz4-dev is
# installed whatever the Verilator (a few hundred kB): a Verilator put first on PATH later
# then builds without another trip here.
declare -A hdr=([/usr/include/zlib.h]=zlib1g-dev [/usr/include/lz4.h]=liblz4-dev)
for h in "${!hdr[@]}"; do
  [ -e "$h" ] || missing+=("${hdr[$h]}")
done

if ((${#missing[@]})); then
  # Debian's verilator does not bring g++ or make: they are listed on their own above.
  echo "ensure-deps: installing missing Debian packages: ${missing[*]}"
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo); else
      echo "ensure-deps: not root and no password-less sudo. Run:" >&2
      echo "    sudo apt-get install --no-install-recommends ${missing[*]}" >&2
      exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "ensure-deps: no apt-get here. Install these and run again: ${missing[*]}" >&2
    echo "             (Verilator 5.006 or newer: https://verilator.org/guide/latest/install.html)" >&2
    exit 1
  fi
fi

# The Verilator the build will use is the first on PATH (sim/build.rs; VERILATOR overrides
# it). dirql needs 5.006 or newer: say what to install before cargo compiles anything.
v=$(verilator --version | awk '{print $2}')
major=${v%%.*}; minor=${v#*.}; minor=${minor%%[!0-9]*}
if ! [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || ((10#$major < 5 || (10#$major == 5 && 10#$minor < 6))); then
  echo "ensure-deps: $(command -v verilator) is Verilator $v; dirql needs Verilator 5.006 or newer." >&2
  echo "             Install Debian 12's: sudo apt-get install --no-install-recommends verilator" >&2
  echo "             or build a 5.x release from source and put its bin/ first on PATH (docs/compat.md)." >&2
  exit 1
fi
# Verilator 5.050's own FST writer (include/fstcpp) compresses with the system LZ4 (installed
# above; this catches an install that did not bring it).
vroot=$(verilator --getenv VERILATOR_ROOT 2>/dev/null || true)
if [ -d "$vroot/include/fstcpp" ] && [ ! -e /usr/include/lz4.h ]; then
  echo "ensure-deps: Verilator $v ($(command -v verilator)) writes FST with LZ4, whose headers (/usr/include/lz4.h) are missing." >&2
  echo "             Install Debian's package: sudo apt-get install --no-install-recommends liblz4-dev" >&2
  exit 1
fi
