#include "sink/otlp/attributes.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "enrich/enricher.h"

namespace dynostatsd::otlp {
namespace {

void set(Attributes& attributes, std::string_view key, std::string_view value) {
  for (auto& [k, v] : attributes) {
    if (k == key) {
      v = std::string(value);
      return;
    }
  }
  attributes.emplace_back(std::string(key), std::string(value));
}

void setIfKnown(Attributes& attributes, std::string_view key, std::string_view value) {
  if (!value.empty()) set(attributes, key, value);
}

// KeyValue{1: key, 2: AnyValue{1: string_value}}, written in place (lengths computed first). An
// empty string is still written: a oneof member has presence, and an AnyValue without one means
// "no value".
void writeKeyValue(serialize::ProtobufWriter& writer, std::uint32_t field, std::string_view key,
                   std::string_view value) {
  using W = serialize::ProtobufWriter;
  const std::size_t anyValue = 1 + W::varintSize(value.size()) + value.size();
  const std::size_t keyValue =
      1 + W::varintSize(key.size()) + key.size() + 1 + W::varintSize(anyValue) + anyValue;
  writer.key(field, W::kLengthDelimited);
  writer.varint(keyValue);
  writer.bytesField(1, key);
  writer.key(2, W::kLengthDelimited);
  writer.varint(anyValue);
  writer.bytesField(1, value);
}

}  // namespace

Attributes dynoResource(const Config& config, std::string_view generatedInstanceId) {
  Attributes out;
  set(out, "cloud.provider", "heroku");
  set(out, "service.name",
      config.enrich.appName.empty() ? "unknown_service:dynostatsd" : config.enrich.appName);
  set(out, "service.instance.id", config.otlp.dynoId.empty() ? generatedInstanceId : config.otlp.dynoId);
  setIfKnown(out, "service.version", config.enrich.releaseVersion);
  setIfKnown(out, "heroku.app.id", config.otlp.appId);
  setIfKnown(out, "heroku.release.commit", config.otlp.slugCommit);
  setIfKnown(out, "heroku.release.creation_timestamp", config.otlp.releaseCreatedAt);
  setIfKnown(out, "heroku.dyno", config.enrich.dyno);
  if (!config.enrich.dyno.empty())
    setIfKnown(out, "heroku.dyno.type", Enricher::dynoType(config.enrich.dyno));
  for (const auto& [key, value] : config.otlp.resourceAttributes) set(out, key, value);
  setIfKnown(out, "service.name", config.otlp.serviceName);
  return out;
}

std::string randomUuid() {
  std::random_device device;
  std::uint8_t bytes[16];
  for (std::size_t i = 0; i < sizeof bytes; i += 4) {
    const std::uint32_t word = device();
    for (std::size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return text;
}

void writeAttributes(serialize::ProtobufWriter& writer, std::uint32_t field, const Attributes& attributes) {
  for (const auto& [key, value] : attributes) writeKeyValue(writer, field, key, value);
}

void TagAttributeWriter::write(serialize::ProtobufWriter& writer, std::uint32_t field,
                               const std::vector<std::string>& tags, std::string_view host) {
  pairs_.clear();
  for (const auto& tag : tags) {
    const std::string_view text(tag);
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      pairs_.emplace_back(text, std::string_view());
    } else {
      pairs_.emplace_back(text.substr(0, colon), text.substr(colon + 1));
    }
  }
  if (!host.empty()) pairs_.emplace_back("host", host);
  std::stable_sort(pairs_.begin(), pairs_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < pairs_.size();) {
    std::size_t end = i + 1;
    while (end < pairs_.size() && pairs_[end].first == pairs_[i].first) ++end;
    if (end == i + 1) {
      writeKeyValue(writer, field, pairs_[i].first, pairs_[i].second);
    } else {
      joined_.clear();
      for (std::size_t j = i; j < end; ++j) {
        const std::string_view value = pairs_[j].second;
        if (value.empty()) continue;
        bool seen = false;
        for (std::size_t k = i; k < j && !seen; ++k) seen = pairs_[k].second == value;
        if (seen) continue;
        if (!joined_.empty()) joined_.push_back(',');
        joined_.append(value);
      }
      writeKeyValue(writer, field, pairs_[i].first, joined_);
    }
    i = end;
  }
}

}  // namespace dynostatsd::otlp
