#include "config/config_values.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "telemetry/log.h"
#include "telemetry/secrets.h"

namespace dynostatsd::config {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

std::string trim(std::string_view text) {
  while (!text.empty() && isBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back())) text.remove_suffix(1);
  return std::string(text);
}

bool parseBool(std::string_view text, bool& out, std::string& error) {
  const std::string value = lower(trim(text));
  if (value == "true" || value == "1" || value == "yes" || value == "on") {
    out = true;
    return true;
  }
  if (value == "false" || value == "0" || value == "no" || value == "off") {
    out = false;
    return true;
  }
  error = "must be a boolean (true/false/1/0/yes/no)";
  return false;
}

bool isTrue(std::string_view text) {
  bool value = false;
  std::string error;
  return parseBool(text, value, error) && value;
}

bool switchOn(std::string_view text) {
  if (trim(text).empty()) return false;
  bool value = true;
  std::string error;
  return !parseBool(text, value, error) || value;
}

bool parseInt(std::string_view text, std::int64_t min, std::int64_t max, std::int64_t& out,
              std::string& error) {
  const std::string value = trim(text);
  std::int64_t parsed = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, parsed);
  if (value.empty() || ec != std::errc() || ptr != end || parsed < min || parsed > max) {
    error = "must be an integer in " + std::to_string(min) + ".." + std::to_string(max);
    return false;
  }
  out = parsed;
  return true;
}

bool parseDouble(std::string_view text, double min, double max, double& out, std::string& error) {
  const std::string value = trim(text);
  char* end = nullptr;
  errno = 0;
  double parsed = value.empty() ? 0 : std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || errno != 0 || !std::isfinite(parsed) ||
      parsed < min || parsed > max) {
    auto show = [](double d) {
      std::string s = std::to_string(d);
      while (s.size() > 1 && s.back() == '0') s.pop_back();
      if (!s.empty() && s.back() == '.') s.pop_back();
      return s;
    };
    error = "must be a number in " + show(min) + ".." + show(max);
    return false;
  }
  out = parsed;
  return true;
}

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',' || isBlank(text[i])) {
      if (i > start) out.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::vector<int> parsePercentiles(std::string_view text, std::vector<std::string>& warnings) {
  std::vector<int> out;
  for (const std::string& entry : splitList(text)) {
    double p = 0;
    std::string error;
    if (!parseDouble(entry, 0, 1, p, error) || p <= 0) {
      warnings.push_back("setting=histogram_percentiles skipped=" + log::quote(entry) +
                         " reason=\"not in (0, 1]\"");
      continue;
    }
    int percent = static_cast<int>(p * 100 + 0.5);
    if (percent < 1 || percent > 100) {
      warnings.push_back("setting=histogram_percentiles skipped=" + log::quote(entry) +
                         " reason=\"rounds outside 1..100\"");
      continue;
    }
    if (std::find(out.begin(), out.end(), percent) == out.end()) out.push_back(percent);
  }
  return out;
}

std::vector<std::string> parseAggregates(std::string_view text, std::vector<std::string>& warnings) {
  static constexpr std::string_view kKnown[] = {"max", "min", "median", "avg", "sum", "count"};
  std::vector<std::string> out;
  for (const std::string& entry : splitList(text)) {
    const std::string name = lower(entry);
    if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown)) {
      warnings.push_back("setting=histogram_aggregates skipped=" + log::quote(entry) +
                         " reason=\"unknown aggregate (max min median avg sum count)\"");
      continue;
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

bool parseHostPort(std::string_view text, int defaultPort, std::string& host, int& port, std::string& error) {
  const std::string value = trim(text);
  std::string_view rest = value;
  std::string_view portText;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      error = "an IPv6 literal needs a closing ]";
      return false;
    }
    host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "expected :port after ]";
        return false;
      }
      portText = rest.substr(1);
    }
  } else {
    const auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && rest.find(':') != colon) {
      error = "write an IPv6 address in brackets, e.g. [::1]:8125";
      return false;
    }
    host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) portText = rest.substr(colon + 1);
  }
  if (host.empty() || host.find_first_of(" \t/,") != std::string::npos) {
    error = "expected host:port";
    return false;
  }
  if (portText.empty()) {
    if (defaultPort <= 0 || rest.ends_with(':')) {
      error = "expected host:port";
      return false;
    }
    port = defaultPort;
    return true;
  }
  std::int64_t number = 0;
  if (!parseInt(portText, 1, 65535, number, error)) {
    error = "port " + error;
    return false;
  }
  port = static_cast<int>(number);
  return true;
}

bool parseGraphiteUrl(std::string_view text, GraphiteEndpoint& out, std::string& error) {
  const std::string value = trim(text);
  std::string_view rest = value;
  if (rest.starts_with("tcp://")) {
    out.tls = false;
  } else if (rest.starts_with("tls://")) {
    out.tls = true;
  } else {
    error = "must be tcp://host:port or tls://host:port";
    return false;
  }
  rest.remove_prefix(6);
  if (rest.ends_with('/')) rest.remove_suffix(1);
  return parseHostPort(rest, 2003, out.host, out.port, error);
}

bool parseGraphitePercentiles(std::string_view text, std::vector<double>& out, std::string& error) {
  out.clear();
  for (const std::string& entry : splitList(text)) {
    double p = 0;
    if (!parseDouble(entry, -100, 100, p, error) || p == 0) {
      error = "\"" + entry + "\" is not a percentile in [-100, 100] other than 0";
      return false;
    }
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return true;
}

}  // namespace dynostatsd::config

namespace dynostatsd::config {

bool parseByteSize(std::string_view text, std::size_t min, std::size_t max, std::size_t& out,
                   std::string& error) {
  const std::string value = trim(text);
  error = "must be a size in bytes (e.g. 67108864, 64MB, 65536K) between " + std::to_string(min) + " and " +
          std::to_string(max);
  std::uint64_t number = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, number);
  if (value.empty() || ec != std::errc() || ptr == value.data()) return false;
  const std::string unit = lower(std::string_view(ptr, static_cast<std::size_t>(end - ptr)));
  unsigned shift = 0;
  if (unit.empty() || unit == "b") {
    shift = 0;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    shift = 10;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    shift = 20;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    shift = 30;
  } else {
    return false;
  }
  if (number > (std::uint64_t{max} >> shift)) return false;
  const std::uint64_t bytes = number << shift;
  if (bytes < min || bytes > max) return false;
  out = static_cast<std::size_t>(bytes);
  error.clear();
  return true;
}

bool parseFileMode(std::string_view text, int& out, std::string& error) {
  const std::string value = trim(text);
  int mode = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, mode, 8);
  if (value.empty() || value.size() > 4 || ec != std::errc() || ptr != end || mode < 0 || mode > 0777) {
    error = "must be an octal mode such as 0660 (at most 0777)";
    return false;
  }
  out = mode;
  return true;
}

std::string showInvalid(std::string_view value) {
  constexpr std::size_t kMaxShown = 40;
  constexpr std::size_t kTokenRun = 20;
  const std::string masked = secrets::mask(value);
  std::string out;
  std::size_t i = 0;
  while (i < masked.size()) {
    std::size_t j = i;
    while (j < masked.size() && std::isalnum(static_cast<unsigned char>(masked[j]))) ++j;
    if (j - i >= kTokenRun) {
      out += log::maskSecret(std::string_view(masked).substr(i, j - i));
      i = j;
    } else if (j > i) {
      out.append(masked, i, j - i);
      i = j;
    } else {
      out.push_back(masked[i++]);
    }
  }
  if (out.size() > kMaxShown)
    out = out.substr(0, kMaxShown) + "... (" + std::to_string(value.size()) + " bytes)";
  return out;
}

std::string controlCharacterError(std::string_view text, bool blanksAllowed) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "must not contain control characters (CR, LF, ...)";
    if (!blanksAllowed && c == ' ') return "must not contain blanks";
  }
  return {};
}

}  // namespace dynostatsd::config
