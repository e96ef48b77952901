#include "forward/forwarder.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "config/config_values.h"
#include "forward/curl_http_client.h"

namespace dynostatsd::forward {
namespace {

// A 202 body {"errors": ["..."]} with at least one entry (blanks allowed around the JSON tokens).
bool hasIntakeErrors(std::string_view body) {
  const std::size_t key = body.find("\"errors\"");
  if (key == std::string_view::npos) return false;
  std::size_t i = key + 8;
  auto skipBlanks = [&] {
    while (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) ++i;
  };
  for (char expected : {':', '['}) {
    skipBlanks();
    if (i >= body.size() || body[i] != expected) return false;
    ++i;
  }
  skipBlanks();
  return i < body.size() && body[i] == '"';
}

using serialize::Endpoint;
using serialize::endpointInfo;

constexpr std::string_view kStage = "forward";

// The regional sites of the Datadog API (OpenAPI `servers`).
constexpr std::string_view kKnownSites[] = {"datadoghq.com",     "us3.datadoghq.com", "us5.datadoghq.com",
                                            "ap1.datadoghq.com", "ap2.datadoghq.com", "uk1.datadoghq.com",
                                            "datadoghq.eu",      "ddog-gov.com",      "us2.ddog-gov.com"};

// The intake refuses points older than an hour and service checks older than ten minutes; events
// may be 18 hours old. Older payloads are dropped instead of sent.
std::int64_t maxAgeMillis(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::CheckRun: return 10LL * 60 * 1000;
    case Endpoint::Events: return 18LL * 3600 * 1000;
    case Endpoint::SeriesV2:
    case Endpoint::SeriesV1:
    case Endpoint::Sketches: return 3600LL * 1000;
  }
  return 3600LL * 1000;
}

std::string formatSeconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1fs", seconds);
  return buffer;
}

std::function<double()> defaultUniform() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace

bool isKnownSite(std::string_view site) {
  return std::find(std::begin(kKnownSites), std::end(kKnownSites), site) != std::end(kKnownSites);
}

std::string baseUrlFor(const ForwardConfig& config) {
  std::string url = config.ddUrl.empty() ? "https://api." + config.site : config.ddUrl;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string displayUrl(std::string_view url) {
  std::size_t scheme = url.find("://");
  std::size_t hostStart = scheme == std::string_view::npos ? 0 : scheme + 3;
  std::size_t hostEnd = url.find_first_of("/?#", hostStart);
  std::size_t at = url.rfind('@', hostEnd == std::string_view::npos ? url.size() : hostEnd);
  if (at == std::string_view::npos || at < hostStart) return std::string(url);
  return std::string(url.substr(0, hostStart)) + "***@" + std::string(url.substr(at + 1));
}

Forwarder::Forwarder(uv_loop_t* loop, const ForwardConfig& config, const Clock& clock)
    : Forwarder(loop, config, clock, std::make_unique<CurlHttpClient>(loop), defaultUniform()) {}

Forwarder::Forwarder(uv_loop_t* loop, const ForwardConfig& config, const Clock& clock,
                     std::unique_ptr<HttpClient> client, std::function<double()> uniform01)
    : config_(config),
      clock_(clock),
      client_(std::move(client)),
      serializer_(config.seriesApi, config.compression),
      // 0 disables retrying, not sending (as in the Datadog Agent): new payloads still queue.
      queue_(config.retryQueueBytes > 0 ? config.retryQueueBytes : ForwardConfig{}.retryQueueBytes),
      wakeTimer_(loop, [this] { pump(); }),
      drainTimer_(loop, [this] { onDrainTimer(); }),
      baseUrl_(baseUrlFor(config)),
      userAgent_(std::string("dynostatsd/") + DYNOSTATSD_VERSION) {
  for (std::size_t i = 0; i < serialize::kEndpointCount; ++i) {
    endpoints_.push_back({Backoff(config.backoffBaseSeconds, config.backoffMaxSeconds, uniform01)});
  }
}

Forwarder::~Forwarder() {
  close();
}

void Forwarder::start() {
  if (config_.ddUrl.empty() && !isKnownSite(config_.site)) {
    log::write(log::Level::Warn, kStage,
               "reason=unknown_site site=" + log::quote(config::showInvalid(config_.site)) +
                   " url=" + log::quote(config::showInvalid(displayUrl(baseUrl_))) +
                   " msg=\"DD_SITE is not a known Datadog site; using it anyway\"");
  }
  log::write(log::Level::Info, kStage,
             "url=" + log::quote(displayUrl(baseUrl_)) +
                 " series_api=" + (config_.seriesApi == SeriesApi::V2 ? "v2" : "v1") +
                 " api_key=" + log::quote(log::maskSecret(config_.apiKey)));
  if (!curlResolvesAsynchronously()) {
    log::write(log::Level::Warn, kStage,
               "reason=sync_dns msg=\"this libcurl resolves host names synchronously; a slow DNS lookup "
               "delays the event loop\"");
  }
  if (!config_.validateApiKey || config_.apiKey.empty() || closed_) return;
  HttpRequest request;
  request.method = "GET";
  request.url = baseUrl_ + "/api/v1/validate";
  request.headers = {{"DD-API-KEY", config_.apiKey}, {"User-Agent", userAgent_}};
  request.timeoutSeconds = config_.requestTimeoutSeconds;
  client_->send(request, [this](const HttpResponse& response) { onValidateResponse(response); });
}

void Forwarder::onValidateResponse(const HttpResponse& response) {
  if (response.status == 200) {
    log::write(log::Level::Info, kStage, "api_key=valid");
  } else if (response.status == 403) {
    logInvalidKey();
  } else {
    std::string reason = classify(response).reason;
    log::write(log::Level::Warn, kStage,
               "reason=" + reason + " error=" + log::quote(response.errorText) +
                   " msg=\"could not validate the API key; sending anyway\"");
  }
}

void Forwarder::logInvalidKey() {
  if (!invalidKeyLog_.allow(clock_.nowMillis())) return;
  log::write(log::Level::Error, kStage,
             "reason=http_403 api_key=" + log::quote(log::maskSecret(config_.apiKey)) +
                 " url=" + log::quote(displayUrl(baseUrl_)) +
                 " msg=\"the intake rejected the API key: check DD_API_KEY and DD_SITE\"");
}

void Forwarder::submit(const FlushBatch& batch) {
  if (closed_ || batch.empty()) return;
  std::vector<serialize::Payload> payloads;
  serializer_.serialize(batch, payloads);
  std::int64_t now = clock_.nowMillis();
  for (serialize::Payload& payload : payloads) {
    Transaction transaction;
    transaction.payload = std::move(payload);
    transaction.sequence = nextSequence_++;
    transaction.createdMillis = now;
    enqueue(std::move(transaction));
  }
  pump();
}

void Forwarder::enqueue(Transaction transaction) {
  std::vector<Transaction> evicted;
  queue_.push(std::move(transaction), evicted);
  for (const Transaction& old : evicted) drop(old, "queue_full");
}

void Forwarder::pump() {
  if (closed_) return;
  if (pumping_) {
    repump_ = true;  // a completion ran inside dispatch(): go round once more
    return;
  }
  pumping_ = true;
  do {
    repump_ = false;
    std::int64_t now = clock_.nowMillis();
    for (std::size_t i = 0; i < serialize::kEndpointCount && !closed_; ++i) {
      auto endpoint = static_cast<Endpoint>(i);
      EndpointState& endpointState = state(endpoint);
      while (!closed_ && !queue_.empty(endpoint)) {
        if (now - queue_.front(endpoint).createdMillis > maxAgeMillis(endpoint)) {
          drop(queue_.pop(endpoint), "expired");
          continue;
        }
        if (now < endpointState.blockedUntilMillis) break;
        int limit = endpointState.backoff.errors() > 0 ? 1 : kMaxInFlightPerEndpoint;
        if (endpointState.inFlight >= limit) break;
        dispatch(queue_.pop(endpoint));
      }
    }
  } while (repump_ && !closed_);
  pumping_ = false;
  if (closed_) return;
  scheduleWake(clock_.nowMillis());
  checkDrained();
}

void Forwarder::scheduleWake(std::int64_t nowMillis) {
  std::int64_t earliest = INT64_MAX;
  for (std::size_t i = 0; i < serialize::kEndpointCount; ++i) {
    auto endpoint = static_cast<Endpoint>(i);
    const EndpointState& endpointState = state(endpoint);
    if (!queue_.empty(endpoint) && endpointState.blockedUntilMillis > nowMillis)
      earliest = std::min(earliest, endpointState.blockedUntilMillis);
  }
  if (earliest == INT64_MAX) {
    wakeTimer_.stop();
  } else {
    wakeTimer_.start(static_cast<std::uint64_t>(std::max<std::int64_t>(1, earliest - nowMillis)));
  }
}

std::vector<std::pair<std::string, std::string>> Forwarder::headersFor(Endpoint endpoint,
                                                                       Compression compression) const {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"DD-API-KEY", config_.apiKey},
      {"Content-Type", std::string(endpointInfo(endpoint).contentType)},
      {"User-Agent", userAgent_},
  };
  std::string_view encoding = serialize::contentEncoding(endpoint, compression);
  if (!encoding.empty()) headers.emplace_back("Content-Encoding", std::string(encoding));
  return headers;
}

void Forwarder::dispatch(Transaction transaction) {
  std::uint64_t id = nextRequestId_++;
  auto owned = std::make_unique<Transaction>(std::move(transaction));
  Transaction& inFlight = *owned;
  inFlight_.emplace(id, std::move(owned));
  ++inFlight.attempts;
  ++state(inFlight.payload.endpoint).inFlight;

  HttpRequest request;
  request.url = baseUrl_ + std::string(endpointInfo(inFlight.payload.endpoint).path);
  request.headers = headersFor(inFlight.payload.endpoint, inFlight.payload.compression);
  request.body = inFlight.payload.body;
  request.timeoutSeconds = config_.requestTimeoutSeconds;
  client_->send(request, [this, id](const HttpResponse& response) { onResponse(id, response); });
}

void Forwarder::onResponse(std::uint64_t id, const HttpResponse& response) {
  auto it = inFlight_.find(id);
  if (it == inFlight_.end()) return;
  std::unique_ptr<Transaction> transaction = std::move(it->second);
  inFlight_.erase(it);
  Endpoint endpoint = transaction->payload.endpoint;
  EndpointState& endpointState = state(endpoint);
  --endpointState.inFlight;
  std::int64_t now = clock_.nowMillis();

  Outcome outcome = classify(response);
  ++counters_.responses[statusClass(response.status)];
  std::string endpointName(endpointInfo(endpoint).name);
  switch (outcome.kind) {
    case OutcomeKind::Sent:
      endpointState.backoff.onSuccess();
      endpointState.blockedUntilMillis = 0;
      ++counters_.payloadsSent[static_cast<std::size_t>(endpoint)];
      counters_.bytesSent[static_cast<std::size_t>(endpoint)] += transaction->payload.body.size();
      if (log::enabled(log::Level::Debug)) {
        log::write(log::Level::Debug, kStage,
                   "event=sent endpoint=" + endpointName + " status=" + std::to_string(response.status) +
                       " items=" + std::to_string(transaction->payload.items) +
                       " bytes=" + std::to_string(transaction->payload.body.size()));
      }
      // v2 answers 202 {"errors":[...]} when it accepted the payload but not all of it.
      if (hasIntakeErrors(response.body) && dropLog_.allow(now)) {
        log::write(log::Level::Warn, kStage,
                   "reason=intake_errors endpoint=" + endpointName +
                       " response=" + log::quote(response.body) +
                       " msg=\"the intake accepted the payload but reported errors\" suppressed=" +
                       std::to_string(dropLog_.takeSuppressed()));
      }
      break;
    case OutcomeKind::Retry: {
      if (config_.retryQueueBytes == 0) {  // retries disabled
        drop(*transaction, "retry_disabled");
        break;
      }
      endpointState.backoff.onError();
      double delay = endpointState.backoff.delaySeconds();
      auto delayMillis = static_cast<std::int64_t>(delay * 1000);
      if (draining_) delayMillis = std::min(delayMillis, kDrainRetryMillis);
      endpointState.blockedUntilMillis = now + delayMillis;
      ++counters_.retries[outcome.reason];
      if (retryLog_.allow(now)) {
        std::string fields = "reason=" + outcome.reason + " endpoint=" + endpointName +
                             " attempts=" + std::to_string(transaction->attempts) +
                             " retry_in=" + formatSeconds(static_cast<double>(delayMillis) / 1000) +
                             " queued_payloads=" + std::to_string(queue_.size() + 1);
        if (!response.errorText.empty()) fields += " error=" + log::quote(response.errorText);
        std::uint64_t suppressed = retryLog_.takeSuppressed();
        if (suppressed != 0) fields += " suppressed=" + std::to_string(suppressed);
        log::write(log::Level::Warn, kStage, fields);
      }
      enqueue(std::move(*transaction));
      break;
    }
    case OutcomeKind::Dropped:
      if (response.status == 403) {
        logInvalidKey();
      } else if (response.status == 400 && dropLog_.allow(now)) {
        log::write(log::Level::Error, kStage,
                   "reason=http_400 endpoint=" + endpointName + " items=" +
                       std::to_string(transaction->payload.items) + " response=" + log::quote(response.body) +
                       " msg=\"the intake refused the payload; dropped\" suppressed=" +
                       std::to_string(dropLog_.takeSuppressed()));
      }
      drop(*transaction, outcome.reason);
      break;
    case OutcomeKind::Split: {
      auto halves = serializer_.split(transaction->payload);
      if (!halves) {
        drop(*transaction, "too_large");
        break;
      }
      ++counters_.splits;
      log::write(log::Level::Info, kStage,
                 "reason=http_413 endpoint=" + endpointName +
                     " items=" + std::to_string(transaction->payload.items) +
                     " msg=\"payload too large; resending it in two halves\"");
      for (serialize::Payload* half : {&halves->first, &halves->second}) {
        Transaction part;
        part.payload = std::move(*half);
        part.sequence = transaction->sequence;
        part.createdMillis = transaction->createdMillis;
        enqueue(std::move(part));
      }
      break;
    }
  }
  pump();
}

void Forwarder::drop(const Transaction& transaction, const std::string& reason) {
  ++counters_.droppedPayloads[reason];
  counters_.droppedItems[reason] += transaction.payload.items;
  // 400 and 403 have their own log lines; everything else is summarised here, throttled.
  if (reason == "http_400" || reason == "http_403") return;
  if (reason != "shutdown" && !dropLog_.allow(clock_.nowMillis())) return;
  std::string fields =
      "reason=" + reason + " endpoint=" + std::string(endpointInfo(transaction.payload.endpoint).name) +
      " items=" + std::to_string(transaction.payload.items) +
      " bytes=" + std::to_string(transaction.payload.body.size()) + " msg=\"payload dropped\"";
  if (reason != "shutdown") fields += " suppressed=" + std::to_string(dropLog_.takeSuppressed());
  log::write(log::Level::Warn, kStage, fields);
}

}  // namespace dynostatsd::forward
