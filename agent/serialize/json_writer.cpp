#include "serialize/json_writer.h"

#include <charconv>

#include "model/shortest_double.h"
#include "model/utf8.h"

namespace dynostatsd::serialize {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

bool appendJsonString(std::string& out, std::string_view text, std::size_t maxCodePoints) {
  out.push_back('"');
  std::size_t codePoints = 0;
  std::size_t i = 0;
  std::size_t runStart = 0;  // start of bytes that need no escaping, appended in one go
  auto flush = [&](std::size_t end) { out.append(text.data() + runStart, end - runStart); };
  while (i < text.size()) {
    if (codePoints == maxCodePoints) {
      flush(i);
      out.push_back('"');
      return true;
    }
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      ++codePoints;
      continue;
    }
    if (c >= 0x80) {
      std::size_t length = utf8SequenceLength(text, i);
      if (length != 0) {
        i += length;
        ++codePoints;
        continue;
      }
      flush(i);
      out.append(kReplacement);
      runStart = ++i;
      ++codePoints;
      continue;
    }
    flush(i);
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
    runStart = ++i;
    ++codePoints;
  }
  flush(i);
  out.push_back('"');
  return false;
}

void appendJsonDouble(std::string& out, double value) {
  char buffer[32];
  out.append(buffer, shortestDouble(buffer, buffer + sizeof buffer, value));
}

void appendJsonInt(std::string& out, std::int64_t value) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

}  // namespace dynostatsd::serialize
