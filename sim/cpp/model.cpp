#include "dirql-sim/cpp/model.h"

#include <cstdio>
#include <stdexcept>
#include <string>

#include "Vdirql_sim_top.h"
#include "dirql-sim/src/ffi.rs.h"
#include "verilated.h"
#include "verilated_fst_c.h"
#include "verilated_vcd_c.h"

namespace dirql {

// 33 MHz conventional PCI: a 30 ns clock, in the 1 ns time unit the model is built with.
static constexpr uint64_t kPeriod = 30;

// An FST file is a sequence of compressed blocks; its reader holds one block in memory. The
// writer ends a block every this many cycles (a power of two), so that memory stays flat
// for runs of any length whoever drives the model (dirql run also flushes every 65 536).
static constexpr uint64_t kFstBlockCycles = 1 << 16;

// fstapi writes the wall-clock time into the header's date field (fstapi.c,
// FST_HDR_OFFS_DATE = 202, FST_HDR_DATE_SIZE = 119), which would make two runs of one seed
// differ; Verilator's VCD writer omits the date for the same reason. The field is
// overwritten with this text when the file is closed.
static constexpr long kFstDateOffset = 202;
static constexpr size_t kFstDateSize = 119;
static constexpr char kFstDate[] = "(omitted by dirql: a seed's waveform is byte-identical)";
static_assert(sizeof(kFstDate) <= kFstDateSize, "the date field holds 119 bytes");

Model::Model(rust::Str path, bool fst) : ctx_(new VerilatedContext) {
  const bool tracing = path.size() != 0;
  // Verilator requires traceEverOn before the model is built and trace() before open().
  if (tracing) ctx_->traceEverOn(true);
  top_.reset(new Vdirql_sim_top{ctx_.get(), "TOP"});
  if (tracing) {
    const std::string p(path.data(), path.size());
    if (fst) {
      fst_.reset(new VerilatedFstC);
      top_->trace(fst_.get(), 99);
      fst_->open(p.c_str());
      if (!fst_->isOpen()) throw std::runtime_error("cannot open FST file for writing: " + p);
      fst_path_ = p;
    } else {
      vcd_.reset(new VerilatedVcdC);
      top_->trace(vcd_.get(), 99);
      vcd_->open(p.c_str());
      if (!vcd_->isOpen()) throw std::runtime_error("cannot open VCD file for writing: " + p);
    }
  }
  top_->clk_i = 0;
  top_->rst_ni = 0;
  top_->eval();
  dump(0);
}

Model::~Model() {
  close_trace();
  // Verilator 5.006 erases a model's scopes through the thread's current context
  // (VerilatedScope::~VerilatedScope calls Verilated::threadContextp()), which is the
  // context last constructed in this thread: with two models in one thread, the other
  // one's, possibly destroyed already (a hang on its freed mutex). Make it ours while the
  // model is torn down, and let go of it before the context itself goes.
  Verilated::threadContextp(ctx_.get());
  if (top_) top_->final();
  top_.reset();
  Verilated::threadContextp(nullptr);
}

// A VCD run takes the first branch, as it did before FST existed; an untraced run tests
// two null pointers.
inline void Model::dump(uint64_t t) {
  if (vcd_) {
    vcd_->dump(t);
  } else if (fst_) {
    dump_fst(t);
  }
}

void Model::dump_fst(uint64_t t) {
  fst_->dump(t);
  // Both dumps of the cycle ask; the writer ends the block once, at its next time change.
  if ((cycle_ & (kFstBlockCycles - 1)) == 0) fst_->flush();
}

Bus Model::step(const Drive& d) {
  apply(d);
  return clock();
}

void Model::apply(const Drive& d) {
  Vdirql_sim_top& t = *top_;
  t.rst_ni = d.rst_n;
  t.h_frame_ni = d.frame_n;
  t.h_irdy_ni = d.irdy_n;
  t.h_cbe_ni = d.cbe_n;
  t.h_ad_i = d.ad;
  t.h_ad_oe_i = d.ad_oe;
  t.h_par_i = d.par;
  t.h_par_oe_i = d.par_oe;
  t.h_idsel_i = d.idsel;
  t.h_trdy_ni = d.trdy_n;
  t.h_devsel_ni = d.devsel_n;
  t.h_stop_ni = d.stop_n;
  t.h_gnt_ni = d.gnt_n;
  t.h_inta2_ni = d.inta2_n;
  t.h_fault_i = d.fault;
  t.h_cpu0_irql_i = d.cpu0_irql;
  t.h_cpu1_irql_i = d.cpu1_irql;
  t.h_cpu0_routine_i = d.cpu0_routine;
  t.h_cpu1_routine_i = d.cpu1_routine;
  t.h_cpu0_op_i = d.cpu0_op;
  t.h_cpu1_op_i = d.cpu1_op;
  t.h_isr_ret_i = d.isr_ret;
  t.h_lock_owner_i = d.lock_owner;
  t.h_pic_i = d.pic;
  t.h_bus_cpu_i = d.bus_cpu;
  t.h_bus_issuer_i = d.bus_issuer;
  t.h_posted_i = d.posted;
  t.h_cpu0_note_i = d.cpu0_note;
  t.h_cpu1_note_i = d.cpu1_note;
  t.h_msi_i = d.msi;
}

Bus Model::clock() {
  Vdirql_sim_top& t = *top_;
  ++cycle_;
  const uint64_t now = cycle_ * kPeriod;
  t.clk_i = 1;
  t.eval();
  dump(now);

  Bus b;
  b.frame_n = t.frame_no;
  b.irdy_n = t.irdy_no;
  b.trdy_n = t.trdy_no;
  b.devsel_n = t.devsel_no;
  b.stop_n = t.stop_no;
  b.cbe_n = t.cbe_no;
  b.ad = t.ad_o;
  b.par = t.par_o;
  b.ad_drivers = t.ad_drivers_o;
  b.req_n = t.req_no;
  b.perr_n = t.perr_no;
  b.serr_n = t.serr_no;
  b.inta_n = t.inta_no;
  b.dev_inta_n = t.dev_inta_no;
  b.dev_probe[0] = t.dev_probe0_o;
  b.dev_probe[1] = t.dev_probe1_o;
  b.dev_probe[2] = t.dev_probe2_o;
  b.dev_probe[3] = t.dev_probe3_o;
  b.dev_probe[4] = t.dev_probe4_o;
  b.dev_probe[5] = t.dev_probe5_o;
  b.dev_probe[6] = t.dev_probe6_o;
  b.dev_probe[7] = t.dev_probe7_o;

  t.clk_i = 0;
  t.eval();
  dump(now + kPeriod / 2);
  return b;
}

uint64_t Model::run_quiet(const Drive& d, const Bus& last, uint64_t max, Bus& out) {
  uint64_t n = 0;
  apply(d);  // constant inputs: set once
  while (n < max) {
    out = clock();
    ++n;
    if (!(out == last)) break;
  }
  return n;
}

void Model::run_bare(uint64_t cycles, bool reset) {
  Vdirql_sim_top& t = *top_;
  t.rst_ni = reset ? 0 : 1;
  t.h_frame_ni = 1;
  t.h_irdy_ni = 1;
  t.h_trdy_ni = 1;
  t.h_devsel_ni = 1;
  t.h_stop_ni = 1;
  t.h_gnt_ni = 1;
  t.h_inta2_ni = 1;
  for (uint64_t i = 0; i < cycles; ++i) {
    ++cycle_;
    const uint64_t now = cycle_ * kPeriod;
    t.clk_i = 1;
    t.eval();
    dump(now);
    t.clk_i = 0;
    t.eval();
    dump(now + kPeriod / 2);
  }
}

void Model::flush_trace() {
  if (vcd_) vcd_->flush();
  // Ends the current block: readers need the whole file, closed (see docs/waveform.md).
  if (fst_) fst_->flush();
}

void Model::close_trace() {
  if (vcd_) {
    vcd_->close();
    vcd_.reset();
  }
  if (fst_) {
    fst_->close();
    fst_.reset();
    // The header is block 0 at offset 0 (type byte FST_BL_HDR = 0): only then patch it.
    if (FILE* f = std::fopen(fst_path_.c_str(), "r+b")) {
      char date[kFstDateSize] = {};
      std::snprintf(date, sizeof date, "%s", kFstDate);
      if (std::fgetc(f) == 0 && std::fseek(f, kFstDateOffset, SEEK_SET) == 0) {
        std::fwrite(date, 1, sizeof date, f);
      }
      std::fclose(f);
    }
  }
}

std::unique_ptr<Model> new_model(rust::Str path, bool fst) { return std::make_unique<Model>(path, fst); }

}  // namespace dirql
