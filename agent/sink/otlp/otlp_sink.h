#pragma once
// OtlpSink: OTLP/HTTP (binary protobuf, gzip) as a Sink. Input: FlushBatch slices in the neutral
// shapes (Series by kind, `distributions`). Output: ExportMetricsServiceRequests (OtlpEncoder)
// POSTed to one route through the vendor-neutral delivery layer (forward/Delivery), with the
// user's OTEL_EXPORTER_OTLP_* headers. OTLP specifics live here: what each answer means
// (classify()), partial_success, the server's google.rpc.Status message.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "forward/delivery.h"
#include "forward/http_client.h"
#include "model/clock.h"
#include "sink/otlp/otlp_encoder.h"
#include "sink/sink.h"
#include "telemetry/log.h"

namespace dynostatsd {
struct SinkContext;
}

namespace dynostatsd::otlp {

// What an OTLP/HTTP answer means (opentelemetry-proto docs/specification.md, "OTLP/HTTP Response"):
//   2xx                           Sent (a partial_success in the body is logged and counted, never retried)
//   429, 502, 503, 504            Retry with backoff; Retry-After (seconds or HTTP-date) honoured
//   413                           Split in two and both halves resent; a single metric is Dropped
//   400, every other 4xx and 5xx  Dropped, logged (throttled) with the server's message
//   1xx, 3xx                      Dropped (a redirect means the endpoint is wrong)
//   no answer (refused, timeout, DNS, TLS, closed connection)   Retry with backoff
forward::Outcome classify(const forward::HttpResponse& response, std::int64_t nowSeconds = 0);

struct PartialSuccess {
  std::int64_t rejectedDataPoints = 0;
  std::string errorMessage;
};
// ExportMetricsServiceResponse.partial_success from a protobuf body (possibly cut at
// kMaxResponseBody); nullopt when absent or unreadable.
std::optional<PartialSuccess> parsePartialSuccess(std::string_view body);
// The `message` of a google.rpc.Status body; a short text body as is; "" when neither.
std::string errorMessage(const forward::HttpResponse& response);

class OtlpSink final : public Sink {
 public:
  OtlpSink(uv_loop_t* loop, const Config& config, const Clock& clock);
  // For tests: an injected HTTP client and jitter source.
  OtlpSink(uv_loop_t* loop, const Config& config, const Clock& clock,
           std::unique_ptr<forward::HttpClient> client, std::function<double()> uniform01);

  std::string_view name() const override { return "otlp"; }
  SinkNeeds needs() const override { return {.datadogShapes = false, .distributions = true}; }
  std::string describe() const override;
  void start() override;
  void submit(const FlushBatch& slice) override;
  void endFlush(std::int64_t flushTimestamp) override;
  void drain(std::function<void()> done) override;
  void close() override;
  void collectSelfMetrics(std::vector<SelfMetric>& out) const override;

  forward::Delivery& delivery() { return delivery_; }
  const OtlpEncoder& encoder() const { return encoder_; }

 private:
  std::vector<forward::Route> makeRoutes();
  void onAnswer(const forward::HttpResponse& response, const forward::Outcome& outcome);
  void hand(std::vector<serialize::Payload>& payloads);
  // The text with every configured header value replaced by ***: servers may echo a bad token.
  std::string masked(std::string text) const;

  OtlpConfig config_;
  const Clock& clock_;
  OtlpEncoder encoder_;
  forward::Delivery delivery_;
  std::vector<serialize::Payload> scratch_;
  EncoderStats seen_;  // the encoder's counters already handed to delivery_
  std::uint64_t partialSuccesses_ = 0;
  log::Throttle errorLog_{10000};
  log::Throttle partialLog_{10000};
};

// Registry hooks (sink/registry.cpp).
std::optional<std::string> describeConfig(const Config& config);
std::unique_ptr<Sink> makeSink(const SinkContext& context);

}  // namespace dynostatsd::otlp
