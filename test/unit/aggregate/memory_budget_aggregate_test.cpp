// The aggregator's byte accounting against a shared MemoryBudget (agent/model/memory_budget.h).
#include <catch2/catch.hpp>
#include <string>

#include "aggregate/interval_aggregator.h"

namespace dynostatsd {
namespace {

constexpr std::int64_t kT0 = 1700000000;

MetricSample metric(std::string_view name, MetricType type, std::vector<double> values,
                    std::vector<std::string_view> tags = {}) {
  MetricSample s;
  s.name = name;
  s.type = type;
  s.values = std::move(values);
  s.tags = std::move(tags);
  return s;
}

struct BudgetFixture {
  explicit BudgetFixture(std::size_t limit) : budget(limit), clock(kT0 * 1000 + 3000) {
    config.contextExpirySeconds = 0;
    config.counterExpirySeconds = 0;
    aggregator = std::make_unique<IntervalAggregator>(config, clock, std::vector<std::string>{}, &budget);
  }
  FlushBatch flushAt(std::int64_t seconds, bool all = false) {
    clock.setSeconds(seconds);
    FlushBatch batch;
    aggregator->flush(batch, all);
    return batch;
  }
  MemoryBudget budget;
  AggregateConfig config;
  ManualClock clock;
  std::unique_ptr<IntervalAggregator> aggregator;
};

double setValue(const FlushBatch& batch, std::string_view name) {
  for (const auto& s : batch.series)
    if (s.name == name) return s.points.at(0).value;
  return -1;
}

TEST_CASE("budget: set members stop at the aggregate share; the count stays exact for what was kept") {
  BudgetFixture f(1 << 20);  // aggregate share 768 KiB: ~24k-48k member slots of 16 bytes
  std::string value;
  for (int i = 0; i < 200000; ++i) {
    value = "member-" + std::to_string(i);
    MetricSample s;
    s.name = "users";
    s.type = MetricType::Set;
    s.setMember = value;
    f.aggregator->add(s);
  }
  const auto& stats = f.aggregator->stats();
  CHECK(stats.memoryBudgetDrops > 0);
  CHECK(f.budget.used() <= f.budget.limit() * 3 / 4);
  CHECK(f.budget.drops(MemoryBudget::Share::Aggregate) == stats.memoryBudgetDrops);
  const auto accepted = static_cast<double>(stats.samplesAccepted);
  const FlushBatch batch = f.flushAt(kT0 + 10);
  CHECK(setValue(batch, "users") == accepted);  // every member kept is counted once
  CHECK(accepted + static_cast<double>(stats.memoryBudgetDrops) == 200000);
}

TEST_CASE("budget: contexts with big tags are bounded in bytes, and all of it comes back") {
  BudgetFixture f(4 << 20);
  const std::string bigTag = "blob:" + std::string(7900, 'x');
  std::string name;
  for (int i = 0; i < 50000; ++i) {
    name = "c" + std::to_string(i);
    f.aggregator->add(metric(name, MetricType::Counter, {1}, {bigTag}));
  }
  const auto& stats = f.aggregator->stats();
  CHECK(stats.memoryBudgetDrops > 0);
  CHECK(f.aggregator->liveContexts() < 400);  // 3 MiB / ~8 KB
  CHECK(f.aggregator->liveContexts() > 300);
  CHECK(f.budget.used() <= f.budget.limit() * 3 / 4);
  CHECK(f.budget.used() == f.aggregator->chargedBytesForTest());
  f.flushAt(kT0 + 10);
  f.flushAt(kT0 + 40);  // every context idle past its expiry
  CHECK(f.aggregator->liveContexts() == 0);
  CHECK(f.budget.used() < 64 * 1024);  // the arrays' capacity only
  f.aggregator.reset();
  CHECK(f.budget.used() == 0);
}

TEST_CASE("budget: histogram samples and sketches are charged and released per bucket") {
  BudgetFixture f(8 << 20);
  for (int i = 0; i < 5000; ++i) {
    f.aggregator->add(metric("latency", MetricType::Histogram, {static_cast<double>(i)}));
    f.aggregator->add(metric("size", MetricType::Distribution, {static_cast<double>(i)}));
  }
  const std::size_t loaded = f.budget.used();
  CHECK(loaded > 2048 * 16);  // at least the exact samples of one bucket
  CHECK(f.aggregator->stats().memoryBudgetDrops == 0);
  f.flushAt(kT0 + 10);
  CHECK(f.budget.used() < loaded);
  CHECK(f.budget.used() == f.aggregator->chargedBytesForTest());
}

TEST_CASE("budget: |T points are bounded in bytes and released at flush") {
  BudgetFixture f(2 << 20);
  const std::string bigTag = "blob:" + std::string(4000, 'y');
  for (int i = 0; i < 65536; ++i) {
    auto s = metric("ts", MetricType::Gauge, {1}, {bigTag});
    s.timestamp = kT0 - 60 + (i % 60);
    std::string host = "h" + std::to_string(i);
    s.host = host;
    f.aggregator->add(s);
  }
  CHECK(f.aggregator->stats().memoryBudgetDrops > 60000);
  CHECK(f.aggregator->pendingTimestamped() < 400);
  CHECK(f.budget.used() <= f.budget.limit() * 3 / 4);
  f.flushAt(kT0 + 10);
  CHECK(f.aggregator->pendingTimestamped() == 0);
  CHECK(f.budget.used() < 64 * 1024);
}

TEST_CASE("budget: an unlimited aggregator (no budget given) never drops for memory") {
  AggregateConfig config;
  ManualClock clock(kT0 * 1000);
  IntervalAggregator aggregator(config, clock, {});
  const std::string bigTag = "blob:" + std::string(7900, 'x');
  std::string name;
  for (int i = 0; i < 2000; ++i) {
    name = "c" + std::to_string(i);
    aggregator.add(metric(name, MetricType::Counter, {1}, {bigTag}));
  }
  CHECK(aggregator.stats().memoryBudgetDrops == 0);
  CHECK(aggregator.liveContexts() == 2000);
}

}  // namespace
}  // namespace dynostatsd
