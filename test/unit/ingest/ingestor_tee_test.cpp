#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "ingest/ingestor.h"

using namespace dynostatsd;

namespace {

struct NullConsumer : MetricConsumer {
  void add(const MetricSample&, std::int64_t) override {}
};

struct RecordingTee : MessageTee {
  std::vector<std::pair<std::string, MessageKind>> seen;
  void onAccepted(std::string_view message, MessageKind kind) override { seen.emplace_back(message, kind); }
};

}  // namespace

TEST_CASE("the tee sees every accepted message verbatim, and no rejected one") {
  EnrichConfig config;
  config.dyno = "web.1";
  Enricher enricher(config);
  NullConsumer consumer;
  ManualClock clock(1700000000000);
  Ingestor ingestor(enricher, consumer, clock);
  RecordingTee tee;
  ingestor.setTee(&tee);
  ingestor.onDatagram("a:1|c|#host:h1,env:prod\r\nbroken\nb:1|zz\n_e{1,1}:t|x\n_sc|db|0\n_sc|db|9\n\nc:2|g");
  const std::vector<std::pair<std::string, MessageKind>> expected = {
      {"a:1|c|#host:h1,env:prod", MessageKind::Metric},  // before enrich: the host tag is still there
      {"_e{1,1}:t|x", MessageKind::Event},
      {"_sc|db|0", MessageKind::ServiceCheck},
      {"c:2|g", MessageKind::Metric},
  };
  CHECK(tee.seen == expected);
  ingestor.setTee(nullptr);
  ingestor.onDatagram("d:1|c");
  CHECK(tee.seen.size() == 4);
}
