#include "aggregate/histogram_accumulator.h"

#include <algorithm>
#include <cmath>

namespace dynostatsd {

void HistogramAccumulator::add(double value, double weight, std::size_t& exactBudget) {
  if (weight_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  weight_ += weight;
  const double term = value * weight;
  const double total = sum_ + term;
  if (std::fabs(sum_) >= std::fabs(term)) {
    sumCompensation_ += (sum_ - total) + term;
  } else {
    sumCompensation_ += (term - total) + sum_;
  }
  sum_ = total;

  if (!sketch_ && (samples_.size() >= kExactLimit || exactBudget == 0)) degrade(exactBudget);
  if (sketch_) {
    sketch_->insert(value, weight);
  } else {
    samples_.push_back(WeightedValue{value, weight});
    --exactBudget;
  }
}

void HistogramAccumulator::degrade(std::size_t& exactBudget) {
  sketch_ = std::make_unique<DDSketch>();
  for (const auto& sample : samples_) sketch_->insert(sample.value, sample.weight);
  exactBudget += samples_.size();
  samples_.clear();
  samples_.shrink_to_fit();
}

double HistogramAccumulator::valueAtRank(double rank) const {
  double cumulative = 0;
  for (const auto& sample : samples_) {
    cumulative += sample.weight;
    if (cumulative > rank) return sample.value;
  }
  return samples_.empty() ? 0 : samples_.back().value;
}

HistogramSummary HistogramAccumulator::summarize(const std::vector<RankRule>& rules) {
  HistogramSummary summary;
  summary.min = min_;
  summary.max = max_;
  summary.weight = weight_;
  summary.sum = sum_ + sumCompensation_;
  summary.avg = weight_ > 0 ? summary.sum / weight_ : 0;
  if (!sketch_) {
    std::sort(samples_.begin(), samples_.end(),
              [](const WeightedValue& a, const WeightedValue& b) { return a.value < b.value; });
  }
  summary.ranked.reserve(rules.size());
  for (const auto& rule : rules) {
    const double rank = rule.median ? (weight_ - 1) / 2 : (rule.percent * weight_ - 1) / 100;
    summary.ranked.push_back(sketch_ ? sketch_->valueAtRank(rank) : valueAtRank(rank));
  }
  return summary;
}

void HistogramAccumulator::exportTo(DistributionPoint& point) {
  point.count = weight_;
  point.sum = sum_ + sumCompensation_;
  point.min = min_;
  point.max = max_;
  if (sketch_) {
    exportBins(*sketch_, point);
    return;
  }
  std::sort(samples_.begin(), samples_.end(),
            [](const WeightedValue& a, const WeightedValue& b) { return a.value < b.value; });
  point.samples.reserve(samples_.size());
  for (const auto& sample : samples_) point.samples.push_back(WeightedSample{sample.value, sample.weight});
}

void HistogramAccumulator::clear(std::size_t& exactBudget) {
  exactBudget += samples_.size();
  samples_.clear();
  sketch_.reset();
  min_ = max_ = weight_ = sum_ = sumCompensation_ = 0;
}

}  // namespace dynostatsd
