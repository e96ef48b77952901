#include "aggregate/histogram_accumulator.h"

#include <catch2/catch.hpp>
#include <cmath>

namespace dynostatsd {
namespace {

const std::vector<RankRule> kMedianAnd95{{true, 50}, {false, 95}};

TEST_CASE("HistogramAccumulator: worked example 1..10 at rate 1 and at @0.5") {
  std::size_t budget = 1000;
  HistogramAccumulator h;
  for (int v = 10; v >= 1; --v) h.add(v, 1, budget);
  CHECK(budget == 990);
  auto s = h.summarize(kMedianAnd95);
  CHECK(s.max == 10);
  CHECK(s.min == 1);
  CHECK(s.sum == 55);
  CHECK(s.avg == 5.5);
  CHECK(s.weight == 10);
  CHECK(s.ranked == std::vector<double>{5, 10});
  h.clear(budget);
  CHECK(budget == 1000);

  for (int v = 1; v <= 10; ++v) h.add(v, 1 / 0.5, budget);
  s = h.summarize(kMedianAnd95);
  CHECK(s.weight == 20);  // N = 20: median rank 9.5 -> 5, p95 rank 18.99 -> 10
  CHECK(s.ranked == std::vector<double>{5, 10});
  CHECK(s.avg == 5.5);
  CHECK(s.sum == 110);
}

TEST_CASE("HistogramAccumulator: percentile rule differs from the median rule at 50") {
  std::size_t budget = 1000;
  HistogramAccumulator h;
  for (int v = 1; v <= 4; ++v) h.add(v, 1, budget);
  // median: rank (4-1)/2 = 1.5 -> 2; 50th percentile: rank (200-1)/100 = 1.99 -> 2; 25th: 0.99 -> 1
  const auto s = h.summarize({{true, 50}, {false, 50}, {false, 25}, {false, 0}, {false, 100}});
  CHECK(s.ranked == std::vector<double>{2, 2, 1, 1, 4});
}

TEST_CASE("HistogramAccumulator: degrades to a sketch past the exact limit, bounded error") {
  std::size_t budget = 1 << 20;
  HistogramAccumulator h;
  for (int v = 1; v <= 5000; ++v) h.add(v, 1, budget);
  CHECK(h.degraded());
  CHECK(h.exactSamples() == 0);
  CHECK(budget == (1u << 20));  // exact samples were handed back
  const auto s = h.summarize(kMedianAnd95);
  CHECK(s.max == 5000);
  CHECK(s.min == 1);
  CHECK(s.weight == 5000);
  CHECK(s.sum == 12502500);
  CHECK(s.avg == 2500.5);
  // exact rule: median rank 2499.5 -> 2500; p95 rank 4749.99 -> 4750
  CHECK(std::fabs(s.ranked[0] - 2500) / 2500 <= 0.0078);
  CHECK(std::fabs(s.ranked[1] - 4750) / 4750 <= 0.0078);
  CHECK(h.memoryBytes() < 64 * 1024);
}

TEST_CASE("HistogramAccumulator: degrades when the shared exact budget runs out") {
  std::size_t budget = 3;
  HistogramAccumulator a, b;
  a.add(1, 1, budget);
  a.add(2, 1, budget);
  a.add(3, 1, budget);
  CHECK(budget == 0);
  CHECK_FALSE(a.degraded());
  b.add(7, 1, budget);
  CHECK(b.degraded());
  CHECK(budget == 0);
  a.clear(budget);
  CHECK(budget == 3);
  const auto s = b.summarize(kMedianAnd95);
  CHECK(s.max == 7);
  CHECK(s.ranked[0] == 7);  // clamped into [min, max]
}

TEST_CASE("HistogramAccumulator: compensated sum") {
  std::size_t budget = 100;
  HistogramAccumulator h;
  h.add(1e16, 1, budget);
  h.add(1, 1, budget);
  h.add(-1e16, 1, budget);
  CHECK(h.summarize({}).sum == 1);
}

}  // namespace
}  // namespace dynostatsd
