#include "sink/datadog/serializer.h"

#include <cmath>

#include "serialize/json_writer.h"
#include "serialize/protobuf_writer.h"

namespace dynostatsd::datadog {

using serialize::appendJsonDouble;
using serialize::appendJsonInt;
using serialize::appendJsonString;
using serialize::ProtobufWriter;
namespace {

void appendTags(std::string& out, const std::vector<std::string>& tags) {
  out.append(R"("tags":[)");
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (i != 0) out.push_back(',');
    appendJsonString(out, tags[i]);
  }
  out.push_back(']');
}

std::string_view v1TypeName(SeriesType type) {
  switch (type) {
    case SeriesType::Count: return "count";
    case SeriesType::Rate: return "rate";
    case SeriesType::Gauge: return "gauge";
  }
  return "gauge";
}

bool hasFinitePoint(const std::vector<Point>& points) {
  for (const Point& point : points) {
    if (std::isfinite(point.value)) return true;
  }
  return false;
}

// How one point is spelled: `open` timestamp `separator` value `close`.
struct PointSyntax {
  std::string_view open;
  std::string_view separator;
  std::string_view close;
};

// Appends the finite points, comma separated, in `syntax`, each value divided by `divisor` (a Rate
// series' interval: its points carry the count); returns how many were skipped (NaN/Inf).
std::uint64_t appendFinitePoints(std::string& out, const std::vector<Point>& points, double divisor,
                                 const PointSyntax& syntax) {
  std::uint64_t skipped = 0;
  bool first = true;
  for (const Point& point : points) {
    if (!std::isfinite(point.value)) {
      ++skipped;
      continue;
    }
    if (!first) out.push_back(',');
    first = false;
    out.append(syntax.open);
    appendJsonInt(out, point.timestamp);
    out.append(syntax.separator);
    appendJsonDouble(out, divisor == 1 ? point.value : point.value / divisor);
    out.append(syntax.close);
  }
  return skipped;
}

// `key` (with its leading comma) and the value, only when there is a value.
void appendStringIfSet(std::string& out, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  out.append(key);
  appendJsonString(out, value);
}

void appendTimestampIfSet(std::string& out, std::string_view key, std::int64_t timestamp) {
  if (timestamp <= 0) return;
  out.append(key);
  appendJsonInt(out, timestamp);
}

// The EventAlertType values the public API accepts; DogStatsD's four are a subset.
std::string_view alertTypeOrInfo(std::string_view type) {
  for (std::string_view known :
       {"error", "warning", "info", "success", "user_update", "recommendation", "snapshot"}) {
    if (type == known) return known;
  }
  return "info";
}

// What a point's value is divided by on the wire: a Rate series carries counts (model/series.h).
double wireDivisor(const Series& series) {
  return series.type == SeriesType::Rate && series.interval > 0 ? static_cast<double>(series.interval) : 1;
}

}  // namespace

Serializer::Serializer(SeriesApi seriesApi, Compression compression) : seriesApi_(seriesApi) {
  for (std::size_t i = 0; i < kEndpointCount; ++i) {
    auto endpoint = static_cast<Endpoint>(i);
    packers_.emplace_back(routeOf(endpoint), framingFor(endpoint), endpointInfo(endpoint).limits,
                          compressionFor(endpoint, compression));
  }
  items_.resize(kEndpointCount);
}

void Serializer::append(const FlushBatch& slice, std::vector<Payload>& out) {
  appendSeries(slice.series, out);
  appendSketches(slice.sketches, out);
  appendChecks(slice.checks, out);
  appendEvents(slice.events, out);
}

void Serializer::finish(std::vector<Payload>& out) {
  for (std::size_t i = 0; i < kEndpointCount; ++i) pack(static_cast<Endpoint>(i), out);
}

void Serializer::serialize(const FlushBatch& batch, std::vector<Payload>& out) {
  append(batch, out);
  finish(out);
}

void Serializer::appendSeries(const std::vector<Series>& series, std::vector<Payload>& out) {
  appendAll(series, seriesEndpoint(), out, [this](const Series& one, ItemBuffer& buffer) {
    if (!hasFinitePoint(one.points)) {
      stats_.nonFinitePoints += one.points.size();
      ++stats_.emptySeries;
      return;
    }
    if (seriesApi_ == SeriesApi::V2) {
      writeSeriesV2(one, buffer);
    } else {
      writeSeriesV1(one, buffer);
    }
  });
}

void Serializer::appendSketches(const std::vector<SketchSeries>& sketches, std::vector<Payload>& out) {
  appendAll(sketches, Endpoint::Sketches, out,
            [this](const SketchSeries& sketch, ItemBuffer& buffer) { writeSketch(sketch, buffer); });
}

void Serializer::appendChecks(const std::vector<ServiceCheck>& checks, std::vector<Payload>& out) {
  appendAll(checks, Endpoint::CheckRun, out,
            [this](const ServiceCheck& check, ItemBuffer& buffer) { writeCheck(check, buffer); });
}

void Serializer::appendEvents(const std::vector<Event>& events, std::vector<Payload>& out) {
  appendAll(events, Endpoint::Events, out,
            [this](const Event& event, ItemBuffer& buffer) { writeEvent(event, buffer); });
}

void Serializer::serializeSeries(const std::vector<Series>& series, std::vector<Payload>& out) {
  appendSeries(series, out);
  pack(seriesEndpoint(), out);
}

void Serializer::serializeSketches(const std::vector<SketchSeries>& sketches, std::vector<Payload>& out) {
  appendSketches(sketches, out);
  pack(Endpoint::Sketches, out);
}

void Serializer::serializeChecks(const std::vector<ServiceCheck>& checks, std::vector<Payload>& out) {
  appendChecks(checks, out);
  pack(Endpoint::CheckRun, out);
}

void Serializer::serializeEvents(const std::vector<Event>& events, std::vector<Payload>& out) {
  appendEvents(events, out);
  pack(Endpoint::Events, out);
}

std::size_t Serializer::bufferedBytes() const {
  std::size_t bytes = 0;
  for (const ItemBuffer& buffer : items_)
    bytes += buffer.text.capacity() + buffer.ends.capacity() * sizeof(std::size_t);
  return bytes;
}

void Serializer::pack(Endpoint endpoint, std::vector<Payload>& out) {
  ItemBuffer& buffer = items(endpoint);
  if (buffer.count() == 0 && buffer.text.capacity() <= kKeepScratchBytes) return;
  PayloadPacker& packer = this->packer(endpoint);
  const std::size_t failedBefore = packer.compressFailures();
  const std::size_t dropped = packer.pack(buffer, out);
  const std::size_t failed = packer.compressFailures() - failedBefore;
  stats_.compressFailures += failed;
  stats_.oversizedItems += dropped - failed;
  buffer.clear();
  if (buffer.text.capacity() > kKeepScratchBytes) buffer = ItemBuffer();  // give a big flush's memory back
}

void Serializer::packFull(Endpoint endpoint, std::vector<Payload>& out) {
  ItemBuffer& buffer = items(endpoint);
  PayloadPacker& packer = this->packer(endpoint);
  if (buffer.text.size() < packer.targetBytes()) return;
  const std::size_t failedBefore = packer.compressFailures();
  std::size_t dropped = 0;
  buffer.dropFront(packer.packClosed(buffer, out, dropped));
  const std::size_t failed = packer.compressFailures() - failedBefore;
  stats_.compressFailures += failed;
  stats_.oversizedItems += dropped - failed;
}

template <class Item, class Write>
void Serializer::appendAll(const std::vector<Item>& items, Endpoint endpoint, std::vector<Payload>& out,
                           Write write) {
  ItemBuffer& buffer = this->items(endpoint);
  for (const Item& item : items) {
    write(item, buffer);
    packFull(endpoint, out);
  }
}

// {"metric":"page.views","type":2,"interval":10,"points":[{"timestamp":1700000000,"value":0.3}],
//  "resources":[{"type":"host","name":"h"}],"tags":["dyno:web.1"],"unit":"millisecond"}
void Serializer::writeSeriesV2(const Series& series, ItemBuffer& items) {
  std::string& out = items.text;
  out.append(R"({"metric":)");
  appendJsonString(out, series.name);
  out.append(R"(,"type":)");
  appendJsonInt(out, static_cast<int>(series.type));
  out.append(R"(,"interval":)");
  appendJsonInt(out, series.interval);
  out.append(R"(,"points":[)");
  stats_.nonFinitePoints +=
      appendFinitePoints(out, series.points, wireDivisor(series), {R"({"timestamp":)", R"(,"value":)", "}"});
  out.push_back(']');
  if (!series.host.empty()) {
    out.append(R"(,"resources":[{"type":"host","name":)");
    appendJsonString(out, series.host);
    out.append("}]");
  }
  out.push_back(',');
  appendTags(out, series.tags);
  appendStringIfSet(out, R"(,"unit":)", series.unit);
  out.push_back('}');
  items.endItem();
}

// {"metric":"page.views","points":[[1700000000,0.3]],"type":"rate","interval":10,"host":"h",
//  "tags":["dyno:web.1"]}
void Serializer::writeSeriesV1(const Series& series, ItemBuffer& items) {
  std::string& out = items.text;
  out.append(R"({"metric":)");
  appendJsonString(out, series.name);
  out.append(R"(,"points":[)");
  stats_.nonFinitePoints += appendFinitePoints(out, series.points, wireDivisor(series), {"[", ",", "]"});
  out.append(R"(],"type":")").append(v1TypeName(series.type)).append(R"(","interval":)");
  appendJsonInt(out, series.interval);
  out.append(R"(,"host":)");
  appendJsonString(out, series.host);
  out.push_back(',');
  appendTags(out, series.tags);
  out.push_back('}');
  items.endItem();
}

// One `SketchPayload.sketches` (field 1) record; records concatenate into a valid SketchPayload.
//   Sketch { metric = 1; host = 2; tags = 4; dogsketches = 7 }
//   Dogsketch { ts = 1; cnt = 2; min = 3; max = 4; avg = 5; sum = 6; k = 7 (sint32, packed);
//               n = 8 (uint32, packed) }
void Serializer::writeSketch(const SketchSeries& sketch, ItemBuffer& items) {
  std::string sketchBody;
  ProtobufWriter message(sketchBody);
  message.bytesField(1, sketch.name);
  if (!sketch.host.empty()) message.bytesField(2, sketch.host);
  for (const std::string& tag : sketch.tags) message.bytesField(4, tag);
  std::size_t written = 0;
  for (const SketchPoint& point : sketch.points) {
    bool finite = std::isfinite(point.min) && std::isfinite(point.max) && std::isfinite(point.sum) &&
                  std::isfinite(point.avg);
    if (!finite || point.keys.size() != point.counts.size()) {
      ++stats_.nonFinitePoints;
      continue;
    }
    scratch_.clear();
    ProtobufWriter dog(scratch_);
    dog.int64Field(1, point.timestamp);
    dog.int64Field(2, point.count);
    dog.doubleField(3, point.min);
    dog.doubleField(4, point.max);
    dog.doubleField(5, point.avg);
    dog.doubleField(6, point.sum);
    if (!point.keys.empty()) {
      packed_.clear();
      ProtobufWriter keys(packed_);
      for (std::int32_t key : point.keys) keys.varint(ProtobufWriter::zigzag32(key));
      dog.bytesField(7, packed_);
      packed_.clear();
      for (std::uint32_t count : point.counts) keys.varint(count);
      dog.bytesField(8, packed_);
    }
    message.bytesField(7, scratch_);
    ++written;
  }
  if (written == 0) {
    ++stats_.emptySeries;
    return;
  }
  ProtobufWriter(items.text).bytesField(1, sketchBody);
  items.endItem();
}

// {"check":"app.ok","host_name":"h","status":0,"tags":["a:b"],"timestamp":1700000000,"message":"m"}
void Serializer::writeCheck(const ServiceCheck& check, ItemBuffer& items) {
  std::string& out = items.text;
  out.append(R"({"check":)");
  appendJsonString(out, check.name);
  out.append(R"(,"host_name":)");
  appendJsonString(out, check.host);
  out.append(R"(,"status":)");
  appendJsonInt(out, check.status >= 0 && check.status <= 3 ? check.status : 3);  // else UNKNOWN
  out.push_back(',');
  appendTags(out, check.tags);
  appendTimestampIfSet(out, R"(,"timestamp":)", check.timestamp);
  appendStringIfSet(out, R"(,"message":)", check.message);
  out.push_back('}');
  items.endItem();
}

// {"title":"t","text":"x","date_happened":1700000000,"host":"h","priority":"normal",
//  "alert_type":"info","aggregation_key":"k","source_type_name":"s","tags":["a:b"]}
void Serializer::writeEvent(const Event& event, ItemBuffer& items) {
  std::string& out = items.text;
  out.append(R"({"title":)");
  appendJsonString(out, event.title);
  out.append(R"(,"text":)");
  if (appendJsonString(out, event.text, kEventTextMaxChars)) ++stats_.truncatedFields;
  appendTimestampIfSet(out, R"(,"date_happened":)", event.timestamp);
  appendStringIfSet(out, R"(,"host":)", event.host);
  out.append(R"(,"priority":")").append(event.priority == "low" ? "low" : "normal");
  out.append(R"(","alert_type":")").append(alertTypeOrInfo(event.alertType)).push_back('"');
  if (!event.aggregationKey.empty()) {
    out.append(R"(,"aggregation_key":)");
    if (appendJsonString(out, event.aggregationKey, kEventAggregationKeyMaxChars)) ++stats_.truncatedFields;
  }
  appendStringIfSet(out, R"(,"source_type_name":)", event.sourceType);
  out.push_back(',');
  appendTags(out, event.tags);
  out.push_back('}');
  items.endItem();
}

std::optional<std::pair<Payload, Payload>> Serializer::split(const Payload& payload) {
  return packer(endpointOf(payload)).split(payload);
}

}  // namespace dynostatsd::datadog
