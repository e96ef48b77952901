#include <catch2/catch.hpp>

#include "forward/backoff.h"
#include "forward/outcome.h"
#include "forward/retry_queue.h"

using namespace dynostatsd;
using namespace dynostatsd::forward;

TEST_CASE("Backoff grows exponentially within its jitter bounds, caps, and recovers") {
  double next = 0;
  Backoff backoff(2, 64, [&] { return next; });
  CHECK(backoff.maxErrors() == 6);
  CHECK(backoff.delaySeconds() == 0);
  // {errors, low bound (jitter 0), high bound (jitter -> 1)}
  const double bounds[][2] = {{2, 4}, {4, 8}, {8, 16}, {16, 32}, {32, 64}, {64, 64}, {64, 64}};
  for (const auto& bound : bounds) {
    backoff.onError();
    next = 0;
    CHECK(backoff.delaySeconds() == Approx(bound[0]));
    next = 0.999999;
    CHECK(backoff.delaySeconds() == Approx(bound[1]).epsilon(1e-5));
    next = 0.5;
    CHECK(backoff.delaySeconds() >= bound[0]);
    CHECK(backoff.delaySeconds() <= bound[1]);
  }
  CHECK(backoff.errors() == 6);  // capped
  backoff.onSuccess();
  CHECK(backoff.errors() == 4);
  backoff.onSuccess();
  backoff.onSuccess();
  CHECK(backoff.errors() == 0);
  CHECK(backoff.delaySeconds() == 0);
  backoff.onSuccess();
  CHECK(backoff.errors() == 0);
}

namespace {

// Routes of a three-route sink, as Datadog's endpoints once were in these tests.
enum Route : std::uint8_t { kSeries = 0, kChecks = 1, kEvents = 2 };

Transaction transaction(Route route, std::uint64_t sequence, std::size_t bytes) {
  Transaction t;
  t.payload.route = route;
  t.payload.body.assign(bytes, 'x');
  t.payload.items = 1;
  t.sequence = sequence;
  return t;
}

}  // namespace

TEST_CASE("RetryQueue keeps per-route order, evicts the oldest first, and honours its byte bound") {
  RetryQueue queue(1000, 3);
  std::vector<Transaction> evicted;
  queue.push(transaction(kSeries, 1, 300), evicted);
  queue.push(transaction(kChecks, 2, 300), evicted);
  queue.push(transaction(kSeries, 3, 300), evicted);
  CHECK(evicted.empty());
  CHECK(queue.bytes() == 900);
  queue.push(transaction(kEvents, 4, 300), evicted);  // 1200 > 1000: evict seq 1
  REQUIRE(evicted.size() == 1);
  CHECK(evicted[0].sequence == 1);
  CHECK(queue.bytes() == 900);
  queue.push(transaction(kSeries, 5, 700), evicted);  // evicts 2 (check_run) then 3
  REQUIRE(evicted.size() == 3);
  CHECK(evicted[1].sequence == 2);
  CHECK(evicted[2].sequence == 3);
  CHECK(queue.bytes() == 1000);
  CHECK(queue.size() == 2);
  queue.push(transaction(kSeries, 6, 1001), evicted);  // larger than the bound: itself
  REQUIRE(evicted.size() == 4);
  CHECK(evicted[3].sequence == 6);
  CHECK(queue.size() == 2);
}

TEST_CASE("RetryQueue puts a retried payload back in sequence order") {
  RetryQueue queue(1 << 20, 3);
  std::vector<Transaction> evicted;
  queue.push(transaction(kSeries, 5, 10), evicted);
  queue.push(transaction(kSeries, 7, 10), evicted);
  queue.push(transaction(kSeries, 2, 10), evicted);  // a retry of an older one
  queue.push(transaction(kSeries, 5, 10), evicted);  // second half of a split of 5
  std::vector<std::uint64_t> order;
  while (!queue.empty(kSeries)) order.push_back(queue.pop(kSeries).sequence);
  CHECK(order == std::vector<std::uint64_t>{2, 5, 5, 7});
  CHECK(queue.bytes() == 0);
  CHECK(queue.empty());
}

TEST_CASE("RetryQueue counts reserved (in-flight) bytes against its bound") {
  RetryQueue queue(1000, 3);
  std::vector<Transaction> evicted;
  queue.push(transaction(kSeries, 1, 400), evicted);
  queue.reserve(500);                                 // a payload in flight
  queue.push(transaction(kSeries, 2, 400), evicted);  // 400 + 500 + 400 > 1000: evict seq 1
  REQUIRE(evicted.size() == 1);
  CHECK(evicted[0].sequence == 1);
  queue.release(500);
  queue.push(transaction(kEvents, 3, 500), evicted);
  CHECK(evicted.size() == 1);
  CHECK(queue.bytes() == 900);
}

TEST_CASE("Retry-After: delay-seconds and HTTP-date; malformed is ignored") {
  const std::int64_t now = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(parseRetryAfter("120", now) == 120.0);
  CHECK(parseRetryAfter(" 0 ", now) == 0.0);
  CHECK(parseRetryAfter("Sun, 06 Nov 1994 08:50:07 GMT", now) == 30.0);
  CHECK(parseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now) == 0.0);  // in the past: now
  CHECK_FALSE(parseRetryAfter("", now));
  CHECK_FALSE(parseRetryAfter("-5", now));
  CHECK_FALSE(parseRetryAfter("soon", now));
  CHECK_FALSE(parseRetryAfter("9999999999", now));
  HttpResponse response;
  response.status = 429;
  response.headers = {{"retry-after", "7"}};
  Outcome outcome = statusOutcome(OutcomeKind::Retry, response, now);
  CHECK(outcome.retryAfterSeconds == 7.0);
  CHECK(outcome.name() == "http_429");
}

TEST_CASE("Reasons have one logfmt spelling each") {
  CHECK(reasonName(Reason::HttpStatus, 503) == "http_503");
  CHECK(reasonName(Reason::QueueFull) == "queue_full");
  CHECK(reasonName(Reason::UnsupportedBySink) == "unsupported_by_sink");
  CHECK(reasonName(Reason::CompressFailed) == "compress_failed");
  CHECK(statusClass(202) == "2xx");
  CHECK(statusClass(503) == "5xx");
  CHECK(statusClass(0) == "none");
}
