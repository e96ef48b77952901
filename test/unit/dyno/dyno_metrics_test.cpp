// DynoMetrics: the heroku.dyno.* series and the R14 warning event in a FlushBatch.
#include "dyno/dyno_metrics.h"

#include <catch2/catch.hpp>
#include <map>

#include "fixture_tree.h"

using namespace dynostatsd;
using namespace dynostatsd::dyno;

namespace {

const std::vector<std::string> kStatic{"dyno:web.1", "dynotype:web", "appname:shop"};

std::map<std::string, const Series*> byName(const FlushBatch& batch) {
  std::map<std::string, const Series*> out;
  for (const auto& s : batch.series) {
    std::string key = s.name;
    if (s.name == kProcessRssName) key += "{" + s.tags.front() + "}";
    out[key] = &s;
  }
  return out;
}

}  // namespace

TEST_CASE("collect: every figure as a series tagged like the others, top processes by name") {
  dyno_test::TreeCopy tree("v2");
  DynoMetricsConfig config;
  DynoMetrics metrics(config, locateCgroup(tree.root()), kStatic, "h1", "web.1", 10, 1'000'000'000);
  tree.write("sys/fs/cgroup/memory.events", "low 0\nhigh 0\nmax 14\noom 4\noom_kill 5\noom_group_kill 0\n");
  FlushBatch batch;
  metrics.collect(1700000000, 1700000010, 11'000'000'000, batch);
  auto series = byName(batch);
  const char* gauges[] = {
      "heroku.dyno.memory.total", "heroku.dyno.memory.rss",     "heroku.dyno.memory.cache",
      "heroku.dyno.memory.swap",  "heroku.dyno.memory.quota",   "heroku.dyno.memory.quota_used_pct",
      "heroku.dyno.cpu.user_pct", "heroku.dyno.cpu.system_pct", "heroku.dyno.cpu.throttled_pct",
      "heroku.dyno.cpu.quota",    "heroku.dyno.processes"};
  for (const char* name : gauges) {
    INFO(name);
    REQUIRE(series.count(name) == 1);
    const Series& s = *series[name];
    CHECK(s.type == SeriesType::Gauge);
    CHECK(s.tags == kStatic);
    CHECK(s.host == "h1");
    CHECK(s.interval == 10);
    REQUIRE(s.points.size() == 1);
    CHECK(s.points[0].timestamp == 1700000000);
  }
  CHECK(series["heroku.dyno.memory.quota"]->points[0].value == 536870912);
  CHECK(series["heroku.dyno.memory.quota"]->unit == "byte");
  CHECK(series["heroku.dyno.cpu.quota"]->unit == "core");
  CHECK(series["heroku.dyno.cpu.user_pct"]->points[0].value == 0);  // the fixture's counters did not move
  // oom_kills: the increase since the previous sample (2 -> 5), as a count.
  REQUIRE(series.count("heroku.dyno.oom_kills") == 1);
  CHECK(series["heroku.dyno.oom_kills"]->type == SeriesType::Count);
  CHECK(series["heroku.dyno.oom_kills"]->points[0].value == 3);
  // At most kTopProcesses series, one per name, tagged process:<name> before the static tags.
  REQUIRE(series.count("heroku.dyno.process.rss{process:ruby}") == 1);
  const Series& ruby = *series["heroku.dyno.process.rss{process:ruby}"];
  CHECK(ruby.tags == std::vector<std::string>{"process:ruby", "dyno:web.1", "dynotype:web", "appname:shop"});
  CHECK(ruby.points[0].value == (51200.0 + 25600.0) * 4096);
  CHECK(series.count("heroku.dyno.process.rss{process:bash}") == 1);
  CHECK(series.count("heroku.dyno.process.rss{process:outsider}") == 0);
  CHECK(batch.series.size() == 12 + 3);
  CHECK(batch.events.empty());  // 42 % of the quota

  batch = FlushBatch{};
  metrics.collect(1700000010, 1700000020, 21'000'000'000, batch);
  CHECK(byName(batch)["heroku.dyno.oom_kills"]->points[0].value == 0);
}

TEST_CASE("collect: the R14 warning crosses the threshold once, then again at 100") {
  dyno_test::TreeCopy tree("v2");
  dyno_test::StderrCapture log;
  DynoMetricsConfig config;
  config.memoryWarnPct = 40;  // the fixture is at 42.2 %
  DynoMetrics metrics(config, locateCgroup(tree.root()), kStatic, "", "web.1", 10, 0);
  FlushBatch batch;
  metrics.collect(1700000000, 1700000007, 1, batch);
  REQUIRE(batch.events.size() == 1);
  const Event& event = batch.events[0];
  CHECK(event.title == "Dyno memory near quota on web.1");
  CHECK(event.alertType == "warning");
  CHECK(event.timestamp == 1700000007);
  CHECK(event.aggregationKey == "dynostatsd.dyno.memory");
  CHECK(event.tags == kStatic);
  CHECK(event.text.find("42.2% of the memory quota (216.0 MB of 512.0 MB)") != std::string::npos);

  batch = FlushBatch{};
  metrics.collect(1700000010, 1700000017, 2, batch);
  CHECK(batch.events.empty());  // still above: no repeat

  tree.write("sys/fs/cgroup/memory.current", "578813952\n");  // 552 MiB - 40 = 512 MiB: 100 %
  batch = FlushBatch{};
  metrics.collect(1700000020, 1700000027, 3, batch);
  REQUIRE(batch.events.size() == 1);
  CHECK(batch.events[0].alertType == "error");

  tree.write("sys/fs/cgroup/memory.current", "100000000\n");  // down
  batch = FlushBatch{};
  metrics.collect(1700000030, 1700000037, 4, batch);
  CHECK(batch.events.empty());
  tree.write("sys/fs/cgroup/memory.current", "268435456\n");  // and up again past 40 %
  batch = FlushBatch{};
  metrics.collect(1700000040, 1700000047, 5, batch);
  CHECK(batch.events.size() == 1);

  log.restore();
  const std::string text = log.text();
  INFO(text);
  CHECK(log.count("at=warn stage=dyno msg=\"memory near quota\"") == 3);
  CHECK(log.count("used=226492416 quota=536870912 used_pct=42.2 threshold=40.0") == 2);
  CHECK(log.count("used=536870912 quota=536870912 used_pct=100.0 threshold=100.0") == 1);
}

TEST_CASE("collect: without a quota there is no quota series and no warning") {
  DynoMetricsConfig config;
  config.memoryWarnPct = 1;
  DynoMetrics metrics(config, locateCgroup(dyno_test::fixture("v2-nested")), kStatic, "", "", 10, 0);
  FlushBatch batch;
  metrics.collect(1700000000, 1700000000, 1, batch);
  auto series = byName(batch);
  CHECK(series.count("heroku.dyno.memory.total") == 1);
  CHECK(series.count("heroku.dyno.memory.quota") == 0);
  CHECK(series.count("heroku.dyno.memory.quota_used_pct") == 0);
  CHECK(series.count("heroku.dyno.cpu.quota") == 0);
  CHECK(batch.events.empty());
}
