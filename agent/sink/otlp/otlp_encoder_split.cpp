// OtlpEncoder::split: cuts one of our own requests in two for a 413 answer, by walking its
// protobuf envelope (ExportMetricsServiceRequest -> ResourceMetrics -> ScopeMetrics -> Metric)
// and re-packing each half of the metrics with the same resource and scope.
#include <string_view>

#include "serialize/compressor.h"
#include "serialize/protobuf_writer.h"
#include "sink/otlp/otlp_encoder.h"

namespace dynostatsd::otlp {
namespace {

// Reads the length-delimited fields of one message; other wire types are skipped.
class FieldReader {
 public:
  explicit FieldReader(std::string_view data) : data_(data) {}

  // The next field; false at the end or on malformed input (`ok()` tells them apart).
  bool next(std::uint32_t& number, std::string_view& bytes) {
    while (pos_ < data_.size()) {
      std::uint64_t key = 0;
      if (!varint(key)) return fail();
      number = static_cast<std::uint32_t>(key >> 3);
      switch (key & 7) {
        case 0: {
          std::uint64_t ignored = 0;
          if (!varint(ignored)) return fail();
          break;
        }
        case 1:
          if (data_.size() - pos_ < 8) return fail();
          pos_ += 8;
          break;
        case 5:
          if (data_.size() - pos_ < 4) return fail();
          pos_ += 4;
          break;
        case 2: {
          std::uint64_t length = 0;
          if (!varint(length) || length > data_.size() - pos_) return fail();
          bytes = data_.substr(pos_, length);
          pos_ += length;
          return true;
        }
        default: return fail();
      }
    }
    return false;
  }
  bool ok() const { return ok_; }

 private:
  bool varint(std::uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      out |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool fail() {
    ok_ = false;
    return false;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// The data points of one Metric (field 1 of its gauge / sum / exponential_histogram).
std::size_t pointsOf(std::string_view metric) {
  FieldReader reader(metric);
  std::uint32_t number = 0;
  std::string_view bytes;
  std::size_t points = 0;
  while (reader.next(number, bytes)) {
    if (number != 5 && number != 7 && number != 10) continue;
    FieldReader data(bytes);
    std::uint32_t inner = 0;
    std::string_view point;
    while (data.next(inner, point)) points += inner == 1 ? 1 : 0;
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
  std::vector<std::string_view> metrics;
  FieldReader request(plain);
  std::uint32_t number = 0;
  std::string_view resourceMetrics;
  while (request.next(number, resourceMetrics)) {
    if (number != 1) continue;
    FieldReader rm(resourceMetrics);
    std::string_view scopeMetrics;
    while (rm.next(number, scopeMetrics)) {
      if (number != 2) continue;
      FieldReader sm(scopeMetrics);
      std::string_view metric;
      while (sm.next(number, metric)) {
        if (number == 2) metrics.push_back(metric);
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
