#pragma once
// DDSketch: the Datadog Agent's distribution sketch (pkg/quantile), rebuilt from its parameters:
// relative accuracy 1/128 (gamma = 1 + 2/128 = 1.015625), smallest distinguishable magnitude
// 1e-9 (smaller magnitudes go to key 0), bias 1338 so that key(1) = 1338, at most 4096 bins.
//
//   key(v) = 0                                   for v == 0 or |v| < gamma^(1-1338) (~1e-9)
//          = -key(-v)                            for v < 0
//          = roundEven(ln v / ln gamma) + 1338   otherwise, clamped to [1, 32766], +Inf -> 32767
//
// A value v lands in the bin whose centre gamma^(key-1338) is within a factor gamma^(1/2) of v, so
// a value read back from a bin has relative error <= sqrt(1.015625) - 1 = 0.78 %. When more than
// 4096 distinct keys are present, the lowest keys are collapsed into the lowest kept bin (as the
// Agent's trimLeft does), which only affects data spanning more than 27 orders of magnitude.
// Bin weights are doubles so the histogram fallback can carry fractional 1/rate weights;
// distributions only ever insert whole weights.
#include <cstdint>
#include <vector>

#include "model/series.h"

namespace dynostatsd {

class DDSketch {
 public:
  static constexpr double kGamma = 1.015625;
  static constexpr double kMinValue = 1e-9;
  static constexpr int kBias = 1338;
  static constexpr std::size_t kBinLimit = 4096;
  static constexpr std::int32_t kMaxKey = 32766;
  static constexpr std::int32_t kInfKey = 32767;

  struct Bin {
    std::int32_t key;
    double count;
  };

  static std::int32_t key(double value);
  // The bin's centre gamma^(key-bias) (0 for key 0, +-Inf for the infinity keys).
  static double binValue(std::int32_t key);

  // NaN and +-Inf values are ignored (returns false); weight must be > 0.
  bool insert(double value, double weight);
  void merge(const DDSketch& other);
  void clear();

  double count() const { return count_; }
  double min() const { return min_; }
  double max() const { return max_; }
  double sum() const { return sum_; }
  double avg() const { return count_ > 0 ? sum_ / count_ : 0; }
  bool empty() const { return count_ == 0; }

  // Sorted by key, one entry per key, at most kBinLimit entries.
  const std::vector<Bin>& bins() const;
  // The value of the first bin (ascending) whose cumulative weight exceeds `rank`, clamped to
  // [min, max]: the histogram rule "first sample whose cumulative weight > rank" on bins.
  double valueAtRank(double rank) const;
  // Approximate heap use, for tests and memory accounting.
  std::size_t memoryBytes() const {
    return (bins_.capacity() + pending_.capacity() + scratch_.capacity()) * sizeof(Bin);
  }

 private:
  static constexpr std::size_t kPendingLimit = 256;
  void compact() const;

  mutable std::vector<Bin> bins_;     // sorted, unique keys
  mutable std::vector<Bin> pending_;  // unsorted recent insertions
  mutable std::vector<Bin> scratch_;
  double count_ = 0;
  double min_ = 0;
  double max_ = 0;
  double sum_ = 0;
};

// Copies the sketch's bins into point.sketchKeys / sketchCounts (samples left empty).
void exportBins(const DDSketch& sketch, DistributionPoint& point);

// The q-quantile (0 <= q <= 1) of a neutral distribution point, for sinks: exact (the first
// sample whose cumulative weight exceeds q * (count - 1), the Agent's rank rule) while the point
// holds samples, else read from the sketch keys (relative error <= 0.78 %, clamped to
// [min, max]). 0 for an empty point.
double distributionQuantile(const DistributionPoint& point, double q);

}  // namespace dynostatsd
