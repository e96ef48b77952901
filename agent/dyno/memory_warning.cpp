#include "dyno/memory_warning.h"

namespace dynostatsd::dyno {

MemoryWarning::MemoryWarning(double warnPct) : thresholds_{warnPct < 100 ? warnPct : 100, 100} {}

std::optional<double> MemoryWarning::update(double usedPct) {
  std::optional<double> crossed;
  for (std::size_t i = 0; i < thresholds_.size(); ++i) {
    if (usedPct < thresholds_[i]) {
      fired_[i] = false;
    } else if (!fired_[i]) {
      fired_[i] = true;
      crossed = thresholds_[i];  // ascending: the last one crossed is the highest
    }
  }
  return crossed;
}

}  // namespace dynostatsd::dyno
