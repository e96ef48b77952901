#pragma once
// RssPeak: the highest resident set size of the process during the last interval, for the
// dynostatsd.memory.rss_bytes self-metric. Sampling RSS after a flush shows the low point (the
// flush just freed the interval's data), so this reads the kernel's high-water mark (VmHWM in
// /proc/self/status) and resets it by writing "5" to /proc/self/clear_refs (Linux >= 4.0). Where
// the reset is refused, it falls back to the largest of the samples the caller took (note()).
#include <cstddef>

namespace dynostatsd {

class RssPeak {
 public:
  // Records a sample of the current RSS (call where memory is highest: at flush start).
  void note();
  // The interval's peak in bytes; starts the next interval.
  double take();
  bool resettable() const { return resettable_; }

 private:
  double sampled_ = 0;
  bool resettable_ = true;
};

// The current RSS in bytes (VmRSS), 0 when /proc is unavailable.
double currentResidentBytes();

}  // namespace dynostatsd
