#include "aggregate/ddsketch.h"

#include <catch2/catch.hpp>
#include <cmath>

namespace dynostatsd {
namespace {

TEST_CASE("DDSketch::key matches the Agent's key function") {
  CHECK(DDSketch::key(1) == 1338);
  CHECK(DDSketch::key(2) == 1383);
  CHECK(DDSketch::key(10) == 1487);
  CHECK(DDSketch::key(0.5) == 1293);
  CHECK(DDSketch::key(0) == 0);
  CHECK(DDSketch::key(-0.0) == 0);
  CHECK(DDSketch::key(1e-10) == 0);
  CHECK(DDSketch::key(-1e-10) == 0);
  CHECK(DDSketch::key(1e-9) == 1);  // the smallest distinguishable magnitude has key 1
  CHECK(DDSketch::key(INFINITY) == DDSketch::kInfKey);
  CHECK(DDSketch::key(1e300) == DDSketch::kInfKey);  // keys are int16 in the Agent: > 32766 is +Inf
  for (const double v : {1.0, 2.0, 10.0, 0.5, 123.456, 1e-6, 7e12}) {
    INFO(v);
    CHECK(DDSketch::key(-v) == -DDSketch::key(v));
  }
}

TEST_CASE("DDSketch::key rounds half to even exactly as nearbyint over the whole double range") {
  // The Agent's key: round-half-even(log(v) / log(gamma)) + bias, clamped; the reference here
  // uses std::nearbyint, which the implementation avoids for speed.
  const double lnGamma = std::log1p(2.0 / 128.0);
  const double normMin = std::pow(DDSketch::kGamma, 1 - DDSketch::kBias);
  auto reference = [&](double v) {
    if (v < normMin) return 0;
    const double k = std::nearbyint(std::log(v) / lnGamma) + DDSketch::kBias;
    if (k > DDSketch::kMaxKey) return static_cast<int>(DDSketch::kInfKey);
    return k < 1 ? 1 : static_cast<int>(k);
  };
  std::size_t checked = 0;
  // Every bin boundary region: values whose quotient lands on or next to a .5.
  for (int key = -2000; key <= 2000; ++key) {
    const double boundary = std::exp((key + 0.5) * lnGamma);
    for (const double v : {boundary, std::nextafter(boundary, 0.0), std::nextafter(boundary, INFINITY)}) {
      INFO(v);
      REQUIRE(DDSketch::key(v) == reference(v));
      ++checked;
    }
  }
  for (double v = 1e-12; v < 1e300; v *= 1.0007) {
    REQUIRE(DDSketch::key(v) == reference(v));
    ++checked;
  }
  CHECK(checked > 1000000);
}

TEST_CASE("DDSketch bin values are within 0.78 % of what went in") {
  for (double v = 1e-6; v < 1e9; v *= 1.37) {
    const double back = DDSketch::binValue(DDSketch::key(v));
    INFO(v);
    CHECK(std::fabs(back - v) / v <= std::sqrt(DDSketch::kGamma) - 1 + 1e-12);
  }
  CHECK(DDSketch::binValue(1338) == 1.0);
  CHECK(DDSketch::binValue(0) == 0.0);
  CHECK(DDSketch::binValue(-1338) == -1.0);
}

TEST_CASE("DDSketch insert: summary and bins") {
  DDSketch sketch;
  CHECK(sketch.insert(1, 2));
  CHECK(sketch.insert(2, 2));
  CHECK(sketch.insert(10, 2));
  CHECK(sketch.insert(2, 1));
  CHECK_FALSE(sketch.insert(NAN, 1));
  CHECK_FALSE(sketch.insert(INFINITY, 1));
  CHECK(sketch.count() == 7);
  CHECK(sketch.min() == 1);
  CHECK(sketch.max() == 10);
  CHECK(sketch.sum() == 28);
  CHECK(sketch.avg() == 4);
  const auto& bins = sketch.bins();
  REQUIRE(bins.size() == 3);
  CHECK(bins[0].key == 1338);
  CHECK(bins[0].count == 2);
  CHECK(bins[1].key == 1383);
  CHECK(bins[1].count == 3);
  CHECK(bins[2].key == 1487);
  CHECK(bins[2].count == 2);
}

TEST_CASE("DDSketch keys are ascending with negative values and zero") {
  DDSketch sketch;
  for (const double v : {3.0, -2.0, 0.0, -100.0, 1.0}) sketch.insert(v, 1);
  const auto& bins = sketch.bins();
  REQUIRE(bins.size() == 5);
  CHECK(bins[0].key == -DDSketch::key(100));
  CHECK(bins[1].key == -1383);
  CHECK(bins[2].key == 0);
  CHECK(bins[3].key == 1338);
  CHECK(bins[4].key == DDSketch::key(3));
  CHECK(sketch.min() == -100);
}

TEST_CASE("DDSketch collapses the lowest bins beyond 4096 distinct keys") {
  DDSketch sketch;
  for (int i = 0; i < 5000; ++i) sketch.insert(std::pow(DDSketch::kGamma, i), 1);
  const auto& bins = sketch.bins();
  REQUIRE(bins.size() == DDSketch::kBinLimit);
  CHECK(bins.front().key == 1338 + 904);
  CHECK(bins.front().count == 905);  // 904 collapsed bins + its own
  CHECK(bins[1].count == 1);
  CHECK(bins.back().key == 1338 + 4999);
  double total = 0;
  for (const auto& bin : bins) total += bin.count;
  CHECK(total == 5000);
  CHECK(sketch.count() == 5000);
  CHECK(sketch.min() == 1);
}

TEST_CASE("DDSketch merge adds bins and summary") {
  DDSketch a, b;
  a.insert(1, 1);
  a.insert(10, 1);
  b.insert(10, 3);
  b.insert(0.5, 1);
  a.merge(b);
  CHECK(a.count() == 6);
  CHECK(a.min() == 0.5);
  CHECK(a.max() == 10);
  CHECK(a.sum() == 41.5);
  const auto& bins = a.bins();
  REQUIRE(bins.size() == 3);
  CHECK(bins[0].key == 1293);
  CHECK(bins[0].count == 1);
  CHECK(bins[1].key == 1338);
  CHECK(bins[2].key == 1487);
  CHECK(bins[2].count == 4);
  DDSketch empty;
  a.merge(empty);
  CHECK(a.count() == 6);
  empty.merge(a);
  CHECK(empty.min() == 0.5);
  CHECK(empty.bins().size() == 3);
}

TEST_CASE("DDSketch valueAtRank uses the first bin whose cumulative weight exceeds the rank") {
  DDSketch sketch;
  for (int v = 1; v <= 10; ++v) sketch.insert(v, 1);
  CHECK(sketch.valueAtRank(4.5) == Approx(5).epsilon(0.008));
  CHECK(sketch.valueAtRank(9.49) == 10);  // clamped to max
  CHECK(sketch.valueAtRank(-1) == 1);
}

}  // namespace
}  // namespace dynostatsd
