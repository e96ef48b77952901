#include "sink/l2met/l2met_report.h"

#include <catch2/catch.hpp>

#include "sketch_point.h"

using namespace dynostatsd;

namespace {

Series series(std::string name, SeriesType type, double value, std::vector<std::string> tags = {},
              std::string host = "") {
  Series s;
  s.name = std::move(name);
  s.type = type;
  s.interval = 10;
  s.host = std::move(host);
  s.tags = std::move(tags);
  s.tags.push_back("dyno:web.1");
  s.tags.push_back("dynotype:web");
  s.points.push_back({1700000000, value});
  return s;
}

}  // namespace

TEST_CASE("series are grouped by tag set, counters shown per interval (the count a Rate point carries)") {
  std::vector<std::string> written;
  L2metReport report("web.1", {"dyno:web.1", "dynotype:web"}, "", [&](std::string_view text) {
    written.emplace_back(text);
    return true;
  });
  FlushBatch batch;
  batch.series.push_back(series("page.views", SeriesType::Rate, 3));
  batch.series.push_back(series("queue.depth", SeriesType::Gauge, 7));
  batch.series.push_back(series("page.views", SeriesType::Rate, 2, {"env:prod", "route:/cart"}));
  batch.series.push_back(series("latency.max", SeriesType::Gauge, 21.5));
  batch.series.push_back(series("page.views", SeriesType::Rate, 1, {}, "other-host"));
  batch.series.push_back(series("dynostatsd.datagrams.received", SeriesType::Count, 12));
  batch.series.push_back(series("dynostatsd.parse_errors", SeriesType::Count, 2, {"reason:no_pipe"}));
  batch.series.push_back(series("dynostatsd.dropped", SeriesType::Count, 0, {"reason:queue_full"}));
  batch.series.push_back(series("dynostatsd.contexts.live", SeriesType::Gauge, 0));
  CHECK(report.write(batch) == 4);
  REQUIRE(written.size() == 1);
  CHECK(written[0] ==
        "source=web.1 sample#latency.max=21.5 count#page.views=3 sample#queue.depth=7\n"
        "source=web.1 tags=env:prod,route:/cart count#page.views=2\n"
        "source=web.1 host=other-host count#page.views=1\n"
        "source=web.1 sample#dynostatsd.contexts.live=0 count#dynostatsd.datagrams.received=12 "
        "count#dynostatsd.parse_errors.no_pipe=2\n");
}

TEST_CASE("the dyno's heroku.dyno.* series get lines of their own, between the app's and the self-metrics") {
  L2metReport report("web.1", {"dyno:web.1", "dynotype:web"}, "");
  FlushBatch batch;
  batch.series.push_back(series("dynostatsd.contexts.live", SeriesType::Gauge, 1));
  batch.series.push_back(series("heroku.dyno.memory.total", SeriesType::Gauge, 226492416));
  batch.series.push_back(series("page.views", SeriesType::Rate, 2));
  batch.series.push_back(series("heroku.dyno.oom_kills", SeriesType::Count, 0));
  batch.series.push_back(series("heroku.dyno.process.rss", SeriesType::Gauge, 4096, {"process:ruby"}));
  CHECK(report.format(batch) ==
        "source=web.1 count#page.views=2\n"
        "source=web.1 sample#heroku.dyno.memory.total=226492416 count#heroku.dyno.oom_kills=0\n"
        "source=web.1 tags=process:ruby sample#heroku.dyno.process.rss=4096\n"
        "source=web.1 sample#dynostatsd.contexts.live=1\n");
}

TEST_CASE("sketches are summarized; events and service checks get their own lines") {
  L2metReport report("web.1", {"dyno:web.1"}, "");
  FlushBatch batch;
  SketchSeries sketch;
  sketch.name = "upload.size";
  sketch.tags = {"dyno:web.1"};
  sketch.points.push_back(test::sketchPoint(1700000000, 4, 1, 10, 18));  // avg 4.5
  batch.sketches.push_back(sketch);
  Event event;
  event.title = "Deploy done";
  event.text = "v42\nlive";
  event.alertType = "success";
  event.tags = {"dyno:web.1", "team:core"};
  batch.events.push_back(event);
  ServiceCheck check;
  check.name = "db.up";
  check.status = 2;
  check.message = "no route";
  batch.checks.push_back(check);
  CHECK(report.format(batch) ==
        "source=web.1 sample#upload.size.avg=4.5 count#upload.size.count=4 sample#upload.size.max=10 "
        "sample#upload.size.min=1\n"
        "source=web.1 event title=\"Deploy done\" text=\"v42\\nlive\" alert_type=success priority=normal "
        "tags=team:core\n"
        "source=web.1 check=db.up status=critical message=\"no route\"\n");
}

TEST_CASE("long groups are split into lines under the limit; odd names are made safe") {
  L2metReport report("web.1", {}, "");
  FlushBatch batch;
  for (int i = 0; i < 100; ++i) {
    Series s;
    s.name = "metric.with.a.rather.long.name.number." + std::to_string(100 + i);
    s.type = SeriesType::Gauge;
    s.points.push_back({1700000000, static_cast<double>(i)});
    batch.series.push_back(s);
  }
  Series odd;
  odd.name = "bad name=x#y";
  odd.points.push_back({1700000000, 1});
  batch.series.push_back(odd);
  std::string text = report.format(batch);
  std::size_t lines = 0, entries = 0, start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    CHECK(line.size() <= L2metReport::kMaxLineBytes);
    CHECK(line.rfind("source=web.1 sample#", 0) == 0);
    entries += static_cast<std::size_t>(std::count(line.begin(), line.end(), '#'));
    ++lines;
    start = end + 1;
  }
  CHECK(lines >= 5);
  CHECK(entries == 101);
  CHECK(text.find("sample#bad_name_x_y=1") != std::string::npos);
}

TEST_CASE("a failing writer is counted, never thrown") {
  L2metReport report("web.1", {}, "", [](std::string_view) { return false; });
  FlushBatch batch;
  batch.series.push_back(series("a", SeriesType::Gauge, 1));
  CHECK(report.write(batch) == 0);
  CHECK(report.writeErrors() == 1);
  FlushBatch empty;
  CHECK(report.write(empty) == 0);
  CHECK(report.writeErrors() == 1);
}
