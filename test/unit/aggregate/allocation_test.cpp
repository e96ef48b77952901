// Steady-state aggregation allocates nothing: once every context has lived through one interval
// of a given shape, the next interval's samples (set members, histogram and distribution samples,
// counters, gauges) are stored in memory recycled from the previous one.
// Counts every operator new in this test binary (counting_new.h).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <deque>
#include <new>
#include <string>
#include "aggregate/interval_aggregator.h"
#include "counting_new.h"
#include "parse/parser.h"

namespace dynostatsd {
namespace {

constexpr std::int64_t kT0 = 1700000000;

TEST_CASE("steady-state aggregation of sets, histograms and distributions allocates nothing") {
  AggregateConfig config;
  ManualClock clock(kT0 * 1000);
  IntervalAggregator aggregator(config, clock, {"dyno:web.1"});

  // One interval's traffic: 1,500 distinct set members, 1,000 timer and histogram samples with
  // decimals, 1,000 distribution samples, counters and gauges, over 20 contexts.
  std::deque<std::string> lines;
  for (int i = 0; i < 1500; ++i) {
    lines.push_back("users:u" + std::to_string(i) + "|s|#route:/r" + std::to_string(i % 2));
    lines.push_back("lat:" + std::to_string(i % 250) + "." + std::to_string(i % 1000) +
                    "|ms|#status:" + std::to_string(200 + i % 4));
    lines.push_back("size:" + std::to_string(i) + ".5|h|#k:v");
    lines.push_back("resp:" + std::to_string(i % 977) + ".25|d|#k:v");
    lines.push_back("hits:1|c|#status:" + std::to_string(200 + i % 4));
    lines.push_back("depth:" + std::to_string(i) + "|g");
  }
  std::vector<MetricSample> samples(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i)
    REQUIRE(parseMetric(lines[i], samples[i]) == ParseError::None);

  std::size_t allocationsInLastInterval = 0;
  double setSize = 0;
  for (int interval = 0; interval < 3; ++interval) {
    const std::int64_t start = kT0 + 10 * interval;
    clock.setSeconds(start + 1);
    const std::size_t before = gAllocations;
    for (const auto& sample : samples) aggregator.add(sample);
    allocationsInLastInterval = gAllocations - before;
    clock.setSeconds(start + 10);
    FlushBatch batch;
    aggregator.flush(batch, false);
    for (const auto& series : batch.series) {
      if (series.name == "users") setSize += series.points.at(0).value;
    }
  }
  CHECK(allocationsInLastInterval == 0);
  CHECK(setSize == 3 * 1500);  // every member of every interval was counted
}

}  // namespace
}  // namespace dynostatsd
