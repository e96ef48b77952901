#include "sink/otlp/otlp_sink.h"

#include <catch2/catch.hpp>

#include "protoc_decode.h"
#include "serialize/compressor.h"

#include <algorithm>
#include <random>

using namespace dynostatsd;
using namespace dynostatsd::otlp;
using forward::HttpResponse;
using forward::OutcomeKind;
using forward::TransportError;

namespace {

HttpResponse answer(long status, std::vector<std::pair<std::string, std::string>> headers = {},
                    std::string body = {}) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST_CASE("classify: the OTLP/HTTP retry rules") {
  struct Case {
    long status;
    OutcomeKind kind;
  };
  for (const Case& c : std::vector<Case>{{200, OutcomeKind::Sent},
                                         {202, OutcomeKind::Sent},
                                         {429, OutcomeKind::Retry},
                                         {502, OutcomeKind::Retry},
                                         {503, OutcomeKind::Retry},
                                         {504, OutcomeKind::Retry},
                                         {413, OutcomeKind::Split},
                                         {400, OutcomeKind::Dropped},
                                         {401, OutcomeKind::Dropped},
                                         {403, OutcomeKind::Dropped},
                                         {404, OutcomeKind::Dropped},
                                         {408, OutcomeKind::Dropped},
                                         {500, OutcomeKind::Dropped},
                                         {501, OutcomeKind::Dropped},
                                         {301, OutcomeKind::Dropped}}) {
    INFO("status " << c.status);
    CHECK(classify(answer(c.status)).kind == c.kind);
  }
  CHECK(classify(answer(400)).loggedBySink);
  HttpResponse refused;
  refused.error = TransportError::Connect;
  CHECK(classify(refused).kind == OutcomeKind::Retry);
  CHECK(classify(refused).name() == "connect");
}

TEST_CASE("classify: Retry-After in seconds or as an HTTP-date") {
  CHECK(classify(answer(429, {{"retry-after", "7"}})).retryAfterSeconds == 7);
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
  CHECK(classify(answer(503, {{"retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"}}), 784111770)
            .retryAfterSeconds == 7);
  CHECK(classify(answer(503)).retryAfterSeconds < 0);
}

TEST_CASE("partial_success read from a body encoded by protoc") {
  const std::string body = otlptest::encodeText(
      "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse",
      "partial_success { rejected_data_points: 3 error_message: \"3 points had invalid names\" }");
  auto partial = parsePartialSuccess(body);
  REQUIRE(partial);
  CHECK(partial->rejectedDataPoints == 3);
  CHECK(partial->errorMessage == "3 points had invalid names");
  // Cut at the response-body bound: what arrived is still read.
  auto cut = parsePartialSuccess(body.substr(0, body.size() - 6));
  REQUIRE(cut);
  CHECK(cut->rejectedDataPoints == 3);
  CHECK(cut->errorMessage == "3 points had invalid");
  CHECK_FALSE(parsePartialSuccess(""));
  CHECK_FALSE(parsePartialSuccess(
      otlptest::encodeText("opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse", "")));
  CHECK_FALSE(parsePartialSuccess("\xff\xff\xff"));
}

TEST_CASE("errorMessage: google.rpc.Status.message, or a short text body") {
  // google.rpc.Status{code: 3, message: "bad data"} (googleapis' field numbers 1 and 2).
  const std::string status = std::string("\x08\x03\x12\x08", 4) + "bad data";
  CHECK(errorMessage(answer(400, {{"content-type", "application/x-protobuf"}}, status)) == "bad data");
  CHECK(errorMessage(answer(400, {{"content-type", "text/plain"}}, "invalid temporality")) ==
        "invalid temporality");
  CHECK(errorMessage(answer(400, {{"content-type", "application/x-protobuf"}}, "\x12\x05\x01\x02")) == "");
}

namespace {

// Records requests; the test answers the oldest one.
class FakeHttpClient final : public forward::HttpClient {
 public:
  void send(const forward::HttpRequest& request, Completion done) override {
    requests.push_back(request);
    bodies.emplace_back(request.body);
    pending.push_back(std::move(done));
  }
  std::size_t inFlight() const override { return pending.size(); }
  void close() override { pending.clear(); }
  bool closed() const override { return false; }
  void answer(HttpResponse response) {
    REQUIRE(!pending.empty());
    auto done = std::move(pending.front());
    pending.erase(pending.begin());
    done(response);
  }
  std::vector<forward::HttpRequest> requests;
  std::vector<std::string> bodies;
  std::vector<Completion> pending;
};

struct SinkFixture {
  SinkFixture() : clock(1700000000000) {
    uv_loop_init(&loop);
    config.otlp.endpoint = "http://127.0.0.1:9/v1/metrics";
    config.otlp.headers = {{"x-api-key", "secret-value-123"}, {"Content-Type", "text/plain"}};
    config.enrich.appName = "myapp";
    auto fake = std::make_unique<FakeHttpClient>();
    http = fake.get();
    sink = std::make_unique<OtlpSink>(&loop, config, clock, std::move(fake), [] { return 0.5; });
  }
  ~SinkFixture() {
    sink->close();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  double metric(const std::string& name, const std::string& tag = "") const {
    std::vector<SelfMetric> out;
    sink->collectSelfMetrics(out);
    for (const SelfMetric& m : out) {
      if (m.name == name && (tag.empty() || std::find(m.tags.begin(), m.tags.end(), tag) != m.tags.end()))
        return m.value;
    }
    return -1;
  }
  uv_loop_t loop{};
  ManualClock clock;
  Config config;
  FakeHttpClient* http = nullptr;
  std::unique_ptr<OtlpSink> sink;
};

FlushBatch counterAndEvent() {
  FlushBatch batch;
  Series s;
  s.name = "hits";
  s.kind = MetricKind::Counter;
  s.type = SeriesType::Rate;
  s.points = {{1700000000, 4}};
  batch.series.push_back(s);
  batch.events.resize(1);
  return batch;
}

}  // namespace

TEST_CASE("OtlpSink: one POST per request with the OTLP headers; partial_success counted, not retried") {
  SinkFixture f;
  f.sink->submit(counterAndEvent());
  f.sink->endFlush(1700000010);
  uv_run(&f.loop, UV_RUN_NOWAIT);
  REQUIRE(f.http->requests.size() == 1);
  const auto& request = f.http->requests[0];
  CHECK(request.url == "http://127.0.0.1:9/v1/metrics");
  std::vector<std::pair<std::string, std::string>> expected = {
      {"Content-Type", "application/x-protobuf"},
      {"User-Agent", std::string("dynostatsd/") + DYNOSTATSD_VERSION},
      {"Content-Encoding", "gzip"},
      {"x-api-key", "secret-value-123"}};  // the user's Content-Type is not allowed to override ours
  CHECK(request.headers == expected);
  auto plain = serialize::decompress(Compression::Gzip, f.http->bodies[0], 1 << 20);
  REQUIRE(plain);
  CHECK(
      otlptest::decodeRequest(*plain).at("resource_metrics").at("scope_metrics").at("metrics").leaf("name") ==
      "\"hits\"");
  CHECK(f.metric("sink.dropped_items", "reason:unsupported_by_sink") == 1);

  HttpResponse ok =
      answer(200, {{"content-type", "application/x-protobuf"}},
             otlptest::encodeText("opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse",
                                  "partial_success { rejected_data_points: 1 error_message: \"no\" }"));
  f.http->answer(ok);
  uv_run(&f.loop, UV_RUN_NOWAIT);
  CHECK(f.metric("sink.dropped_items", "reason:rejected") == 1);
  CHECK(f.metric("sink.partial_successes") == 1);
  CHECK(f.metric("sink.points_sent") == 1);
  CHECK(f.http->requests.size() == 1);  // never retried
}

TEST_CASE("OtlpSink: 400 is dropped without a retry; 503 is retried") {
  SinkFixture f;
  f.sink->submit(counterAndEvent());
  f.sink->endFlush(1700000010);
  uv_run(&f.loop, UV_RUN_NOWAIT);
  REQUIRE(f.http->requests.size() == 1);
  f.http->answer(answer(503, {{"retry-after", "1"}}));
  f.clock.advanceMillis(1500);
  f.sink->delivery().pumpForTest();
  REQUIRE(f.http->requests.size() == 2);
  f.http->answer(answer(400, {{"content-type", "application/x-protobuf"}},
                        std::string("\x12\x03"
                                    "bad",
                                    5)));
  f.clock.advanceMillis(100000);
  f.sink->delivery().pumpForTest();
  CHECK(f.http->requests.size() == 2);
  CHECK(f.metric("sink.dropped_items", "reason:http_400") == 1);
  CHECK(f.metric("sink.retries", "reason:http_503") == 1);
}

TEST_CASE("answers are untrusted: random and truncated bodies never crash the readers") {
  std::mt19937 random(42);
  const std::string valid =
      otlptest::encodeText("opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse",
                           "partial_success { rejected_data_points: 7 error_message: \"x\" }");
  for (int i = 0; i < 20000; ++i) {
    std::string body(random() % 64, '\0');
    for (char& c : body) c = static_cast<char>(random());
    if (i % 2 == 0) body = valid.substr(0, random() % (valid.size() + 1)) + body;
    auto partial = parsePartialSuccess(body);
    if (partial) CHECK(partial->errorMessage.size() <= body.size());
    CHECK(errorMessage(answer(400, {{"content-type", "application/x-protobuf"}}, body)).size() <=
          body.size());
  }
}
