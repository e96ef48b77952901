#include <catch2/catch.hpp>

#include "forward/backoff.h"
#include "forward/retry_queue.h"
#include "forward/transaction.h"

using namespace dynostatsd;
using namespace dynostatsd::forward;

TEST_CASE("Every HTTP answer maps to one outcome") {
  struct Case {
    long status;
    TransportError error;
    OutcomeKind kind;
    std::string_view reason;
  };
  const Case cases[] = {
      {200, TransportError::None, OutcomeKind::Sent, "http_200"},
      {202, TransportError::None, OutcomeKind::Sent, "http_202"},
      {400, TransportError::None, OutcomeKind::Dropped, "http_400"},
      {403, TransportError::None, OutcomeKind::Dropped, "http_403"},
      {413, TransportError::None, OutcomeKind::Split, "http_413"},
      {404, TransportError::None, OutcomeKind::Retry, "http_404"},
      {408, TransportError::None, OutcomeKind::Retry, "http_408"},
      {429, TransportError::None, OutcomeKind::Retry, "http_429"},
      {500, TransportError::None, OutcomeKind::Retry, "http_500"},
      {503, TransportError::None, OutcomeKind::Retry, "http_503"},
      {401, TransportError::None, OutcomeKind::Retry, "http_401"},
      {301, TransportError::None, OutcomeKind::Dropped, "http_301"},
      {0, TransportError::Timeout, OutcomeKind::Retry, "timeout"},
      {0, TransportError::Connect, OutcomeKind::Retry, "connect"},
      {0, TransportError::Resolve, OutcomeKind::Retry, "dns"},
      {0, TransportError::Tls, OutcomeKind::Retry, "tls"},
      {0, TransportError::Network, OutcomeKind::Retry, "network"},
  };
  for (const Case& c : cases) {
    HttpResponse response;
    response.status = c.status;
    response.error = c.error;
    Outcome outcome = classify(response);
    INFO(c.status << " " << c.reason);
    CHECK(outcome.kind == c.kind);
    CHECK(outcome.reason == c.reason);
  }
  CHECK(statusClass(202) == "2xx");
  CHECK(statusClass(503) == "5xx");
  CHECK(statusClass(0) == "none");
}

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

Transaction transaction(serialize::Endpoint endpoint, std::uint64_t sequence, std::size_t bytes) {
  Transaction t;
  t.payload.endpoint = endpoint;
  t.payload.body.assign(bytes, 'x');
  t.payload.items = 1;
  t.sequence = sequence;
  return t;
}

}  // namespace

TEST_CASE("RetryQueue keeps per-endpoint order, evicts the oldest first, and honours its byte bound") {
  using serialize::Endpoint;
  RetryQueue queue(1000);
  std::vector<Transaction> evicted;
  queue.push(transaction(Endpoint::SeriesV2, 1, 300), evicted);
  queue.push(transaction(Endpoint::CheckRun, 2, 300), evicted);
  queue.push(transaction(Endpoint::SeriesV2, 3, 300), evicted);
  CHECK(evicted.empty());
  CHECK(queue.bytes() == 900);
  queue.push(transaction(Endpoint::Events, 4, 300), evicted);  // 1200 > 1000: evict seq 1
  REQUIRE(evicted.size() == 1);
  CHECK(evicted[0].sequence == 1);
  CHECK(queue.bytes() == 900);
  queue.push(transaction(Endpoint::SeriesV2, 5, 700), evicted);  // evicts 2 (check_run) then 3
  REQUIRE(evicted.size() == 3);
  CHECK(evicted[1].sequence == 2);
  CHECK(evicted[2].sequence == 3);
  CHECK(queue.bytes() == 1000);
  CHECK(queue.size() == 2);
  queue.push(transaction(Endpoint::SeriesV2, 6, 1001), evicted);  // larger than the bound: itself
  REQUIRE(evicted.size() == 4);
  CHECK(evicted[3].sequence == 6);
  CHECK(queue.size() == 2);
}

TEST_CASE("RetryQueue puts a retried payload back in sequence order") {
  using serialize::Endpoint;
  RetryQueue queue(1 << 20);
  std::vector<Transaction> evicted;
  queue.push(transaction(Endpoint::SeriesV2, 5, 10), evicted);
  queue.push(transaction(Endpoint::SeriesV2, 7, 10), evicted);
  queue.push(transaction(Endpoint::SeriesV2, 2, 10), evicted);  // a retry of an older one
  queue.push(transaction(Endpoint::SeriesV2, 5, 10), evicted);  // second half of a split of 5
  std::vector<std::uint64_t> order;
  while (!queue.empty(Endpoint::SeriesV2)) order.push_back(queue.pop(Endpoint::SeriesV2).sequence);
  CHECK(order == std::vector<std::uint64_t>{2, 5, 5, 7});
  CHECK(queue.bytes() == 0);
  CHECK(queue.empty());
}

TEST_CASE("RetryQueue charges the memory budget's queue share and evicts the oldest when it is full") {
  using serialize::Endpoint;
  MemoryBudget budget(4000);        // queue share: all 4000 bytes
  REQUIRE(budget.tryCharge(2500));  // what aggregation holds
  std::vector<Transaction> evicted;
  {
    RetryQueue queue(1 << 20);
    queue.setMemoryBudget(&budget);
    queue.push(transaction(Endpoint::SeriesV2, 1, 600), evicted);
    queue.push(transaction(Endpoint::SeriesV2, 2, 600), evicted);
    CHECK(budget.used() == 3700);
    queue.push(transaction(Endpoint::SeriesV2, 3, 600), evicted);  // 4300 > 4000: evict seq 1
    REQUIRE(evicted.size() == 1);
    CHECK(evicted[0].sequence == 1);
    CHECK(budget.used() == 3700);
    queue.pop(Endpoint::SeriesV2);
    CHECK(budget.used() == 3100);
    queue.push(transaction(Endpoint::SeriesV2, 4, 2000), evicted);  // never fits: itself dropped
    CHECK(evicted.back().sequence == 4);
    CHECK(budget.used() <= 4000);
  }
  CHECK(budget.used() == 2500);  // the queue gave back everything it charged
}
