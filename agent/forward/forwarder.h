#pragma once
// Forwarder: sends each flush to the Datadog HTTP intake, on the agent's libuv loop.
// Input: a FlushBatch per flush (read only; serialized and compressed at once). Output: HTTP
// requests through an HttpClient (libcurl on the same loop by default).
// Delivery: one FIFO per endpoint in a RetryQueue bounded in bytes (oldest evicted first), at most
// kMaxInFlightPerEndpoint requests per endpoint (one "probe" while the endpoint is backing off),
// answers classified by classify() in transaction.h, jittered exponential backoff per endpoint,
// 413 answered by halving the payload, drain() at shutdown until empty or the deadline.
// Ownership: the Forwarder owns its payloads, timers and HTTP client; close() releases them all.
#include <uv.h>

#include <array>
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
#include "forward/retry_queue.h"
#include "forward/transaction.h"
#include "loop/timer.h"
#include "model/clock.h"
#include "model/self_metric.h"
#include "model/series.h"
#include "serialize/serializer.h"
#include "telemetry/log.h"

namespace dynostatsd::forward {

inline constexpr int kMaxInFlightPerEndpoint = 2;
// While draining at shutdown, a failing endpoint is retried at most this long after its failure.
inline constexpr std::int64_t kDrainRetryMillis = 1000;

// https://api.<site> unless DD_DD_URL is set (trailing slashes removed).
std::string baseUrlFor(const ForwardConfig& config);
bool isKnownSite(std::string_view site);
// The URL without user:password@, for logs.
std::string displayUrl(std::string_view url);

class Forwarder {
 public:
  Forwarder(uv_loop_t* loop, const ForwardConfig& config, const Clock& clock);
  // For tests: an injected HTTP client and source of uniform [0,1) numbers for the jitter.
  Forwarder(uv_loop_t* loop, const ForwardConfig& config, const Clock& clock,
            std::unique_ptr<HttpClient> client, std::function<double()> uniform01);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Validates the API key once (GET /api/v1/validate) and logs the result once. Fails open:
  // whatever the answer, payloads are still sent.
  void start();
  void submit(const FlushBatch& batch);
  // Shutdown: keeps sending until nothing is queued or in flight, or until the deadline
  // (shutdownDeadlineSeconds); logs what could not be delivered; then calls `done` once.
  void drain(std::function<void()> done);
  void close();
  bool closed() const { return closed_; }
  void collectSelfMetrics(std::vector<SelfMetric>& out) const;

  const std::string& baseUrl() const { return baseUrl_; }
  // Charges queued payloads to the agent's MemoryBudget (queue share).
  void useMemoryBudget(MemoryBudget& budget) { queue_.setMemoryBudget(&budget); }
  std::size_t queuedPayloads() const { return queue_.size(); }
  std::size_t queuedBytes() const { return queue_.bytes(); }
  std::size_t inFlight() const { return inFlight_.size(); }
  const Backoff& backoff(serialize::Endpoint endpoint) const { return state(endpoint).backoff; }
  // Re-runs dispatch after a test moved its ManualClock past a backoff.
  void pumpForTest() { pump(); }

 private:
  struct EndpointState {
    Backoff backoff;
    std::int64_t blockedUntilMillis = 0;
    int inFlight = 0;
  };
  struct Counters {
    std::array<std::uint64_t, serialize::kEndpointCount> payloadsSent{};
    std::array<std::uint64_t, serialize::kEndpointCount> bytesSent{};
    std::map<std::string, std::uint64_t> responses;  // by status class
    std::map<std::string, std::uint64_t> retries;    // by reason
    std::map<std::string, std::uint64_t> droppedPayloads;
    std::map<std::string, std::uint64_t> droppedItems;
    std::uint64_t splits = 0;
  };

  EndpointState& state(serialize::Endpoint endpoint) {
    return endpoints_[static_cast<std::size_t>(endpoint)];
  }
  const EndpointState& state(serialize::Endpoint endpoint) const {
    return endpoints_[static_cast<std::size_t>(endpoint)];
  }
  void enqueue(Transaction transaction);
  void pump();
  void dispatch(Transaction transaction);
  void onResponse(std::uint64_t id, const HttpResponse& response);
  void onValidateResponse(const HttpResponse& response);
  void drop(const Transaction& transaction, const std::string& reason);
  void logInvalidKey();
  void scheduleWake(std::int64_t nowMillis);
  void checkDrained();
  void onDrainTimer();
  std::vector<std::pair<std::string, std::string>> headersFor(serialize::Endpoint endpoint,
                                                              Compression compression) const;

  ForwardConfig config_;
  const Clock& clock_;
  std::unique_ptr<HttpClient> client_;
  serialize::Serializer serializer_;
  RetryQueue queue_;
  std::vector<EndpointState> endpoints_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Transaction>> inFlight_;
  std::uint64_t nextSequence_ = 1;
  std::uint64_t nextRequestId_ = 1;
  Timer wakeTimer_;
  Timer drainTimer_;
  std::string baseUrl_;
  std::string userAgent_;
  Counters counters_;
  log::Throttle retryLog_{10000};
  log::Throttle dropLog_{10000};
  log::Throttle invalidKeyLog_{5 * 60 * 1000};
  bool pumping_ = false;
  bool repump_ = false;
  bool draining_ = false;
  bool drainFinished_ = false;
  std::int64_t drainDeadlineMillis_ = 0;
  std::function<void()> drainDone_;
  bool closed_ = false;
};

}  // namespace dynostatsd::forward
