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

// A point's value by series type:
//   Rate   the interval's COUNT (sum of value / sample rate), exact as accumulated. Datadog's
//          encoder sends count / interval (the Agent's rate); OTLP, Graphite and l2met use the
//          count as is, with no floating-point round trip through a rate.
//   Count  a count (self-metrics' per-flush increments)
//   Gauge  the value (gauges, set sizes, histogram statistics other than `.count`)
struct Point {
  std::int64_t timestamp = 0;  // bucket start, seconds since the epoch
  double value = 0;
};

// Which DogStatsD type a series came from, for sinks other than Datadog. HistogramStatistic series
// (`.avg`, `.95percentile`, ...) are the Agent's derived forms, built only when some sink needs
// Datadog shapes; neutral sinks read `distributions`.
enum class MetricKind : std::uint8_t { Counter, Gauge, Set, HistogramStatistic };

struct Series {
  std::string name;
  SeriesType type = SeriesType::Gauge;
  std::int64_t interval = 10;  // seconds
  std::string host;            // empty: no host resource
  std::vector<std::string> tags;
  std::vector<Point> points;
  std::string unit;  // e.g. "millisecond" for timers; empty when none
  MetricKind kind = MetricKind::Gauge;
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

// The sink-neutral form of one `h`/`ms`/`d` context in one bucket: exact weighted samples while
// the bucket holds few enough, otherwise the DDSketch bins (keys as in aggregate/ddsketch.h).
struct WeightedSample {
  double value = 0;
  double weight = 1;  // 1 / sample rate
};

struct DistributionPoint {
  std::int64_t timestamp = 0;  // bucket start
  double count = 0;            // sum of weights
  double sum = 0, min = 0, max = 0;
  std::vector<WeightedSample> samples;   // ascending by value; empty when the sketch is used
  std::vector<std::int32_t> sketchKeys;  // ascending; used when samples is empty and count > 0
  std::vector<double> sketchCounts;      // parallel to sketchKeys
};

enum class DistributionKind : std::uint8_t { Histogram, Timer, Distribution };  // h, ms, d

struct DistributionSeries {
  std::string name;
  DistributionKind kind = DistributionKind::Histogram;
  std::string host;
  std::vector<std::string> tags;
  std::vector<DistributionPoint> points;
};

// Everything one flush produces.
struct FlushBatch {
  std::vector<Series> series;
  std::vector<SketchSeries> sketches;
  std::vector<DistributionSeries> distributions;
  std::vector<Event> events;
  std::vector<ServiceCheck> checks;
  bool empty() const {
    return series.empty() && sketches.empty() && distributions.empty() && events.empty() && checks.empty();
  }
};

}  // namespace dynostatsd
