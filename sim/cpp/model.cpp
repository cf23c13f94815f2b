#include "dirql-sim/cpp/model.h"

#include "dirql-sim/src/ffi.rs.h"

namespace dirql {

Model::Model(rust::Str path, bool fst) {
  const std::string p(path.data(), path.size());
  core_ = fst ? make_fst_core(p) : make_vcd_core(p);
}

// One virtual call per clock (or per quiet stretch): the loops themselves are in the
// writer's own unit, where the tracer's type is known and its dump is inlined.
Bus Model::step(const Drive& d) { return core_->step(d); }
uint64_t Model::run_quiet(const Drive& d, const Bus& last, uint64_t max, Bus& out) {
  return core_->run_quiet(d, last, max, out);
}
void Model::run_bare(uint64_t cycles, bool reset) { core_->run_bare(cycles, reset); }
void Model::flush_trace() { core_->flush_trace(); }
void Model::close_trace() { core_->close_trace(); }
uint64_t Model::cycles() const { return core_->cycles(); }
rust::String Model::trace_error() const { return rust::String(core_->trace_error()); }

std::unique_ptr<Model> new_model(rust::Str path, bool fst) { return std::make_unique<Model>(path, fst); }

}  // namespace dirql
