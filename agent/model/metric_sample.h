#pragma once
// MetricSample: one parsed DogStatsD metric message (parse -> enrich -> aggregate).
// Input: produced by parse/ from a datagram. Output: consumed by aggregate/ before the next datagram.
// Ownership: every string_view points into the datagram buffer (or into Enricher-owned strings) and
// is valid only until the next datagram; the vectors are reused (cleared, never shrunk), so
// steady-state parsing allocates nothing.
#include <cstdint>
#include <string_view>
#include <vector>

namespace dynostatsd {

enum class MetricType : std::uint8_t { Counter, Gauge, Timer, Histogram, Set, Distribution };

// The wire spelling of a type: "c", "g", "ms", "h", "s", "d".
constexpr std::string_view wireName(MetricType type) {
  switch (type) {
    case MetricType::Counter: return "c";
    case MetricType::Gauge: return "g";
    case MetricType::Timer: return "ms";
    case MetricType::Histogram: return "h";
    case MetricType::Set: return "s";
    case MetricType::Distribution: return "d";
  }
  return "?";
}

struct MetricSample {
  std::string_view name;
  MetricType type = MetricType::Counter;
  std::vector<double> values;  // one or more (packed) values; empty for sets
  std::string_view setMember;  // sets only: the member, verbatim
  double rate = 1.0;           // as sent (parse-level); see enrich/ for clamping
  std::vector<std::string_view> tags;
  // The tag section as it arrived (`a:1,b:2` of `|#a:1,b:2`) and whether the parser set it: the
  // aggregator's context cache keys on (name, rawTags, type) to skip re-keying a context it has
  // seen in the same spelling. Producers that build `tags` themselves leave rawTagsKnown false.
  std::string_view rawTags;
  bool rawTagsKnown = false;
  std::int64_t timestamp = 0;  // |T<unix seconds>; 0 when absent
  // Set by enrich/: the series host (a `host:` tag or the configured default; may be empty).
  std::string_view host;

  void clear() {
    name = {};
    type = MetricType::Counter;
    values.clear();
    setMember = {};
    rate = 1.0;
    tags.clear();
    rawTags = {};
    rawTagsKnown = false;
    timestamp = 0;
    host = {};
  }
};

}  // namespace dynostatsd
