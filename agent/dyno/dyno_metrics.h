#pragma once
// DynoMetrics: the dyno's own resource use as heroku.dyno.* series, once per flush, plus the R14
// early warning. The stage's entry point for the Agent.
// Input: a DynoSampler reading the dyno's cgroup (dyno_sampler.h), the flush's bucket timestamp.
// Output: Series (gauges; heroku.dyno.oom_kills a count of the increase since the previous flush)
// tagged with the dyno's static tags, and a warning Event, appended to the flush's FlushBatch so
// every sink gets them like any other series. Memory: one snapshot and the sampler's buffer.
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "dyno/dyno_sampler.h"
#include "dyno/memory_warning.h"
#include "model/self_metric.h"
#include "model/series.h"

namespace dynostatsd::dyno {

class DynoMetrics {
 public:
  // Takes the first sample at once: it logs what is unavailable at start, and gives the first
  // flush a CPU rate and an oom_kills baseline (kills before the agent started are not counted).
  DynoMetrics(const DynoMetricsConfig& config, CgroupLayout layout, std::vector<std::string> staticTags,
              std::string host, std::string dyno, int intervalSeconds, std::uint64_t monotonicNanos);

  void collect(std::int64_t bucketTimestamp, std::int64_t nowSeconds, std::uint64_t monotonicNanos,
               FlushBatch& batch);

  // dynostatsd.dyno.collect_us: CPU time of the last collect() (sampling and series), microseconds.
  void collectSelfMetrics(std::vector<SelfMetric>& out) const;
  double lastCollectMicros() const { return lastCollectMicros_; }

  const DynoSnapshot& lastSnapshot() const { return snapshot_; }
  const DynoSampler& sampler() const { return sampler_; }

 private:
  Series makeSeries(std::string_view name, std::string_view unit, bool count, double value,
                    std::int64_t timestamp) const;
  void warnIfNearQuota(std::int64_t nowSeconds, FlushBatch& batch);

  DynoSampler sampler_;
  MemoryWarning warning_;
  std::vector<std::string> staticTags_;
  std::string host_;
  std::string dyno_;
  int intervalSeconds_;
  DynoSnapshot snapshot_;
  std::optional<double> lastOomKills_;
  double lastCollectMicros_ = 0;
};

}  // namespace dynostatsd::dyno
