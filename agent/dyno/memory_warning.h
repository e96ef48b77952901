#pragma once
// MemoryWarning: the R14 early warning's state machine, one per agent.
// Input: quota_used_pct each flush. Output: the threshold just crossed upward, if any.
//
// Two thresholds: the configured one (DYNOSTATSD_MEMORY_WARN_PCT, 90 by default) and 100 (R14:
// the dyno swaps, or on Fir restarts). Each is Armed at start; a reading at or above an Armed
// threshold fires it and leaves it Fired; a reading below a Fired threshold re-arms it. When one
// reading crosses both, only the higher fires (one line, one event), and both are Fired.
#include <array>
#include <optional>

namespace dynostatsd::dyno {

class MemoryWarning {
 public:
  explicit MemoryWarning(double warnPct);

  std::optional<double> update(double usedPct);

 private:
  std::array<double, 2> thresholds_;
  std::array<bool, 2> fired_{false, false};
};

}  // namespace dynostatsd::dyno
