#include "sink/otlp/otlp_encoder.h"

#include <cmath>

#include "serialize/compressor.h"
#include "serialize/protobuf_writer.h"

namespace dynostatsd::otlp {
namespace {

using serialize::ProtobufWriter;

// Field numbers (opentelemetry/proto/metrics/v1/metrics.proto and friends).
namespace field {
constexpr std::uint32_t kResourceMetrics = 1;               // ExportMetricsServiceRequest
constexpr std::uint32_t kResource = 1, kScopeMetrics = 2;   // ResourceMetrics
constexpr std::uint32_t kScope = 1, kMetrics = 2;           // ScopeMetrics
constexpr std::uint32_t kScopeName = 1, kScopeVersion = 2;  // InstrumentationScope
constexpr std::uint32_t kResourceAttributes = 1;            // Resource
constexpr std::uint32_t kName = 1, kUnit = 3, kGauge = 5, kSum = 7, kExponentialHistogram = 10;  // Metric
constexpr std::uint32_t kDataPoints = 1, kTemporality = 2, kMonotonic = 3;  // Gauge / Sum / ExpHistogram
// NumberDataPoint
constexpr std::uint32_t kNumberAttributes = 7, kStart = 2, kTime = 3, kAsDouble = 4;
// ExponentialHistogramDataPoint
constexpr std::uint32_t kExpAttributes = 1, kCount = 4, kExpSum = 5, kScale = 6, kZeroCount = 7,
                        kPositive = 8, kNegative = 9, kMin = 12, kMax = 13;
constexpr std::uint32_t kOffset = 1, kBucketCounts = 2;  // ExponentialHistogramDataPoint.Buckets
}  // namespace field

constexpr std::uint64_t kDelta = 1, kCumulative = 2;  // AggregationTemporality
constexpr std::uint64_t kNanos = 1000000000ULL;

std::uint64_t nanos(std::int64_t seconds) {
  return seconds <= 0 ? 0 : static_cast<std::uint64_t>(seconds) * kNanos;
}

// Datadog unit names the agent may carry, in UCUM.
std::string_view ucum(std::string_view unit) {
  if (unit == "millisecond") return "ms";
  if (unit == "second") return "s";
  if (unit == "byte") return "By";
  return unit;
}

void writeBuckets(ProtobufWriter& writer, std::uint32_t fieldNumber, const ExpoBuckets& buckets,
                  std::string& scratch) {
  if (buckets.empty()) return;
  std::string packed;
  ProtobufWriter p(packed);
  for (std::uint64_t count : buckets.counts) p.varint(count);
  scratch.clear();
  ProtobufWriter b(scratch);
  b.sint32Field(field::kOffset, buckets.offset);
  b.bytesField(field::kBucketCounts, packed);
  writer.bytesField(fieldNumber, scratch);
}

}  // namespace

OtlpEncoder::OtlpEncoder(EncoderOptions options)
    : options_(std::move(options)), state_(options_.cumulativeStateBytes, options_.cumulativeExpirySeconds) {
  ProtobufWriter resource(resource_);
  writeAttributes(resource, field::kResourceAttributes, options_.resource);
  ProtobufWriter scope(scope_);
  scope.bytesField(field::kScopeName, "dynostatsd");
  if (!options_.scopeVersion.empty()) scope.bytesField(field::kScopeVersion, options_.scopeVersion);
}

void OtlpEncoder::encode(const FlushBatch& slice, std::vector<serialize::Payload>& out) {
  stats_.unsupported += slice.events.size() + slice.checks.size();
  for (const Series& series : slice.series) {
    if (series.kind == MetricKind::HistogramStatistic) continue;  // Datadog's form; we read distributions
    writeSeries(series, out);
  }
  for (const DistributionSeries& series : slice.distributions) {
    writeDistribution(series, out);
  }
  pack(out);
}

const std::string& OtlpEncoder::streamKey(char kind, const std::string& name, const std::string& host,
                                          const std::vector<std::string>& tags) {
  key_.clear();
  key_.push_back(kind);
  key_ += name;
  key_.push_back('\0');
  key_ += host;
  for (const auto& tag : tags) {
    key_.push_back('\0');
    key_ += tag;
  }
  return key_;
}

void OtlpEncoder::writeSeries(const Series& series, std::vector<serialize::Payload>& out) {
  using W = ProtobufWriter;
  const bool counter = series.kind == MetricKind::Counter;
  const bool cumulative = counter && options_.temporality == OtlpTemporality::Cumulative;
  // Pass 1: the points to send (cumulative: added to the stream's running total).
  numbers_.clear();
  StreamState* stream = nullptr;
  const std::int64_t interval = series.interval > 0 ? series.interval : options_.intervalSeconds;
  for (const Point& p : series.points) {
    if (!std::isfinite(p.value)) {
      ++stats_.nonFinitePoints;
      continue;
    }
    // A bucket point covers (start, start + interval]; a |T point is at its own time.
    NumberPoint point{nanos(series.timestamped ? p.timestamp - interval : p.timestamp),
                      nanos(series.timestamped ? p.timestamp : p.timestamp + interval), p.value};
    if (cumulative) {
      if (stream == nullptr)
        stream = state_.find(streamKey('c', series.name, series.host, series.tags), point.start, false);
      if (stream == nullptr) {
        ++stats_.stateFull;
        continue;
      }
      stream->total += p.value;
      stream->lastTimeNanos = std::max(stream->lastTimeNanos, point.time);
      point = {stream->startNanos, stream->lastTimeNanos, stream->total};
    }
    numbers_.push_back(point);
  }
  if (numbers_.empty()) return;

  // Pass 2: sizes first, then the Metric written in place into the request under way.
  attributes_.clear();
  {
    W a(attributes_);
    tagWriter_.write(a, field::kNumberAttributes, series.tags, series.host);
  }
  const std::string_view unit = ucum(series.unit);
  const std::size_t pointBytes = attributes_.size() + (counter ? 9 : 0) + 9 + 9;
  const std::size_t dataBytes =
      numbers_.size() * (1 + W::varintSize(pointBytes) + pointBytes) + (counter ? 4 : 0);
  const std::size_t metricBytes = 1 + W::varintSize(series.name.size()) + series.name.size() +
                                  (unit.empty() ? 0 : 1 + W::varintSize(unit.size()) + unit.size()) + 1 +
                                  W::varintSize(dataBytes) + dataBytes;
  if (!reserveMetric(metricBytes, out)) return;
  W w(metrics_);
  w.key(field::kMetrics, W::kLengthDelimited);
  w.varint(metricBytes);
  w.bytesField(field::kName, series.name);
  if (!unit.empty()) w.bytesField(field::kUnit, unit);
  w.key(counter ? field::kSum : field::kGauge, W::kLengthDelimited);
  w.varint(dataBytes);
  for (const NumberPoint& p : numbers_) {
    w.key(field::kDataPoints, W::kLengthDelimited);
    w.varint(pointBytes);
    metrics_.append(attributes_);
    if (counter) w.fixed64Field(field::kStart, p.start);
    w.fixed64Field(field::kTime, p.time);
    w.doubleField(field::kAsDouble, p.value);  // written even when 0: a oneof member has presence
  }
  if (counter) {
    w.uint64Field(field::kTemporality, cumulative ? kCumulative : kDelta);
    w.uint64Field(field::kMonotonic, 1);
  }
  committed(numbers_.size());
}

void OtlpEncoder::writeDistribution(const DistributionSeries& series, std::vector<serialize::Payload>& out) {
  metric_.clear();
  metricPoints_ = 0;
  const bool cumulative = options_.temporality == OtlpTemporality::Cumulative;
  attributes_.clear();
  {
    ProtobufWriter a(attributes_);
    tagWriter_.write(a, field::kExpAttributes, series.tags, series.host);
  }
  StreamState* stream = nullptr;
  data_.clear();
  ProtobufWriter data(data_);
  std::string buckets;
  const std::int64_t interval = options_.intervalSeconds;
  for (const DistributionPoint& p : series.points) {
    ExponentialHistogram delta = ExponentialHistogram::fromPoint(p);
    if (delta.count == 0) continue;
    if (!std::isfinite(delta.sum) || !std::isfinite(delta.min) || !std::isfinite(delta.max)) {
      ++stats_.nonFinitePoints;
      continue;
    }
    std::uint64_t start = nanos(p.timestamp);
    std::uint64_t time = nanos(p.timestamp + interval);
    const ExponentialHistogram* h = &delta;
    if (cumulative) {
      if (stream == nullptr)
        stream = state_.find(streamKey(static_cast<char>('h' + static_cast<int>(series.kind)), series.name,
                                       series.host, series.tags),
                             start, true);
      if (stream == nullptr) {
        ++stats_.stateFull;
        continue;
      }
      stream->histogram->merge(delta);
      stream->lastTimeNanos = std::max(stream->lastTimeNanos, time);
      start = stream->startNanos;
      time = stream->lastTimeNanos;
      h = stream->histogram.get();
    }
    point_ = attributes_;
    ProtobufWriter point(point_);
    point.fixed64Field(field::kStart, start);
    point.fixed64Field(field::kTime, time);
    point.fixed64Field(field::kCount, h->count);
    if (!h->negativeSeen) point.doubleField(field::kExpSum, h->sum);
    point.sint32Field(field::kScale, h->scale);
    point.fixed64Field(field::kZeroCount, h->zeroCount);
    writeBuckets(point, field::kPositive, h->positive, buckets);
    writeBuckets(point, field::kNegative, h->negative, buckets);
    point.doubleField(field::kMin, h->min);
    point.doubleField(field::kMax, h->max);
    data.bytesField(field::kDataPoints, point_);
    ++metricPoints_;
  }
  if (metricPoints_ == 0) return;
  data.uint64Field(field::kTemporality, cumulative ? kCumulative : kDelta);
  ProtobufWriter metric(metric_);
  metric.bytesField(field::kName, series.name);
  if (series.kind == DistributionKind::Timer) metric.bytesField(field::kUnit, "ms");
  metric.bytesField(field::kExponentialHistogram, data_);
  if (!reserveMetric(metric_.size(), out)) return;
  ProtobufWriter(metrics_).bytesField(field::kMetrics, metric_);
  committed(metricPoints_);
}

bool OtlpEncoder::reserveMetric(std::size_t metricBytes, std::vector<serialize::Payload>& out) {
  // The envelope around the metrics costs well under 1 KiB (the resource attributes are bounded
  // by the environment they come from).
  const std::size_t envelope = resource_.size() + scope_.size() + 64;
  const std::size_t field = 1 + ProtobufWriter::varintSize(metricBytes) + metricBytes;
  if (field + envelope > options_.maxRequestBytes) {
    ++stats_.oversizedMetrics;
    return false;
  }
  if (!metrics_.empty() && metrics_.size() + field + envelope > options_.maxRequestBytes) pack(out);
  if (metrics_.capacity() < options_.maxRequestBytes) metrics_.reserve(options_.maxRequestBytes);
  return true;
}

void OtlpEncoder::committed(std::size_t points) {
  ++pendingItems_;
  pendingPoints_ += points;
  stats_.pointsEncoded += points;
}

void OtlpEncoder::pack(std::vector<serialize::Payload>& out) {
  if (pendingItems_ == 0) return;
  if (auto payload = makePayload(metrics_, pendingPoints_)) {
    out.push_back(std::move(*payload));
  } else {
    ++stats_.compressFailures;
    stats_.compressFailedPoints += pendingPoints_;
  }
  metrics_.clear();
  pendingItems_ = 0;
  pendingPoints_ = 0;
}

std::optional<serialize::Payload> OtlpEncoder::makePayload(std::string_view metrics,
                                                           std::size_t points) const {
  // ExportMetricsServiceRequest{1: ResourceMetrics{1: resource, 2: ScopeMetrics{1: scope, 2.. metrics}}}
  using W = ProtobufWriter;
  const std::size_t scopeMetrics = 1 + W::varintSize(scope_.size()) + scope_.size() + metrics.size();
  const std::size_t resourceMetrics =
      1 + W::varintSize(resource_.size()) + resource_.size() + 1 + W::varintSize(scopeMetrics) + scopeMetrics;
  std::string body;
  body.reserve(1 + W::varintSize(resourceMetrics) + resourceMetrics);
  W w(body);
  w.key(field::kResourceMetrics, W::kLengthDelimited);
  w.varint(resourceMetrics);
  w.bytesField(field::kResource, resource_);
  w.key(field::kScopeMetrics, W::kLengthDelimited);
  w.varint(scopeMetrics);
  w.bytesField(field::kScope, scope_);
  body.append(metrics);

  serialize::Payload payload;
  payload.compression = options_.gzip ? Compression::Gzip : Compression::None;
  payload.uncompressedBytes = body.size();
  payload.items = points;
  if (!options_.gzip) {
    payload.body = std::move(body);
    return payload;
  }
  std::optional<std::string> compressed = serialize::compress(Compression::Gzip, body);
  if (!compressed) return std::nullopt;  // never send an empty body in place of the data
  payload.body = std::move(*compressed);
  return payload;
}

void OtlpEncoder::endFlush(std::int64_t flushTimestamp) {
  if (options_.temporality == OtlpTemporality::Cumulative) state_.expire(flushTimestamp);
  for (std::string* scratch : {&attributes_, &point_, &data_, &metric_, &metrics_, &key_}) {
    if (scratch->capacity() > kKeepScratchBytes) std::string().swap(*scratch);
  }
}

}  // namespace dynostatsd::otlp
