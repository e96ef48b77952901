#include "parse/json_text.h"

#include <charconv>
#include <cmath>

#include "model/shortest_double.h"
#include "model/utf8.h"

namespace dynostatsd {

void appendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c < 0x20 || c == 0x7F) {
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
      } else {
        out.push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    std::size_t length = utf8SequenceLength(text, i);
    if (length == 0) {
      out.append("\\ufffd");
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  out.push_back('"');
}

void appendJsonNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out.append("\"NaN\"");
  } else if (std::isinf(value)) {
    out.append(value > 0 ? "\"+Inf\"" : "\"-Inf\"");
  } else {
    char buffer[32];
    out.append(buffer, shortestDouble(buffer, buffer + sizeof buffer, value));
  }
}

}  // namespace dynostatsd
