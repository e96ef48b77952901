#include "config/otel_values.h"

#include <cctype>

#include "config/config_values.h"

namespace dynostatsd::config {
namespace {

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "Basic%20abc" -> "Basic abc"; false on a `%` not followed by two hex digits.
bool percentDecode(std::string_view text, std::string& out) {
  out.clear();
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return false;
    const int high = hexDigit(text[i + 1]);
    const int low = hexDigit(text[i + 2]);
    if (high < 0 || low < 0) return false;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return true;
}

// RFC 9110 tchar.
bool isToken(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool checkUrl(std::string_view url, std::string& error) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    error = "must be an http:// or https:// URL";
    return false;
  }
  const std::size_t hostStart = url.find("://") + 3;
  const std::size_t hostEnd = std::min(url.find_first_of("/?#", hostStart), url.size());
  if (url.substr(hostStart, hostEnd - hostStart).find('@') != std::string_view::npos) {
    error = "must not carry credentials; put them in OTEL_EXPORTER_OTLP_HEADERS (Authorization=...)";
    return false;
  }
  if (hostEnd == hostStart) {
    error = "has no host";
    return false;
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7F) {
      error = "must not contain blanks or control characters";
      return false;
    }
  }
  return true;
}

bool hasPath(std::string_view url) {
  return url.find('/', url.find("://") + 3) != std::string_view::npos;
}

}  // namespace

bool parseOtelPairs(std::string_view text, std::vector<std::pair<std::string, std::string>>& out,
                    std::string& error) {
  out.clear();
  std::size_t index = 0;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view entry = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    ++index;
    if (trim(entry).empty()) continue;  // "a=1,,b=2" and a trailing comma are harmless
    const std::size_t eq = entry.find('=');
    std::string key, value;
    if (eq == std::string_view::npos || !percentDecode(trim(entry.substr(0, eq)), key) || key.empty() ||
        !percentDecode(trim(entry.substr(eq + 1)), value)) {
      error = "entry " + std::to_string(index) +
              " is not key=value (percent-encode `,` `=` `%` and spaces inside keys and values)";
      out.clear();
      return false;
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return true;
}

bool parseOtelHeaders(std::string_view text, std::vector<OtlpHeader>& out, std::string& error) {
  std::vector<std::pair<std::string, std::string>> pairs;
  out.clear();
  if (!parseOtelPairs(text, pairs, error)) return false;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    auto& [name, value] = pairs[i];
    if (!isToken(name)) {
      error = "header " + std::to_string(i + 1) + " has an invalid name";
      return false;
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      error = "header " + name + " has a value with CR, LF or NUL";
      return false;
    }
    out.push_back({std::move(name), std::move(value)});
  }
  return true;
}

bool otlpEndpointFromBase(std::string_view base, std::string& out, std::string& error) {
  const std::string url = trim(base);
  if (!checkUrl(url, error)) return false;
  const std::size_t cut = url.find_first_of("?#", url.find("://") + 3);
  if (cut != std::string::npos) {
    error = "is a base URL and must not have a query or fragment (set OTEL_EXPORTER_OTLP_METRICS_ENDPOINT)";
    return false;
  }
  out = url;
  if (out.back() != '/') out.push_back('/');
  out += "v1/metrics";
  return true;
}

bool otlpEndpointAsIs(std::string_view url, std::string& out, std::string& error) {
  out = trim(url);
  if (!checkUrl(out, error)) {
    out.clear();
    return false;
  }
  if (!hasPath(out)) out.push_back('/');
  return true;
}

std::string urlHost(std::string_view url) {
  const std::size_t scheme = url.find("://");
  const std::size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  std::size_t end = std::min(url.find_first_of("/?#", start), url.size());
  std::string_view host = url.substr(start, end - start);
  if (host.starts_with('[')) return std::string(host.substr(0, host.find(']') + 1));  // IPv6 literal
  return std::string(host.substr(0, host.rfind(':')));
}

OtlpTemporality effectiveTemporality(const OtlpConfig& config) {
  if (config.temporality != OtlpTemporality::Auto) return config.temporality;
  std::string host = urlHost(config.endpoint);
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host.ends_with(".")) host.pop_back();
  return host == "grafana.net" || host.ends_with(".grafana.net") ? OtlpTemporality::Cumulative
                                                                 : OtlpTemporality::Delta;
}

std::string showHeaders(const std::vector<OtlpHeader>& headers) {
  std::string out;
  for (const auto& header : headers) {
    if (!out.empty()) out.push_back(',');
    out += header.name + "=***";
  }
  return out;
}

}  // namespace dynostatsd::config
