// The clocking core behind `dirql::Model`, one implementation per waveform writer. Each
// writer lives in a translation unit of its own (trace_vcd.cpp, trace_fst.cpp): Verilator
// 5.050's verilated_vcd_c.h and verilated_fst_c.h define the same VL_TRACE_DECL_* macros
// differently, so no unit may include both, and with two models (sim/build.rs) each
// writer also has a class of its own to trace.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace dirql {

struct Drive;  // defined by the bridge (sim/src/ffi.rs)
struct Bus;
struct Slot1Bus;

class Core {
 public:
  virtual ~Core() = default;
  virtual Bus step(const Drive& d) = 0;
  virtual uint64_t run_quiet(const Drive& d, const Bus& last, uint64_t max, Bus& out) = 0;
  virtual void run_bare(uint64_t cycles, bool reset) = 0;
  // 2 for a two-slot model (sim/build.rs, DIRQL_SLOT1), else 1; slot 1's outputs now.
  virtual uint8_t slots() const = 0;
  virtual Slot1Bus slot1() const = 0;
  // Both record a write failure in `trace_error()`; the run then stops (the Rust side
  // checks after each flush) instead of going on with a waveform it cannot write.
  virtual void flush_trace() = 0;
  virtual void close_trace() = 0;
  virtual uint64_t cycles() const = 0;
  // Empty while the waveform is fine; else what went wrong, naming the file and the cause.
  virtual const std::string& trace_error() const = 0;
  // Writes the coverage counters (`coverage.dat`) to `path`: empty, or why not. Only the
  // coverage models (sim/build.rs, DIRQL_COVERAGE=1) have counters.
  virtual std::string write_coverage(const std::string& path) {
    return "this model has no coverage counters (" + path + " not written)";
  }
};

// The core of the device model called `model` (one per device folder, sim/build.rs; the
// dispatch is generated), tracing to `path` (empty: no waveform), FST when `fst`. Throws
// std::runtime_error when the file cannot be opened or no such model was built.
std::unique_ptr<Core> make_core(const std::string& model, const std::string& path, bool fst);

}  // namespace dirql
