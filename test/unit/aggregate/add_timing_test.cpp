// Ad-hoc timing of IntervalAggregator::add (hidden: run `unit_aggregate "[.timing]"`). Prints
// ns/sample; asserts nothing about speed (timings are not tests), only that samples went in.
#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "aggregate/interval_aggregator.h"

namespace dynostatsd {
namespace {

long residentKib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4;
}

double nsPerSample(IntervalAggregator& aggregator, std::vector<MetricSample>& samples, std::size_t rounds,
                   const Clock* clock) {
  // Thread CPU time, so other processes on a shared machine do not inflate the figure.
  timespec start{}, end{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
  for (std::size_t r = 0; r < rounds; ++r) {
    if (clock != nullptr) {
      for (const auto& s : samples) aggregator.add(s);
    } else {
      const std::int64_t now = 1700000001;
      for (const auto& s : samples) aggregator.add(s, now);
    }
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
  const double nanos = double(end.tv_sec - start.tv_sec) * 1e9 + double(end.tv_nsec - start.tv_nsec);
  return nanos / double(rounds * samples.size());
}

TEST_CASE("timing: add() of a 3-tag sample", "[.timing]") {
  const std::size_t contexts = GENERATE(100, 10000, 100000);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < contexts; ++i) names.push_back("app.request.duration_" + std::to_string(i));
  for (const auto type : {MetricType::Counter, MetricType::Gauge, MetricType::Histogram, MetricType::Set,
                          MetricType::Distribution}) {
    std::vector<MetricSample> samples(contexts);
    for (std::size_t i = 0; i < contexts; ++i) {
      auto& s = samples[i];
      s.name = names[i];
      s.type = type;
      s.values = {42.5};
      s.setMember = names[i];
      s.tags = {"endpoint:/api/v1/orders", "method:GET", "status:200"};
      s.host = "";
    }
    SystemClock systemClock;
    IntervalAggregator aggregator(AggregateConfig{}, systemClock, {"dyno:web.1"});
    const std::size_t rounds = std::max<std::size_t>(1, 2000000 / contexts);
    const long before = residentKib();
    nsPerSample(aggregator, samples, 1, nullptr);  // create the contexts
    const long grown = residentKib() - before;
    const double withNow = nsPerSample(aggregator, samples, rounds, nullptr);
    const double withClock = nsPerSample(aggregator, samples, rounds, &systemClock);
    std::printf(
        "add() type=%s contexts=%zu cpu_ns_per_sample=%.1f (with SystemClock read per sample: %.1f) "
        "rss_growth_kib=%ld\n",
        std::string(wireName(type)).c_str(), contexts, withNow, withClock, grown);
    CHECK(aggregator.liveContexts() == contexts);
  }
}

}  // namespace
}  // namespace dynostatsd
