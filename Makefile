# dirql — `make sim` and `make test` are all a new user needs; both install what is
# missing first (scripts/ensure-deps.sh).

SHELL      := /bin/bash
CARGO      ?= cargo
SCENARIO   ?= vblank
DRIVER     ?= reference
SEED       ?= 1
REPS       ?= 3
WAVES      := build/waves
DIRQL      := target/release/dirql
# Each device's synthesizable RTL is devices/<name>/rtl/*.v (its sim/ holds the two include
# files the simulation wrapper takes, its tb/ the Icarus bench); rtl/sim is the wrapper.
DEVICES    := $(notdir $(patsubst %/rtl/sim/dirql_device.vh,%,$(wildcard devices/*/rtl/sim/dirql_device.vh)))
DISPLAY_RTL := $(wildcard devices/display/rtl/*.v)
NIC_RTL    := $(wildcard devices/nic/rtl/*.v)

.PHONY: sim test lint formal coverage bench bench-big bench-peers mutants deps clean

## sim: build, run the default scenario, write $(WAVES)/<scenario>.vcd
sim:
	@scripts/ensure-deps.sh sim
	$(CARGO) build --release -p dirql-cli
	@mkdir -p $(WAVES)
	$(DIRQL) run $(SCENARIO) --driver $(DRIVER) --seed $(SEED) --vcd $(WAVES)/$(SCENARIO).vcd
	@echo "open it with: gtkwave $(WAVES)/$(SCENARIO).vcd $(WAVES)/$(SCENARIO).gtkw"

## test: every test (Rust unit and scenario tests, the Icarus RTL bench)
test:
	@scripts/ensure-deps.sh test
	@mkdir -p build
	@for d in $(DEVICES); do \
	  devices/$$d/rtl/tb/run_iverilog.sh > build/iverilog-$$d.log || { cat build/iverilog-$$d.log; exit 1; }; \
	  echo "Icarus RTL bench of $$d: $$(grep -c '^PASS' build/iverilog-$$d.log) PASS lines"; \
	done
	$(CARGO) test --release --workspace
	scripts/out-of-tree.sh

## lint: Verilator -Wall, Icarus and Yosys on the synthesizable RTL; clippy; rustfmt
lint:
	@scripts/ensure-deps.sh lint
	verilator --lint-only -Wall -Idevices/display/rtl --top-module dirql_adapter $(DISPLAY_RTL)
	iverilog -g2012 -Idevices/display/rtl -o /dev/null -s dirql_adapter $(DISPLAY_RTL)
	yosys -q -p 'read_verilog -Idevices/display/rtl $(DISPLAY_RTL); synth -top dirql_adapter'
	verilator --lint-only -Wall -Idevices/nic/rtl --top-module dirql_nic $(NIC_RTL)
	iverilog -g2012 -Idevices/nic/rtl -o /dev/null -s dirql_nic $(NIC_RTL)
	yosys -q -p 'read_verilog -Idevices/nic/rtl $(NIC_RTL); synth -top dirql_nic'
	verilator --lint-only -Wall -Irtl/sim -Iexamples/out-of-tree/rtl/sim --top-module dirql_sim_top rtl/sim/*.v examples/out-of-tree/rtl/*.v
	@# The simulation wrapper around every device, as sim/build.rs builds it.
	@for d in $(DEVICES); do echo "verilator --lint-only (wrapper around $$d)"; \
	  verilator --lint-only -Wall -Irtl/sim -Idevices/$$d/rtl/sim -Idevices/$$d/rtl --top-module dirql_sim_top \
	    rtl/sim/*.v devices/$$d/rtl/*.v || exit 1; done
	@# The two-slot wrappers (a device's rtl/sim/dirql_partners), slot 1 filled in as sim/build.rs does.
	@# (Slot 1 includes its device's dirql_probes.vh by absolute path: slot 0's has the same name.)
	@mkdir -p build
	@for f in devices/*/rtl/sim/dirql_partners; do [ -f "$$f" ] || continue; d=$${f#devices/}; d=$${d%%/*}; \
	  for p in $$(sed 's/#.*//' $$f); do echo "verilator --lint-only (two-slot wrapper: $$d, then $$p)"; \
	    top=$$(sed -n 's/^`define DIRQL_DUT *//p' devices/$$p/rtl/sim/dirql_device.vh); \
	    sed "s|@TOP@|$$top|; s|@PROBES@|$(CURDIR)/devices/$$p/rtl/sim/dirql_probes.vh|; s|@NAME@|$${d}__$$p|" \
	      rtl/sim/dirql_slot1.vt > build/dirql_slot1-$$d-$$p.v; \
	    verilator --lint-only -Wall -Wno-INCABSPATH +define+DIRQL_SLOT1 -Irtl/sim -Idevices/$$d/rtl/sim -Idevices/$$d/rtl -Idevices/$$p/rtl \
	      --top-module dirql_sim_top rtl/sim/*.v devices/$$d/rtl/*.v devices/$$p/rtl/*.v build/dirql_slot1-$$d-$$p.v \
	      || exit 1; done; done
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings
	$(CARGO) fmt --all --check

## formal: prove the interrupt, timed-window and PCI target properties (docs/formal.md);
## TWIN=name runs one broken twin and fails naming the property and its counterexample VCD
formal:
	@scripts/ensure-deps.sh formal
	nice -n 10 scripts/formal.sh $(if $(TWIN),TWIN=$(TWIN))

## coverage: RTL (line, toggle) and functional coverage of mode-set over 200 seeds: coverage.dat, lcov, HTML
## in build/coverage/mode-set-reference (docs/coverage.md); builds the coverage models into target/coverage
## once; then the opt-in RTL coverage tests (shards merged equal the unsharded run)
coverage:
	@scripts/ensure-deps.sh coverage
	$(CARGO) build --release -p dirql-cli
	DIRQL_COVERAGE=1 $(CARGO) build --release -p dirql-cli --target-dir target/coverage
	target/coverage/release/dirql explore mode-set --seeds 200 --coverage
	$(CARGO) test --release -p dirql-cli --test coverage -- --include-ignored

## bench: every layer against Verilator's own speed, the display then the network adapter (its DMA rows); figures, results kept in docs/perf.md
bench:
	@scripts/ensure-deps.sh sim
	$(CARGO) build --release -p dirql-cli
	$(DIRQL) bench --build
	$(DIRQL) bench --device nic

## bench-big: write a multi-gigabyte VCD (CYCLES, default 24 M = 3.2 GB) and check it: speed, peak RSS
bench-big:
	@scripts/ensure-deps.sh sim
	$(CARGO) build --release -p dirql-cli
	scripts/check-big-vcd.sh $(CYCLES)

## mutants: cargo-mutants over the miniport and OS model, operators over the interrupt/PCI RTL;
## prints a mutation score for each and writes build/mutants/report.{md,json} (slow; docs/mutants.md)
mutants:
	scripts/mutants.sh

## bench-peers: dirql against cocotb (Icarus, Verilator) on the same RTL and workloads; ratios pair by pair
PEERS_VENV2  := build/peers-venv2
PEERS_VENV19 := build/peers-venv19
bench-peers:
	@scripts/ensure-deps.sh lint
	$(CARGO) build --release -p dirql-cli
	@test -x $(PEERS_VENV2)/bin/python || python3 -m venv $(PEERS_VENV2)
	@$(PEERS_VENV2)/bin/python -c 'import cocotb' 2>/dev/null || $(PEERS_VENV2)/bin/pip install -q 'cocotb>=2,<3'
	@test -x $(PEERS_VENV19)/bin/python || python3 -m venv $(PEERS_VENV19)
	@$(PEERS_VENV19)/bin/python -c 'import cocotb' 2>/dev/null || $(PEERS_VENV19)/bin/pip install -q 'cocotb==1.9.*'
	python3 peers/bench_peers.py $(REPS)

clean:
	$(CARGO) clean
	rm -rf build
