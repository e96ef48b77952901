#pragma once
// logfmt: the `key=value key2="quoted value" bare` pairs of Heroku's log lines (router lines,
// log-runtime-metrics, add-on metrics, l2met). No I/O, no allocation; views point into the line.
#include <string_view>

namespace dynostatsd::drain {

// Calls onPair(key, value) for each pair, left to right. A bare key has an empty value; a quoted
// value is given without its quotes (a `\"` inside does not end it; escapes are kept verbatim);
// an unterminated quote runs to the end of the line. Keys never contain a space or `=`.
template <class F>
void forEachPair(std::string_view line, F&& onPair) {
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (i < n) {
    while (i < n && line[i] == ' ') ++i;
    const std::size_t keyStart = i;
    while (i < n && line[i] != ' ' && line[i] != '=') ++i;
    std::string_view key = line.substr(keyStart, i - keyStart);
    std::string_view value;
    if (i < n && line[i] == '=') {
      ++i;
      if (i < n && line[i] == '"') {
        const std::size_t valueStart = ++i;
        while (i < n && line[i] != '"') i += line[i] == '\\' ? 2 : 1;
        if (i > n) i = n;
        value = line.substr(valueStart, i - valueStart);
        if (i < n) ++i;  // the closing quote
      } else {
        const std::size_t valueStart = i;
        while (i < n && line[i] != ' ') ++i;
        value = line.substr(valueStart, i - valueStart);
      }
    }
    if (!key.empty()) onPair(key, value);
  }
}

}  // namespace dynostatsd::drain
