#include "ingest/ingestor.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace dynostatsd;

namespace {

struct Recorded {
  std::string name;
  MetricType type;
  std::vector<double> values;
  double rate;
  std::vector<std::string> tags;
  std::string host;
};

struct RecordingConsumer : MetricConsumer {
  std::vector<Recorded> samples;
  std::vector<std::int64_t> times;
  void add(const MetricSample& s, std::int64_t nowSeconds) override {
    times.push_back(nowSeconds);
    Recorded r{std::string(s.name), s.type, s.values, s.rate, {}, std::string(s.host)};
    for (auto tag : s.tags) r.tags.emplace_back(tag);
    samples.push_back(std::move(r));
  }
};

EnrichConfig dynoConfig() {
  EnrichConfig config;
  config.dyno = "web.1";
  config.appName = "shop";
  return config;
}

double metric(const std::vector<SelfMetric>& metrics, const std::string& name, const std::string& tag = "") {
  for (const auto& m : metrics) {
    if (m.name == name && (tag.empty() || (!m.tags.empty() && m.tags[0] == tag))) return m.value;
  }
  return -1;
}

// An Ingestor for dyno web.1 of app shop, at a fixed clock, feeding a RecordingConsumer.
struct IngestFixture {
  explicit IngestFixture(IngestLimits limits = {}) : ingestor(enricher, consumer, clock, limits) {}
  Enricher enricher{dynoConfig()};
  RecordingConsumer consumer;
  ManualClock clock{1700000000000};
  Ingestor ingestor;
};

}  // namespace

TEST_CASE_METHOD(IngestFixture, "metrics are parsed, enriched and handed on; counts are exact") {
  ingestor.onDatagram("page.views:1|c|@0.5|#env:prod,host:h1\nqueue.depth:7|g\r\n\nlatency:1:2:3|ms");
  REQUIRE(consumer.samples.size() == 3);
  CHECK(consumer.samples[0].name == "page.views");
  CHECK(consumer.samples[0].rate == 0.5);
  CHECK(consumer.samples[0].tags == std::vector<std::string>{"env:prod"});
  CHECK(consumer.samples[0].host == "h1");
  CHECK(consumer.samples[1].name == "queue.depth");
  CHECK(consumer.samples[1].values == std::vector<double>{7});
  CHECK(consumer.samples[2].type == MetricType::Timer);
  CHECK(consumer.samples[2].values == std::vector<double>{1, 2, 3});
  CHECK(ingestor.stats().datagrams == 1);
  CHECK(ingestor.stats().messages[0] == 3);
  CHECK(consumer.times == std::vector<std::int64_t>{1700000000, 1700000000, 1700000000});
}

TEST_CASE_METHOD(IngestFixture, "bad messages are counted per reason and do not stop the datagram") {
  ingestor.onDatagram("nopipe\na:1|x\nb:1|c\n_sc|only\n_e{0,1}:|x\nc:zz|g");
  CHECK(consumer.samples.size() == 1);
  const auto& errors = ingestor.stats().parseErrors;
  CHECK(errors[static_cast<std::size_t>(ParseError::NoPipe)] == 1);
  CHECK(errors[static_cast<std::size_t>(ParseError::BadMetricType)] == 1);
  CHECK(errors[static_cast<std::size_t>(ParseError::BadValue)] == 1);
  CHECK(errors[static_cast<std::size_t>(ParseError::ServiceCheckBadFormat)] == 1);
  CHECK(errors[static_cast<std::size_t>(ParseError::EventEmptyTitle)] == 1);

  std::vector<SelfMetric> self;
  ingestor.collectSelfMetrics(self);
  CHECK(metric(self, "parse_errors", "reason:" + std::string(reasonName(ParseError::NoPipe))) == 1);
  CHECK(metric(self, "messages.received", "message_type:metric") == 4);
  CHECK(metric(self, "messages.received", "message_type:service_check") == 1);
  CHECK(metric(self, "messages.received", "message_type:event") == 1);
}

TEST_CASE_METHOD(IngestFixture, "events and service checks are queued with dyno tags until taken") {
  ingestor.onDatagram("_e{5,4}:Title|Text|#a:b");
  ingestor.onDatagram("_sc|db.up|2|m:down");
  FlushBatch batch;
  ingestor.takeQueued(batch);
  REQUIRE(batch.events.size() == 1);
  CHECK(batch.events[0].title == "Title");
  CHECK(batch.events[0].timestamp == 1700000000);
  CHECK(batch.events[0].tags[0] == "a:b");
  CHECK(std::find(batch.events[0].tags.begin(), batch.events[0].tags.end(), "dyno:web.1") !=
        batch.events[0].tags.end());
  REQUIRE(batch.checks.size() == 1);
  CHECK(batch.checks[0].status == 2);
  CHECK(batch.checks[0].message == "down");
  FlushBatch again;
  ingestor.takeQueued(again);
  CHECK(again.events.empty());
  CHECK(again.checks.empty());
}

TEST_CASE("the event queue is bounded by bytes; drops are counted") {
  IngestLimits limits;
  limits.maxQueuedBytes = 2000;
  IngestFixture fixture(limits);
  Ingestor& ingestor = fixture.ingestor;
  const std::string text(400, 'x');
  const std::string event = "_e{1,400}:T|" + text;
  for (int i = 0; i < 10; ++i) ingestor.onDatagram(event);
  FlushBatch batch;
  ingestor.takeQueued(batch);
  CHECK(batch.events.size() + ingestor.stats().eventsDropped == 10);
  CHECK(batch.events.size() >= 2);
  CHECK(ingestor.stats().eventsDropped >= 5);
  // After a flush the queue has room again.
  ingestor.onDatagram(event);
  FlushBatch next;
  ingestor.takeQueued(next);
  CHECK(next.events.size() == 1);
}

TEST_CASE_METHOD(IngestFixture, "truncated datagrams are counted, not parsed") {
  ingestor.onTruncated(8192);
  ingestor.onTruncated(8192);
  CHECK(ingestor.stats().truncated == 2);
  CHECK(ingestor.stats().datagrams == 0);
  CHECK(consumer.samples.empty());
}

TEST_CASE("queued events and checks are charged to the memory budget and released at the flush") {
  MemoryBudget budget(8192);  // aggregate share 6144 bytes
  Enricher enricher{dynoConfig()};
  RecordingConsumer consumer;
  ManualClock clock{1700000000000};
  Ingestor ingestor(enricher, consumer, clock, IngestLimits{}, &budget);
  const std::string text(500, 't');
  const std::string event = "_e{5," + std::to_string(text.size()) + "}:title|" + text;
  for (int i = 0; i < 40; ++i) ingestor.onDatagram(event);
  CHECK(ingestor.stats().eventsDropped > 0);
  CHECK(budget.drops() == ingestor.stats().eventsDropped);
  CHECK(budget.used() <= 6144);
  FlushBatch batch;
  ingestor.takeQueued(batch);
  CHECK(batch.events.size() + ingestor.stats().eventsDropped == 40);
  CHECK(budget.used() == 0);
}
