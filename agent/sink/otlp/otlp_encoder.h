#pragma once
// OtlpEncoder: turns flush slices into OTLP/HTTP request bodies, ExportMetricsServiceRequest
// binary protobuf written by hand (serialize/ProtobufWriter; no protobuf runtime), gzip-compressed.
// Pure: no I/O, no clock. Input: read-only FlushBatch slices. Output: Payloads appended to the
// caller's vector (the caller owns them), each one ResourceMetrics (the dyno) with one
// ScopeMetrics ("dynostatsd") and at most kMaxRequestBytes before compression.
//
//   | DogStatsD                | OTLP metric                                                       |
//   |--------------------------|-------------------------------------------------------------------|
//   | c                        | Sum, is_monotonic, as_double = the interval's count (sum of       |
//   |                          | value/rate); DELTA: start = bucket start, time = bucket end;      |
//   |                          | CUMULATIVE: running total since the stream was first seen          |
//   | g                        | Gauge, time = bucket end                                          |
//   | s                        | Gauge of the number of distinct members                           |
//   | h, ms, d                 | ExponentialHistogram (exponential_histogram.h), count/sum/min/max  |
//   |                          | exact, `sum` left out once a negative value was recorded; ms: "ms" |
//   | `|T` (c, g)              | the point's own timestamp as time (DELTA counters: start = T - interval) |
//   | _e events, _sc checks    | none: counted in stats().unsupported (reason=unsupported_by_sink)  |
//
// Memory: scratch buffers of about one request, kept between flushes up to kKeepScratchBytes, plus
// the CumulativeState (bounded in bytes) in cumulative mode.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "model/series.h"
#include "serialize/payload.h"
#include "sink/otlp/attributes.h"
#include "sink/otlp/cumulative_state.h"

namespace dynostatsd::otlp {

// Far under the spec's 64 MiB, so one request never holds much memory and fits every intake's
// limit we know of; a 1000-series slice is ~0.2 MB.
inline constexpr std::size_t kMaxRequestBytes = 1000 * 1000;
inline constexpr std::size_t kKeepScratchBytes = 2 * kMaxRequestBytes;

struct EncoderStats {
  std::uint64_t unsupported = 0;       // events and service checks: no OTLP metric form
  std::uint64_t nonFinitePoints = 0;   // NaN / Inf values
  std::uint64_t stateFull = 0;         // cumulative: points of new streams beyond the state bound
  std::uint64_t oversizedMetrics = 0;  // one metric larger than a whole request, dropped
  std::uint64_t compressFailures = 0;  // requests lost because gzip failed (allocation)
  std::uint64_t compressFailedPoints = 0;
  std::uint64_t pointsEncoded = 0;
};

struct EncoderOptions {
  OtlpTemporality temporality = OtlpTemporality::Delta;  // effective: Delta or Cumulative
  bool gzip = true;
  std::size_t maxRequestBytes = kMaxRequestBytes;
  std::size_t cumulativeStateBytes = 16 * 1024 * 1024;
  std::int64_t cumulativeExpirySeconds = 330;
  std::int64_t intervalSeconds = 10;
  std::string scopeVersion;
  Attributes resource;
};

class OtlpEncoder {
 public:
  explicit OtlpEncoder(EncoderOptions options);

  void encode(const FlushBatch& slice, std::vector<serialize::Payload>& out);
  // After the last slice of a flush: forgets idle cumulative streams, releases big scratch buffers.
  void endFlush(std::int64_t flushTimestamp);
  // Cuts a payload the server answered 413 in two (by metrics); nullopt for a single metric.
  std::optional<std::pair<serialize::Payload, serialize::Payload>> split(
      const serialize::Payload& payload) const;

  const EncoderStats& stats() const { return stats_; }
  const EncoderOptions& options() const { return options_; }
  std::size_t cumulativeBytes() const { return state_.bytes(); }
  std::size_t cumulativeStreams() const { return state_.streams(); }

 private:
  // Each appends one Metric to the request under way (packing that request first when the metric
  // would overflow it); nothing when no point is left to send.
  void writeSeries(const Series& series, std::vector<serialize::Payload>& out);
  void writeDistribution(const DistributionSeries& series, std::vector<serialize::Payload>& out);
  // Room for a Metric of `metricBytes` in the request under way; false (counted) when it could
  // never fit a request.
  bool reserveMetric(std::size_t metricBytes, std::vector<serialize::Payload>& out);
  void committed(std::size_t points);
  void pack(std::vector<serialize::Payload>& out);
  // The request around `metrics` (Metric fields), compressed; nullopt when compression failed.
  std::optional<serialize::Payload> makePayload(std::string_view metrics, std::size_t points) const;
  // The stream identity of cumulative state: kind, name, host and tags (key_, reused).
  const std::string& streamKey(char kind, const std::string& name, const std::string& host,
                               const std::vector<std::string>& tags);

  EncoderOptions options_;
  std::string resource_;  // Resource message
  std::string scope_;     // InstrumentationScope message
  CumulativeState state_;
  TagAttributeWriter tagWriter_;
  EncoderStats stats_;
  // Scratch, reused: attributes of the current series, one data point, one metric's data, one metric.
  struct NumberPoint {
    std::uint64_t start, time;
    double value;
  };
  std::vector<NumberPoint> numbers_;
  std::string attributes_, point_, data_, metric_, key_;
  std::string metrics_;  // the request under way: Metric messages, each with its tag and length
  std::size_t metricPoints_ = 0;
  std::size_t pendingItems_ = 0, pendingPoints_ = 0;
};

}  // namespace dynostatsd::otlp
