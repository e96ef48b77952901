#include "aggregate/ddsketch.h"

#include <algorithm>
#include <cmath>

namespace dynostatsd {
namespace {

const double kLnGamma = std::log1p(2.0 / 128.0);
// Values below gamma^(1-bias) map to key 0 (the Agent's norm.min).
const double kNormMin = std::pow(DDSketch::kGamma, 1 - DDSketch::kBias);

// Round half to even, as std::nearbyint in the default rounding mode, for |x| < 2^52: adding and
// subtracting 2^52 leaves no fraction bits, so the addition itself rounds. Two additions instead
// of a libm call (x86-64's baseline has no rounding instruction).
double roundHalfEven(double x) {
  constexpr double kShift = 4503599627370496.0;  // 2^52
  return x >= 0 ? (x + kShift) - kShift : (x - kShift) + kShift;
}

std::int32_t positiveKey(double value) {
  if (value < kNormMin) return 0;
  if (std::isinf(value)) return DDSketch::kInfKey;
  // |log(value)| < 710 for every finite double, so the quotient stays far below 2^52.
  const double k = roundHalfEven(std::log(value) / kLnGamma) + DDSketch::kBias;
  if (k > DDSketch::kMaxKey) return DDSketch::kInfKey;
  if (k < 1) return 1;
  return static_cast<std::int32_t>(k);
}

}  // namespace

std::int32_t DDSketch::key(double value) {
  if (value < 0) return -positiveKey(-value);
  return positiveKey(value);
}

double DDSketch::binValue(std::int32_t key) {
  if (key == 0) return 0;
  if (key < 0) return -binValue(-key);
  if (key >= kInfKey) return INFINITY;
  return std::pow(kGamma, key - kBias);
}

bool DDSketch::insert(double value, double weight) {
  if (!std::isfinite(value) || !(weight > 0)) return false;
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  count_ += weight;
  sum_ += value * weight;
  pending_.push_back(Bin{key(value), weight});
  if (pending_.size() >= kPendingLimit) compact();
  return true;
}

void DDSketch::merge(const DDSketch& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
  const auto& theirs = other.bins();
  pending_.insert(pending_.end(), theirs.begin(), theirs.end());
  compact();
}

void DDSketch::clear() {
  bins_.clear();
  pending_.clear();
  count_ = min_ = max_ = sum_ = 0;
}

const std::vector<DDSketch::Bin>& DDSketch::bins() const {
  if (!pending_.empty()) compact();
  return bins_;
}

void DDSketch::compact() const {
  std::sort(pending_.begin(), pending_.end(), [](const Bin& a, const Bin& b) { return a.key < b.key; });
  scratch_.clear();
  scratch_.reserve(bins_.size() + pending_.size());
  auto append = [this](const Bin& bin) {
    if (!scratch_.empty() && scratch_.back().key == bin.key) {
      scratch_.back().count += bin.count;
    } else {
      scratch_.push_back(bin);
    }
  };
  std::size_t i = 0, j = 0;
  while (i < bins_.size() || j < pending_.size()) {
    if (j == pending_.size() || (i < bins_.size() && bins_[i].key <= pending_[j].key)) {
      append(bins_[i++]);
    } else {
      append(pending_[j++]);
    }
  }
  pending_.clear();
  if (scratch_.size() > kBinLimit) {
    // Collapse the lowest keys into the lowest bin that is kept.
    const std::size_t remove = scratch_.size() - kBinLimit;
    double missing = 0;
    for (std::size_t k = 0; k < remove; ++k) missing += scratch_[k].count;
    scratch_[remove].count += missing;
    scratch_.erase(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(remove));
  }
  bins_.swap(scratch_);
}

double DDSketch::valueAtRank(double rank) const {
  const auto& all = bins();
  if (all.empty()) return 0;
  double cumulative = 0;
  double value = binValue(all.back().key);
  for (const auto& bin : all) {
    cumulative += bin.count;
    if (cumulative > rank) {
      value = binValue(bin.key);
      break;
    }
  }
  return std::clamp(value, min_, max_);
}

}  // namespace dynostatsd

namespace dynostatsd {

void exportBins(const DDSketch& sketch, DistributionPoint& point) {
  point.samples.clear();
  const auto& bins = sketch.bins();
  point.sketchKeys.clear();
  point.sketchCounts.clear();
  point.sketchKeys.reserve(bins.size());
  point.sketchCounts.reserve(bins.size());
  for (const auto& bin : bins) {
    point.sketchKeys.push_back(bin.key);
    point.sketchCounts.push_back(bin.count);
  }
}

double distributionQuantile(const DistributionPoint& point, double q) {
  if (!(point.count > 0)) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The Agent's percentile rule with p = 100 q: the first value whose cumulative weight exceeds
  // (p * N - 1) / 100.
  const double rank = (q * 100 * point.count - 1) / 100;
  double cumulative = 0;
  if (!point.samples.empty()) {
    for (const WeightedSample& sample : point.samples) {
      cumulative += sample.weight;
      if (cumulative > rank) return sample.value;
    }
    return point.samples.back().value;
  }
  if (point.sketchKeys.empty()) return point.max;
  double value = DDSketch::binValue(point.sketchKeys.back());
  for (std::size_t i = 0; i < point.sketchKeys.size() && i < point.sketchCounts.size(); ++i) {
    cumulative += point.sketchCounts[i];
    if (cumulative > rank) {
      value = DDSketch::binValue(point.sketchKeys[i]);
      break;
    }
  }
  return std::clamp(value, point.min, point.max);
}

}  // namespace dynostatsd
