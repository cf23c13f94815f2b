// The C++ side of the cxx bridge: owns the clocking core of the Verilated wrapper
// `dirql_sim_top` (one model per device) and its waveform writer (Verilator's VCD or FST tracer), and clocks it
// one PCI cycle per `step()`.  Kept small on purpose: every decision lives in Rust; C++
// only moves pins and dumps the trace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dirql-sim/cpp/core.h"
#include "rust/cxx.h"

namespace dirql {

class Model {
 public:
  // The device model called `model`; traces to `path` when it is not empty: FST when
  // `fst`, else VCD.
  Model(rust::Str model, rust::Str path, bool fst);

  // One PCI clock: apply `d`, rising edge (dump at k*period), read the wired bus,
  // falling edge (dump at k*period + period/2).
  Bus step(const Drive& d);
  // Up to `max` clocks with constant inputs `d`, stopping after the first clock whose wired
  // bus differs from `last`. Returns how many clocks ran; `out` is the bus of the last one.
  uint64_t run_quiet(const Drive& d, const Bus& last, uint64_t max, Bus& out);
  // `cycles` clocks with constant inputs and no Rust in the loop: the "bare" benchmark.
  void run_bare(uint64_t cycles, bool reset);
  uint8_t slots() const;
  Slot1Bus slot1() const;
  void flush_trace();
  void close_trace();
  uint64_t cycles() const;
  // Empty, or why the waveform could not be written (naming the file and the cause).
  rust::String trace_error() const;
  // Writes the model's coverage counters to `path`: empty, or why not.
  rust::String write_coverage(rust::Str path);

 private:
  std::unique_ptr<Core> core_;
};

std::unique_ptr<Model> new_model(rust::Str model, rust::Str path, bool fst);
// The device models this build holds, comma-separated.
rust::String model_names();

}  // namespace dirql
