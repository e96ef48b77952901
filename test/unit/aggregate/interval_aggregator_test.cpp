#include "aggregate/interval_aggregator.h"
#include "aggregate/ddsketch.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <random>

namespace dynostatsd {
namespace {

using Tags = std::vector<std::string>;
constexpr std::int64_t kT0 = 1700000000;  // a bucket boundary (multiple of 10)

MetricSample sample(std::string_view name, MetricType type, std::vector<double> values,
                    std::vector<std::string_view> tags = {}, double rate = 1, std::string_view host = "") {
  MetricSample s;
  s.name = name;
  s.type = type;
  s.values = std::move(values);
  s.tags = std::move(tags);
  s.rate = rate;
  s.host = host;
  return s;
}

MetricSample member(std::string_view name, std::string_view value) {
  MetricSample s;
  s.name = name;
  s.type = MetricType::Set;
  s.setMember = value;
  return s;
}

struct Fixture {
  explicit Fixture(AggregateConfig c = {}, Tags staticTags = {"dyno:web.1", "dynotype:web"})
      : config(std::move(c)), clock(kT0 * 1000 + 3000), aggregator(config, clock, std::move(staticTags)) {}

  FlushBatch flushAt(std::int64_t seconds, bool all = false) {
    clock.setSeconds(seconds);
    FlushBatch batch;
    aggregator.flush(batch, all);
    return batch;
  }
  void addAt(std::int64_t seconds, const MetricSample& s) {
    clock.setSeconds(seconds);
    aggregator.add(s);
  }

  AggregateConfig config;
  ManualClock clock;
  IntervalAggregator aggregator;
};

const Series* find(const FlushBatch& batch, std::string_view name) {
  for (const auto& s : batch.series) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<std::pair<std::int64_t, double>> points(const Series& series) {
  std::vector<std::pair<std::int64_t, double>> out;
  for (const auto& p : series.points) out.emplace_back(p.timestamp, p.value);
  return out;
}

TEST_CASE("counter: bucket aligned to the epoch, open bucket held back, the point carries the count") {
  Fixture f;
  for (int i = 0; i < 3; ++i) f.addAt(kT0 + 3, sample("page.views", MetricType::Counter, {1}));
  f.addAt(kT0 + 9, sample("page.views", MetricType::Counter, {2}));
  CHECK(f.flushAt(kT0 + 9).empty());  // bucket [kT0, kT0+10) still open
  const auto batch = f.flushAt(kT0 + 10);
  REQUIRE(batch.series.size() == 1);
  const Series& s = batch.series[0];
  CHECK(s.name == "page.views");
  CHECK(s.type == SeriesType::Rate);
  CHECK(s.interval == 10);
  CHECK(s.host.empty());
  CHECK(s.tags == Tags{"dyno:web.1", "dynotype:web"});
  CHECK(points(s) == decltype(points(s)){{kT0, 5}});
  CHECK(f.aggregator.stats().samplesAccepted == 4);
}

TEST_CASE("flushAll closes the open bucket; several closed buckets make one series") {
  Fixture f;
  f.addAt(kT0 + 1, sample("q.depth", MetricType::Gauge, {4}));
  f.addAt(kT0 + 12, sample("q.depth", MetricType::Gauge, {5}));
  f.addAt(kT0 + 25, sample("q.depth", MetricType::Gauge, {6}));
  auto batch = f.flushAt(kT0 + 27);
  REQUIRE(batch.series.size() == 1);
  CHECK(points(batch.series[0]) == decltype(points(batch.series[0])){{kT0, 4}, {kT0 + 10, 5}});
  batch = f.flushAt(kT0 + 28, true);
  REQUIRE(batch.series.size() == 1);
  CHECK(points(batch.series[0]) == decltype(points(batch.series[0])){{kT0 + 20, 6}});
  CHECK(f.flushAt(kT0 + 29, true).empty());
}

TEST_CASE("a wall clock stepping back lands in the older bucket; points stay ascending") {
  Fixture f;
  f.addAt(kT0 + 25, sample("c", MetricType::Counter, {1}));
  f.addAt(kT0 + 15, sample("c", MetricType::Counter, {2}));
  f.addAt(kT0 + 3, sample("c", MetricType::Counter, {3}));
  f.addAt(kT0 + 16, sample("c", MetricType::Counter, {4}));
  const auto batch = f.flushAt(kT0 + 30);
  REQUIRE(batch.series.size() == 1);
  CHECK(points(batch.series[0]) == decltype(points(batch.series[0])){{kT0, 3}, {kT0 + 10, 6}, {kT0 + 20, 1}});
}

TEST_CASE("flush interval other than 10 s") {
  AggregateConfig config;
  config.flushIntervalSeconds = 60;
  Fixture f(config);
  f.addAt(kT0 + 59, sample("c", MetricType::Counter, {30}));  // 1700000059 % 60 = 19: bucket kT0 + 40
  const auto batch = f.flushAt(kT0 + 100);
  REQUIRE(batch.series.size() == 1);
  CHECK(batch.series[0].interval == 60);
  CHECK(points(batch.series[0]) == decltype(points(batch.series[0])){{kT0 + 40, 30}});
}

TEST_CASE("gauge keeps the last value, packed values count one by one") {
  Fixture f;
  f.addAt(kT0 + 1, sample("g", MetricType::Gauge, {5}));
  f.addAt(kT0 + 2, sample("g", MetricType::Gauge, {7, 1, 9}));
  f.addAt(kT0 + 3, sample("g", MetricType::Gauge, {-2}));
  f.addAt(kT0 + 4, sample("c", MetricType::Counter, {1, 2, 3}));
  const auto batch = f.flushAt(kT0 + 10);
  CHECK(points(*find(batch, "g")) == decltype(points(batch.series[0])){{kT0, -2}});
  CHECK(find(batch, "g")->type == SeriesType::Gauge);
  CHECK(points(*find(batch, "c")) == decltype(points(batch.series[0])){{kT0, 6}});
}

TEST_CASE("set counts distinct members per bucket, as a gauge") {
  Fixture f;
  for (auto m : {"alice", "bob", "alice", "carol", "bob"}) f.addAt(kT0 + 1, member("users", m));
  f.addAt(kT0 + 11, member("users", "alice"));
  const auto batch = f.flushAt(kT0 + 20);
  REQUIRE(batch.series.size() == 1);
  CHECK(batch.series[0].type == SeriesType::Gauge);
  CHECK(points(batch.series[0]) == decltype(points(batch.series[0])){{kT0, 3}, {kT0 + 10, 1}});
}

TEST_CASE("set member bound: members beyond the bound are dropped and counted") {
  Fixture f;
  std::vector<std::string> names;
  names.reserve(IntervalAggregator::kMaxSetMembers + 2);
  for (std::size_t i = 0; i < IntervalAggregator::kMaxSetMembers + 2; ++i)
    names.push_back("m" + std::to_string(i));
  f.clock.setSeconds(kT0 + 1);
  for (const auto& n : names) f.aggregator.add(member("big", n));
  f.aggregator.add(member("big", names[5]));  // existing member: still fine
  CHECK(f.aggregator.stats().setMemberLimitDrops == 2);
  const auto batch = f.flushAt(kT0 + 10);
  CHECK(points(batch.series[0]) ==
        decltype(points(batch.series[0])){{kT0, static_cast<double>(IntervalAggregator::kMaxSetMembers)}});
}

TEST_CASE("sample rate scales counters; invalid rates count as 1 and are counted") {
  Fixture f;
  f.addAt(kT0 + 1, sample("c", MetricType::Counter, {1}, {}, 0.5));
  f.addAt(kT0 + 1, sample("c", MetricType::Counter, {1}, {}, 0.1));
  for (const double bad : {0.0, -1.0, 2.0, std::nan("")})
    f.addAt(kT0 + 1, sample("c", MetricType::Counter, {1}, {}, bad));
  f.addAt(kT0 + 1, sample("g", MetricType::Gauge, {3}, {}, 0.5));  // gauges ignore the rate
  f.addAt(kT0 + 1, sample("g", MetricType::Gauge, {4}, {}, 7));    // ... but a bad one is counted
  CHECK(f.aggregator.stats().invalidSampleRate == 5);
  const auto batch = f.flushAt(kT0 + 10);
  CHECK(find(batch, "c")->points[0].value == Approx(16));  // 2 + 10 + 4
  CHECK(find(batch, "g")->points[0].value == 4);
}

TEST_CASE("non-finite values are rejected one by one and counted") {
  Fixture f;
  f.addAt(kT0 + 1, sample("c", MetricType::Counter, {1, NAN, INFINITY, 2}));
  f.addAt(kT0 + 1, sample("only.nan", MetricType::Gauge, {NAN}));
  f.addAt(kT0 + 1, sample("h", MetricType::Histogram, {-INFINITY, 4}));
  CHECK(f.aggregator.stats().nonFiniteValues == 4);
  CHECK(f.aggregator.liveContexts() == 2);  // no context for a sample without a usable value
  const auto batch = f.flushAt(kT0 + 10);
  CHECK(find(batch, "c")->points[0].value == Approx(3));
  CHECK(find(batch, "only.nan") == nullptr);
  CHECK(find(batch, "h.max")->points[0].value == 4);
}

TEST_CASE("sums that overflow a double are dropped and counted, never sent as Inf/NaN") {
  Fixture f;
  f.addAt(kT0 + 1, sample("c", MetricType::Counter, {1e308, 1e308}));
  f.addAt(kT0 + 1, sample("ok", MetricType::Counter, {1}));
  f.addAt(kT0 + 1, sample("h", MetricType::Histogram, {1.7e308, 1.7e308}));
  f.addAt(kT0 + 1, sample("d", MetricType::Distribution, {1.7e308, 1.7e308}));
  f.addAt(kT0 + 1, sample("tiny.rate", MetricType::Counter, {1}, {}, 4.9e-324));  // 1/rate = Inf
  CHECK(f.aggregator.stats().invalidSampleRate == 1);
  const auto batch = f.flushAt(kT0 + 10);
  CHECK(find(batch, "c") == nullptr);
  CHECK(find(batch, "ok")->points[0].value == Approx(1));
  CHECK(find(batch, "tiny.rate")->points[0].value == Approx(1));
  CHECK(find(batch, "h.max")->points[0].value == 1.7e308);  // max and median stay finite
  CHECK(find(batch, "h.avg") == nullptr);                   // sum overflowed
  CHECK(batch.sketches.empty());
  CHECK(f.aggregator.stats().nonFiniteResults == 3);  // c, h.avg, d
  for (const auto& s : batch.series) {
    for (const auto& p : s.points) CHECK(std::isfinite(p.value));
  }
}

TEST_CASE("distribution weights are capped: a tiny sample rate cannot blow up the bins") {
  Fixture f;
  f.addAt(kT0 + 1, sample("d", MetricType::Distribution, {5}, {}, 1e-300));
  f.addAt(kT0 + 1, sample("d", MetricType::Distribution, {5}, {}, 1e-300));
  const auto batch = f.flushAt(kT0 + 10);
  REQUIRE(batch.sketches.size() == 1);
  const auto& p = batch.sketches[0].points.at(0);
  CHECK(p.count == 2 * std::int64_t{UINT32_MAX});
  CHECK(p.keys.size() == 1);
  CHECK(p.counts == std::vector<std::uint32_t>{UINT32_MAX});  // saturated
}

TEST_CASE("tag order and duplicates never split a context; host and type family do") {
  Fixture f;
  f.addAt(kT0 + 1, sample("c", MetricType::Counter, {1}, {"b:2", "a:1"}));
  f.addAt(kT0 + 1, sample("c", MetricType::Counter, {1}, {"a:1", "b:2", "a:1"}));
  f.addAt(kT0 + 1, sample("c", MetricType::Counter, {1}, {"a:1", "b:2", "b:2", "a:1", "b:2"}));
  f.addAt(kT0 + 1, sample("c", MetricType::Counter, {5}, {"a:1", "b:2"}, 1, "other-host"));
  f.addAt(kT0 + 1, sample("c", MetricType::Gauge, {9}, {"a:1", "b:2"}));
  CHECK(f.aggregator.liveContexts() == 3);
  const auto batch = f.flushAt(kT0 + 10);
  REQUIRE(batch.series.size() == 3);
  std::map<std::string, const Series*> byKey;
  for (const auto& s : batch.series) byKey[s.host + "/" + std::to_string(int(s.type))] = &s;
  const Series* rate = byKey.at("/2");
  CHECK(rate->tags == Tags{"a:1", "b:2", "dyno:web.1", "dynotype:web"});
  CHECK(rate->points[0].value == Approx(3));
  CHECK(byKey.at("other-host/2")->points[0].value == Approx(5));
  CHECK(byKey.at("other-host/2")->host == "other-host");
  CHECK(byKey.at("/3")->points[0].value == 9);
}

TEST_CASE("a static tag the sample already carries is not repeated") {
  Fixture f;
  f.addAt(kT0 + 1, sample("c", MetricType::Counter, {1}, {"zone:a", "dynotype:web"}));
  const auto batch = f.flushAt(kT0 + 10);
  CHECK(batch.series[0].tags == Tags{"dynotype:web", "zone:a", "dyno:web.1"});
}

TEST_CASE("timers and histograms share a context family") {
  Fixture f;
  f.addAt(kT0 + 1, sample("lat", MetricType::Timer, {10}));
  f.addAt(kT0 + 1, sample("lat", MetricType::Histogram, {30}));
  CHECK(f.aggregator.liveContexts() == 1);
  const auto batch = f.flushAt(kT0 + 10);
  CHECK(find(batch, "lat.max")->points[0].value == 30);
  CHECK(find(batch, "lat.count")->points[0].value == Approx(2));
}

TEST_CASE("counter zero-fill: 0 for each bucket for exactly 300 s, then stops; then expiry") {
  Fixture f;
  f.addAt(kT0 + 3, sample("c", MetricType::Counter, {10}));
  std::vector<std::pair<std::int64_t, double>> all;
  for (std::int64_t t = kT0 + 11; t <= kT0 + 401; t += 10) {
    for (const auto& s : f.flushAt(t).series) {
      const auto p = points(s);
      all.insert(all.end(), p.begin(), p.end());
    }
  }
  REQUIRE(all.size() == 30);  // the data point + 29 zeros: kT0+10 .. kT0+290
  CHECK(all[0] == std::make_pair(kT0, 10.0));
  for (std::size_t i = 1; i < all.size(); ++i) {
    CHECK(all[i] == std::make_pair(kT0 + static_cast<std::int64_t>(i) * 10, 0.0));
  }
  CHECK(all.back().first == kT0 + 290);
  // Counter contexts live contextExpiry (20) + counterExpiry (300) after the last sample (kT0+3).
  CHECK(f.aggregator.liveContexts() == 0);
  CHECK(f.aggregator.stats().contextsExpired == 1);
}

TEST_CASE("counter zero-fill: a late flush emits every zero once, in one series") {
  Fixture f;
  f.addAt(kT0 + 3, sample("c", MetricType::Counter, {10}));
  const auto batch = f.flushAt(kT0 + 1000);
  REQUIRE(batch.series.size() == 1);
  CHECK(batch.series[0].points.size() == 30);
  CHECK(batch.series[0].points.back().timestamp == kT0 + 290);
  CHECK(f.flushAt(kT0 + 1010).empty());
}

TEST_CASE("counter zero-fill restarts from the newest sample") {
  Fixture f;
  f.addAt(kT0 + 3, sample("c", MetricType::Counter, {10}));
  auto batch = f.flushAt(kT0 + 31);  // kT0, kT0+10 (0), kT0+20 (0)
  CHECK(batch.series[0].points.size() == 3);
  f.addAt(kT0 + 35, sample("c", MetricType::Counter, {20}));
  batch = f.flushAt(kT0 + 51);
  CHECK(points(batch.series[0]) == decltype(points(batch.series[0])){{kT0 + 30, 20}, {kT0 + 40, 0}});
}

TEST_CASE("non-counter contexts expire after contextExpirySeconds idle, without repeating points") {
  Fixture f;
  f.addAt(kT0 + 5, sample("g", MetricType::Gauge, {1}));
  f.addAt(kT0 + 5, member("s", "x"));
  f.addAt(kT0 + 5, sample("h", MetricType::Histogram, {1}));
  CHECK(f.aggregator.liveContexts() == 3);
  CHECK(f.flushAt(kT0 + 10).series.size() == 7);  // g, s, and 5 histogram series
  CHECK(f.flushAt(kT0 + 20).empty());
  CHECK(f.aggregator.liveContexts() == 3);  // idle 15 s
  CHECK(f.flushAt(kT0 + 25).empty());
  CHECK(f.aggregator.liveContexts() == 3);  // idle 20 s: not yet
  CHECK(f.flushAt(kT0 + 26).empty());
  CHECK(f.aggregator.liveContexts() == 0);
  CHECK(f.aggregator.stats().contextsExpired == 3);
  // A returning metric gets a fresh context.
  f.addAt(kT0 + 30, sample("g", MetricType::Gauge, {2}));
  CHECK(f.aggregator.liveContexts() == 1);
  CHECK(points(f.flushAt(kT0 + 40).series[0]) == decltype(points(f.flushAt(0).series[0])){{kT0 + 30, 2}});
}

TEST_CASE("context bound: samples for new contexts beyond maxContexts are dropped and counted") {
  AggregateConfig config;
  config.maxContexts = 2;
  Fixture f(config);
  f.addAt(kT0 + 1, sample("a", MetricType::Counter, {1}));
  f.addAt(kT0 + 1, sample("b", MetricType::Counter, {1}));
  f.addAt(kT0 + 1, sample("c", MetricType::Counter, {1}));
  f.addAt(kT0 + 1, sample("d", MetricType::Gauge, {1}));
  f.addAt(kT0 + 1, sample("a", MetricType::Counter, {1}));  // existing context: accepted
  CHECK(f.aggregator.stats().contextLimitDrops == 2);
  CHECK(f.aggregator.stats().samplesAccepted == 3);
  CHECK(f.aggregator.liveContexts() == 2);
  const auto batch = f.flushAt(kT0 + 10);
  CHECK(batch.series.size() == 2);
  CHECK(find(batch, "a")->points[0].value == Approx(2));
}

TEST_CASE("histogram worked example: 1..10, default aggregates and 95th percentile") {
  Fixture f;
  for (int v = 1; v <= 10; ++v) f.addAt(kT0 + 1, sample("lat", MetricType::Histogram, {double(v)}));
  auto batch = f.flushAt(kT0 + 10);
  REQUIRE(batch.series.size() == 5);
  const std::vector<std::string> names{"lat.max", "lat.median", "lat.avg", "lat.count", "lat.95percentile"};
  for (std::size_t i = 0; i < names.size(); ++i) CHECK(batch.series[i].name == names[i]);
  CHECK(find(batch, "lat.max")->points[0].value == 10);
  CHECK(find(batch, "lat.median")->points[0].value == 5);
  CHECK(find(batch, "lat.avg")->points[0].value == 5.5);
  CHECK(find(batch, "lat.count")->points[0].value == 10.0);
  CHECK(find(batch, "lat.count")->type == SeriesType::Rate);
  CHECK(find(batch, "lat.max")->type == SeriesType::Gauge);
  CHECK(find(batch, "lat.95percentile")->points[0].value == 10);
  CHECK(find(batch, "lat.95percentile")->tags == Tags{"dyno:web.1", "dynotype:web"});

  for (int v = 1; v <= 10; ++v) f.addAt(kT0 + 11, sample("lat", MetricType::Histogram, {double(v)}, {}, 0.5));
  batch = f.flushAt(kT0 + 20);
  CHECK(find(batch, "lat.count")->points[0].value == 20.0);
  CHECK(find(batch, "lat.median")->points[0].value == 5);
  CHECK(find(batch, "lat.95percentile")->points[0].value == 10);
  CHECK(find(batch, "lat.avg")->points[0].value == 5.5);
  CHECK(find(batch, "lat.max")->points[0].value == 10);
}

TEST_CASE("histogram aggregates and percentiles follow the configuration") {
  AggregateConfig config;
  config.histogramAggregates = {"min", "sum", "max", "bogus", "max", "count"};
  config.histogramPercentiles = {50, 99, 95, 150, 99};
  Fixture f(config, {});
  f.clock.setSeconds(kT0 + 1);
  for (int v = 100; v >= 1; --v) f.aggregator.add(sample("t", MetricType::Timer, {double(v)}, {"x:y"}));
  const auto batch = f.flushAt(kT0 + 10);
  std::vector<std::pair<std::string, double>> got;
  for (const auto& s : batch.series) got.emplace_back(s.name, s.points.at(0).value);
  CHECK(got == std::vector<std::pair<std::string, double>>{{"t.min", 1},
                                                           {"t.sum", 5050},
                                                           {"t.max", 100},
                                                           {"t.count", 100},
                                                           {"t.50percentile", 50},
                                                           {"t.99percentile", 99},
                                                           {"t.95percentile", 95}});
  CHECK(batch.series[0].tags == Tags{"x:y"});
}

TEST_CASE("histogram memory bound: past 2048 samples a bucket degrades with exact min/max/count") {
  Fixture f;
  f.clock.setSeconds(kT0 + 1);
  for (int v = 1; v <= 5000; ++v) f.aggregator.add(sample("big", MetricType::Histogram, {double(v)}));
  CHECK(f.aggregator.stats().histogramBucketsDegraded == 1);
  const auto batch = f.flushAt(kT0 + 10);
  CHECK(find(batch, "big.max")->points[0].value == 5000);
  CHECK(find(batch, "big.count")->points[0].value == 5000);
  CHECK(find(batch, "big.avg")->points[0].value == 2500.5);
  CHECK(find(batch, "big.median")->points[0].value == Approx(2500).epsilon(0.0078));
  CHECK(find(batch, "big.95percentile")->points[0].value == Approx(4750).epsilon(0.0078));
}

TEST_CASE("|T gauge and counter bypass buckets and go out at the next flush") {
  Fixture f;
  auto gauge = sample("temp", MetricType::Gauge, {21.5}, {"room:b", "room:a"});
  gauge.timestamp = kT0 - 100;
  auto counter = sample("jobs", MetricType::Counter, {30}, {}, 0.5);  // rate NOT applied
  counter.timestamp = kT0 - 50;
  auto counter2 = counter;
  counter2.values = {10};
  auto later = counter;
  later.timestamp = kT0 - 40;
  f.addAt(kT0 + 1, gauge);
  f.addAt(kT0 + 1, counter);
  f.addAt(kT0 + 1, counter2);  // same context and timestamp: adds up
  f.addAt(kT0 + 1, later);
  CHECK(f.aggregator.pendingTimestamped() == 3);
  CHECK(f.aggregator.liveContexts() == 0);
  const auto batch = f.flushAt(kT0 + 2);  // the open bucket does not hold them back
  REQUIRE(batch.series.size() == 2);
  const Series* temp = find(batch, "temp");
  CHECK(temp->type == SeriesType::Gauge);
  CHECK(temp->tags == Tags{"room:a", "room:b", "dyno:web.1", "dynotype:web"});
  CHECK(points(*temp) == decltype(points(*temp)){{kT0 - 100, 21.5}});
  const Series* jobs = find(batch, "jobs");
  CHECK(jobs->type == SeriesType::Rate);
  CHECK(points(*jobs) == decltype(points(*jobs)){{kT0 - 50, 40.0}, {kT0 - 40, 30.0}});
  CHECK(f.aggregator.pendingTimestamped() == 0);
  CHECK(f.flushAt(kT0 + 3).empty());
}

TEST_CASE("|T on other types, too old or too far ahead is dropped and counted") {
  Fixture f;
  auto h = sample("h", MetricType::Histogram, {1});
  h.timestamp = kT0;
  auto old = sample("g", MetricType::Gauge, {1});
  old.timestamp = kT0 - 3601;
  auto ahead = sample("g", MetricType::Gauge, {1});
  ahead.timestamp = kT0 + 601;
  f.addAt(kT0, h);
  f.addAt(kT0, old);
  f.addAt(kT0, ahead);
  CHECK(f.aggregator.stats().timestampedUnsupported == 1);
  CHECK(f.aggregator.stats().timestampedTooOld == 1);
  CHECK(f.aggregator.stats().timestampedTooNew == 1);
  CHECK(f.aggregator.stats().samplesAccepted == 0);
  CHECK(f.flushAt(kT0 + 100, true).empty());
}

TEST_CASE("distribution: one sketch per bucket and context, weight = truncated 1/rate") {
  Fixture f;
  f.addAt(kT0 + 1, sample("d", MetricType::Distribution, {1, 2, 10}, {"k:v"}, 0.5));
  f.addAt(kT0 + 2, sample("d", MetricType::Distribution, {2}, {"k:v"}, 0.3));  // 1/0.3 = 3.33 -> 3
  f.addAt(kT0 + 2, sample("d", MetricType::Distribution, {NAN}, {"k:v"}));
  f.addAt(kT0 + 12, sample("d", MetricType::Distribution, {-1}, {"k:v"}));
  const auto batch = f.flushAt(kT0 + 20);
  CHECK(batch.series.empty());
  REQUIRE(batch.sketches.size() == 1);
  const SketchSeries& s = batch.sketches[0];
  CHECK(s.name == "d");
  CHECK(s.tags == Tags{"k:v", "dyno:web.1", "dynotype:web"});
  REQUIRE(s.points.size() == 2);
  const SketchPoint& p = s.points[0];
  CHECK(p.timestamp == kT0);
  CHECK(p.count == 9);
  CHECK(p.min == 1);
  CHECK(p.max == 10);
  CHECK(p.sum == 32);
  CHECK(p.avg == Approx(32.0 / 9));
  CHECK(p.keys == std::vector<std::int32_t>{1338, 1383, 1487});
  CHECK(p.counts == std::vector<std::uint32_t>{2, 5, 2});
  CHECK(s.points[1].timestamp == kT0 + 10);
  CHECK(s.points[1].keys == std::vector<std::int32_t>{-1338});
  CHECK(s.points[1].count == 1);
  CHECK(f.aggregator.stats().nonFiniteValues == 1);
}

TEST_CASE("flushSome: a flush in slices emits every series exactly once") {
  Fixture f;
  const std::vector<std::string_view> names{"g0", "g1", "g2", "g3", "g4", "g5", "g6"};
  f.clock.setSeconds(kT0 + 1);
  for (std::size_t i = 0; i < names.size(); ++i) {
    f.aggregator.add(sample(names[i], MetricType::Gauge, {double(i)}));
  }
  f.aggregator.add(sample("lat", MetricType::Histogram, {3}));
  f.clock.setSeconds(kT0 + 11);
  using Points = std::vector<std::pair<std::int64_t, double>>;
  std::map<std::string, Points> got;
  int calls = 0;
  bool done = false;
  while (!done) {
    FlushBatch slice;
    done = f.aggregator.flushSome(slice, false, 3);
    ++calls;
    CHECK(slice.series.size() <= 3 + 4);  // a histogram's 5 outputs stay together
    for (const auto& s : slice.series) {
      CHECK(got.count(s.name) == 0);
      got[s.name] = points(s);
    }
    // A sample arriving between slices goes to the open bucket, not into this flush.
    f.aggregator.add(sample("g0", MetricType::Gauge, {100}));
  }
  CHECK(calls >= 3);
  CHECK(got.size() == names.size() + 5);
  CHECK(got.at("g6") == Points{{kT0, 6}});
  CHECK(got.at("g0") == Points{{kT0, 0}});
  CHECK(got.at("lat.max") == Points{{kT0, 3}});
  // The open bucket is flushed by the next cycle, here a shutdown.
  const auto last = f.flushAt(kT0 + 12, true);
  REQUIRE(last.series.size() == 1);
  CHECK(points(last.series[0]) == decltype(points(last.series[0])){{kT0 + 10, 100}});
}

TEST_CASE("flushSome: a shutdown flushAll upgrades a cycle under way") {
  Fixture f;
  f.addAt(kT0 + 1, sample("a", MetricType::Gauge, {1}));
  f.addAt(kT0 + 1, sample("b", MetricType::Gauge, {2}));
  f.addAt(kT0 + 11, sample("a", MetricType::Gauge, {3}));
  f.addAt(kT0 + 11, sample("b", MetricType::Gauge, {4}));
  FlushBatch first;
  CHECK_FALSE(f.aggregator.flushSome(first, false, 1));
  REQUIRE(first.series.size() == 1);
  FlushBatch rest;
  f.aggregator.flush(rest, true);
  std::vector<std::pair<std::int64_t, double>> all = points(first.series[0]);
  for (const auto& s : rest.series) {
    const auto p = points(s);
    all.insert(all.end(), p.begin(), p.end());
  }
  std::sort(all.begin(), all.end());
  CHECK(all == decltype(all){{kT0, 1}, {kT0, 2}, {kT0 + 10, 3}, {kT0 + 10, 4}});
}

TEST_CASE("random stream: counter totals are conserved, points ordered, contexts bounded") {
  AggregateConfig config;
  config.maxContexts = 50;
  Fixture f(config);
  std::mt19937 random(12345);
  const std::vector<std::string_view> names{"a", "b", "c", "d", "e", "f", "g", "h"};
  const std::vector<std::string_view> tags{"t:1", "t:2", "t:3", "u:x", "u:y"};
  std::map<std::string, double> sent;  // per name: sum of values that were accepted
  std::map<std::string, double> seen;  // per name: sum of the counts the points carry
  std::int64_t now = kT0;
  auto collect = [&](const FlushBatch& batch) {
    for (const auto& s : batch.series) {
      REQUIRE(s.type == SeriesType::Rate);
      for (std::size_t i = 1; i < s.points.size(); ++i)
        CHECK(s.points[i - 1].timestamp < s.points[i].timestamp);
      for (const auto& p : s.points) seen[s.name] += p.value;
    }
  };
  for (int step = 0; step < 20000; ++step) {
    now += random() % 3 == 0 ? 1 : 0;
    f.clock.setSeconds(now);
    std::vector<std::string_view> sampleTags;
    for (int k = random() % 4; k > 0; --k) sampleTags.push_back(tags[random() % tags.size()]);
    const auto name = names[random() % names.size()];
    const double value = double(random() % 100);
    const auto before = f.aggregator.stats().contextLimitDrops;
    f.aggregator.add(sample(name, MetricType::Counter, {value}, sampleTags));
    if (f.aggregator.stats().contextLimitDrops == before) sent[std::string(name)] += value;
    CHECK(f.aggregator.liveContexts() <= 50);
    if (random() % 500 == 0) {
      FlushBatch batch;
      f.aggregator.flush(batch, false);
      collect(batch);
    }
  }
  collect(f.flushAt(now + 1, true));
  CHECK(f.aggregator.stats().contextLimitDrops > 0);  // the stream did hit the bound ...
  CHECK(f.aggregator.stats().contextsExpired > 0);    // ... and contexts came and went
  for (const auto& [name, total] : sent) {
    INFO(name);
    CHECK(seen[name] == Approx(total));
  }
}

TEST_CASE("neutral distributions: exact sorted samples, sketch keys for d, Datadog shapes only on demand") {
  Fixture f;
  f.aggregator.setNeeds(false, true);
  f.addAt(kT0 + 1, sample("lat", MetricType::Timer, {30, 10, 20}, {}, 0.5));
  f.addAt(kT0 + 1, sample("size", MetricType::Histogram, {4}));
  f.addAt(kT0 + 1, sample("d", MetricType::Distribution, {1, 2, 3, 4}));
  f.addAt(kT0 + 1, sample("c", MetricType::Counter, {7}));
  const auto batch = f.flushAt(kT0 + 10);
  CHECK(batch.sketches.empty());  // no sink wants the Agent's shapes
  REQUIRE(batch.series.size() == 1);
  CHECK(batch.series[0].kind == MetricKind::Counter);
  CHECK(batch.series[0].points[0].value == 7);  // the count
  REQUIRE(batch.distributions.size() == 3);
  const DistributionSeries* lat = nullptr;
  const DistributionSeries* d = nullptr;
  for (const auto& s : batch.distributions) {
    if (s.name == "lat") lat = &s;
    if (s.name == "d") d = &s;
  }
  REQUIRE(lat);
  REQUIRE(d);
  CHECK(lat->kind == DistributionKind::Timer);
  CHECK(lat->tags == Tags{"dyno:web.1", "dynotype:web"});
  REQUIRE(lat->points.size() == 1);
  const DistributionPoint& p = lat->points[0];
  CHECK(p.timestamp == kT0);
  CHECK(p.count == 6);  // weights 1 / 0.5
  CHECK(p.sum == 120);
  CHECK(p.min == 10);
  CHECK(p.max == 30);
  REQUIRE(p.samples.size() == 3);
  CHECK(p.samples[0].value == 10);
  CHECK(p.samples[2].value == 30);
  CHECK(p.samples[0].weight == 2);
  CHECK(distributionQuantile(p, 0.5) == 20);
  CHECK(d->kind == DistributionKind::Distribution);
  REQUIRE(d->points.size() == 1);
  CHECK(d->points[0].samples.empty());
  CHECK(d->points[0].count == 4);
  CHECK(d->points[0].sum == 10);
  CHECK(d->points[0].sketchKeys.size() == 4);
  CHECK(distributionQuantile(d->points[0], 1.0) == Approx(4).epsilon(0.008));
  CHECK(distributionQuantile(d->points[0], 0.0) == 1);

  Fixture both;
  both.aggregator.setNeeds(true, true);
  both.addAt(kT0 + 1, sample("lat", MetricType::Histogram, {5}));
  const auto all = both.flushAt(kT0 + 10);
  CHECK(find(all, "lat.max") != nullptr);
  CHECK(find(all, "lat.max")->kind == MetricKind::HistogramStatistic);
  CHECK(all.distributions.size() == 1);
}

}  // namespace
}  // namespace dynostatsd
