#pragma once
// Series and SketchSeries: what the aggregator flushes (aggregate -> serialize -> forward).
// Tags are final: the context's sorted, de-duplicated tags followed by the static dyno tags.
#include <cstdint>
#include <string>
#include <vector>

#include "model/event.h"

namespace dynostatsd {

// Datadog v2 MetricIntakeType values (v1 spells them "count", "rate", "gauge").
enum class SeriesType : std::uint8_t { Count = 1, Rate = 2, Gauge = 3 };

struct Point {
  std::int64_t timestamp = 0;  // bucket start, seconds since the epoch
  double value = 0;
};

struct Series {
  std::string name;
  SeriesType type = SeriesType::Gauge;
  std::int64_t interval = 10;  // seconds
  std::string host;            // empty: no host resource
  std::vector<std::string> tags;
  std::vector<Point> points;
  std::string unit;  // e.g. "millisecond" for timers; empty when none
};

// One DDSketch per (bucket, context), in the Agent's Dogsketch form.
struct SketchPoint {
  std::int64_t timestamp = 0;
  std::int64_t count = 0;
  double min = 0, max = 0, sum = 0, avg = 0;
  std::vector<std::int32_t> keys;     // ascending bin keys
  std::vector<std::uint32_t> counts;  // parallel to keys
};

struct SketchSeries {
  std::string name;
  std::string host;
  std::vector<std::string> tags;
  std::vector<SketchPoint> points;
};

// Everything one flush produces.
struct FlushBatch {
  std::vector<Series> series;
  std::vector<SketchSeries> sketches;
  std::vector<Event> events;
  std::vector<ServiceCheck> checks;
  bool empty() const { return series.empty() && sketches.empty() && events.empty() && checks.empty(); }
};

}  // namespace dynostatsd
