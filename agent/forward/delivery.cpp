#include "forward/delivery.h"

#include <algorithm>
#include <cstdio>
#include <random>

namespace dynostatsd::forward {
namespace {

constexpr std::string_view kStage = "forward";

std::string formatSeconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1fs", seconds);
  return buffer;
}

}  // namespace

std::function<double()> defaultUniform01() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

std::string displayUrl(std::string_view url) {
  std::size_t scheme = url.find("://");
  std::size_t hostStart = scheme == std::string_view::npos ? 0 : scheme + 3;
  std::size_t hostEnd = url.find_first_of("/?#", hostStart);
  std::size_t at = url.rfind('@', hostEnd == std::string_view::npos ? url.size() : hostEnd);
  if (at == std::string_view::npos || at < hostStart) return std::string(url);
  return std::string(url.substr(0, hostStart)) + "***@" + std::string(url.substr(at + 1));
}

DeliveryOptions sharedDeliveryOptions(const ForwardConfig& config, std::string sink) {
  DeliveryOptions options;
  options.sink = std::move(sink);
  options.queueBytes = config.retryQueueBytes > 0 ? config.retryQueueBytes : ForwardConfig{}.retryQueueBytes;
  options.retry = config.retryQueueBytes > 0;
  options.requestTimeoutSeconds = config.requestTimeoutSeconds;
  options.backoffBaseSeconds = config.backoffBaseSeconds;
  options.backoffMaxSeconds = config.backoffMaxSeconds;
  options.shutdownDeadlineSeconds = config.shutdownDeadlineSeconds;
  return options;
}

Delivery::Delivery(uv_loop_t* loop, const Clock& clock, DeliveryOptions options, std::vector<Route> routes,
                   std::unique_ptr<HttpClient> client, std::function<double()> uniform01)
    : options_(std::move(options)),
      clock_(clock),
      routes_(std::move(routes)),
      client_(std::move(client)),
      queue_(options_.queueBytes, routes_.size()),
      wakeTimer_(loop, [this] { pump(); }),
      drainTimer_(loop, [this] { onDrainTimer(); }) {
  options_.minInFlight = std::max(1, options_.minInFlight);
  options_.maxInFlight = std::max(options_.minInFlight, options_.maxInFlight);
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    RouteState state{Backoff(options_.backoffBaseSeconds, options_.backoffMaxSeconds, uniform01)};
    state.limit = options_.minInFlight;
    state_.push_back(std::move(state));
  }
}

Delivery::~Delivery() {
  close();
}

void Delivery::enqueue(serialize::Payload payload) {
  if (closed_) return;
  Transaction transaction;
  transaction.payload = std::move(payload);
  transaction.sequence = nextSequence_++;
  transaction.createdMillis = clock_.nowMillis();
  enqueueTransaction(std::move(transaction));
  pump();
}

void Delivery::enqueue(std::vector<serialize::Payload>& payloads) {
  if (closed_) return;
  const std::int64_t now = clock_.nowMillis();
  for (serialize::Payload& payload : payloads) {
    Transaction transaction;
    transaction.payload = std::move(payload);
    transaction.sequence = nextSequence_++;
    transaction.createdMillis = now;
    enqueueTransaction(std::move(transaction));
  }
  payloads.clear();
  pump();
}

void Delivery::countDropped(Reason reason, std::size_t items, std::size_t payloads) {
  std::string name = reasonName(reason);
  if (payloads != 0) counters_.droppedPayloads[name] += payloads;
  if (items != 0) counters_.droppedItems[name] += items;
}

void Delivery::enqueueTransaction(Transaction transaction) {
  std::vector<Transaction> evicted;
  queue_.push(std::move(transaction), evicted);
  Outcome full;
  full.reason = Reason::QueueFull;
  for (const Transaction& old : evicted) drop(old, full, nullptr);
}

void Delivery::pump() {
  if (closed_) return;
  if (pumping_) {
    repump_ = true;  // a completion ran inside dispatch(): go round once more
    return;
  }
  pumping_ = true;
  do {
    repump_ = false;
    std::int64_t now = clock_.nowMillis();
    for (std::size_t route = 0; route < routes_.size() && !closed_; ++route) {
      RouteState& state = state_[route];
      const std::int64_t maxAge = routes_[route].maxAgeMillis;
      while (!closed_ && !queue_.empty(route)) {
        if (maxAge > 0 && now - queue_.front(route).createdMillis > maxAge) {
          Outcome expired;
          expired.reason = Reason::Expired;
          drop(queue_.pop(route), expired, nullptr);
          continue;
        }
        if (now < state.blockedUntilMillis) break;
        int limit = state.backoff.errors() > 0 ? 1 : state.limit;
        if (state.inFlight >= limit) break;
        dispatch(queue_.pop(route));
      }
    }
  } while (repump_ && !closed_);
  pumping_ = false;
  if (closed_) return;
  scheduleWake(clock_.nowMillis());
  checkDrained();
}

void Delivery::scheduleWake(std::int64_t nowMillis) {
  std::int64_t earliest = INT64_MAX;
  for (std::size_t route = 0; route < routes_.size(); ++route) {
    const RouteState& state = state_[route];
    if (!queue_.empty(route) && state.blockedUntilMillis > nowMillis)
      earliest = std::min(earliest, state.blockedUntilMillis);
  }
  if (earliest == INT64_MAX) {
    wakeTimer_.stop();
  } else {
    wakeTimer_.start(static_cast<std::uint64_t>(std::max<std::int64_t>(1, earliest - nowMillis)));
  }
}

void Delivery::dispatch(Transaction transaction) {
  std::uint64_t id = nextRequestId_++;
  auto owned = std::make_unique<Transaction>(std::move(transaction));
  Transaction& inFlight = *owned;
  inFlight_.emplace(id, std::move(owned));
  ++inFlight.attempts;
  inFlight.sentMillis = clock_.nowMillis();
  const Route& route = routes_[inFlight.payload.route];
  ++state_[inFlight.payload.route].inFlight;
  queue_.reserve(inFlight.payload.memoryBytes());

  HttpRequest request;
  request.url = route.url;
  request.headers = route.headers;
  request.body = inFlight.payload.body;
  request.timeoutSeconds = options_.requestTimeoutSeconds;
  client_->send(request, [this, id](const HttpResponse& response) { onResponse(id, response); });
}

void Delivery::onResponse(std::uint64_t id, const HttpResponse& response) {
  auto it = inFlight_.find(id);
  if (it == inFlight_.end()) return;
  std::unique_ptr<Transaction> transaction = std::move(it->second);
  inFlight_.erase(it);
  const std::size_t routeIndex = transaction->payload.route;
  const Route& route = routes_[routeIndex];
  RouteState& state = state_[routeIndex];
  --state.inFlight;
  queue_.release(transaction->payload.memoryBytes());
  std::int64_t now = clock_.nowMillis();

  Outcome outcome = route.classify(response, now / 1000);
  ++counters_.responses[statusClass(response.status)];
  if (route.onAnswer) route.onAnswer(response, outcome, transaction->payload);
  switch (outcome.kind) {
    case OutcomeKind::Sent:
      state.backoff.onSuccess();
      state.blockedUntilMillis = 0;
      ++state.payloadsSent;
      state.bytesSent += transaction->payload.body.size();
      state.itemsSent += transaction->payload.items;
      adapt(state, static_cast<double>(now - transaction->sentMillis), !queue_.empty(routeIndex));
      if (log::enabled(log::Level::Debug)) {
        log::write(log::Level::Debug, kStage,
                   "event=sent endpoint=" + route.name + " status=" + std::to_string(response.status) +
                       " items=" + std::to_string(transaction->payload.items) +
                       " bytes=" + std::to_string(transaction->payload.body.size()) + logTail());
      }
      break;
    case OutcomeKind::Retry: onRetry(routeIndex, std::move(*transaction), outcome, response, now); break;
    case OutcomeKind::Dropped: drop(*transaction, outcome, &response); break;
    case OutcomeKind::Split: {
      std::optional<std::pair<serialize::Payload, serialize::Payload>> halves;
      if (route.split) halves = route.split(transaction->payload);
      if (!halves) {
        Outcome tooLarge;
        tooLarge.reason = Reason::TooLarge;
        drop(*transaction, tooLarge, nullptr);
        break;
      }
      ++counters_.splits;
      log::write(log::Level::Info, kStage,
                 "reason=" + outcome.name() + " endpoint=" + route.name +
                     " items=" + std::to_string(transaction->payload.items) +
                     " msg=\"payload too large; resending it in two halves\"" + logTail());
      for (serialize::Payload* half : {&halves->first, &halves->second}) {
        Transaction part;
        part.payload = std::move(*half);
        part.sequence = transaction->sequence;
        part.createdMillis = transaction->createdMillis;
        enqueueTransaction(std::move(part));
      }
      break;
    }
  }
  pump();
}

void Delivery::adapt(RouteState& state, double latencyMillis, bool backlog) {
  // The best latency drifts up 1 % per success so a route that got slower for good re-learns it.
  state.bestLatencyMillis = state.bestLatencyMillis == 0
                                ? latencyMillis
                                : std::min(latencyMillis, state.bestLatencyMillis * 1.01 + 1);
  const double best = state.bestLatencyMillis;
  const bool windowFull = state.inFlight + 1 >= state.limit;
  if (latencyMillis > 4 * best + 1000) {
    state.limit = std::max(state.limit - 1, options_.minInFlight);  // the intake is saturated
  } else if (backlog && windowFull && latencyMillis <= 2 * best + 250) {
    state.limit = std::min(state.limit + 1, options_.maxInFlight);  // slow, but takes more at once
  } else if (!backlog) {
    state.limit = std::max(state.limit - 1, options_.minInFlight);
  }
}

void Delivery::onRetry(std::size_t routeIndex, Transaction transaction, const Outcome& outcome,
                       const HttpResponse& response, std::int64_t now) {
  if (!options_.retry) {
    Outcome disabled = outcome;
    disabled.kind = OutcomeKind::Dropped;
    disabled.reason = Reason::RetryDisabled;
    drop(transaction, disabled, nullptr);
    return;
  }
  RouteState& state = state_[routeIndex];
  state.backoff.onError();
  state.limit = std::max(options_.minInFlight, state.limit / 2);
  double delay = state.backoff.delaySeconds();
  if (outcome.retryAfterSeconds >= 0) delay = std::min(outcome.retryAfterSeconds, kMaxRetryAfterSeconds);
  auto delayMillis = static_cast<std::int64_t>(delay * 1000);
  if (draining_) delayMillis = std::min(delayMillis, kDrainRetryMillis);
  state.blockedUntilMillis = std::max(state.blockedUntilMillis, now + delayMillis);
  const std::string reason = outcome.name();
  ++counters_.retries[reason];
  if (retryLog_.allow(now)) {
    std::string fields = "reason=" + reason + " endpoint=" + routes_[routeIndex].name +
                         " attempts=" + std::to_string(transaction.attempts) +
                         " retry_in=" + formatSeconds(static_cast<double>(delayMillis) / 1000) +
                         " queued_payloads=" + std::to_string(queue_.size() + 1);
    if (outcome.retryAfterSeconds >= 0) fields += " retry_after=" + formatSeconds(outcome.retryAfterSeconds);
    if (!response.errorText.empty()) fields += " error=" + log::quote(response.errorText);
    fields += " suppressed=" + std::to_string(retryLog_.takeSuppressed());
    log::write(log::Level::Warn, kStage, fields + logTail());
  }
  enqueueTransaction(std::move(transaction));
}

void Delivery::drop(const Transaction& transaction, const Outcome& outcome, const HttpResponse* response) {
  const std::string reason = outcome.name();
  ++counters_.droppedPayloads[reason];
  counters_.droppedItems[reason] += transaction.payload.items;
  if (outcome.loggedBySink) return;
  const std::string& routeName = routes_[transaction.payload.route].name;
  const std::int64_t now = clock_.nowMillis();
  if (response != nullptr && response->status >= 400) {
    // The server refused it: resending cannot help. Its own message says why.
    if (!refusedLog_.allow(now)) return;
    std::string fields = "reason=" + reason + " endpoint=" + routeName +
                         " items=" + std::to_string(transaction.payload.items) +
                         " response=" + log::quote(response->body) +
                         " msg=\"the intake refused the payload; dropped\"";
    fields += " suppressed=" + std::to_string(refusedLog_.takeSuppressed());
    log::write(log::Level::Error, kStage, fields + logTail());
    return;
  }
  if (outcome.reason != Reason::Shutdown && !dropLog_.allow(now)) return;
  std::string fields =
      "reason=" + reason + " endpoint=" + routeName + " items=" + std::to_string(transaction.payload.items) +
      " bytes=" + std::to_string(transaction.payload.body.size()) + " msg=\"payload dropped\"";
  if (outcome.reason == Reason::QueueFull)
    fields += " queue_bytes=" + std::to_string(queue_.bytes() + queue_.reservedBytes()) +
              " queue_max_bytes=" + std::to_string(queue_.maxBytes());
  if (outcome.reason != Reason::Shutdown)
    fields += " suppressed=" + std::to_string(dropLog_.takeSuppressed());
  log::write(log::Level::Warn, kStage, fields + logTail());
}

}  // namespace dynostatsd::forward
