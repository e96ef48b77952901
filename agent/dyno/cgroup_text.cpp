#include "dyno/cgroup_text.h"

#include <charconv>

namespace dynostatsd::dyno {
namespace {

constexpr std::uint64_t kUnlimitedFrom = std::uint64_t{1} << 62;

std::string_view trimRight(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

bool wholeNumber(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

std::string_view firstToken(std::string_view& text) {
  std::size_t start = text.find_first_not_of(" \t\n");
  if (start == std::string_view::npos) {
    text = {};
    return {};
  }
  text.remove_prefix(start);
  std::size_t end = text.find_first_of(" \t\n");
  std::string_view token = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  return token;
}

}  // namespace

Parsed parseCount(std::string_view text, std::uint64_t& out) {
  return wholeNumber(trimRight(text), out) ? Parsed::Ok : Parsed::Malformed;
}

Parsed parseMemoryLimit(std::string_view text, std::uint64_t& out) {
  text = trimRight(text);
  if (text == "max") return Parsed::Unlimited;
  if (!wholeNumber(text, out)) return Parsed::Malformed;
  return out >= kUnlimitedFrom ? Parsed::Unlimited : Parsed::Ok;
}

Parsed keyedValue(std::string_view text, std::string_view key, std::uint64_t& out) {
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ') {
      return wholeNumber(trimRight(line.substr(key.size() + 1)), out) ? Parsed::Ok : Parsed::Malformed;
    }
  }
  return Parsed::Absent;
}

Parsed parseCpuMax(std::string_view text, double& cores) {
  std::string_view quota = firstToken(text);
  std::string_view period = firstToken(text);
  std::uint64_t periodUsec = 0, quotaUsec = 0;
  if (period.empty() || !firstToken(text).empty() || !wholeNumber(period, periodUsec) || periodUsec == 0) {
    return Parsed::Malformed;
  }
  if (quota == "max") return Parsed::Unlimited;
  if (!wholeNumber(quota, quotaUsec)) return Parsed::Malformed;
  cores = static_cast<double>(quotaUsec) / static_cast<double>(periodUsec);
  return Parsed::Ok;
}

Parsed parseCfsQuota(std::string_view quota, std::string_view period, double& cores) {
  quota = trimRight(quota);
  std::uint64_t periodUsec = 0, quotaUsec = 0;
  if (!wholeNumber(trimRight(period), periodUsec) || periodUsec == 0) return Parsed::Malformed;
  if (quota == "-1") return Parsed::Unlimited;
  if (!wholeNumber(quota, quotaUsec)) return Parsed::Malformed;
  cores = static_cast<double>(quotaUsec) / static_cast<double>(periodUsec);
  return Parsed::Ok;
}

Parsed parseStatmResident(std::string_view text, std::uint64_t& pages) {
  std::uint64_t size = 0;
  if (!wholeNumber(firstToken(text), size)) return Parsed::Malformed;
  return wholeNumber(firstToken(text), pages) ? Parsed::Ok : Parsed::Malformed;
}

std::vector<CgroupLine> parseProcCgroup(std::string_view text) {
  std::vector<CgroupLine> lines;
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    std::size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    std::size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    CgroupLine parsed{line.substr(0, first), line.substr(first + 1, second - first - 1),
                      line.substr(second + 1)};
    if (parsed.hierarchy.empty() || !parsed.path.starts_with('/')) continue;
    lines.push_back(parsed);
  }
  return lines;
}

bool hasController(std::string_view controllers, std::string_view name) {
  while (!controllers.empty()) {
    std::size_t comma = controllers.find(',');
    if (controllers.substr(0, comma) == name) return true;
    if (comma == std::string_view::npos) break;
    controllers.remove_prefix(comma + 1);
  }
  return false;
}

std::string sanitizeProcessName(std::string_view comm) {
  comm = trimRight(comm);
  std::string out;
  for (char c : comm.substr(0, 32)) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
               c == '/') {
      out.push_back(c);
    } else {
      out.push_back('_');
    }
  }
  bool onlyUnderscores = out.find_first_not_of('_') == std::string::npos;
  return onlyUnderscores ? std::string("unknown") : out;
}

}  // namespace dynostatsd::dyno
