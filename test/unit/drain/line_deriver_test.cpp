#include "drain/line_deriver.h"

#include <catch2/catch.hpp>
#include <string>
#include <tuple>
#include <vector>

using namespace dynostatsd;
using namespace dynostatsd::drain;

namespace {

struct Recorded {
  std::string name;
  MetricType type;
  std::vector<double> values;
  std::string member;
  std::vector<std::string> tags;
};

struct RecordingConsumer : MetricConsumer {
  std::vector<Recorded> samples;
  void add(const MetricSample& s, std::int64_t) override {
    Recorded r{std::string(s.name), s.type, s.values, std::string(s.setMember), {}};
    for (auto tag : s.tags) r.tags.emplace_back(tag);
    samples.push_back(std::move(r));
  }
};

using Tags = std::vector<std::string>;

struct DeriveFixture {
  RecordingConsumer consumer;
  LineDeriver deriver{consumer, ""};
  DeriveFixture() { deriver.setApp("shop"); }

  void line(std::string_view app, std::string_view procid, std::string_view message) {
    SyslogMessage m;
    m.appName = app;
    m.procid = procid;
    m.message = message;
    deriver.derive(m, 1700000000);
    deriver.endBatch();
  }
};

}  // namespace

TEST_CASE_METHOD(DeriveFixture, "a router line makes a request count and three distributions") {
  line("heroku", "router",
       "at=info method=GET path=\"/cart?id=1 2\" host=shop.herokuapp.com request_id=8601b555-6a7b "
       "fwd=\"1.2.3.4\" dyno=web.1 connect=1ms service=18ms status=200 bytes=1345 protocol=https");
  REQUIRE(consumer.samples.size() == 4);
  const Tags tags{"app:shop",   "status:200",   "status_class:2xx", "method:GET",
                  "dyno:web.1", "dynotype:web", "protocol:https"};
  CHECK(consumer.samples[0].name == "heroku.router.requests");
  CHECK(consumer.samples[0].type == MetricType::Counter);
  CHECK(consumer.samples[0].values == std::vector<double>{1});
  CHECK(consumer.samples[0].tags == tags);
  CHECK(consumer.samples[1].name == "heroku.router.connect");
  CHECK(consumer.samples[1].type == MetricType::Distribution);
  CHECK(consumer.samples[1].values == std::vector<double>{1});
  CHECK(consumer.samples[2].name == "heroku.router.service");
  CHECK(consumer.samples[2].values == std::vector<double>{18});
  CHECK(consumer.samples[3].name == "heroku.router.bytes");
  CHECK(consumer.samples[3].values == std::vector<double>{1345});
  CHECK(consumer.samples[3].tags == tags);
  // Nothing unbounded became a tag.
  for (const auto& s : consumer.samples) {
    for (const auto& tag : s.tags) {
      CHECK(tag.find("herokuapp") == std::string::npos);
      CHECK(tag.find("1.2.3.4") == std::string::npos);
      CHECK(tag.find("8601b555") == std::string::npos);
      CHECK(tag.find("cart") == std::string::npos);
    }
  }
}

TEST_CASE_METHOD(DeriveFixture, "a router error line counts the request and the error code") {
  line(
      "heroku", "router",
      "at=error code=H12 desc=\"Request timeout\" method=POST path=\"/\" host=shop.herokuapp.com "
      "request_id=x fwd=\"1.2.3.4\" dyno=web.2 connect=0ms service=30000ms status=503 bytes=0 protocol=http");
  REQUIRE(consumer.samples.size() == 5);
  CHECK(consumer.samples[0].name == "heroku.router.errors");
  CHECK(consumer.samples[0].tags == Tags{"app:shop", "code:H12", "dyno:web.2", "dynotype:web"});
  CHECK(consumer.samples[1].name == "heroku.router.requests");
  CHECK(consumer.samples[1].tags == Tags{"app:shop", "status:503", "status_class:5xx", "method:POST",
                                         "dyno:web.2", "dynotype:web", "protocol:http"});
  CHECK(consumer.samples[3].values == std::vector<double>{30000});
}

TEST_CASE_METHOD(DeriveFixture, "a router error with empty fields leaves them out") {
  line("heroku", "router",
       "at=error code=H10 desc=\"App crashed\" method=GET path=\"/\" host=h request_id=r fwd=\"f\" dyno= "
       "connect= service= status=503 bytes= protocol=https");
  REQUIRE(consumer.samples.size() == 2);
  CHECK(consumer.samples[1].tags ==
        Tags{"app:shop", "status:503", "status_class:5xx", "method:GET", "protocol:https"});
  CHECK(consumer.samples[0].name == "heroku.router.errors");
  CHECK(consumer.samples[0].tags == Tags{"app:shop", "code:H10"});
  CHECK(deriver.stats().invalidValues == 0);
}

TEST_CASE_METHOD(DeriveFixture, "platform errors in heroku lines count by code and dyno") {
  line("heroku", "web.1", "Error R14 (Memory quota exceeded)");
  line("heroku", "worker.3", "Error R15 (Memory quota vastly exceeded)");
  line("heroku", "logplex",
       "Error L10 (output buffer overflow): 42 messages dropped since 2026-07-22T00:06:26+00:00.");
  line("heroku", "web.1", "State changed from starting to up");
  line("heroku", "web.1", "Error R1x (nope)");
  REQUIRE(consumer.samples.size() == 4);
  CHECK(consumer.samples[0].name == "heroku.errors");
  CHECK(consumer.samples[0].tags == Tags{"app:shop", "code:R14", "dyno:web.1", "dynotype:web"});
  CHECK(consumer.samples[1].tags == Tags{"app:shop", "code:R15", "dyno:worker.3", "dynotype:worker"});
  CHECK(consumer.samples[2].tags == Tags{"app:shop", "code:L10"});
  CHECK(consumer.samples[3].name == "heroku.logplex.dropped");
  CHECK(consumer.samples[3].values == std::vector<double>{42});
  CHECK(deriver.stats().lines[static_cast<std::size_t>(LineKind::PlatformError)] == 3);
  CHECK(deriver.stats().lines[static_cast<std::size_t>(LineKind::Other)] == 2);
}

TEST_CASE_METHOD(DeriveFixture, "log-runtime-metrics lines become dyno gauges, memory in bytes") {
  line("heroku", "web.1",
       "source=web.1 dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 sample#memory_total=21.00MB "
       "sample#memory_rss=21.22MB sample#memory_cache=0.00MB sample#memory_swap=0.00MB "
       "sample#memory_pgpgin=348836pages sample#memory_pgpgout=343403pages sample#memory_quota=512.00MB");
  line("heroku", "web.1",
       "source=web.1 dyno=heroku.2808254.d97d0ea7 sample#load_avg_1m=2.46 sample#load_avg_5m=1.06 "
       "sample#load_avg_15m=0.99");
  REQUIRE(consumer.samples.size() == 8);
  CHECK(consumer.samples[0].name == "heroku.dyno.memory.total");
  CHECK(consumer.samples[0].type == MetricType::Gauge);
  CHECK(consumer.samples[0].values == std::vector<double>{21.0 * 1048576});
  CHECK(consumer.samples[0].tags == Tags{"app:shop", "dyno:web.1", "dynotype:web"});
  CHECK(consumer.samples[1].name == "heroku.dyno.memory.rss");
  CHECK(consumer.samples[4].name == "heroku.dyno.memory.quota");
  CHECK(consumer.samples[4].values == std::vector<double>{536870912});
  CHECK(consumer.samples[5].name == "heroku.dyno.load_avg.1m");
  CHECK(consumer.samples[5].values == std::vector<double>{2.46});
  CHECK(consumer.samples[7].name == "heroku.dyno.load_avg.15m");
}

TEST_CASE_METHOD(DeriveFixture, "Postgres and Redis metric lines become add-on gauges") {
  line("app", "heroku-postgres",
       "source=HEROKU_POSTGRESQL_RED addon=postgresql-curly-12345 sample#current_transaction=1873 "
       "sample#db_size=8823287bytes sample#tables=12 sample#active-connections=4 "
       "sample#index-cache-hit-rate=0.99 sample#memory-free=15632kB sample#read-iops=bad");
  line("app", "heroku-redis",
       "source=REDIS addon=redis-shiny-123 sample#hit-rate=0.7 sample#memory-redis=343477584bytes");
  REQUIRE(consumer.samples.size() == 8);
  const Tags pg{"app:shop", "addon:postgresql-curly-12345", "database:HEROKU_POSTGRESQL_RED"};
  CHECK(consumer.samples[0].name == "heroku.postgres.current_transaction");
  CHECK(consumer.samples[0].tags == pg);
  CHECK(consumer.samples[1].name == "heroku.postgres.db_size");
  CHECK(consumer.samples[1].values == std::vector<double>{8823287});
  CHECK(consumer.samples[3].name == "heroku.postgres.active_connections");
  CHECK(consumer.samples[5].name == "heroku.postgres.memory_free");
  CHECK(consumer.samples[5].values == std::vector<double>{15632.0 * 1024});
  CHECK(deriver.stats().invalidValues == 1);
  CHECK(consumer.samples[6].name == "heroku.redis.hit_rate");
  CHECK(consumer.samples[6].tags == Tags{"app:shop", "addon:redis-shiny-123", "source:REDIS"});
  CHECK(consumer.samples[7].values == std::vector<double>{343477584});
}

TEST_CASE_METHOD(DeriveFixture,
                 "l2met lines become counters, distributions, gauges and sets; units stripped") {
  line("app", "web.1",
       "source=checkout count#orders.placed=2 measure#db.query=12.5ms sample#queue.depth=7 unique#user=u42 "
       "count#bare other=1 count#bad=x measure#9bad=1");
  REQUIRE(consumer.samples.size() == 5);
  const Tags tags{"app:shop", "source:checkout"};
  CHECK(consumer.samples[0].name == "orders.placed");
  CHECK(consumer.samples[0].type == MetricType::Counter);
  CHECK(consumer.samples[0].values == std::vector<double>{2});
  CHECK(consumer.samples[0].tags == tags);
  CHECK(consumer.samples[1].name == "db.query");
  CHECK(consumer.samples[1].type == MetricType::Distribution);
  CHECK(consumer.samples[1].values == std::vector<double>{12.5});
  CHECK(consumer.samples[2].type == MetricType::Gauge);
  CHECK(consumer.samples[3].type == MetricType::Set);
  CHECK(consumer.samples[3].member == "u42");
  CHECK(consumer.samples[4].name == "bare");
  CHECK(consumer.samples[4].values == std::vector<double>{1});
  CHECK(deriver.stats().invalidValues == 1);
  CHECK(deriver.stats().invalidNames == 1);
}

TEST_CASE_METHOD(DeriveFixture, "router lines of a batch are grouped per tag set, values kept") {
  auto router = [](const char* dyno, int status, int service) {
    return "at=info method=GET path=\"/\" dyno=" + std::string(dyno) +
           " connect=1ms service=" + std::to_string(service) + "ms status=" + std::to_string(status) +
           " bytes=10 protocol=https";
  };
  for (auto [dyno, status, service] :
       {std::tuple{"web.1", 200, 5}, std::tuple{"web.2", 200, 6}, std::tuple{"web.1", 200, 7},
        std::tuple{"web.1", 500, 8}, std::tuple{"web.1", 200, 9}}) {
    SyslogMessage m;
    m.appName = "heroku";
    m.procid = "router";
    std::string message = router(dyno, status, service);
    m.message = message;
    deriver.derive(m, 1700000000);
  }
  CHECK(consumer.samples.empty());
  deriver.endBatch();
  REQUIRE(consumer.samples.size() == 12);  // 3 tag sets x (requests, connect, service, bytes)
  CHECK(consumer.samples[0].name == "heroku.router.requests");
  CHECK(consumer.samples[0].values == std::vector<double>{3});
  CHECK(consumer.samples[0].tags[4] == "dyno:web.1");
  CHECK(consumer.samples[2].name == "heroku.router.service");
  CHECK(consumer.samples[2].values == std::vector<double>{5, 7, 9});
  CHECK(consumer.samples[4].values == std::vector<double>{1});
  CHECK(consumer.samples[4].tags[4] == "dyno:web.2");
  CHECK(consumer.samples[8].tags[1] == "status:500");
  deriver.endBatch();
  CHECK(consumer.samples.size() == 12);
}

TEST_CASE_METHOD(DeriveFixture, "ordinary app output derives nothing") {
  line("app", "web.1", "Started GET \"/\" for 1.2.3.4 at 2026-07-22 00:06:26 +0000");
  line("app", "web.1", "issue #42 fixed");
  CHECK(consumer.samples.empty());
  CHECK(deriver.stats().lines[static_cast<std::size_t>(LineKind::Other)] == 2);
}

TEST_CASE("numbers with units") {
  double v = 0;
  std::string_view unit;
  CHECK(parseNumberWithUnit("12.5ms", v, unit));
  CHECK(v == 12.5);
  CHECK(unit == "ms");
  CHECK(parseNumberWithUnit("-3", v, unit));
  CHECK(v == -3);
  CHECK(unit.empty());
  for (const char* bad : {"", "ms", "+1", "1e400", "0x10", "inf", "nan", "1.5m s", "1;", "1e5"}) {
    INFO(bad);
    CHECK_FALSE(parseNumberWithUnit(bad, v, unit));
  }
}
