#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <deque>
#include <fstream>
#include <sstream>

#include "serialize/compressor.h"
#include "sink/datadog/datadog_sink.h"

using namespace dynostatsd;
using namespace dynostatsd::forward;
using namespace dynostatsd::datadog;

namespace {

constexpr const char* kApiKey = "0123456789abcdef0123456789abcdef";

// Records requests; the test answers them in any order with chosen responses.
class FakeHttpClient final : public HttpClient {
 public:
  struct Sent {
    HttpRequest request;
    std::string body;  // copied, to inspect after the payload is gone
    Completion done;
  };
  void send(const HttpRequest& request, Completion done) override {
    sent.push_back({request, std::string(request.body), std::move(done)});
    pending.push_back(sent.size() - 1);
  }
  std::size_t inFlight() const override { return pending.size(); }
  void close() override {
    closedFlag = true;
    pending.clear();
  }
  bool closed() const override { return closedFlag; }

  // Answers the oldest unanswered request.
  void answer(long status, TransportError error = TransportError::None, std::string body = {}) {
    REQUIRE(!pending.empty());
    std::size_t index = pending.front();
    pending.pop_front();
    HttpResponse response;
    response.status = status;
    response.error = error;
    response.body = std::move(body);
    if (error != TransportError::None) response.errorText = "Failed to connect to 127.0.0.1 port 9";
    auto done = std::move(sent[index].done);
    done(response);
  }
  std::string header(std::size_t index, std::string_view name) const {
    for (const auto& [key, value] : sent[index].request.headers) {
      if (key == name) return value;
    }
    return "<none>";
  }

  std::vector<Sent> sent;
  std::deque<std::size_t> pending;
  bool closedFlag = false;
};

struct Fixture {
  Fixture(ForwardConfig config = defaultConfig()) : clock(1700000000000) {
    uv_loop_init(&loop);
    auto fake = std::make_unique<FakeHttpClient>();
    http = fake.get();
    sink = std::make_unique<DatadogSink>(&loop, config, clock, std::move(fake), [this] { return jitter; });
  }
  ~Fixture() {
    sink->close();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  static ForwardConfig defaultConfig() {
    ForwardConfig config;
    config.apiKey = kApiKey;
    config.ddUrl = "http://127.0.0.1:9/";
    return config;
  }
  double metric(const std::string& name, const std::string& tag = "") const {
    std::vector<SelfMetric> out;
    sink->collectSelfMetrics(out);
    for (const SelfMetric& m : out) {
      if (m.name == name && (tag.empty() || (!m.tags.empty() && m.tags[0] == tag))) return m.value;
    }
    return -1;
  }

  uv_loop_t loop{};
  ManualClock clock;
  double jitter = 0;
  FakeHttpClient* http;
  std::unique_ptr<DatadogSink> sink;
  // One flush: the slice, then its end (the sink fills payloads across slices until then).
  void submit(const FlushBatch& batch) {
    sink->submit(batch);
    sink->endFlush(1700000000);
  }
  Delivery& delivery() { return sink->delivery(); }
};

FlushBatch batchOf(std::size_t seriesCount, const std::string& prefix = "m") {
  FlushBatch batch;
  for (std::size_t i = 0; i < seriesCount; ++i) {
    Series s;
    s.name = prefix + std::to_string(i);
    s.type = SeriesType::Count;
    s.points = {{1700000000, static_cast<double>(i)}};
    batch.series.push_back(s);
  }
  return batch;
}

std::string decodedBody(const FakeHttpClient::Sent& sent) {
  Compression method = Compression::None;
  for (const auto& [key, value] : sent.request.headers) {
    if (key == "Content-Encoding")
      method = value == "zstd1"  ? Compression::Zstd
               : value == "gzip" ? Compression::Gzip
                                 : Compression::Deflate;
  }
  auto raw = serialize::decompress(method, sent.body, 1 << 24);
  REQUIRE(raw);
  return *raw;
}

// Redirects stderr (where log::write goes) into a string for the scope's lifetime.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    saved_ = dup(2);
    std::snprintf(path_, sizeof path_, "/tmp/dynostatsd-datadog-test-XXXXXX");
    int fd = mkstemp(path_);
    dup2(fd, 2);
    ::close(fd);
  }
  ~StderrCapture() { restore(); }
  std::string take() {
    restore();
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    unlink(path_);
    return text.str();
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  int saved_ = -1;
  char path_[64];
};

}  // namespace

TEST_CASE("Base URL: DD_DD_URL wins, else https://api.<site>") {
  ForwardConfig config;
  CHECK(baseUrlFor(config) == "https://api.datadoghq.com");
  config.site = "datadoghq.eu";
  CHECK(baseUrlFor(config) == "https://api.datadoghq.eu");
  config.ddUrl = "http://proxy.internal:8080//";
  CHECK(baseUrlFor(config) == "http://proxy.internal:8080");
  CHECK(isKnownSite("us5.datadoghq.com"));
  CHECK_FALSE(isKnownSite("datadoghq.example"));
  CHECK(displayUrl("https://user:secret@intake.example:8443/x") == "https://***@intake.example:8443/x");
  CHECK(displayUrl("https://api.datadoghq.com") == "https://api.datadoghq.com");
}

TEST_CASE("A flush becomes a v2 request with the right URL and headers; 202 counts it sent") {
  Fixture f;
  f.submit(batchOf(3));
  REQUIRE(f.http->sent.size() == 1);
  const auto& request = f.http->sent[0].request;
  CHECK(request.method == "POST");
  CHECK(request.url == "http://127.0.0.1:9/api/v2/series");
  CHECK(f.http->header(0, "DD-API-KEY") == kApiKey);
  CHECK(f.http->header(0, "Content-Type") == "application/json");
  CHECK(f.http->header(0, "Content-Encoding") == "zstd1");
  CHECK(f.http->header(0, "User-Agent") == std::string("dynostatsd/") + DYNOSTATSD_VERSION);
  CHECK(request.timeoutSeconds == 20);
  CHECK(decodedBody(f.http->sent[0]).find(R"({"metric":"m2","type":1,"interval":10,)") != std::string::npos);
  f.http->answer(202);
  CHECK(f.metric("sink.payloads_sent", "route:series_v2") == 1);
  CHECK(f.metric("sink.responses", "status_class:2xx") == 1);
  CHECK(f.metric("sink.queue_payloads") == 0);
  CHECK(f.delivery().inFlight() == 0);
}

TEST_CASE("Every kind of flush content goes to its endpoint") {
  Fixture f;
  FlushBatch batch = batchOf(1);
  SketchSeries sketch;
  sketch.name = "d";
  sketch.points = {{1700000000, 1, 2, 2, 2, 2, {1383}, {1}}};
  batch.sketches = {sketch};
  batch.checks = {ServiceCheck{"app.ok", 0, 1700000000, "h", "", {}}};
  Event event;
  event.title = "deploy";
  event.text = "v42";
  batch.events = {event, event};
  f.submit(batch);
  std::vector<std::string> urls;
  for (const auto& sent : f.http->sent) urls.push_back(sent.request.url.substr(18));
  CHECK(urls == std::vector<std::string>{"/api/v2/series", "/api/beta/sketches", "/api/v1/check_run",
                                         "/api/v1/events", "/api/v1/events"});
  CHECK(f.http->header(1, "Content-Type") == "application/x-protobuf");
  CHECK(f.http->header(1, "Content-Encoding") == "deflate");
  CHECK(f.http->header(2, "Content-Encoding") == "deflate");
  CHECK(f.http->header(3, "Content-Encoding") == "<none>");
}

TEST_CASE("v1 series API and gzip are honoured") {
  ForwardConfig config = Fixture::defaultConfig();
  config.seriesApi = SeriesApi::V1;
  config.compression = Compression::Gzip;
  Fixture f(config);
  f.submit(batchOf(1));
  REQUIRE(f.http->sent.size() == 1);
  CHECK(f.http->sent[0].request.url == "http://127.0.0.1:9/api/v1/series");
  CHECK(f.http->header(0, "Content-Encoding") == "gzip");
  CHECK(
      decodedBody(f.http->sent[0]) ==
      R"({"series":[{"metric":"m0","points":[[1700000000,0]],"type":"count","interval":10,"host":"","tags":[]}]})");
}

TEST_CASE("503 retries after the backoff, then recovers; order is kept") {
  Fixture f;
  f.jitter = 0;  // lowest wait of each range
  f.submit(batchOf(1, "first"));
  f.submit(batchOf(1, "second"));
  REQUIRE(f.http->sent.size() == 2);  // two in flight per endpoint
  f.http->answer(503);
  f.http->answer(503);
  CHECK(f.delivery().backoff(0).errors() == 2);
  CHECK(f.delivery().queuedPayloads() == 2);
  CHECK(f.metric("sink.retries", "reason:http_503") == 2);
  f.clock.advanceMillis(3999);  // second error: wait [4, 8] s, jitter 0 -> 4 s
  f.delivery().pumpForTest();
  CHECK(f.http->sent.size() == 2);
  f.clock.advanceMillis(1);
  f.delivery().pumpForTest();
  REQUIRE(f.http->sent.size() == 3);  // a single probe while backing off
  CHECK(decodedBody(f.http->sent[2]).find("first0") != std::string::npos);
  f.http->answer(202);
  CHECK(f.delivery().backoff(0).errors() == 0);
  REQUIRE(f.http->sent.size() == 4);
  CHECK(decodedBody(f.http->sent[3]).find("second0") != std::string::npos);
  f.http->answer(202);
  CHECK(f.metric("sink.payloads_sent", "route:series_v2") == 2);
  CHECK(f.delivery().queuedPayloads() == 0);
}

TEST_CASE("429, 408, 404 and network errors are retried") {
  Fixture f;
  f.submit(batchOf(1));
  f.http->answer(429);
  f.clock.advanceMillis(64000);
  f.delivery().pumpForTest();
  f.http->answer(0, TransportError::Connect);
  f.clock.advanceMillis(64000);
  f.delivery().pumpForTest();
  f.http->answer(408);
  f.clock.advanceMillis(64000);
  f.delivery().pumpForTest();
  f.http->answer(404);
  f.clock.advanceMillis(64000);
  f.delivery().pumpForTest();
  f.http->answer(200);
  CHECK(f.http->sent.size() == 5);
  CHECK(f.metric("sink.retries", "reason:http_429") == 1);
  CHECK(f.metric("sink.retries", "reason:connect") == 1);
  CHECK(f.metric("sink.responses", "status_class:none") == 1);
  CHECK(f.metric("sink.payloads_sent", "route:series_v2") == 1);
}

TEST_CASE("400 drops the payload and logs the response body; 403 logs one clear line without the key") {
  Fixture f;
  StderrCapture capture;
  f.submit(batchOf(2));
  f.http->answer(400, TransportError::None, R"({"errors":["Bad \"points\""]})");
  f.submit(batchOf(1));
  f.http->answer(403);
  f.submit(batchOf(1));
  f.http->answer(403);  // within 5 minutes: not logged again
  std::string logs = capture.take();
  CHECK(f.metric("sink.dropped_payloads", "reason:http_400") == 1);
  CHECK(f.metric("sink.dropped_items", "reason:http_400") == 2);
  CHECK(f.metric("sink.dropped_payloads", "reason:http_403") == 2);
  CHECK(
      logs.find(
          R"(reason=http_400 endpoint=series_v2 items=2 response="{\"errors\":[\"Bad \\\"points\\\"\"]}")") !=
      std::string::npos);
  CHECK(logs.find("reason=http_403 api_key=***cdef") != std::string::npos);
  CHECK(logs.find("reason=http_403", logs.find("reason=http_403") + 1) == std::string::npos);
  CHECK(logs.find(kApiKey) == std::string::npos);
  CHECK(f.delivery().queuedPayloads() == 0);
}

TEST_CASE("413 splits the payload in halves that are both resent; a single item is dropped") {
  Fixture f;
  f.submit(batchOf(5));
  REQUIRE(f.http->sent.size() == 1);
  f.http->answer(413);
  REQUIRE(f.http->sent.size() == 3);
  std::string first = decodedBody(f.http->sent[1]);
  std::string second = decodedBody(f.http->sent[2]);
  CHECK(first.find("\"m0\"") != std::string::npos);
  CHECK(first.find("\"m1\"") != std::string::npos);
  CHECK(first.find("\"m2\"") == std::string::npos);
  CHECK(second.find("\"m2\"") != std::string::npos);
  CHECK(second.find("\"m4\"") != std::string::npos);
  f.http->answer(202);
  f.http->answer(413);  // 3 items -> 1 + 2
  REQUIRE(f.http->sent.size() == 5);
  f.http->answer(413);  // the single item: dropped
  f.http->answer(202);
  CHECK(f.metric("sink.splits") == 2);
  CHECK(f.metric("sink.dropped_payloads", "reason:too_large") == 1);
  CHECK(f.metric("sink.dropped_items", "reason:too_large") == 1);
  CHECK(f.metric("sink.payloads_sent", "route:series_v2") == 2);
}

TEST_CASE("The retry queue bound drops the oldest payloads, counted") {
  ForwardConfig config = Fixture::defaultConfig();
  config.compression = Compression::None;
  Fixture f(config);
  f.submit(batchOf(1, "a"));
  f.http->answer(503);  // endpoint blocked, payload queued
  std::size_t one = f.delivery().queuedBytes();
  REQUIRE(one > 0);
  f.sink->close();
  ForwardConfig small = config;
  small.retryQueueBytes = one * 2 + one / 2;  // room for two payloads of this size
  Fixture g(small);
  g.submit(batchOf(1, "a"));
  g.http->answer(503);
  g.submit(batchOf(1, "b"));
  g.submit(batchOf(1, "c"));
  CHECK(g.delivery().queuedPayloads() == 2);
  CHECK(g.metric("sink.dropped_payloads", "reason:queue_full") == 1);
  g.clock.advanceMillis(64000);
  g.delivery().pumpForTest();
  REQUIRE(g.http->sent.size() == 2);
  CHECK(decodedBody(g.http->sent[1]).find("\"b0\"") != std::string::npos);  // "a" was the oldest
}

TEST_CASE("Payloads older than the intake window are dropped as expired") {
  Fixture f;
  f.submit(batchOf(1));
  f.http->answer(503);
  f.clock.advanceMillis(3600 * 1000 + 1);
  f.delivery().pumpForTest();
  CHECK(f.http->sent.size() == 1);
  CHECK(f.metric("sink.dropped_payloads", "reason:expired") == 1);
}

TEST_CASE("drain() sends what is queued, then calls done once") {
  Fixture f;
  f.submit(batchOf(1));
  f.http->answer(503);
  int calls = 0;
  f.delivery().drain([&] { ++calls; });
  CHECK(f.http->sent.size() == 1);  // blocked for at most kDrainRetryMillis
  f.clock.advanceMillis(kDrainRetryMillis);
  f.delivery().pumpForTest();
  REQUIRE(f.http->sent.size() == 2);
  CHECK(calls == 0);
  f.http->answer(202);
  uv_run(&f.loop, UV_RUN_NOWAIT);
  CHECK(calls == 1);
  uv_run(&f.loop, UV_RUN_NOWAIT);
  CHECK(calls == 1);
}

TEST_CASE("drain() with an empty queue completes at once; at the deadline it logs what is undelivered") {
  {
    Fixture f;
    int calls = 0;
    f.delivery().drain([&] { ++calls; });
    uv_run(&f.loop, UV_RUN_NOWAIT);
    CHECK(calls == 1);
  }
  ForwardConfig config = Fixture::defaultConfig();
  config.shutdownDeadlineSeconds = 0;
  Fixture f(config);
  StderrCapture capture;
  f.submit(batchOf(4));
  int calls = 0;
  f.delivery().drain([&] { ++calls; });
  uv_run(&f.loop, UV_RUN_ONCE);  // the 0 s deadline timer
  std::string logs = capture.take();
  CHECK(calls == 1);
  CHECK(logs.find("reason=shutdown_deadline undelivered_payloads=1 undelivered_items=4") !=
        std::string::npos);
  CHECK(f.metric("sink.dropped_items", "reason:shutdown") == 4);
}

TEST_CASE("start() validates the key once and fails open") {
  Fixture f;
  StderrCapture capture;
  f.sink->start();
  REQUIRE(f.http->sent.size() == 1);
  CHECK(f.http->sent[0].request.method == "GET");
  CHECK(f.http->sent[0].request.url == "http://127.0.0.1:9/api/v1/validate");
  f.http->answer(0, TransportError::Timeout);
  f.submit(batchOf(1));
  CHECK(f.http->sent.size() == 2);
  std::string logs = capture.take();
  CHECK(logs.find("reason=timeout") != std::string::npos);
  CHECK(logs.find("sending anyway") != std::string::npos);
  CHECK(logs.find(kApiKey) == std::string::npos);
}

TEST_CASE("close() is idempotent and stops everything") {
  Fixture f;
  f.submit(batchOf(1));
  f.sink->close();
  f.sink->close();
  CHECK(f.delivery().closed());
  CHECK(f.http->closed());
  f.submit(batchOf(1));
  CHECK(f.http->sent.size() == 1);
}

TEST_CASE("start() warns about an unknown site once and logs the masked key, never the key") {
  ForwardConfig config = Fixture::defaultConfig();
  config.ddUrl = "";
  config.site = "datadoghq.example";
  config.validateApiKey = false;
  Fixture f(config);
  StderrCapture capture;
  f.sink->start();
  std::string logs = capture.take();
  CHECK(f.sink->baseUrl() == "https://api.datadoghq.example");
  CHECK(logs.find("reason=unknown_site site=datadoghq.example url=https://api.datadoghq.example") !=
        std::string::npos);
  CHECK(logs.find("api_key=***cdef") != std::string::npos);
  CHECK(logs.find(kApiKey) == std::string::npos);
  CHECK(f.http->sent.empty());  // validation switched off
}

TEST_CASE("A 202 that lists errors is counted sent and its errors are logged") {
  Fixture f;
  StderrCapture capture;
  f.submit(batchOf(1));
  f.http->answer(202, TransportError::None, R"({"errors":["metric name too long"]})");
  f.submit(batchOf(1));
  f.http->answer(202, TransportError::None, R"({"errors":[]})");
  std::string logs = capture.take();
  CHECK(f.metric("sink.payloads_sent", "route:series_v2") == 2);
  CHECK(
      logs.find(
          R"(reason=intake_errors endpoint=series_v2 response="{\"errors\":[\"metric name too long\"]}")") !=
      std::string::npos);
  CHECK(logs.find("reason=intake_errors") == logs.rfind("reason=intake_errors"));
}
