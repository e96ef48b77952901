#include "sink/otlp/exponential_histogram.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "aggregate/ddsketch.h"

namespace dynostatsd::otlp {
namespace {

struct Sample {
  double value;
  double weight;
};

// The steps of downscaling that fit indices [lo, hi] (given at `scale`) into kMaxBuckets.
int stepsToFit(std::int32_t lo, std::int32_t hi, int scale) {
  int steps = 0;
  while (scale - steps > kMinScale &&
         (hi >> steps) - (lo >> steps) + 1 > static_cast<std::int32_t>(kMaxBuckets))
    ++steps;
  return steps;
}

struct Range {
  std::int32_t lo = INT32_MAX, hi = INT32_MIN;
  bool empty() const { return lo > hi; }
  void add(std::int32_t index) {
    lo = std::min(lo, index);
    hi = std::max(hi, index);
  }
};

Range shifted(const ExpoBuckets& buckets, int steps) {
  Range range;
  if (!buckets.empty()) {
    range.lo = buckets.offset >> steps;
    range.hi = buckets.lastIndex() >> steps;
  }
  return range;
}

Range unite(Range a, Range b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return {std::min(a.lo, b.lo), std::max(a.hi, b.hi)};
}

}  // namespace

std::int32_t bucketIndex(double magnitude, int scale) {
  if (magnitude < DBL_MIN) magnitude = DBL_MIN;  // subnormals share the smallest normal's bucket
  int exp = 0;
  const double fraction = std::frexp(magnitude, &exp);  // magnitude = fraction * 2^exp, fraction in [0.5, 1)
  const bool powerOfTwo = fraction == 0.5;
  const std::int32_t e = exp - 1;  // magnitude = 1.m * 2^e
  if (scale <= 0) return (e - (powerOfTwo ? 1 : 0)) >> -scale;
  if (powerOfTwo) return (e << scale) - 1;  // 2^e is the upper bound of the bucket below
  const double index = std::floor(std::log(magnitude) * std::ldexp(1 / M_LN2, scale));
  // Rounding in log() near a boundary must not leave (2^e, 2^(e+1)).
  const std::int32_t lo = e << scale, hi = ((e + 1) << scale) - 1;
  return std::clamp(static_cast<std::int32_t>(index), lo, hi);
}

void ExpoBuckets::add(std::int32_t index, std::uint64_t count) {
  if (count == 0) return;
  if (counts.empty()) {
    offset = index;
    counts.assign(1, count);
    return;
  }
  if (index < offset) {
    counts.insert(counts.begin(), static_cast<std::size_t>(offset - index), 0);
    offset = index;
  } else if (index > lastIndex()) {
    counts.resize(static_cast<std::size_t>(index - offset) + 1, 0);
  }
  counts[static_cast<std::size_t>(index - offset)] += count;
}

void ExpoBuckets::downscale(int steps) {
  if (counts.empty() || steps <= 0) return;
  const std::int32_t newOffset = offset >> steps;
  std::vector<std::uint64_t> merged(static_cast<std::size_t>((lastIndex() >> steps) - newOffset) + 1, 0);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    merged[static_cast<std::size_t>(((offset + static_cast<std::int32_t>(i)) >> steps) - newOffset)] +=
        counts[i];
  }
  counts = std::move(merged);
  offset = newOffset;
}

ExponentialHistogram ExponentialHistogram::fromPoint(const DistributionPoint& point) {
  ExponentialHistogram h;
  std::vector<Sample> samples;
  if (!point.samples.empty()) {
    samples.reserve(point.samples.size());
    for (const auto& s : point.samples) samples.push_back({s.value, s.weight});
  } else {
    samples.reserve(point.sketchKeys.size());
    const std::size_t n = std::min(point.sketchKeys.size(), point.sketchCounts.size());
    for (std::size_t i = 0; i < n; ++i) {
      // The bin's centre, kept inside the exact [min, max] (the outermost bins' centres may lie outside).
      const double value = std::clamp(DDSketch::binValue(point.sketchKeys[i]), point.min, point.max);
      samples.push_back({value, point.sketchCounts[i]});
    }
  }
  Range positive, negative;
  std::vector<std::int32_t> indices(samples.size(), 0);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double v = samples[i].value;
    if (!std::isfinite(v) || !(samples[i].weight > 0) || v == 0) continue;
    indices[i] = bucketIndex(std::fabs(v), kMaxScale);
    (v > 0 ? positive : negative).add(indices[i]);
  }
  int steps = 0;
  if (!positive.empty()) steps = std::max(steps, stepsToFit(positive.lo, positive.hi, kMaxScale));
  if (!negative.empty()) steps = std::max(steps, stepsToFit(negative.lo, negative.hi, kMaxScale));
  h.scale = kMaxScale - steps;

  double cumulative = 0;
  std::uint64_t emitted = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto& s = samples[i];
    if (!std::isfinite(s.value) || !(s.weight > 0)) continue;
    cumulative += s.weight;
    const auto total = static_cast<std::uint64_t>(std::llround(cumulative));
    const std::uint64_t n = total > emitted ? total - emitted : 0;
    emitted += n;
    if (s.value == 0) {
      h.zeroCount += n;
    } else {
      (s.value > 0 ? h.positive : h.negative).add(indices[i] >> steps, n);
    }
  }
  h.count = emitted;
  if (h.count == 0) return h;
  h.sum = point.sum;
  h.min = point.min;
  h.max = point.max;
  h.negativeSeen = point.min < 0;
  return h;
}

void ExponentialHistogram::merge(const ExponentialHistogram& other) {
  if (other.count == 0) return;
  if (count == 0) {
    *this = other;
    return;
  }
  int target = std::min(scale, other.scale);
  for (;;) {
    const Range pos = unite(shifted(positive, scale - target), shifted(other.positive, other.scale - target));
    const Range neg = unite(shifted(negative, scale - target), shifted(other.negative, other.scale - target));
    const bool fits = (pos.empty() || pos.hi - pos.lo + 1 <= static_cast<std::int32_t>(kMaxBuckets)) &&
                      (neg.empty() || neg.hi - neg.lo + 1 <= static_cast<std::int32_t>(kMaxBuckets));
    if (fits || target <= kMinScale) break;
    --target;
  }
  positive.downscale(scale - target);
  negative.downscale(scale - target);
  ExpoBuckets otherPositive = other.positive, otherNegative = other.negative;
  otherPositive.downscale(other.scale - target);
  otherNegative.downscale(other.scale - target);
  for (std::size_t i = 0; i < otherPositive.counts.size(); ++i)
    positive.add(otherPositive.offset + static_cast<std::int32_t>(i), otherPositive.counts[i]);
  for (std::size_t i = 0; i < otherNegative.counts.size(); ++i)
    negative.add(otherNegative.offset + static_cast<std::int32_t>(i), otherNegative.counts[i]);
  // Capacities stay at the size (<= kMaxBuckets), so a stream never outgrows what CumulativeState charged.
  positive.counts.shrink_to_fit();
  negative.counts.shrink_to_fit();
  scale = target;
  count += other.count;
  zeroCount += other.zeroCount;
  sum += other.sum;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  negativeSeen = negativeSeen || other.negativeSeen;
}

}  // namespace dynostatsd::otlp
