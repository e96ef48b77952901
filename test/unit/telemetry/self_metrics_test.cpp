#include "telemetry/self_metrics.h"

#include <catch2/catch.hpp>

using namespace dynostatsd;

TEST_CASE("monotonic totals become per-flush counts; gauges pass through") {
  SelfMetricsReporter reporter({"dyno:web.1", "dynotype:web"}, "h", 10);
  std::vector<Series> out;
  reporter.report({{"datagrams.received", {}, 5, true}, {"contexts.live", {}, 3, false}}, 1700000000, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].name == "dynostatsd.datagrams.received");
  CHECK(out[0].type == SeriesType::Count);
  CHECK(out[0].points[0].value == 5);
  CHECK(out[0].points[0].timestamp == 1700000000);
  CHECK(out[0].tags == std::vector<std::string>{"dyno:web.1", "dynotype:web"});
  CHECK(out[0].host == "h");
  CHECK(out[0].interval == 10);
  CHECK(out[1].type == SeriesType::Gauge);
  CHECK(out[1].points[0].value == 3);

  out.clear();
  reporter.report({{"datagrams.received", {}, 12, true}, {"parse_errors", {"reason:no_pipe"}, 2, true}},
                  1700000010, out);
  CHECK(out[0].points[0].value == 7);
  CHECK(out[1].points[0].value == 2);
  CHECK(out[1].tags == std::vector<std::string>{"reason:no_pipe", "dyno:web.1", "dynotype:web"});

  out.clear();
  reporter.report({{"datagrams.received", {}, 4, true}}, 1700000020, out);  // reset: counted from 0
  CHECK(out[0].points[0].value == 4);
}

TEST_CASE("resident set size is read from /proc") {
  double rss = residentBytes();
  CHECK(rss > 100 * 1024);
  CHECK(rss < 1024.0 * 1024 * 1024);
}
