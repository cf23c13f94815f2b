// The clocking core, one instance per (model class, waveform writer): included by
// trace_vcd.cpp and trace_fst.cpp only, each with its own writer (see core.h). `Top` is
// the Verilated class (`Vdirql_sim_top`, or `Vdirql_sim_top_fst` when sim/build.rs builds
// a second model for FST); `Writer` owns the Verilator tracer and knows its failure modes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "dirql-sim/cpp/core.h"
#include "dirql-sim/src/ffi.rs.h"
#include "verilated.h"
#ifdef DIRQL_COVERAGE_CORE
#include "verilated_cov.h"
#endif

namespace dirql {

// A two-slot model (sim/build.rs, `DIRQL_SLOT1`) has slot 1's ports; a one-slot model
// reports slot 1 as empty (released, no probes) at no cost beyond the constant stores.
template <class T, class = void>
struct HasSlot1 : std::false_type {};
template <class T>
struct HasSlot1<T, std::void_t<decltype(std::declval<T&>().dev1_probe0_o)>> : std::true_type {};

// 33 MHz conventional PCI: a 30 ns clock, in the 1 ns time unit the model is built with.
#ifdef DIRQL_VCD_ROOT_HEADER
// One eval() per clock in an untraced run (issue 19, docs/perf.md (13)). The design has no
// negedge clk logic: Verilator 5.006's falling-edge eval() only records clk_i for the next
// rising edge's trigger (`__Vtrigrprev__TOP__clk_i`, its only other read of clk_i), ~96
// instructions of scheduler. An untraced run stores that itself; a traced one keeps the
// eval so the waveform shows the clock. Other Verilator versions name the field otherwise:
// the trait is false there and the falling edge is evaluated as before.
template <class T, class = void>
struct HasClkPrev : std::false_type {};
template <class T>
struct HasClkPrev<T, std::void_t<decltype(std::declval<T&>().rootp->__Vtrigrprev__TOP__clk_i)>> : std::true_type {};
#endif

static constexpr uint64_t kPeriod = 30;

template <class Top, class Writer>
class CoreImpl final : public Core {
 public:
  explicit CoreImpl(const std::string& path) : ctx_(new VerilatedContext) {
    const bool tracing = !path.empty();
    // Verilator requires traceEverOn before the model is built and trace() before open().
    if (tracing) ctx_->traceEverOn(true);
    top_.reset(new Top{ctx_.get(), "TOP"});
    if (tracing) {
      writer_.reset(new Writer);
      writer_->open(*top_, path);
    }
    top_->clk_i = 0;
    top_->rst_ni = 0;
    top_->eval();
    dump(0);
  }

  ~CoreImpl() override {
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

  Bus step(const Drive& d) override {
    apply(d);
    return clock();
  }

  uint64_t run_quiet(const Drive& d, const Bus& last, uint64_t max, Bus& out) override {
    uint64_t n = 0;
    apply(d);  // constant inputs: set once
    while (n < max) {
      out = clock();
      ++n;
      if (!(out == last)) break;
    }
    return n;
  }

  void run_bare(uint64_t cycles, bool reset) override {
    Top& t = *top_;
    t.rst_ni = reset ? 0 : 1;
    t.h_frame_ni = 1;
    t.h_irdy_ni = 1;
    t.h_trdy_ni = 1;
    t.h_devsel_ni = 1;
    t.h_stop_ni = 1;
    t.h_gnt_ni = 1;
    t.h_inta2_ni = 1;
    if constexpr (HasSlot1<Top>::value) t.h_gnt1_ni = 1;
    for (uint64_t i = 0; i < cycles; ++i) {
      ++cycle_;
      const uint64_t now = cycle_ * kPeriod;
      t.clk_i = 1;
      t.eval();
      dump(now);
      fall(t);
      dump(now + kPeriod / 2);
    }
  }

  uint8_t slots() const override { return HasSlot1<Top>::value ? 2 : 1; }

  Slot1Bus slot1() const override {
    Slot1Bus s;
    if constexpr (HasSlot1<Top>::value) {
      const Top& t = *top_;
      s.req1_n = t.req1_no;
      s.dev1_inta_n = t.dev1_inta_no;
      s.slot_ad_oe = t.slot_ad_oe_o;
      s.dev1_probe[0] = t.dev1_probe0_o;
      s.dev1_probe[1] = t.dev1_probe1_o;
      s.dev1_probe[2] = t.dev1_probe2_o;
      s.dev1_probe[3] = t.dev1_probe3_o;
      s.dev1_probe[4] = t.dev1_probe4_o;
      s.dev1_probe[5] = t.dev1_probe5_o;
      s.dev1_probe[6] = t.dev1_probe6_o;
      s.dev1_probe[7] = t.dev1_probe7_o;
    } else {
      s.req1_n = 1;
      s.dev1_inta_n = 1;
      s.slot_ad_oe = 0;
      for (auto& p : s.dev1_probe) p = 0;
    }
    return s;
  }

  void flush_trace() override {
    if (writer_) writer_->flush(cycle_);
  }

  void close_trace() override {
    if (!writer_) return;
    writer_->close(cycle_);
    // Kept after the close: the Rust side asks for the error once the run has ended.
    closed_error_ = writer_->error();
    writer_.reset();
  }

  uint64_t cycles() const override { return cycle_; }

  const std::string& trace_error() const override { return writer_ ? writer_->error() : closed_error_; }

#ifdef DIRQL_COVERAGE_CORE
  // A coverage model (sim/build.rs, DIRQL_COVERAGE=1): its counters live in its own
  // context, so each run's file holds that run alone.
  std::string write_coverage(const std::string& path) override {
    ctx_->coveragep()->write(path.c_str());
    return std::string();
  }
#endif

 private:
  // The falling clock edge (see HasClkPrev).
  inline void fall(Top& t) {
    t.clk_i = 0;
#ifdef DIRQL_VCD_ROOT_HEADER
    if constexpr (HasClkPrev<Top>::value) {
      if (!writer_) {
        t.rootp->__Vtrigrprev__TOP__clk_i = 0;
        return;
      }
    }
#endif
    t.eval();
  }

  // An untraced run tests one null pointer per dump.
  inline void dump(uint64_t t) {
    if (writer_) writer_->dump(t, cycle_);
  }

  void apply(const Drive& d) {
    Top& t = *top_;
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
    t.h_exclusive_i = d.exclusive;
    if constexpr (HasSlot1<Top>::value) {
      t.h_idsel1_i = d.idsel1;
      t.h_gnt1_ni = d.gnt1_n;
      t.h_isr_ret1_i = d.isr_ret1;
      t.h_lock_owner1_i = d.lock_owner1;
      t.h_cpu_slot_i = d.cpu_slot;
    }
    t.h_cpu0_ram_read_i = d.cpu0_ram_read;
    t.h_cpu1_ram_read_i = d.cpu1_ram_read;
    t.h_dma_landed_i = d.dma_landed;
  }

  Bus clock() {
    Top& t = *top_;
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
    fall(t);
    dump(now + kPeriod / 2);
    return b;
  }

  // Declared in this order so they are destroyed writer first, context last.
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Top> top_;
  std::unique_ptr<Writer> writer_;
  std::string closed_error_;
  uint64_t cycle_ = 0;
};

}  // namespace dirql
