#include "config/config_values.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "telemetry/log.h"

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

}  // namespace dynostatsd::config
