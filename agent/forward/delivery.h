#pragma once
// Delivery: the vendor-neutral HTTP delivery of one sink's payloads, on the agent's libuv loop.
// A sink builds its Routes (url, headers, classify, split-on-413) and hands Delivery its encoded
// payloads; Delivery owns them from then on:
//   queue      one FIFO per route in a RetryQueue bounded in bytes (queued + in flight), oldest
//              evicted first (counted: dropped reason=queue_full, logged, throttled)
//   concurrency per route between kMinInFlight and kMaxInFlight requests, adapted to latency (a
//              gradient rule, like TCP Vegas): a success with payloads still waiting behind a
//              full window opens one more slot while its latency stays near the route's best
//              (a slow but parallel intake: more requests help); a latency far above the best
//              (a saturated intake: more requests only queue there) or an idle success closes
//              one; a failure halves the window; one "probe" at a time while backing off
//   backoff    jittered exponential per route (forward/backoff.h); Retry-After (seconds or
//              HTTP-date) is honoured, capped at kMaxRetryAfterSeconds
//   413        the route's split() halves the payload and both halves are resent
//   drain      at shutdown until empty or the deadline; `done` runs exactly once, on the loop
// Ownership: Delivery owns its payloads, timers and HTTP client; close() releases them all.
// Logs: stage=forward, endpoint=<route name>, sink=<sink name>. Self-metrics: sink.* (the Agent
// adds sink:<name>).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "forward/backoff.h"
#include "forward/http_client.h"
#include "forward/outcome.h"
#include "forward/retry_queue.h"
#include "forward/route.h"
#include "loop/timer.h"
#include "model/clock.h"
#include "model/self_metric.h"
#include "serialize/payload.h"
#include "telemetry/log.h"

namespace dynostatsd::forward {

inline constexpr int kMinInFlight = 2;
inline constexpr int kMaxInFlight = 16;
inline constexpr double kMaxRetryAfterSeconds = 300;
// While draining at shutdown, a failing route is retried at most this long after its failure.
inline constexpr std::int64_t kDrainRetryMillis = 1000;

// The URL without user:password@, for logs.
std::string displayUrl(std::string_view url);
// Uniform [0, 1) numbers from a seeded engine: the default jitter source of Backoff.
std::function<double()> defaultUniform01();

struct DeliveryOptions {
  std::string sink = "datadog";               // the sink= log field
  std::size_t queueBytes = 15 * 1024 * 1024;  // bound of queued + in-flight payload bytes
  bool retry = true;                          // false: a retryable failure drops (retry_disabled)
  int requestTimeoutSeconds = 20;
  double backoffBaseSeconds = 2;
  double backoffMaxSeconds = 64;
  int shutdownDeadlineSeconds = 20;
  int minInFlight = kMinInFlight;  // per route
  int maxInFlight = kMaxInFlight;  // per route
};

// The delivery settings every HTTP sink shares (DD_FORWARDER_*, DYNOSTATSD_SHUTDOWN_DEADLINE),
// for the sink named `sink`. A retry queue bound of 0 disables retrying, not sending (as in the
// Datadog Agent): payloads still queue under the default bound and a retryable failure drops them.
DeliveryOptions sharedDeliveryOptions(const ForwardConfig& config, std::string sink);

class Delivery {
 public:
  // The HTTP client (forward/http_client_factory.h, or a test's) and the source of uniform [0,1)
  // numbers for the jitter.
  Delivery(uv_loop_t* loop, const Clock& clock, DeliveryOptions options, std::vector<Route> routes,
           std::unique_ptr<HttpClient> client, std::function<double()> uniform01);
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  // Queues one payload for routes()[payload.route] and starts sending. Never blocks.
  void enqueue(serialize::Payload payload);
  void enqueue(std::vector<serialize::Payload>& payloads);  // moves them all out
  // Counts items the sink could not even encode (e.g. CompressFailed, UnsupportedBySink) as
  // dropped with `reason`, so every loss shows in the same self-metric.
  void countDropped(Reason reason, std::size_t items, std::size_t payloads = 0);
  // Shutdown: keeps sending until nothing is queued or in flight, or until the deadline; logs
  // what could not be delivered; then calls `done` once, from the loop.
  void drain(std::function<void()> done);
  void close();
  bool closed() const { return closed_; }
  // sink.* figures: payloads_sent/bytes_sent/points_sent (route:), responses (status_class:),
  // retries and dropped_payloads/dropped_items (reason:), splits, queue_bytes, queue_payloads,
  // in_flight, concurrency.
  // Charges queued payloads to the agent's MemoryBudget (queue share).
  void useMemoryBudget(MemoryBudget& budget) { queue_.setMemoryBudget(&budget); }
  void collectSelfMetrics(std::vector<SelfMetric>& out) const;

  // The client, for a sink's own one-off requests (e.g. Datadog's key validation).
  HttpClient& client() { return *client_; }
  const std::vector<Route>& routes() const { return routes_; }
  const DeliveryOptions& options() const { return options_; }
  std::size_t queuedPayloads() const { return queue_.size(); }
  std::size_t queuedBytes() const { return queue_.bytes(); }
  std::size_t inFlight() const { return inFlight_.size(); }
  int concurrency(std::size_t route) const { return state_[route].limit; }
  const Backoff& backoff(std::size_t route) const { return state_[route].backoff; }
  // Re-runs dispatch after a test moved its ManualClock past a backoff.
  void pumpForTest() { pump(); }

 private:
  struct RouteState {
    Backoff backoff;
    std::int64_t blockedUntilMillis = 0;
    int inFlight = 0;
    int limit = kMinInFlight;      // adaptive window
    double bestLatencyMillis = 0;  // lowest recent latency of a success (drifts up slowly)
    std::uint64_t payloadsSent = 0, bytesSent = 0, itemsSent = 0;
  };
  struct Counters {
    std::map<std::string, std::uint64_t> responses;  // by status class
    std::map<std::string, std::uint64_t> retries;    // by reason
    std::map<std::string, std::uint64_t> droppedPayloads;
    std::map<std::string, std::uint64_t> droppedItems;
    std::uint64_t splits = 0;
  };

  void enqueueTransaction(Transaction transaction);
  void pump();
  void dispatch(Transaction transaction);
  void onResponse(std::uint64_t id, const HttpResponse& response);
  void drop(const Transaction& transaction, const Outcome& outcome, const HttpResponse* response);
  void scheduleWake(std::int64_t nowMillis);
  void adapt(RouteState& state, double latencyMillis, bool backlog);
  void checkDrained();
  void onDrainTimer();
  void onRetry(std::size_t route, Transaction transaction, const Outcome& outcome,
               const HttpResponse& response, std::int64_t now);
  std::string logTail() const { return " sink=" + options_.sink; }

  DeliveryOptions options_;
  const Clock& clock_;
  std::vector<Route> routes_;
  std::unique_ptr<HttpClient> client_;
  RetryQueue queue_;
  std::vector<RouteState> state_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Transaction>> inFlight_;
  std::uint64_t nextSequence_ = 1;
  std::uint64_t nextRequestId_ = 1;
  Timer wakeTimer_;
  Timer drainTimer_;
  Counters counters_;
  log::Throttle retryLog_{10000};
  log::Throttle dropLog_{10000};
  log::Throttle refusedLog_{10000};
  bool pumping_ = false;
  bool repump_ = false;
  bool draining_ = false;
  bool drainFinished_ = false;
  std::function<void()> drainDone_;
  bool closed_ = false;
};

}  // namespace dynostatsd::forward
