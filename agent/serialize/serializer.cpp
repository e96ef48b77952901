#include "serialize/serializer.h"

#include <cmath>

#include "serialize/json_writer.h"
#include "serialize/protobuf_writer.h"

namespace dynostatsd::serialize {
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

// Appends the finite points, comma separated, in `syntax`; returns how many were skipped (NaN/Inf).
std::uint64_t appendFinitePoints(std::string& out, const std::vector<Point>& points,
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
    appendJsonDouble(out, point.value);
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

}  // namespace

Serializer::Serializer(SeriesApi seriesApi, Compression compression) : seriesApi_(seriesApi) {
  for (std::size_t i = 0; i < kEndpointCount; ++i) {
    auto endpoint = static_cast<Endpoint>(i);
    packers_.emplace_back(endpoint, compressionFor(endpoint, compression));
  }
}

void Serializer::serialize(const FlushBatch& batch, std::vector<Payload>& out) {
  serializeSeries(batch.series, out);
  serializeSketches(batch.sketches, out);
  serializeChecks(batch.checks, out);
  serializeEvents(batch.events, out);
}

void Serializer::pack(Endpoint endpoint, std::vector<Payload>& out) {
  stats_.oversizedItems += packers_[static_cast<std::size_t>(endpoint)].pack(items_, out);
  items_.clear();
  if (items_.text.capacity() > kKeepScratchBytes) items_ = ItemBuffer();  // give a big flush's memory back
}

void Serializer::packFull(Endpoint endpoint, std::vector<Payload>& out) {
  PayloadPacker& packer = packers_[static_cast<std::size_t>(endpoint)];
  if (items_.text.size() < packer.targetBytes()) return;
  std::size_t dropped = 0;
  items_.dropFront(packer.packClosed(items_, out, dropped));
  stats_.oversizedItems += dropped;
}

template <class Item, class Write>
void Serializer::serializeAll(const std::vector<Item>& items, Endpoint endpoint, std::vector<Payload>& out,
                              Write write) {
  items_.clear();
  for (const Item& item : items) {
    write(item);
    packFull(endpoint, out);
  }
  pack(endpoint, out);
}

void Serializer::serializeSeries(const std::vector<Series>& series, std::vector<Payload>& out) {
  serializeAll(series, seriesEndpoint(), out, [this](const Series& one) {
    if (!hasFinitePoint(one.points)) {
      stats_.nonFinitePoints += one.points.size();
      ++stats_.emptySeries;
      return;
    }
    if (seriesApi_ == SeriesApi::V2) {
      writeSeriesV2(one);
    } else {
      writeSeriesV1(one);
    }
  });
}

// {"metric":"page.views","type":2,"interval":10,"points":[{"timestamp":1700000000,"value":0.3}],
//  "resources":[{"type":"host","name":"h"}],"tags":["dyno:web.1"],"unit":"millisecond"}
void Serializer::writeSeriesV2(const Series& series) {
  std::string& out = items_.text;
  out.append(R"({"metric":)");
  appendJsonString(out, series.name);
  out.append(R"(,"type":)");
  appendJsonInt(out, static_cast<int>(series.type));
  out.append(R"(,"interval":)");
  appendJsonInt(out, series.interval);
  out.append(R"(,"points":[)");
  stats_.nonFinitePoints += appendFinitePoints(out, series.points, {R"({"timestamp":)", R"(,"value":)", "}"});
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
  items_.endItem();
}

// {"metric":"page.views","points":[[1700000000,0.3]],"type":"rate","interval":10,"host":"h",
//  "tags":["dyno:web.1"]}
void Serializer::writeSeriesV1(const Series& series) {
  std::string& out = items_.text;
  out.append(R"({"metric":)");
  appendJsonString(out, series.name);
  out.append(R"(,"points":[)");
  stats_.nonFinitePoints += appendFinitePoints(out, series.points, {"[", ",", "]"});
  out.append(R"(],"type":")").append(v1TypeName(series.type)).append(R"(","interval":)");
  appendJsonInt(out, series.interval);
  out.append(R"(,"host":)");
  appendJsonString(out, series.host);
  out.push_back(',');
  appendTags(out, series.tags);
  out.push_back('}');
  items_.endItem();
}

void Serializer::serializeSketches(const std::vector<SketchSeries>& sketches, std::vector<Payload>& out) {
  serializeAll(sketches, Endpoint::Sketches, out,
               [this](const SketchSeries& sketch) { writeSketch(sketch); });
}

// One `SketchPayload.sketches` (field 1) record; records concatenate into a valid SketchPayload.
//   Sketch { metric = 1; host = 2; tags = 4; dogsketches = 7 }
//   Dogsketch { ts = 1; cnt = 2; min = 3; max = 4; avg = 5; sum = 6; k = 7 (sint32, packed);
//               n = 8 (uint32, packed) }
void Serializer::writeSketch(const SketchSeries& sketch) {
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
  ProtobufWriter(items_.text).bytesField(1, sketchBody);
  items_.endItem();
}

void Serializer::serializeChecks(const std::vector<ServiceCheck>& checks, std::vector<Payload>& out) {
  serializeAll(checks, Endpoint::CheckRun, out, [this](const ServiceCheck& check) { writeCheck(check); });
}

// {"check":"app.ok","host_name":"h","status":0,"tags":["a:b"],"timestamp":1700000000,"message":"m"}
void Serializer::writeCheck(const ServiceCheck& check) {
  std::string& out = items_.text;
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
  items_.endItem();
}

void Serializer::serializeEvents(const std::vector<Event>& events, std::vector<Payload>& out) {
  items_.clear();
  for (const Event& event : events) writeEvent(event);
  pack(Endpoint::Events, out);
}

// {"title":"t","text":"x","date_happened":1700000000,"host":"h","priority":"normal",
//  "alert_type":"info","aggregation_key":"k","source_type_name":"s","tags":["a:b"]}
void Serializer::writeEvent(const Event& event) {
  std::string& out = items_.text;
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
  items_.endItem();
}

std::optional<std::pair<Payload, Payload>> Serializer::split(const Payload& payload) {
  return packers_[static_cast<std::size_t>(payload.endpoint)].split(payload);
}

}  // namespace dynostatsd::serialize
