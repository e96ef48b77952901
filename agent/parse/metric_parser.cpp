// parseMetric: one pass over `<name>:<value>[:<value>...]|<type>[|<field>]...`, in place.
#include "parse/go_number.h"
#include "parse/parser.h"
#include "parse/split.h"

namespace dynostatsd {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;

// Splits `text` at its first `|`: returns the part before, leaves the rest (or sets done).
std::string_view nextField(std::string_view& rest, bool& done) {
  std::size_t pipe = rest.find('|');
  std::string_view field = rest.substr(0, pipe);
  if (pipe == kNpos) {
    rest = {};
    done = true;
  } else {
    rest.remove_prefix(pipe + 1);
  }
  return field;
}

bool parseType(std::string_view raw, MetricType& out) {
  if (raw.size() == 1) {
    switch (raw[0]) {
      case 'c': out = MetricType::Counter; return true;
      case 'g': out = MetricType::Gauge; return true;
      case 'h': out = MetricType::Histogram; return true;
      case 's': out = MetricType::Set; return true;
      case 'd': out = MetricType::Distribution; return true;
      default: return false;
    }
  }
  if (raw == "ms") {
    out = MetricType::Timer;
    return true;
  }
  return false;
}

ParseError valueError(NumberStatus status) {
  return status == NumberStatus::Range ? ParseError::ValueOutOfRange : ParseError::BadValue;
}

// `1:2::3` -> 1, 2, 3 (empty entries skipped, as the Agent does); no entry at all is NoValue.
ParseError parseValues(std::string_view raw, std::vector<double>& values) {
  while (!raw.empty()) {
    std::size_t colon = raw.find(':');
    std::string_view item = raw.substr(0, colon);
    raw = colon == kNpos ? std::string_view{} : raw.substr(colon + 1);
    if (item.empty()) continue;
    double value = 0;
    NumberStatus status = parseGoFloat(item, value);
    if (status != NumberStatus::Ok) return valueError(status);
    values.push_back(value);
  }
  return values.empty() ? ParseError::NoValue : ParseError::None;
}

// `#a,,b` -> "a", "", "b"; `#` alone -> no tags. A later `#` field replaces an earlier one.
void parseTags(std::string_view raw, std::vector<std::string_view>& tags) {
  tags.clear();
  forEachItem(raw, ',', [&tags](std::string_view tag) { tags.push_back(tag); });
}

}  // namespace

ParseError parseMetric(std::string_view message, MetricSample& out) {
  out.clear();
  // page.views:1:2|c|@0.5|#route:home,dyno:web.1|T1700000000
  // ^^^^^^^^^^^^^^ head: name, `:`, raw value (sets keep every `:` in the member)
  std::size_t pipe = message.find('|');
  if (pipe == kNpos) return ParseError::NoPipe;
  std::string_view head = message.substr(0, pipe);
  std::size_t colon = head.find(':');
  if (colon == kNpos) return ParseError::NoColon;
  if (colon == 0) return ParseError::EmptyName;
  if (colon + 1 == head.size()) return ParseError::EmptyValue;
  out.name = head.substr(0, colon);
  std::string_view rawValue = head.substr(colon + 1);

  // page.views:1:2|c|@0.5|...
  //                ^ type: up to the next `|` or the end
  std::string_view rest = message.substr(pipe + 1);
  bool done = false;
  if (!parseType(nextField(rest, done), out.type)) return ParseError::BadMetricType;

  if (out.type == MetricType::Set) {
    out.setMember = rawValue;
  } else if (rawValue.find(':') == kNpos) {
    double value = 0;
    NumberStatus status = parseGoFloat(rawValue, value);
    if (status != NumberStatus::Ok) return valueError(status);
    out.values.push_back(value);
  } else if (ParseError error = parseValues(rawValue, out.values); error != ParseError::None) {
    return error;
  }

  // ...|c|@0.5|#route:home,dyno:web.1|T1700000000|c:ci-abc|m:x||
  //       ^^^^ ^^^^^^^^^^^^^^^^^^^^^^ ^^^^^^^^^^^ the rest: any order, later wins, unknown ignored
  while (!done) {
    std::string_view field = nextField(rest, done);
    if (field.empty()) continue;
    switch (field[0]) {
      case '#':
        out.rawTags = field.substr(1);
        parseTags(out.rawTags, out.tags);
        break;
      case '@':
        if (parseGoFloat(field.substr(1), out.rate) != NumberStatus::Ok) return ParseError::BadSampleRate;
        break;
      case 'T': {
        std::int64_t timestamp = 0;
        if (parseGoInt(field.substr(1), timestamp) != NumberStatus::Ok) return ParseError::BadTimestamp;
        if (timestamp < 1) return ParseError::TimestampNotPositive;
        out.timestamp = timestamp;
        break;
      }
      default: break;  // c:, e:, card: (origin detection, off on Heroku) and unknown fields
    }
  }
  out.rawTagsKnown = true;
  return ParseError::None;
}

}  // namespace dynostatsd
