// Delivery with a scripted HTTP client: the latency-adaptive window, the byte bound counting
// payloads in flight, and Retry-After.
#include "forward/delivery.h"

#include <uv.h>
#include <catch2/catch.hpp>

#include <deque>

using namespace dynostatsd;
using namespace dynostatsd::forward;

namespace {

class ScriptedClient final : public HttpClient {
 public:
  void send(const HttpRequest&, Completion done) override { pending.push_back(std::move(done)); }
  std::size_t inFlight() const override { return pending.size(); }
  void close() override {
    closedFlag = true;
    pending.clear();
  }
  bool closed() const override { return closedFlag; }
  void answer(long status, std::vector<std::pair<std::string, std::string>> headers = {}) {
    REQUIRE(!pending.empty());
    auto done = std::move(pending.front());
    pending.pop_front();
    HttpResponse response;
    response.status = status;
    response.headers = std::move(headers);
    done(response);
  }
  std::deque<Completion> pending;
  bool closedFlag = false;
};

Outcome simpleClassify(const HttpResponse& response, std::int64_t now) {
  if (response.status >= 200 && response.status < 300) return statusOutcome(OutcomeKind::Sent, response, now);
  if (response.status == 503 || response.status == 429)
    return statusOutcome(OutcomeKind::Retry, response, now);
  return statusOutcome(OutcomeKind::Dropped, response, now);
}

struct Fixture {
  explicit Fixture(DeliveryOptions options = {}) : clock(1700000000000) {
    uv_loop_init(&loop);
    Route route;
    route.name = "metrics";
    route.url = "http://127.0.0.1:9/v1/metrics";
    route.classify = simpleClassify;
    auto scripted = std::make_unique<ScriptedClient>();
    client = scripted.get();
    delivery = std::make_unique<Delivery>(&loop, clock, options, std::vector<Route>{route},
                                          std::move(scripted), [] { return 0.0; });
  }
  ~Fixture() {
    delivery->close();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  void enqueue(std::size_t count, std::size_t bytes = 100) {
    for (std::size_t i = 0; i < count; ++i) {
      serialize::Payload payload;
      payload.body.assign(bytes, 'x');
      payload.items = 1;
      delivery->enqueue(std::move(payload));
    }
  }
  uv_loop_t loop{};
  ManualClock clock;
  ScriptedClient* client;
  std::unique_ptr<Delivery> delivery;
};

}  // namespace

TEST_CASE("A slow but parallel intake widens the window; a saturated one narrows it; idle shrinks back") {
  Fixture f;
  f.enqueue(40);
  CHECK(f.client->pending.size() == 2);  // starts at kMinInFlight
  // Every answer takes 2 s, whatever the number in flight: a slow, parallel intake.
  for (int i = 0; i < 20; ++i) {
    f.clock.advanceMillis(2000 / static_cast<std::int64_t>(f.client->pending.size()));
    f.client->answer(202);
  }
  CHECK(f.delivery->concurrency(0) > kMinInFlight);
  CHECK(f.delivery->concurrency(0) <= kMaxInFlight);
  const int widened = f.delivery->concurrency(0);
  // Now the latency climbs with load: far above the best seen -> narrower.
  f.clock.advanceMillis(30000);
  f.client->answer(202);
  CHECK(f.delivery->concurrency(0) == widened - 1);
  // Drain the rest quickly; with nothing waiting the window shrinks back to the minimum.
  while (!f.client->pending.empty()) f.client->answer(202);
  CHECK(f.delivery->queuedPayloads() == 0);
  CHECK(f.delivery->concurrency(0) == kMinInFlight);
}

TEST_CASE("Payloads in flight count against the byte bound; only a really full queue drops, oldest first") {
  DeliveryOptions options;
  options.queueBytes = 1000;
  Fixture f(options);
  f.enqueue(2, 300);  // both in flight: 600 bytes reserved
  f.enqueue(1, 300);  // queued: 900
  std::vector<SelfMetric> metrics;
  f.delivery->collectSelfMetrics(metrics);
  double queueBytes = -1;
  for (const auto& m : metrics)
    if (m.name == "sink.queue_bytes") queueBytes = m.value;
  CHECK(queueBytes == 900);
  f.enqueue(1, 300);  // 1200 > 1000: the oldest queued one goes
  metrics.clear();
  f.delivery->collectSelfMetrics(metrics);
  double dropped = 0;
  for (const auto& m : metrics)
    if (m.name == "sink.dropped_payloads" && m.tags == std::vector<std::string>{"reason:queue_full"})
      dropped = m.value;
  CHECK(dropped == 1);
  CHECK(f.delivery->queuedPayloads() == 1);
}

TEST_CASE("Retry-After sets the wait instead of the backoff") {
  Fixture f;
  f.enqueue(1);
  f.client->answer(429, {{"retry-after", "7"}});
  f.clock.advanceMillis(6999);
  f.delivery->pumpForTest();
  CHECK(f.client->pending.empty());
  f.clock.advanceMillis(1);
  f.delivery->pumpForTest();
  CHECK(f.client->pending.size() == 1);
  f.client->answer(202);
  CHECK(f.delivery->queuedPayloads() == 0);
}
