// The FST writer. Includes verilated_fst_c.h and nothing of VCD (see core.h).
//
// Compiled once per device model (sim/build.rs). DIRQL_FST_TOP / DIRQL_FST_TOP_HEADER name
// the class that traces to FST: the one model (V<device>, with the FST trace functions
// spliced in) or the second model that sim/build.rs builds for FST where the splice does
// not apply (V<device>_fst); DIRQL_MAKE_FST is its factory.

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include DIRQL_FST_TOP_HEADER
#include "dirql-sim/cpp/core_impl.h"
#include "verilated_config.h"
#include "verilated_fst_c.h"

namespace dirql {
namespace {

// An FST file is a sequence of compressed blocks; its reader holds one block in memory. The
// writer ends a block every this many cycles (a power of two), so that memory stays flat
// for runs of any length whoever drives the model. This is the only place a block ends
// (Model::flush_trace does not ask): a flush from dirql run would add blocks on 5.050 only.
static constexpr uint64_t kFstBlockCycles = 1 << 16;
// 5.006's fstapi takes a flush request as "end the block at the next time change" and
// both dumps of the cycle ask (the block ends before the falling edge; kept so its files
// stay byte-identical with earlier dirql). 5.050's own writer (include/fstcpp, new in
// 5.050) ends the block at once on every request: only the falling edge asks there, so
// there is one block per boundary and it ends with a whole cycle.
#if VERILATOR_VERSION_INTEGER >= 5050000
static constexpr bool kFlushAtBothEdges = false;
#else
static constexpr bool kFlushAtBothEdges = true;
#endif

// fstapi (Verilator before 5.050) keeps the hierarchy in `<path>.hier` while writing and
// appends it, with the geometry, on close; 5.050's writer keeps both in memory until close.
#if VERILATOR_VERSION_INTEGER >= 5050000
static constexpr bool kKeepsHierFile = false;
#else
static constexpr bool kKeepsHierFile = true;
#endif

// fstapi writes the wall-clock time into the header's date field (fstapi.c,
// FST_HDR_OFFS_DATE = 202, FST_HDR_DATE_SIZE = 119), which would make two runs of one seed
// differ; Verilator's VCD writer omits the date for the same reason. The field is
// overwritten with this text when the file is closed.
static constexpr long kFstDateOffset = 202;
static constexpr size_t kFstDateSize = 119;
static constexpr char kFstDate[] = "(omitted by dirql: a seed's waveform is byte-identical)";
static_assert(sizeof(kFstDate) <= kFstDateSize, "the date field holds 119 bytes");

// Neither FST writer reports a failed write (fstapi ignores fwrite's result), so a closed
// file is checked instead: a chain of blocks (type byte, 8-byte big-endian length that
// counts itself) from offset 0 to exactly the end of the file, with the header (type 0),
// the geometry (3) and a hierarchy (4, 6 or 7) among them. Empty when it is whole.
std::string fst_chain_problem(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::string("cannot read it back: ") + std::strerror(errno);
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  long pos = 0;
  bool header = false, geometry = false, hierarchy = false;
  std::string problem;
  while (pos < size) {
    unsigned char h[9];
    if (std::fseek(f, pos, SEEK_SET) != 0 || std::fread(h, 1, 9, f) != 9) {
      problem = "it ends inside the block header at byte " + std::to_string(pos);
      break;
    }
    uint64_t len = 0;
    for (int i = 1; i < 9; ++i) len = len << 8 | h[i];
    if (len < 8 || len > static_cast<uint64_t>(size - pos - 1)) {
      problem = "the block at byte " + std::to_string(pos) + " claims " + std::to_string(len) +
                " bytes but the file ends " + std::to_string(size - pos - 1) + " bytes later";
      break;
    }
    header |= pos == 0 && h[0] == 0;
    geometry |= h[0] == 3;
    hierarchy |= h[0] == 4 || h[0] == 6 || h[0] == 7;
    pos += 1 + static_cast<long>(len);
  }
  std::fclose(f);
  if (problem.empty() && !(header && geometry && hierarchy)) {
    problem = std::string("it lacks its") + (header ? "" : " header") + (geometry ? "" : " geometry") +
              (hierarchy ? "" : " hierarchy") + " block";
  }
  return problem;
}

// The end of the last whole block of the file at `path` (a chain from offset 0, as in
// fst_chain_problem), and the end time of the last whole value-change block in it (types
// 1, 5, 8: type byte, length, start time, end time). 0 when not even the header is whole.
struct WholePrefix {
  long bytes = 0;
  uint64_t end_time = 0;
  uint64_t blocks = 0;
};
WholePrefix fst_whole_prefix(const std::string& path) {
  WholePrefix w;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return w;
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  long pos = 0;
  while (pos < size) {
    unsigned char h[25] = {};
    if (std::fseek(f, pos, SEEK_SET) != 0 || std::fread(h, 1, 9, f) != 9) break;
    uint64_t len = 0;
    for (int i = 1; i < 9; ++i) len = len << 8 | h[i];
    // fstapi marks the block in progress with type 255 (FST_BL_SKIP) and length 0.
    if (len < 8 || h[0] == 255 || len > static_cast<uint64_t>(size - pos - 1)) break;
    if (h[0] == 1 || h[0] == 5 || h[0] == 8) {
      if (len < 24 || std::fread(h + 9, 1, 16, f) != 16) break;
      uint64_t end = 0;
      for (int i = 17; i < 25; ++i) end = end << 8 | h[i];
      w.end_time = end;
      ++w.blocks;
    }
    pos += 1 + static_cast<long>(len);
    w.bytes = pos;
  }
  std::fclose(f);
  return w;
}

class FstWriter {
 public:
  template <class Top>
  void open(Top& top, const std::string& path) {
    // Both writers seek back into the file and fstapi adds `<path>.hier` beside it: a
    // device such as /dev/full cannot hold an FST (and must not get a side file in /dev).
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      throw std::runtime_error("cannot write FST file " + path +
                               ": it is not a regular file (an FST is written with seeks); choose a file path");
    }
    top.trace(&fst_, 99);
    fst_.open(path.c_str());
    if (!fst_.isOpen()) throw std::runtime_error("cannot open FST file for writing: " + path);
    path_ = path;
    struct stat now {};
    if (::stat(path.c_str(), &now) == 0) inode_ = now.st_ino;
  }

  inline void dump(uint64_t t, uint64_t cycle) {
    fst_.dump(t);
    if ((cycle & (kFstBlockCycles - 1)) == 0 && (kFlushAtBothEdges || t % kPeriod != 0)) fst_.flush();
  }

  // Every 65 536 cycles (dirql run's chunks). Neither writer reports a failed write, so a
  // full file system is noticed here, and the run stops at once (docs/robustness.md).
  void flush(uint64_t cycle) {
    check_present();
    if (error_.empty() && saw_full_) stop_full(cycle);
  }

  void close(uint64_t cycle) {
    check_present();
    if (error_.empty() && saw_full_) stop_full(cycle);
    if (full_) {
      close_full();
      return;
    }
    fst_.close();
    if (!error_.empty()) return;
    // The header is block 0 at offset 0 (type byte FST_BL_HDR = 0): only then patch it.
    if (FILE* f = std::fopen(path_.c_str(), "r+b")) {
      char date[kFstDateSize] = {};
      std::snprintf(date, sizeof date, "%s", kFstDate);
      if (std::fgetc(f) == 0 && std::fseek(f, kFstDateOffset, SEEK_SET) == 0) {
        std::fwrite(date, 1, sizeof date, f);
      }
      std::fclose(f);
    }
    const std::string problem = fst_chain_problem(path_);
    if (problem.empty()) return;
    const bool full = saw_full_ || folder_full();
    error_ = "cannot write waveform file " + path_ + ": " +
             (full ? std::string("No space left on device (its file system is full)")
                   : std::string("a write failed (a quota, or an I/O error)")) +
             "; the closed file is not a valid FST: " + problem;
  }

  const std::string& error() const { return error_; }

 private:
  void stop_full(uint64_t cycle) {
    full_ = true;
    full_at_ = cycle;
    error_ = "cannot write waveform file " + path_ + ": No space left on device (its file system is full)";
  }

  // The file system filled up while writing (seen at cycle full_at_). With fstapi the file
  // is made what a killed run leaves, which `dirql check` reads: its whole blocks, cut
  // where the first failed write left the block it was in, and the hierarchy side file
  // beside it. fstapi's close appends what fits of the rest (nothing) and deletes
  // `<path>.hier`, so a second name keeps that file across the close. 5.050's writer
  // keeps no side file: nothing of such a file can be read, and the message says so.
  void close_full() {
    const std::string hier = path_ + ".hier";
    const std::string keep = hier + ".dirql-keep";
    const bool kept = kKeepsHierFile && ::link(hier.c_str(), keep.c_str()) == 0;
    fst_.close();
    error_ += " at cycle " + std::to_string(full_at_) + ", where the run stopped; ";
    if (!kKeepsHierFile) {
      error_ +=
          "the FST writer of Verilator 5.050 and later (" VERILATOR_VERSION ") writes the file's header, geometry "
          "and hierarchy only when it closes it, which needed the space the disk lacked, so nothing of it can be read "
          "(write VCD where the disk may fill: a full disk leaves a VCD valid up to its last whole cycle)";
      return;
    }
    const WholePrefix w = fst_whole_prefix(path_);
    const bool cut = w.bytes > 0 && ::truncate(path_.c_str(), w.bytes) == 0;
    const bool restored = kept && ::rename(keep.c_str(), hier.c_str()) == 0;
    if (kept && !restored) ::unlink(keep.c_str());
    if (!cut || !restored || w.blocks == 0) {
      error_ += "nothing of it can be read (" +
                std::string(!restored ? "its hierarchy file " + hier + " could not be kept"
                            : w.blocks == 0 ? "no block of value changes was finished"
                                            : "it could not be cut back to its last whole block") +
                ")";
      return;
    }
    error_ += "cut back to " + std::to_string(w.bytes) + " bytes, its " + std::to_string(w.blocks) +
              " whole block(s) of value changes, up to cycle " + std::to_string(w.end_time / kPeriod) +
              ", with the hierarchy in " + hier + " beside it: `dirql check " + path_ +
              "` reads it so, as the FST of a killed run";
  }

  // The writer's side files are deleted on close, which frees space again: whether the
  // file system was full is sampled at every flush too, to name the cause.
  bool folder_full() const {
    struct statvfs fs {};
    const std::string folder = path_.find('/') == std::string::npos ? "." : path_.substr(0, path_.rfind('/') + 1);
    return ::statvfs(folder.c_str(), &fs) == 0 && fs.f_bavail == 0;
  }

  // A file removed (or replaced) under the run: the writer goes on into the removed inode.
  void check_present() {
    if (!error_.empty()) return;
    saw_full_ = saw_full_ || folder_full();
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0 || st.st_ino != inode_) {
      error_ = "cannot write waveform file " + path_ + ": the file was removed while the run was writing it";
    }
  }

  VerilatedFstC fst_;
  std::string path_;
  ino_t inode_ = 0;
  bool saw_full_ = false;
  bool full_ = false;
  uint64_t full_at_ = 0;
  std::string error_;
};

}  // namespace

std::unique_ptr<Core> DIRQL_MAKE_FST(const std::string& path) {
  return std::make_unique<CoreImpl<DIRQL_FST_TOP, FstWriter>>(path);
}

}  // namespace dirql
