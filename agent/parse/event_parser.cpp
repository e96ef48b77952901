// parseEvent and parseServiceCheck: the two rare message kinds, with the Agent's exact quirks.
#include <cstdint>

#include "parse/go_number.h"
#include "parse/parser.h"
#include "parse/split.h"

namespace dynostatsd {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;

// Title and text: every two-byte `\n` becomes a line feed (left to right); other `\` are kept.
void assignUnescaped(std::string_view raw, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == 'n') {
      out.push_back('\n');
      ++i;
    } else {
      out.push_back(raw[i]);
    }
  }
}

// `a,,b` -> "a", "", "b"; empty -> none. Reuses the strings already in `tags`.
void assignTags(std::string_view raw, std::vector<std::string>& tags) {
  std::size_t count = 0;
  forEachItem(raw, ',', [&tags, &count](std::string_view tag) {
    if (count == tags.size()) tags.emplace_back();
    tags[count++].assign(tag);
  });
  tags.resize(count);
}

// Calls onField for each `|`-separated field of `rest` (the first one is what precedes the first
// `|`, normally empty); empty fields are skipped.
template <class F>
void forEachField(std::string_view rest, F&& onField) {
  forEachItem(rest, '|', [&onField](std::string_view field) {
    if (!field.empty()) onField(field);
  });
}

// True when `field` starts with `prefix`; `value` is then what follows it.
bool cutPrefix(std::string_view field, std::string_view prefix, std::string_view& value) {
  if (!field.starts_with(prefix)) return false;
  value = field.substr(prefix.size());
  return true;
}

// The fields events and service checks share: `#` tags, `d:` timestamp (ignored when invalid) and
// `h:` host. Returns false when `field` is none of them.
template <class Message>
bool assignSharedField(std::string_view field, Message& out) {
  std::string_view value;
  if (cutPrefix(field, "#", value)) {
    assignTags(value, out.tags);
  } else if (cutPrefix(field, "d:", value)) {
    std::int64_t timestamp = 0;
    if (parseGoInt(value, timestamp) == NumberStatus::Ok) out.timestamp = timestamp;
  } else if (cutPrefix(field, "h:", value)) {
    out.host.assign(value);
  } else {
    return false;
  }
  return true;
}

// A header length: Go Atoi (sign allowed, no '_'), negative rejected.
bool parseLength(std::string_view raw, std::uint64_t& out) {
  std::int64_t value = 0;
  if (parseGoInt(raw, value) != NumberStatus::Ok || value < 0) return false;
  out = static_cast<std::uint64_t>(value);
  return true;
}

}  // namespace

ParseError parseEvent(std::string_view message, Event& out) {
  out.title.clear();
  out.text.clear();
  out.timestamp = 0;
  out.host.clear();
  out.aggregationKey.clear();
  out.priority = "normal";
  out.sourceType.clear();
  out.alertType = "info";
  out.tags.clear();

  // _e{5,4}:hello|text|d:1700000000|p:low|#a,b
  // ^^^^^^^ header: up to the first `:`; bytes [3, len-1) are the lengths (the `}` is not checked)
  std::size_t colon = message.find(':');
  if (colon == kNpos) return ParseError::EventNoColon;
  std::string_view header = message.substr(0, colon);
  if (header.size() < 7) return ParseError::EventBadHeader;
  std::string_view lengths = header.substr(3, header.size() - 4);
  std::size_t comma = lengths.find(',');
  if (comma == kNpos) return ParseError::EventBadHeader;
  std::uint64_t titleLength = 0;
  std::uint64_t textLength = 0;
  if (!parseLength(lengths.substr(0, comma), titleLength)) return ParseError::EventBadLength;
  if (titleLength == 0) return ParseError::EventEmptyTitle;
  if (!parseLength(lengths.substr(comma + 1), textLength)) return ParseError::EventBadLength;

  // _e{5,4}:hello|text|d:1700000000|p:low|#a,b
  //         ^^^^^ ^^^^ title, one byte skipped unchecked (so a `|` may sit inside the title), text
  std::string_view body = message.substr(colon + 1);
  if (titleLength >= body.size() || textLength > body.size() - titleLength - 1) {
    return ParseError::EventTooShort;
  }
  std::size_t textStart = static_cast<std::size_t>(titleLength) + 1;
  std::size_t contentLength = textStart + static_cast<std::size_t>(textLength);
  assignUnescaped(body.substr(0, static_cast<std::size_t>(titleLength)), out.title);
  assignUnescaped(body.substr(textStart, static_cast<std::size_t>(textLength)), out.text);
  if (contentLength == body.size()) return ParseError::None;

  // ...|text|d:1700000000|p:low|#a,b
  //         ^^^^^^^^^^^^^^^^^^^^^^^^^ fields: later wins; an invalid d:, p: or t: is ignored
  forEachField(body.substr(contentLength), [&out](std::string_view field) {
    std::string_view value;
    if (assignSharedField(field, out)) return;
    if (cutPrefix(field, "k:", value)) {
      out.aggregationKey.assign(value);
    } else if (cutPrefix(field, "p:", value)) {
      if (value == "normal" || value == "low") out.priority.assign(value);
    } else if (cutPrefix(field, "s:", value)) {
      out.sourceType.assign(value);
    } else if (cutPrefix(field, "t:", value)) {
      if (value == "error" || value == "warning" || value == "info" || value == "success") {
        out.alertType.assign(value);
      }
    }
  });
  return ParseError::None;
}

ParseError parseServiceCheck(std::string_view message, ServiceCheck& out) {
  out.name.clear();
  out.status = 0;
  out.timestamp = 0;
  out.host.clear();
  out.message.clear();
  out.tags.clear();

  // _sc|redis.up|2|d:1700000000|h:db1|#env:prod|m:connection refused
  // ^^^^ four bytes dropped unchecked; needs at least two `|` overall
  std::size_t pipes = 0;
  for (char c : message) pipes += c == '|' ? 1 : 0;
  if (pipes < 2 || message.size() < 4) return ParseError::ServiceCheckBadFormat;
  std::string_view rest = message.substr(4);

  //     ^^^^^^^^ ^ name, then status: exactly one of 0 1 2 3
  std::size_t pipe = rest.find('|');
  std::string_view name = rest.substr(0, pipe);
  if (name.empty()) return ParseError::ServiceCheckEmptyName;
  rest = pipe == kNpos ? std::string_view{} : rest.substr(pipe + 1);
  pipe = rest.find('|');
  std::string_view status = rest.substr(0, pipe);
  if (status.size() != 1 || status[0] < '0' || status[0] > '3') return ParseError::ServiceCheckBadStatus;
  out.name.assign(name);
  out.status = status[0] - '0';
  if (pipe == kNpos) return ParseError::None;

  //                  ^^^^^^^^^^^^^ ^^^^^ ^^^^^^^^^ ^^^^^^^^^^^^^^^^^^^^^^ fields: later wins
  forEachField(rest.substr(pipe + 1), [&out](std::string_view field) {
    std::string_view value;
    if (assignSharedField(field, out)) return;
    if (cutPrefix(field, "m:", value)) out.message.assign(value);
  });
  return ParseError::None;
}

}  // namespace dynostatsd
