// The C++ side of the cxx bridge: owns the Verilated wrapper `dirql_sim_top` and its
// waveform writer (Verilator's VCD or FST tracer), and clocks it one PCI cycle per
// `step()`.  Kept small on purpose: every decision lives in Rust; C++ only moves pins and
// dumps the trace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rust/cxx.h"

class VerilatedContext;
class VerilatedVcdC;
class VerilatedFstC;
class Vdirql_sim_top;

namespace dirql {

struct Drive;  // defined by the bridge (sim/src/ffi.rs)
struct Bus;

class Model {
 public:
  // Traces to `path` when it is not empty: FST when `fst`, else VCD.
  Model(rust::Str path, bool fst);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // One PCI clock: apply `d`, rising edge (dump at k*period), read the wired bus,
  // falling edge (dump at k*period + period/2).
  Bus step(const Drive& d);
  // Up to `max` clocks with constant inputs `d`, stopping after the first clock whose wired
  // bus differs from `last`. Returns how many clocks ran; `out` is the bus of the last one.
  uint64_t run_quiet(const Drive& d, const Bus& last, uint64_t max, Bus& out);
  // `cycles` clocks with constant inputs and no Rust in the loop: the "bare" benchmark.
  void run_bare(uint64_t cycles, bool reset);
  void flush_trace();
  void close_trace();
  uint64_t cycles() const { return cycle_; }

 private:
  void apply(const Drive& d);  // set the inputs
  Bus clock();                 // one clock with the inputs as they are
  void dump(uint64_t t);      // the trace at time `t`, whichever writer is open
  void dump_fst(uint64_t t);  // the FST writer's part of it

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vdirql_sim_top> top_;
  std::unique_ptr<VerilatedVcdC> vcd_;
  std::unique_ptr<VerilatedFstC> fst_;
  std::string fst_path_;
  uint64_t cycle_ = 0;
};

std::unique_ptr<Model> new_model(rust::Str path, bool fst);

}  // namespace dirql
