#include "sink/datadog/datadog_sink.h"

#include <algorithm>

#include "config/config_values.h"
#include "forward/http_client_factory.h"
#include "sink/registry.h"

namespace dynostatsd::datadog {
namespace {

using forward::HttpResponse;
using forward::Outcome;
using forward::OutcomeKind;

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

}  // namespace

bool isKnownSite(std::string_view site) {
  return std::find(std::begin(kKnownSites), std::end(kKnownSites), site) != std::end(kKnownSites);
}

std::string baseUrlFor(const ForwardConfig& config) {
  std::string url = config.ddUrl.empty() ? "https://api." + config.site : config.ddUrl;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Outcome classify(const HttpResponse& response, std::int64_t nowSeconds) {
  long status = response.status;
  if (status == 0) return forward::transportOutcome(response);
  if (status >= 200 && status < 300) return forward::statusOutcome(OutcomeKind::Sent, response, nowSeconds);
  if (status == 400) return forward::statusOutcome(OutcomeKind::Dropped, response, nowSeconds);
  if (status == 403) {
    Outcome outcome = forward::statusOutcome(OutcomeKind::Dropped, response, nowSeconds);
    outcome.loggedBySink = true;  // one clear line about the key, throttled (logInvalidKey)
    return outcome;
  }
  if (status == 413) return forward::statusOutcome(OutcomeKind::Split, response, nowSeconds);
  if (status >= 400) return forward::statusOutcome(OutcomeKind::Retry, response, nowSeconds);
  return forward::statusOutcome(OutcomeKind::Dropped, response, nowSeconds);  // 1xx, 3xx
}

DatadogSink::DatadogSink(uv_loop_t* loop, const ForwardConfig& config, const Clock& clock)
    : DatadogSink(loop, config, clock, forward::makeHttpClient(loop, config), nullptr) {}

DatadogSink::DatadogSink(uv_loop_t* loop, const ForwardConfig& config, const Clock& clock,
                         std::unique_ptr<forward::HttpClient> client, std::function<double()> uniform01)
    : config_(config),
      clock_(clock),
      baseUrl_(baseUrlFor(config)),
      userAgent_(std::string("dynostatsd/") + DYNOSTATSD_VERSION),
      serializer_(config.seriesApi, config.compression),
      delivery_(loop, clock, forward::sharedDeliveryOptions(config, "datadog"), makeRoutes(),
                std::move(client), uniform01 ? std::move(uniform01) : forward::defaultUniform01()) {}

std::vector<forward::Route> DatadogSink::makeRoutes() {
  std::vector<forward::Route> routes;
  for (std::size_t i = 0; i < kEndpointCount; ++i) {
    auto endpoint = static_cast<Endpoint>(i);
    const EndpointInfo& info = endpointInfo(endpoint);
    forward::Route route;
    route.name = std::string(info.name);
    route.url = baseUrl_ + std::string(info.path);
    route.headers = {
        {"DD-API-KEY", config_.apiKey},
        {"Content-Type", std::string(info.contentType)},
        {"User-Agent", userAgent_},
    };
    std::string_view encoding = contentEncoding(endpoint, compressionFor(endpoint, config_.compression));
    if (!encoding.empty()) route.headers.emplace_back("Content-Encoding", std::string(encoding));
    route.maxAgeMillis = maxAgeMillis(endpoint);
    route.classify = [](const HttpResponse& response, std::int64_t now) { return classify(response, now); };
    route.split = [this](const serialize::Payload& payload) { return serializer_.split(payload); };
    route.onAnswer = [this](const HttpResponse& response, const Outcome& outcome,
                            const serialize::Payload& payload) { onAnswer(response, outcome, payload); };
    routes.push_back(std::move(route));
  }
  return routes;
}

std::string DatadogSink::describe() const {
  return forward::displayUrl(baseUrl_);
}

void DatadogSink::start() {
  if (config_.ddUrl.empty() && !isKnownSite(config_.site)) {
    log::write(log::Level::Warn, kStage,
               "reason=unknown_site site=" + log::quote(config::showInvalid(config_.site)) +
                   " url=" + log::quote(config::showInvalid(forward::displayUrl(baseUrl_))) +
                   " msg=\"DD_SITE is not a known Datadog site; using it anyway\"");
  }
  log::write(log::Level::Info, kStage,
             "url=" + log::quote(forward::displayUrl(baseUrl_)) +
                 " series_api=" + (config_.seriesApi == SeriesApi::V2 ? "v2" : "v1") +
                 " api_key=" + log::quote(log::maskSecret(config_.apiKey)) + " sink=datadog");
  if (!config_.validateApiKey || config_.apiKey.empty() || delivery_.closed()) return;
  forward::HttpRequest request;
  request.method = "GET";
  request.url = baseUrl_ + "/api/v1/validate";
  request.headers = {{"DD-API-KEY", config_.apiKey}, {"User-Agent", userAgent_}};
  request.timeoutSeconds = config_.requestTimeoutSeconds;
  delivery_.client().send(request, [this](const HttpResponse& response) { onValidateResponse(response); });
}

void DatadogSink::onValidateResponse(const HttpResponse& response) {
  if (response.status == 200) {
    log::write(log::Level::Info, kStage, "api_key=valid");
  } else if (response.status == 403) {
    logInvalidKey();
  } else {
    log::write(log::Level::Warn, kStage,
               "reason=" + classify(response).name() + " error=" + log::quote(response.errorText) +
                   " msg=\"could not validate the API key; sending anyway\"");
  }
}

void DatadogSink::logInvalidKey() {
  if (!invalidKeyLog_.allow(clock_.nowMillis())) return;
  log::write(log::Level::Error, kStage,
             "reason=http_403 api_key=" + log::quote(log::maskSecret(config_.apiKey)) +
                 " url=" + log::quote(forward::displayUrl(baseUrl_)) +
                 " msg=\"the intake rejected the API key: check DD_API_KEY and DD_SITE\"");
}

void DatadogSink::onAnswer(const HttpResponse& response, const Outcome& outcome,
                           const serialize::Payload& payload) {
  if (response.status == 403) {
    logInvalidKey();
    return;
  }
  // v2 answers 202 {"errors":[...]} when it accepted the payload but not all of it.
  if (outcome.kind == OutcomeKind::Sent && hasIntakeErrors(response.body) &&
      intakeErrorsLog_.allow(clock_.nowMillis())) {
    log::write(log::Level::Warn, kStage,
               "reason=intake_errors endpoint=" + std::string(endpointInfo(endpointOf(payload)).name) +
                   " response=" + log::quote(response.body) +
                   " msg=\"the intake accepted the payload but reported errors\" suppressed=" +
                   std::to_string(intakeErrorsLog_.takeSuppressed()));
  }
}

void DatadogSink::hand(std::vector<serialize::Payload>& payloads) {
  const std::uint64_t failures = serializer_.stats().compressFailures;
  if (failures != compressFailuresSeen_) {
    delivery_.countDropped(forward::Reason::CompressFailed, failures - compressFailuresSeen_);
    compressFailuresSeen_ = failures;
  }
  if (!payloads.empty()) delivery_.enqueue(payloads);
}

void DatadogSink::submit(const FlushBatch& slice) {
  if (delivery_.closed() || slice.empty()) return;
  serializer_.append(slice, scratch_);
  hand(scratch_);
}

void DatadogSink::endFlush(std::int64_t /*flushTimestamp*/) {
  if (delivery_.closed()) return;
  serializer_.finish(scratch_);
  hand(scratch_);
}

void DatadogSink::drain(std::function<void()> done) {
  delivery_.drain(std::move(done));
}

void DatadogSink::close() {
  delivery_.close();
}

void DatadogSink::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  delivery_.collectSelfMetrics(out);
  const SerializeStats& stats = serializer_.stats();
  out.push_back({"sink.non_finite_points", {}, static_cast<double>(stats.nonFinitePoints), true});
  out.push_back({"sink.empty_series", {}, static_cast<double>(stats.emptySeries), true});
  out.push_back({"sink.oversized_items", {}, static_cast<double>(stats.oversizedItems), true});
  out.push_back({"sink.truncated_fields", {}, static_cast<double>(stats.truncatedFields), true});
}

std::optional<std::string> describeConfig(const Config& config) {
  if (config.forward.apiKey.empty()) return std::nullopt;
  return forward::displayUrl(baseUrlFor(config.forward));
}

std::unique_ptr<Sink> makeSink(const SinkContext& context) {
  if (context.config.forward.apiKey.empty()) return nullptr;
  auto sink = std::make_unique<DatadogSink>(context.loop, context.config.forward, context.clock);
  if (context.budget != nullptr) sink->delivery().useMemoryBudget(*context.budget);
  return sink;
}

}  // namespace dynostatsd::datadog
