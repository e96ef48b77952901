#pragma once
// ExponentialHistogram: one OTLP ExponentialHistogramDataPoint's buckets, built from a
// DistributionPoint (the exact weighted samples, or the DDSketch bins at their centre values) and
// merged over time in cumulative mode.
//
// Bucket `index` at `scale` holds the magnitudes in (base^index, base^(index+1)], base =
// 2^(2^-scale). The start scale is kMaxScale = 6: base = 2^(1/64), so a value read back as the
// bucket's best estimate has relative error <= (base-1)/(base+1) = 0.54 % (scale 5 would be
// 1.08 %). When the positive or the negative magnitudes need more than kMaxBuckets buckets, the
// scale is lowered one step at a time (each step merges pairs of buckets: index >> 1), as the OTel
// SDK's ExponentialHistogram aggregation does; the error then grows (scale 4: 2.2 %).
// Zero goes to zero_count. Counts are whole numbers: 1/rate weights are rounded cumulatively, so
// the buckets always add up to count = round(sum of weights).
#include <cstdint>
#include <vector>

#include "model/series.h"

namespace dynostatsd::otlp {

inline constexpr int kMaxScale = 6;
inline constexpr int kMinScale = -10;
inline constexpr std::size_t kMaxBuckets = 160;

// The bucket index of a finite magnitude > 0 at `scale` (the OTel SDK's mappings: exact for powers
// of two, log-based between them; subnormals map to the smallest normal's bucket).
std::int32_t bucketIndex(double magnitude, int scale);

struct ExpoBuckets {
  std::int32_t offset = 0;            // index of counts[0]
  std::vector<std::uint64_t> counts;  // counts[i]: bucket offset + i
  bool empty() const { return counts.empty(); }
  std::int32_t lastIndex() const { return offset + static_cast<std::int32_t>(counts.size()) - 1; }
  void add(std::int32_t index, std::uint64_t count);  // grows the range as needed
  void downscale(int steps);                          // index -> index >> steps
  std::size_t memoryBytes() const { return counts.capacity() * sizeof(std::uint64_t); }
};

struct ExponentialHistogram {
  int scale = kMaxScale;
  std::uint64_t count = 0;  // zeroCount + positive + negative
  std::uint64_t zeroCount = 0;
  ExpoBuckets positive, negative;
  double sum = 0, min = 0, max = 0;
  bool negativeSeen = false;  // the proto: no `sum` once a negative value was recorded

  // The histogram of one bucket's DistributionPoint; empty (count 0) when it has no finite value.
  static ExponentialHistogram fromPoint(const DistributionPoint& point);
  // Adds `other` (cumulative mode): the coarser of both scales, lowered further if the union of
  // ranges needs more than kMaxBuckets; min/max/sum/count combined.
  void merge(const ExponentialHistogram& other);
  std::size_t memoryBytes() const { return sizeof(*this) + positive.memoryBytes() + negative.memoryBytes(); }
};

}  // namespace dynostatsd::otlp
