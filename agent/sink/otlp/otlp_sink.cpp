#include "sink/otlp/otlp_sink.h"

#include <algorithm>
#include <cctype>

#include "config/otel_values.h"
#include "forward/http_client_factory.h"
#include "sink/otlp/protobuf_reader.h"
#include "sink/registry.h"

namespace dynostatsd::otlp {
namespace {

using forward::HttpResponse;
using forward::Outcome;
using forward::OutcomeKind;

constexpr std::string_view kStage = "forward";

forward::DeliveryOptions deliveryOptions(const Config& config) {
  forward::DeliveryOptions options = forward::sharedDeliveryOptions(config.forward, "otlp");
  options.requestTimeoutSeconds = std::max(1, (config.otlp.timeoutMillis + 999) / 1000);  // OTEL_*_TIMEOUT
  return options;
}

EncoderOptions encoderOptions(const Config& config) {
  EncoderOptions options;
  options.temporality = config::effectiveTemporality(config.otlp);
  options.gzip = config.otlp.gzip;
  options.cumulativeStateBytes = config.otlp.cumulativeStateBytes;
  options.intervalSeconds = config.aggregate.flushIntervalSeconds;
  // The longest an aggregator context stays alive without a new sample (counters zero-fill, then
  // idle expiry), plus one interval.
  options.cumulativeExpirySeconds = config.aggregate.counterExpirySeconds +
                                    config.aggregate.contextExpirySeconds +
                                    config.aggregate.flushIntervalSeconds;
  options.scopeVersion = DYNOSTATSD_VERSION;
  options.resource = dynoResource(config, randomUuid());
  return options;
}

bool printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 || c == '\n' || c == '\t' || c == '\r';
  });
}

bool isProtobuf(const HttpResponse& response) {
  return response.header("content-type").find("protobuf") != std::string_view::npos;
}

}  // namespace

Outcome classify(const HttpResponse& response, std::int64_t nowSeconds) {
  const long status = response.status;
  if (status == 0) return forward::transportOutcome(response);
  if (status >= 200 && status < 300) return forward::statusOutcome(OutcomeKind::Sent, response, nowSeconds);
  if (status == 429 || status == 502 || status == 503 || status == 504)
    return forward::statusOutcome(OutcomeKind::Retry, response, nowSeconds);
  if (status == 413) return forward::statusOutcome(OutcomeKind::Split, response, nowSeconds);
  Outcome outcome = forward::statusOutcome(OutcomeKind::Dropped, response, nowSeconds);
  outcome.loggedBySink = status >= 400;  // one line with the server's message (OtlpSink::onAnswer)
  return outcome;
}

std::optional<PartialSuccess> parsePartialSuccess(std::string_view body) {
  ProtobufReader response(body, ProtobufReader::Truncated::Cut);
  ProtobufReader::Field field;
  while (response.next(field)) {
    if (field.number != 1 || field.wire != 2) continue;
    PartialSuccess out;
    ProtobufReader partial(field.bytes, ProtobufReader::Truncated::Cut);
    ProtobufReader::Field inner;
    while (partial.next(inner)) {
      if (inner.number == 1 && inner.wire == 0)
        out.rejectedDataPoints = static_cast<std::int64_t>(inner.value);
      if (inner.number == 2 && inner.wire == 2) out.errorMessage = std::string(inner.bytes);
    }
    if (out.rejectedDataPoints == 0 && out.errorMessage.empty()) return std::nullopt;
    return out;
  }
  return std::nullopt;
}

std::string errorMessage(const HttpResponse& response) {
  if (isProtobuf(response)) {
    ProtobufReader status(response.body, ProtobufReader::Truncated::Cut);
    ProtobufReader::Field field;
    while (status.next(field)) {
      if (field.number == 2 && field.wire == 2 && printable(field.bytes)) return std::string(field.bytes);
    }
    return {};
  }
  std::string text = response.body.substr(0, 256);
  return printable(text) ? text : std::string();
}

OtlpSink::OtlpSink(uv_loop_t* loop, const Config& config, const Clock& clock)
    : OtlpSink(loop, config, clock, forward::makeHttpClient(loop, config.forward), nullptr) {}

OtlpSink::OtlpSink(uv_loop_t* loop, const Config& config, const Clock& clock,
                   std::unique_ptr<forward::HttpClient> client, std::function<double()> uniform01)
    : config_(config.otlp),
      clock_(clock),
      encoder_(encoderOptions(config)),
      delivery_(loop, clock, deliveryOptions(config), makeRoutes(), std::move(client),
                uniform01 ? std::move(uniform01) : forward::defaultUniform01()) {}

std::vector<forward::Route> OtlpSink::makeRoutes() {
  forward::Route route;
  route.name = "metrics";
  route.url = config_.endpoint;
  route.headers = {{"Content-Type", "application/x-protobuf"},
                   {"User-Agent", std::string("dynostatsd/") + DYNOSTATSD_VERSION}};
  if (config_.gzip) route.headers.emplace_back("Content-Encoding", "gzip");
  for (const auto& header : config_.headers) {
    std::string lower = header.name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "content-type" || lower == "content-encoding" || lower == "content-length") continue;
    route.headers.emplace_back(header.name, header.value);
  }
  route.classify = [](const HttpResponse& response, std::int64_t now) { return classify(response, now); };
  route.split = [this](const serialize::Payload& payload) { return encoder_.split(payload); };
  route.onAnswer = [this](const HttpResponse& response, const Outcome& outcome, const serialize::Payload&) {
    onAnswer(response, outcome);
  };
  return {std::move(route)};
}

std::string OtlpSink::describe() const {
  return forward::displayUrl(config_.endpoint);
}

void OtlpSink::start() {
  log::write(log::Level::Info, kStage,
             "url=" + log::quote(forward::displayUrl(config_.endpoint)) + " temporality=" +
                 (encoder_.options().temporality == OtlpTemporality::Cumulative ? "cumulative" : "delta") +
                 " compression=" + (config_.gzip ? "gzip" : "none") +
                 " headers=" + log::quote(config::showHeaders(config_.headers)) + " sink=otlp");
}

std::string OtlpSink::masked(std::string text) const {
  auto mask = [&text](std::string_view secret) {
    if (secret.size() < 4) return;
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
      text.replace(at, secret.size(), "***");
  };
  for (const auto& header : config_.headers) {
    mask(header.value);
    // "Bearer <token>", "Basic <base64>", "Api-Token <t>": a server may echo the token alone.
    const std::size_t space = header.value.rfind(' ');
    if (space != std::string::npos) mask(std::string_view(header.value).substr(space + 1));
  }
  return text;
}

void OtlpSink::onAnswer(const HttpResponse& response, const Outcome& outcome) {
  if (outcome.kind == OutcomeKind::Sent) {
    if (!isProtobuf(response)) return;
    const auto partial = parsePartialSuccess(response.body);
    if (!partial) return;
    ++partialSuccesses_;
    if (partial->rejectedDataPoints > 0)
      delivery_.countDropped(forward::Reason::Rejected,
                             static_cast<std::size_t>(partial->rejectedDataPoints));
    if (partialLog_.allow(clock_.nowMillis())) {
      log::write(log::Level::Warn, kStage,
                 "reason=partial_success rejected_points=" + std::to_string(partial->rejectedDataPoints) +
                     " message=" + log::quote(masked(partial->errorMessage)) +
                     " suppressed=" + std::to_string(partialLog_.takeSuppressed()) +
                     " msg=\"the OTLP endpoint accepted the request but rejected part of it; not retried\" "
                     "sink=otlp");
    }
    return;
  }
  if (outcome.kind == OutcomeKind::Dropped && outcome.loggedBySink && errorLog_.allow(clock_.nowMillis())) {
    log::write(log::Level::Error, kStage,
               "reason=" + outcome.name() + " url=" + log::quote(forward::displayUrl(config_.endpoint)) +
                   " message=" + log::quote(masked(errorMessage(response))) +
                   " suppressed=" + std::to_string(errorLog_.takeSuppressed()) +
                   " msg=\"the OTLP endpoint refused the request; dropped, not retried\" sink=otlp");
  }
}

void OtlpSink::hand(std::vector<serialize::Payload>& payloads) {
  const EncoderStats& now = encoder_.stats();
  if (now.unsupported != seen_.unsupported)
    delivery_.countDropped(forward::Reason::UnsupportedBySink, now.unsupported - seen_.unsupported);
  if (now.stateFull != seen_.stateFull)
    delivery_.countDropped(forward::Reason::StateFull, now.stateFull - seen_.stateFull);
  if (now.oversizedMetrics != seen_.oversizedMetrics)
    delivery_.countDropped(forward::Reason::TooLarge, now.oversizedMetrics - seen_.oversizedMetrics);
  if (now.compressFailures != seen_.compressFailures)
    delivery_.countDropped(forward::Reason::CompressFailed,
                           now.compressFailedPoints - seen_.compressFailedPoints,
                           now.compressFailures - seen_.compressFailures);
  seen_ = now;
  if (!payloads.empty()) delivery_.enqueue(payloads);
}

void OtlpSink::submit(const FlushBatch& slice) {
  if (delivery_.closed() || slice.empty()) return;
  encoder_.encode(slice, scratch_);
  hand(scratch_);
}

void OtlpSink::endFlush(std::int64_t flushTimestamp) {
  if (delivery_.closed()) return;
  encoder_.endFlush(flushTimestamp);
}

void OtlpSink::drain(std::function<void()> done) {
  delivery_.drain(std::move(done));
}

void OtlpSink::close() {
  delivery_.close();
}

void OtlpSink::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  delivery_.collectSelfMetrics(out);
  out.push_back({"sink.partial_successes", {}, static_cast<double>(partialSuccesses_), true});
  if (encoder_.options().temporality == OtlpTemporality::Cumulative) {
    out.push_back(
        {"sink.cumulative_state_bytes", {}, static_cast<double>(encoder_.cumulativeBytes()), false});
    out.push_back({"sink.cumulative_streams", {}, static_cast<double>(encoder_.cumulativeStreams()), false});
  }
}

std::optional<std::string> describeConfig(const Config& config) {
  if (!config::otlpEnabled(config.otlp)) return std::nullopt;
  return forward::displayUrl(config.otlp.endpoint);
}

std::unique_ptr<Sink> makeSink(const SinkContext& context) {
  if (!config::otlpEnabled(context.config.otlp)) return nullptr;
  auto sink = std::make_unique<OtlpSink>(context.loop, context.config, context.clock);
  if (context.budget != nullptr) sink->delivery().useMemoryBudget(*context.budget);
  return sink;
}

}  // namespace dynostatsd::otlp
