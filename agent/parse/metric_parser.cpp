// parseMetric: one pass over `<name>:<value>[:<value>...]|<type>[|<field>]...`, in place.
#include "parse/byte_scan.h"
#include "parse/go_number.h"
#include "parse/parser.h"
#include "parse/split.h"

namespace dynostatsd {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;

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

}  // namespace

// `#a,,b` -> "a", "", "b"; `#` alone -> no tags. A later `#` field replaces an earlier one.
void splitTags(MetricSample& sample) {
  auto& tags = sample.tags;
  tags.clear();
  forEachItem(sample.rawTags, ',', [&tags](std::string_view tag) { tags.push_back(tag); });
}

ParseError parseMetric(std::string_view message, MetricSample& out, TagSplit split) {
  out.clear();
  const char* const begin = message.data();
  const char* const end = begin + message.size();
  // page.views:1:2|c|@0.5|#route:home,dyno:web.1|T1700000000
  // ^^^^^^^^^^ ^^^ name up to the first `:`, raw value up to the first `|` (a set member keeps
  //                every `:` after the first)
  const char* colon = scan::findEither(begin, begin, end, ':', '|');
  if (colon == end) return ParseError::NoPipe;
  if (*colon == '|') return ParseError::NoColon;
  const char* pipe = scan::find(begin, colon + 1, end, '|');
  if (pipe == end) return ParseError::NoPipe;
  if (colon == begin) return ParseError::EmptyName;
  if (colon + 1 == pipe) return ParseError::EmptyValue;
  out.name = std::string_view(begin, static_cast<std::size_t>(colon - begin));
  const std::string_view rawValue(colon + 1, static_cast<std::size_t>(pipe - colon - 1));

  // page.views:1:2|c|@0.5|...
  //                ^ type: exactly c, g, h, s, d or ms, up to the next `|` or the end
  const char* type = pipe + 1;
  const char* typeEnd = type;
  while (typeEnd != end && *typeEnd != '|' && typeEnd - type < 2) ++typeEnd;
  if (!parseType(std::string_view(type, static_cast<std::size_t>(typeEnd - type)), out.type) ||
      (typeEnd != end && *typeEnd != '|')) {
    return ParseError::BadMetricType;
  }

  if (out.type == MetricType::Set) {
    out.setMember = rawValue;
  } else {
    double value = 0;
    if (parseSimpleDecimal(rawValue, value)) {  // the common case: one plain decimal
      out.values.push_back(value);
    } else if (ParseError error = parseValues(rawValue, out.values); error != ParseError::None) {
      return error;
    }
  }

  // ...|c|@0.5|#route:home,dyno:web.1|T1700000000|c:ci-abc|m:x||
  //       ^^^^ ^^^^^^^^^^^^^^^^^^^^^^ ^^^^^^^^^^^ the rest: any order, later wins, unknown ignored
  for (const char* field = typeEnd; field != end;) {
    ++field;  // past the `|`
    const char* fieldEnd = scan::find(begin, field, end, '|');
    const std::string_view text(field, static_cast<std::size_t>(fieldEnd - field));
    field = fieldEnd;
    if (text.empty()) continue;
    switch (text[0]) {
      case '#': out.rawTags = text.substr(1); break;
      case '@':
        if (parseGoFloat(text.substr(1), out.rate) != NumberStatus::Ok) return ParseError::BadSampleRate;
        break;
      case 'T': {
        std::int64_t timestamp = 0;
        if (parseGoInt(text.substr(1), timestamp) != NumberStatus::Ok) return ParseError::BadTimestamp;
        if (timestamp < 1) return ParseError::TimestampNotPositive;
        out.timestamp = timestamp;
        break;
      }
      default: break;  // c:, e:, card: (origin detection, off on Heroku) and unknown fields
    }
  }
  out.rawTagsKnown = true;
  if (split == TagSplit::Now) splitTags(out);
  return ParseError::None;
}

}  // namespace dynostatsd
