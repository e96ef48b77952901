#pragma once
// DatadogSink: the Datadog HTTP intake as a Sink. Input: FlushBatch slices in the Agent's shapes
// (histogram statistic series, sketches). Output: v2 (or v1) series, sketches, check runs and
// events through the vendor-neutral delivery layer (forward/Delivery), one route per endpoint.
// Datadog specifics live here: sites and base URL, the API key header and its validation, the
// endpoint table (endpoints.h), what each answer means (classify()), the serializer.
#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "forward/delivery.h"
#include "forward/http_client.h"
#include "model/clock.h"
#include "sink/datadog/endpoints.h"
#include "sink/datadog/serializer.h"
#include "sink/sink.h"
#include "telemetry/log.h"

namespace dynostatsd {
struct SinkContext;
}

namespace dynostatsd::datadog {

// https://api.<site> unless DD_DD_URL is set (trailing slashes removed).
std::string baseUrlFor(const ForwardConfig& config);
bool isKnownSite(std::string_view site);

// What a Datadog answer means (after the Datadog Agent's transaction.go):
//   2xx                         Sent
//   400                         Dropped (the body is wrong; resending cannot help)
//   403                         Dropped (the API key is invalid; logged by the sink)
//   413                         Split in two and both halves resent; a single item is Dropped
//   404, 408, 429, 5xx, other   Retry with backoff (404: proxies and regional routing);
//                               Retry-After honoured
//   1xx, 3xx                    Dropped (a redirect means DD_DD_URL is wrong)
//   no answer (timeout, refused connection, DNS, TLS)   Retry with backoff
forward::Outcome classify(const forward::HttpResponse& response, std::int64_t nowSeconds = 0);

class DatadogSink final : public Sink {
 public:
  DatadogSink(uv_loop_t* loop, const ForwardConfig& config, const Clock& clock);
  // For tests: an injected HTTP client and jitter source.
  DatadogSink(uv_loop_t* loop, const ForwardConfig& config, const Clock& clock,
              std::unique_ptr<forward::HttpClient> client, std::function<double()> uniform01);

  std::string_view name() const override { return "datadog"; }
  SinkNeeds needs() const override { return {.datadogShapes = true, .distributions = false}; }
  std::string describe() const override;
  // Validates the API key once (GET /api/v1/validate) and logs the result once. Fails open.
  void start() override;
  void submit(const FlushBatch& slice) override;
  void endFlush(std::int64_t flushTimestamp) override;
  void drain(std::function<void()> done) override;
  void close() override;
  void collectSelfMetrics(std::vector<SelfMetric>& out) const override;

  const std::string& baseUrl() const { return baseUrl_; }
  forward::Delivery& delivery() { return delivery_; }
  const Serializer& serializer() const { return serializer_; }
  Serializer& serializerForTest() { return serializer_; }

 private:
  std::vector<forward::Route> makeRoutes();
  void onAnswer(const forward::HttpResponse& response, const forward::Outcome& outcome,
                const serialize::Payload& payload);
  void onValidateResponse(const forward::HttpResponse& response);
  void logInvalidKey();
  void hand(std::vector<serialize::Payload>& payloads);

  ForwardConfig config_;
  const Clock& clock_;
  std::string baseUrl_;
  std::string userAgent_;
  Serializer serializer_;
  forward::Delivery delivery_;
  std::vector<serialize::Payload> scratch_;
  std::uint64_t compressFailuresSeen_ = 0;
  log::Throttle intakeErrorsLog_{10000};
  log::Throttle invalidKeyLog_{5 * 60 * 1000};
};

// Registry hooks (sink/registry.cpp): the one-line description when the config turns it on
// (an API key is set), and the factory.
std::optional<std::string> describeConfig(const Config& config);
std::unique_ptr<Sink> makeSink(const SinkContext& context);

}  // namespace dynostatsd::datadog
