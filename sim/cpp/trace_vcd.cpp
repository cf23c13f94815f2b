// The VCD writer, and the core for untraced runs (which never open it). Includes
// verilated_vcd_c.h and nothing of FST (see core.h).
//
// Compiled once per device model (sim/build.rs): DIRQL_VCD_TOP / DIRQL_VCD_TOP_HEADER name
// the model's class and DIRQL_MAKE_VCD its factory.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include DIRQL_VCD_TOP_HEADER
#ifdef DIRQL_VCD_ROOT_HEADER
#include DIRQL_VCD_ROOT_HEADER  // the one-eval clock of untraced runs (core_impl.h)
#endif
#include "dirql-sim/cpp/core_impl.h"
#include "verilated_vcd_c.h"

namespace dirql {
namespace {

// Verilator's own VerilatedVcdFile calls VL_FATAL_MT when write() fails (disk full,
// /dev/full, a quota), from inside the writer's flush with the writer's lock held; its
// fatal path flushes the writer again and deadlocks on that lock (Verilator 5.006), and the
// run then ignores SIGTERM. This file takes the write error instead: it keeps the errno,
// tells Verilator that every byte was written (so Verilator never sees an error) and
// drops all later output; the core reports the error at the next flush and the run ends.
// VerilatedVcdFile is Verilator's documented hook for this (verilated_vcd_c.h, every 5.x).
class GuardedVcdFile final : public VerilatedVcdFile {
 public:
  bool open(const std::string& name) override {
    // The flags of Verilator's own open (verilated_vcd_c.cpp), but read-write: after a
    // failed write the file is read back to find its last whole cycle.
    fd_ = ::open(name.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_LARGEFILE | O_NONBLOCK | O_CLOEXEC, 0666);
    return fd_ >= 0;
  }

  void close() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  ssize_t write(const char* bufp, ssize_t len) override {
    ssize_t done = 0;
    while (errno_ == 0 && done < len) {
      const ssize_t got = ::write(fd_, bufp + done, len - done);
      if (got > 0) {
        done += got;
        written_ += got;
      } else if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
        continue;
      } else {
        // write() returns 0 for a regular file only when no byte fits: a full disk.
        errno_ = got < 0 ? errno : ENOSPC;
      }
    }
    return len;
  }

  // After a flush: the error of a failed write, or of a file that is no longer in any
  // folder (removed under the run: writes to it succeed, and the waveform is lost). Empty
  // when all is well. On the first error the file is cut back to its last whole cycle.
  const std::string& check(const std::string& path) {
    if (!error_.empty() || fd_ < 0) return error_;
    struct stat st {};
    const bool have_stat = ::fstat(fd_, &st) == 0;
    if (errno_ == 0 && have_stat && S_ISREG(st.st_mode) && st.st_nlink == 0) {
      errno_ = ENOENT;
      error_ = "cannot write waveform file " + path +
               ": the file was removed while the run was writing it; nothing of it is left";
      return error_;
    }
    if (errno_ == 0) return error_;
    error_ = "cannot write waveform file " + path + ": " + std::strerror(errno_) + " (after " +
             std::to_string(written_) + " bytes); ";
    if (have_stat && S_ISREG(st.st_mode)) {
      error_ += cut_to_last_whole_cycle();
    } else {
      error_ += "it is not a regular file, so nothing was kept";
    }
    return error_;
  }

 private:
  // Truncates the file to the start of the last `#<k * period>` line written whole: all
  // before it is every value of cycles up to k - 1, both edges (the core dumps at
  // k * period and k * period + period / 2). Returns what was kept, for the message.
  std::string cut_to_last_whole_cycle() {
    uint64_t end = written_;
    std::vector<char> buf;
    while (end > 0) {
      const uint64_t begin = end > (1u << 20) ? end - (1u << 20) : 0;
      buf.resize(end - begin);
      if (::pread(fd_, buf.data(), buf.size(), static_cast<off_t>(begin)) != static_cast<ssize_t>(buf.size())) break;
      // Backwards over line starts "#digits\n" (a '#' at offset 0 or after '\n').
      for (size_t i = buf.size(); i-- > 0;) {
        if (buf[i] != '#' || (i > 0 && buf[i - 1] != '\n') || (i == 0 && begin > 0)) continue;
        size_t j = i + 1;
        uint64_t t = 0;
        while (j < buf.size() && buf[j] >= '0' && buf[j] <= '9') t = t * 10 + (buf[j++] - '0');
        if (j == i + 1 || j >= buf.size() || buf[j] != '\n' || t % kPeriod != 0) continue;
        const uint64_t cut = begin + i;
        if (::ftruncate(fd_, static_cast<off_t>(cut)) != 0) {
          return std::string("cutting it back to its last whole cycle failed: ") + std::strerror(errno);
        }
        if (t == 0) return "cut back to its header: no cycle was written whole";
        return "cut back to " + std::to_string(cut) + " bytes, valid up to cycle " + std::to_string(t / kPeriod - 1) +
               ", the last whole cycle written";
      }
      // A timestamp line may straddle the window: the next one overlaps by a line.
      end = begin == 0 ? 0 : begin + 64;
      if (begin == 0) break;
    }
    if (::ftruncate(fd_, 0) == 0) return "no cycle was written whole; the file was emptied";
    return "no cycle was written whole";
  }

  int fd_ = -1;
  int errno_ = 0;
  uint64_t written_ = 0;
  std::string error_;
};

class VcdWriter {
 public:
  template <class Top>
  void open(Top& top, const std::string& path) {
    top.trace(&vcd_, 99);
    vcd_.open(path.c_str());
    if (!vcd_.isOpen()) throw std::runtime_error("cannot open VCD file for writing: " + path);
    path_ = path;
  }
  inline void dump(uint64_t t, uint64_t /*cycle*/) { vcd_.dump(t); }
  void flush(uint64_t /*cycle*/) {
    if (!file_.check(path_).empty()) return;  // nothing more to write
    vcd_.flush();
    file_.check(path_);
  }
  void close(uint64_t /*cycle*/) {
    // The file is checked before Verilator closes it (the cut needs it open): flush first.
    if (file_.check(path_).empty()) {
      vcd_.flush();
      file_.check(path_);
    }
    vcd_.close();
  }
  const std::string& error() { return file_.check(path_); }

 private:
  // Declared before the writer, which writes into it until it is destroyed.
  GuardedVcdFile file_;
  VerilatedVcdC vcd_{&file_};
  std::string path_;
};

}  // namespace

std::unique_ptr<Core> DIRQL_MAKE_VCD(const std::string& path) {
  return std::make_unique<CoreImpl<DIRQL_VCD_TOP, VcdWriter>>(path);
}

}  // namespace dirql
