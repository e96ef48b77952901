#pragma once
// SelfMetric: one dynostatsd.* figure a stage reports about itself each flush (telemetry/ turns
// them into Series). Monotonic counters are reported as totals; telemetry sends the delta.
#include <string>
#include <vector>

namespace dynostatsd {

struct SelfMetric {
  std::string name;               // without the "dynostatsd." prefix, e.g. "forward.payloads_sent"
  std::vector<std::string> tags;  // e.g. {"reason:http_429"}
  double value = 0;
  bool monotonic = true;  // true: a running total (sent as a count delta); false: a gauge
};

}  // namespace dynostatsd
