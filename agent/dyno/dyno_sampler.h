#pragma once
// DynoSampler: one reading of the dyno's memory, CPU and processes from its cgroup.
// Input: a CgroupLayout (which files), a monotonic time per sample. Output: a DynoSnapshot.
// Each file is read at most once per sample, through a file kept open (PseudoFile) and one
// 64 KiB buffer allocated at construction. A file that is missing, unreadable, too large or
// malformed is logged once (`at=warn stage=dyno msg="dyno metric off" file=... reason=...`) and
// not read again; the figures it feeds are then absent, never guessed from the host.
// CPU percentages are rates between two samples: absent on the first.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "dyno/bounded_reader.h"
#include "dyno/cgroup_layout.h"
#include "dyno/figures.h"
#include "dyno/process_table.h"

namespace dynostatsd::dyno {

class DynoSampler {
 public:
  static constexpr std::size_t kBufferBytes = 64 * 1024;

  explicit DynoSampler(CgroupLayout layout);

  void sample(std::uint64_t monotonicNanos, DynoSnapshot& out);

  // Where a figure comes from ("/sys/fs/cgroup/memory.current - memory.stat inactive_file"), or
  // "unavailable: ..." when this layout has no source for it.
  const std::string& source(Figure figure) const { return sources_[static_cast<std::size_t>(figure)]; }
  std::string processSource() const { return processes_.source(); }
  const CgroupLayout& layout() const { return layout_; }
  const BoundedReader& reader() const { return reader_; }

 private:
  struct Slot {
    PseudoFile file;
    bool off = false;  // missing or malformed: logged once, not read again
  };
  struct CpuCounters {
    std::uint64_t at = 0;  // monotonic ns
    std::optional<double> userNanos, systemNanos, periods, throttled;
  };

  // The file's text, or nullopt when it is not in this layout or is off.
  std::optional<std::string_view> read(CgroupFile file);
  void turnOff(CgroupFile file, std::string_view reason);
  // keyedValue() over a file already read: Absent -> nullopt; Malformed turns the file off.
  std::optional<double> key(CgroupFile file, std::string_view text, std::string_view name);
  std::optional<double> count(CgroupFile file);

  void sampleMemory(DynoSnapshot& out);
  void sampleCpu(std::uint64_t monotonicNanos, DynoSnapshot& out);
  void buildSources();

  CgroupLayout layout_;
  BoundedReader reader_;
  std::array<Slot, kCgroupFileCount> slots_;
  std::array<std::string, kFigureCount> sources_;
  ProcessTable processes_;
  bool processesOff_ = false;
  std::optional<CpuCounters> previousCpu_;
  double nanosPerTick_;
};

}  // namespace dynostatsd::dyno
