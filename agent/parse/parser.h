#pragma once
// parse: turns DogStatsD messages into MetricSample / Event / ServiceCheck, byte-compatible with
// the Datadog Agent's parser (reference/dogstatsd.md §A.2-A.6).
// Input: a datagram (any bytes, untrusted). forEachMessage() splits it; classify() picks the parser.
// Output: the filled value or a specific ParseError. No I/O, no logging, no exceptions.
// Ownership: a MetricSample's string_views point into the datagram (valid until it is reused);
// its vectors are cleared, never shrunk, so steady-state parsing allocates nothing. Events and
// service checks are rare and own their strings.
#include <cstdint>
#include <string_view>

#include "model/event.h"
#include "model/metric_sample.h"
#include "parse/byte_scan.h"

namespace dynostatsd {

// One value per reason a message is rejected; reasonName() gives its logfmt/JSON name.
enum class ParseError : std::uint8_t {
  None = 0,
  // metrics: `<name>:<value>[:<value>...]|<type>[|<field>]...`
  NoPipe,                // no `|` at all
  NoColon,               // no `:` before the first `|`
  EmptyName,             // `:` is the first byte
  EmptyValue,            // nothing between `:` and `|`
  BadMetricType,         // type is not exactly c, g, ms, h, s or d
  BadValue,              // a value is not a number (Go ParseFloat syntax)
  ValueOutOfRange,       // a value overflows a double (e.g. 1e400)
  NoValue,               // packed value list with only empty entries (`a::|c`)
  BadSampleRate,         // `@` field is not a number or overflows
  BadTimestamp,          // `T` field is not an int64
  TimestampNotPositive,  // `T` field is < 1
  // events: `_e{<title length>,<text length>}:<title>|<text>[|<field>]...`
  EventNoColon,     // no `:` after the header
  EventBadHeader,   // header shorter than `_e{1,1}` or without `,`
  EventBadLength,   // a length is not a non-negative integer
  EventEmptyTitle,  // title length 0
  EventTooShort,    // fewer bytes after `:` than title + 1 + text lengths
  // service checks: `_sc|<name>|<status>[|<field>]...`
  ServiceCheckBadFormat,  // fewer than two `|`
  ServiceCheckEmptyName,  // empty name
  ServiceCheckBadStatus,  // status is not exactly 0, 1, 2 or 3
  Count
};

std::string_view reasonName(ParseError error);

enum class MessageKind : std::uint8_t { Metric, Event, ServiceCheck };

std::string_view kindName(MessageKind kind);  // "metric", "event", "service_check"

// By prefix only, like the Agent: `_e{` is an event, `_sc` a service check (so the metric
// `_scheduler.jobs:1|c` is a broken service check), everything else a metric.
constexpr MessageKind classify(std::string_view message) {
  if (message.starts_with("_e{")) return MessageKind::Event;
  if (message.starts_with("_sc")) return MessageKind::ServiceCheck;
  return MessageKind::Metric;
}

// Calls onMessage(std::string_view) for each message of a datagram: pieces between LFs (the last
// one even without LF), one trailing CR removed per piece, empty pieces skipped. Always inlined:
// in the Ingestor's batch loop GCC otherwise calls it out of line (callgrind: +7 instructions a line).
template <class F>
[[gnu::always_inline]] inline void forEachMessage(std::string_view datagram, F&& onMessage) {
  const char* const begin = datagram.data();
  const char* const end = begin + datagram.size();
  for (const char* p = begin; p < end;) {
    const char* lf = scan::find(begin, p, end, '\n');
    std::string_view piece(p, static_cast<std::size_t>(lf - p));
    p = lf + 1;
    if (!piece.empty() && piece.back() == '\r') piece.remove_suffix(1);
    if (!piece.empty()) onMessage(piece);
  }
}

// Whether parseMetric splits the tag section into `tags` at once (Now) or leaves that to a later
// splitTags() (Deferred: the ingest fast path, where a context already known in this exact
// spelling never needs its tags one by one).
enum class TagSplit : std::uint8_t { Now, Deferred };

// Each clears `out` first; on error `out` holds partial data and must not be used.
ParseError parseMetric(std::string_view message, MetricSample& out, TagSplit split = TagSplit::Now);
// Fills sample.tags from sample.rawTags (`a,,b` -> "a", "", "b"), after a Deferred parse.
void splitTags(MetricSample& sample);
ParseError parseEvent(std::string_view message, Event& out);
ParseError parseServiceCheck(std::string_view message, ServiceCheck& out);

}  // namespace dynostatsd
