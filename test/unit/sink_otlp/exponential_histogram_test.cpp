#include "sink/otlp/exponential_histogram.h"

#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>

using namespace dynostatsd;
using namespace dynostatsd::otlp;

TEST_CASE("bucketIndex: (base^i, base^(i+1)], powers of two on the upper boundary") {
  CHECK(bucketIndex(1, 0) == -1);
  CHECK(bucketIndex(1.5, 0) == 0);
  CHECK(bucketIndex(2, 0) == 0);
  CHECK(bucketIndex(3, 0) == 1);
  CHECK(bucketIndex(4, -1) == 0);  // base 4: (1, 4]
  CHECK(bucketIndex(4.5, -1) == 1);
  CHECK(bucketIndex(2, 6) == 63);
  CHECK(bucketIndex(std::nextafter(2.0, 3.0), 6) == 64);
  CHECK(bucketIndex(0.5, 6) == -65);
  // Subnormals share the smallest normal's bucket; the largest double has an index.
  CHECK(bucketIndex(DBL_MIN / 4, 6) == bucketIndex(DBL_MIN, 6));
  CHECK(bucketIndex(DBL_MAX, 6) == (1024 << 6) - 1);
  for (double v = 1e-6; v < 1e9; v *= 1.37) {
    const std::int32_t i = bucketIndex(v, 6);
    const double base = std::pow(2.0, 1.0 / 64);
    CHECK(std::pow(base, i) < v * (1 + 1e-12));
    CHECK(v <= std::pow(base, i + 1) * (1 + 1e-12));
  }
}

TEST_CASE("merge: the coarser scale, ranges united within 160 buckets, counts and extremes added") {
  auto point = [](std::vector<double> values) {
    DistributionPoint p;
    p.min = values.front();
    p.max = values.back();
    for (double v : values) {
      p.samples.push_back({v, 1});
      p.count += 1;
      p.sum += v;
    }
    return p;
  };
  ExponentialHistogram narrow = ExponentialHistogram::fromPoint(point({1, 1.1, 1.2}));
  ExponentialHistogram wide = ExponentialHistogram::fromPoint(point({0.001, 1000}));
  CHECK(narrow.scale == kMaxScale);
  CHECK(wide.scale < kMaxScale);
  ExponentialHistogram merged = narrow;
  merged.merge(wide);
  CHECK(merged.scale == wide.scale);
  CHECK(merged.count == 5);
  CHECK(merged.min == 0.001);
  CHECK(merged.max == 1000);
  CHECK(merged.sum == Approx(1003.301));
  std::uint64_t total = 0;
  for (auto c : merged.positive.counts) total += c;
  CHECK(total == 5);
  CHECK(merged.positive.counts.size() <= kMaxBuckets);
  // The bucket of 1.1 at the merged scale holds it (and its neighbours 1 and 1.2 if they share it).
  const std::int32_t index = bucketIndex(1.1, kMaxScale) >> (kMaxScale - merged.scale);
  CHECK(merged.positive.counts[static_cast<std::size_t>(index - merged.positive.offset)] >= 1);

  // A far-away range forces a further downscale.
  ExponentialHistogram far = ExponentialHistogram::fromPoint(point({1e200, 1e201}));
  merged.merge(far);
  CHECK(merged.positive.counts.size() <= kMaxBuckets);
  CHECK(merged.count == 7);
  total = 0;
  for (auto c : merged.positive.counts) total += c;
  CHECK(total == 7);
}

TEST_CASE("a point without a finite, positive-weight sample is empty") {
  DistributionPoint p;
  p.samples.push_back({NAN, 1});
  CHECK(ExponentialHistogram::fromPoint(p).count == 0);
}
