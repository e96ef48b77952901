#pragma once
// HistogramAccumulator: one context's `h`/`ms` samples in one bucket, with bounded memory.
// Input: (value, weight = 1/rate) pairs. Output: a HistogramSummary (the Agent's statistics).
//
// Exact mode keeps every (value, weight) pair, up to kExactLimit per bucket and while the
// aggregator-wide exact budget lasts; the statistics are then exactly the Agent's. Beyond that the
// pairs move into a DDSketch and later samples go there too ("degraded"). In degraded mode:
//   max, min, count, sum, avg  stay exact (tracked outside the sketch);
//   median and percentiles     are read from the sketch with the same rank rule, so the value
//                              returned is within 0.78 % (relative) of the exact rule's value for
//                              |v| >= 1e-9 (smaller magnitudes read back as 0).
// Memory: exact <= kExactLimit * 16 bytes; degraded ~12 bytes per distinct 0.78 %-wide bin used.
#include <cstdint>
#include <memory>
#include <vector>

#include "aggregate/ddsketch.h"
#include "model/series.h"

namespace dynostatsd {

// Which sample a rank statistic picks (the Agent's rules, N = sum of weights, samples ascending):
//   median:       the first sample whose cumulative weight > (N - 1) / 2
//   percentile p: the first sample whose cumulative weight > (p * N - 1) / 100
struct RankRule {
  bool median = false;
  int percent = 0;
};

struct HistogramSummary {
  double min = 0, max = 0, sum = 0, avg = 0;
  double weight = 0;           // N = sum of weights (count before dividing by the interval)
  std::vector<double> ranked;  // one value per RankRule, in order
};

class HistogramAccumulator {
 public:
  static constexpr std::size_t kExactLimit = 2048;

  // `exactBudget` is the aggregator-wide count of exact samples still allowed; adding an exact
  // sample takes one from it, degrading gives them back.
  void add(double value, double weight, std::size_t& exactBudget);
  // Sorts the exact samples in place; call once per bucket.
  HistogramSummary summarize(const std::vector<RankRule>& rules);
  // The sink-neutral form of this bucket (model/series.h DistributionPoint): count, sum, min and
  // max exact; the samples sorted by value while exact, else the sketch's bins.
  void exportTo(DistributionPoint& point);
  // Returns the exact samples' budget and forgets everything (keeps capacity for reuse).
  void clear(std::size_t& exactBudget);

  bool degraded() const { return sketch_ != nullptr; }
  std::size_t exactSamples() const { return samples_.size(); }
  std::size_t memoryBytes() const {
    return samples_.capacity() * sizeof(WeightedValue) + (sketch_ ? sketch_->memoryBytes() : 0);
  }

 private:
  struct WeightedValue {
    double value;
    double weight;
  };
  void degrade(std::size_t& exactBudget);
  double valueAtRank(double rank) const;  // exact mode, samples_ sorted

  std::vector<WeightedValue> samples_;
  std::unique_ptr<DDSketch> sketch_;
  double min_ = 0, max_ = 0;
  double weight_ = 0;
  double sum_ = 0, sumCompensation_ = 0;  // Neumaier compensated summation of value * weight
};

}  // namespace dynostatsd
