#pragma once
// SelfMetricsReporter: turns the stages' SelfMetric figures into dynostatsd.* series each flush.
// Input: every stage's running totals and gauges (SelfMetric), once per flush.
// Output: Series named "dynostatsd.<name>", tagged with the metric's tags plus the dyno's static
// tags; a monotonic total becomes a Count of its increase since the previous flush, a gauge a
// Gauge. A tagged total (e.g. parse_errors{reason}) is left out while it is zero. Memory: one remembered
// total per (name, tags), bounded by the reasons that exist.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/self_metric.h"
#include "model/series.h"

namespace dynostatsd {

class SelfMetricsReporter {
 public:
  SelfMetricsReporter(std::vector<std::string> staticTags, std::string host, int intervalSeconds);

  // Appends one series per figure, each with one point at `timestamp`.
  void report(const std::vector<SelfMetric>& figures, std::int64_t timestamp, std::vector<Series>& out);

 private:
  std::vector<std::string> staticTags_;
  std::string host_;
  int intervalSeconds_;
  std::map<std::string, double> lastTotals_;  // key: name + '|' + tags
};

// Resident set size of this process from /proc/self/statm, in bytes; 0 when unreadable.
double residentBytes();

}  // namespace dynostatsd
