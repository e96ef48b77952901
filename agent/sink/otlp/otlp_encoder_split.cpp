// OtlpEncoder::split: cuts one of our own requests in two for a 413 answer, by walking its
// protobuf envelope (ExportMetricsServiceRequest -> ResourceMetrics -> ScopeMetrics -> Metric)
// and re-packing each half of the metrics with the same resource and scope.
#include <string_view>

#include "serialize/compressor.h"
#include "serialize/protobuf_writer.h"
#include "sink/otlp/otlp_encoder.h"
#include "sink/otlp/protobuf_reader.h"

namespace dynostatsd::otlp {
namespace {

// A length-delimited field `number` of `field`.
bool isMessage(const ProtobufReader::Field& field, std::uint32_t number) {
  return field.wire == 2 && field.number == number;
}

// The data points of one Metric (field 1 of its gauge / sum / exponential_histogram).
std::size_t pointsOf(std::string_view metric) {
  ProtobufReader reader(metric);
  ProtobufReader::Field field;
  std::size_t points = 0;
  while (reader.next(field)) {
    if (!isMessage(field, 5) && !isMessage(field, 7) && !isMessage(field, 10)) continue;
    ProtobufReader data(field.bytes);
    ProtobufReader::Field point;
    while (data.next(point)) points += isMessage(point, 1) ? 1 : 0;
  }
  return points;
}

}  // namespace

std::optional<std::pair<serialize::Payload, serialize::Payload>> OtlpEncoder::split(
    const serialize::Payload& payload) const {
  std::string plain;
  if (payload.compression == Compression::Gzip) {
    auto inflated = serialize::decompress(Compression::Gzip, payload.body, 64 * 1024 * 1024);
    if (!inflated) return std::nullopt;
    plain = std::move(*inflated);
  } else {
    plain = payload.body;
  }
  // ExportMetricsServiceRequest{1: ResourceMetrics{2: ScopeMetrics{2: Metric}}}
  std::vector<std::string_view> metrics;
  ProtobufReader request(plain);
  ProtobufReader::Field resourceMetrics;
  while (request.next(resourceMetrics)) {
    if (!isMessage(resourceMetrics, 1)) continue;
    ProtobufReader rm(resourceMetrics.bytes);
    ProtobufReader::Field scopeMetrics;
    while (rm.next(scopeMetrics)) {
      if (!isMessage(scopeMetrics, 2)) continue;
      ProtobufReader sm(scopeMetrics.bytes);
      ProtobufReader::Field metric;
      while (sm.next(metric)) {
        if (isMessage(metric, 2)) metrics.push_back(metric.bytes);
      }
      if (!sm.ok()) return std::nullopt;
    }
    if (!rm.ok()) return std::nullopt;
  }
  if (!request.ok() || metrics.size() < 2) return std::nullopt;

  auto half = [&](std::size_t from, std::size_t to) {
    std::string body;
    std::size_t points = 0;
    serialize::ProtobufWriter writer(body);
    for (std::size_t i = from; i < to; ++i) {
      writer.bytesField(2, metrics[i]);
      points += pointsOf(metrics[i]);
    }
    std::optional<serialize::Payload> out = makePayload(body, points);
    if (out) out->route = payload.route;
    return out;
  };
  const std::size_t middle = metrics.size() / 2;
  auto first = half(0, middle), second = half(middle, metrics.size());
  if (!first || !second) return std::nullopt;
  return std::make_pair(std::move(*first), std::move(*second));
}

}  // namespace dynostatsd::otlp
