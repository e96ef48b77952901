#pragma once
// The OpenTelemetry exporter variables' formats (opentelemetry-specification exporter.md,
// resource/sdk.md) and the rules that turn OtlpConfig into effective values. Used by the settings
// table (parsing, check-config) and by agent/sink/otlp/ (one rule, one place).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace dynostatsd::config {

// The default OTLP/HTTP endpoint of the spec, used when OTEL_METRICS_EXPORTER=otlp names no URL.
inline constexpr std::string_view kOtlpDefaultEndpoint = "http://localhost:4318/v1/metrics";

// `k1=v1,k2=v2` (W3C-baggage style, no `;` properties): keys and values trimmed and
// percent-decoded. Any malformed entry fails the whole value (the spec: discard it and report).
// The error never quotes a value (header values are secrets).
bool parseOtelPairs(std::string_view text, std::vector<std::pair<std::string, std::string>>& out,
                    std::string& error);

// Headers: parseOtelPairs plus HTTP rules (names are RFC 9110 tokens, values hold no CR, LF or NUL).
bool parseOtelHeaders(std::string_view text, std::vector<OtlpHeader>& out, std::string& error);

// OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: "http://c:4318" -> "http://c:4318/v1/metrics"
// ("http://c:4318/otlp/" -> ".../otlp/v1/metrics"). OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is used as
// is, with "/" added when it has no path. Both must be http(s) URLs without credentials.
bool otlpEndpointFromBase(std::string_view base, std::string& out, std::string& error);
bool otlpEndpointAsIs(std::string_view url, std::string& out, std::string& error);

// The host part of an http(s) URL ("https://otlp-gateway-x.grafana.net/otlp" ->
// "otlp-gateway-x.grafana.net").
std::string urlHost(std::string_view url);

// Auto resolves to Cumulative for *.grafana.net endpoints (Mimir rejects delta sums and
// histograms), else Delta.
OtlpTemporality effectiveTemporality(const OtlpConfig& config);

inline bool otlpEnabled(const OtlpConfig& config) {
  return !config.disabled && !config.endpoint.empty();
}

// "Authorization=***,x-honeycomb-dataset=***": header names only.
std::string showHeaders(const std::vector<OtlpHeader>& headers);

}  // namespace dynostatsd::config
