// The aggregator's context cache (wire spelling -> context): a cached spelling must land in the
// same context as the slow path would pick, and must never outlive the context it points to.
#include <catch2/catch.hpp>
#include <deque>
#include <string>
#include <vector>

#include "aggregate/interval_aggregator.h"
#include "parse/parser.h"

namespace dynostatsd {
namespace {

constexpr std::int64_t kT0 = 1700000000;

struct Fixture {
  Fixture() : clock(kT0 * 1000), aggregator(config, clock, {"dyno:web.1"}) {}

  // Parses `line` as the ingest path does (so rawTags is set) and adds it at `seconds`.
  void add(const std::string& line, std::int64_t seconds) {
    lines.push_back(line);  // the sample's views point into the line
    MetricSample sample;
    REQUIRE(parseMetric(lines.back(), sample) == ParseError::None);
    REQUIRE(sample.rawTagsKnown);
    clock.setSeconds(seconds);
    aggregator.add(sample);
  }
  FlushBatch flushAt(std::int64_t seconds) {
    clock.setSeconds(seconds);
    FlushBatch batch;
    aggregator.flush(batch, false);
    return batch;
  }
  double total(const FlushBatch& batch, std::string_view name) {
    double sum = 0;
    for (const auto& series : batch.series) {
      if (series.name != name) continue;
      for (const auto& point : series.points) sum += point.value;
    }
    return sum;
  }

  AggregateConfig config;
  ManualClock clock;
  IntervalAggregator aggregator;
  std::deque<std::string> lines;
};

TEST_CASE("context cache: every spelling of one tag set reaches one context") {
  Fixture f;
  f.add("hits:1|c|#a:1,b:2", kT0 + 1);
  f.add("hits:2|c|#b:2,a:1", kT0 + 2);
  f.add("hits:4|c|#b:2,a:1,a:1", kT0 + 3);
  f.add("hits:8|c|#a:1,b:2", kT0 + 4);
  CHECK(f.aggregator.liveContexts() == 1);
  const FlushBatch batch = f.flushAt(kT0 + 10);
  REQUIRE(batch.series.size() == 1);
  CHECK(batch.series[0].points.at(0).value == 15);  // counters carry the interval count
}

TEST_CASE("context cache: one spelling under two types stays two contexts") {
  Fixture f;
  f.add("x:1|c|#a:1", kT0 + 1);
  f.add("x:7|g|#a:1", kT0 + 1);
  f.add("x:1|c|#a:1", kT0 + 2);
  f.add("x:5|g|#a:1", kT0 + 2);
  CHECK(f.aggregator.liveContexts() == 2);
  const FlushBatch batch = f.flushAt(kT0 + 10);
  REQUIRE(batch.series.size() == 2);
  for (const auto& series : batch.series) {
    CHECK(series.points.at(0).value == (series.type == SeriesType::Gauge ? 5 : 2));
  }
}

TEST_CASE("context cache: a spelling seen before an expiry makes a fresh context after it") {
  Fixture f;
  f.config.contextExpirySeconds = 0;
  f.config.counterExpirySeconds = 0;
  f.add("g1:3|g|#k:v", kT0 + 1);
  f.add("g2:4|g|#k:v", kT0 + 1);
  CHECK(f.aggregator.liveContexts() == 2);
  (void)f.flushAt(kT0 + 10);
  (void)f.flushAt(kT0 + 40);  // both idle: expired, slots freed and the index rebuilt
  CHECK(f.aggregator.liveContexts() == 0);
  f.add("g2:9|g|#k:v", kT0 + 41);  // reuses a freed slot: the old spelling must not point at it
  f.add("g1:6|g|#k:v", kT0 + 42);
  CHECK(f.aggregator.liveContexts() == 2);
  const FlushBatch batch = f.flushAt(kT0 + 50);
  CHECK(f.total(batch, "g1") == 6);
  CHECK(f.total(batch, "g2") == 9);
}

TEST_CASE("context cache: a flood of spellings stays exact while the cache refills") {
  Fixture f;
  // 3 tags in all 6 orders x 2000 names: 12,000 spellings of 2,000 contexts, more than the cache
  // keeps for so few contexts (2 per context + 1024), so it is cleared and refilled along the way.
  const char* orders[] = {"a:1,b:2,c:3", "a:1,c:3,b:2", "b:2,a:1,c:3",
                          "b:2,c:3,a:1", "c:3,a:1,b:2", "c:3,b:2,a:1"};
  for (int round = 0; round < 2; ++round) {
    for (int n = 0; n < 2000; ++n) {
      for (const char* order : orders) f.add("m" + std::to_string(n) + ":1|c|#" + order, kT0 + 1);
    }
  }
  CHECK(f.aggregator.liveContexts() == 2000);
  const FlushBatch batch = f.flushAt(kT0 + 10);
  REQUIRE(batch.series.size() == 2000);
  for (const auto& series : batch.series) CHECK(series.points.at(0).value == 12);
}

}  // namespace
}  // namespace dynostatsd
