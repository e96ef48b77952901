#include "forward/http_url.h"

#include <arpa/inet.h>

#include <cctype>

namespace dynostatsd::forward {
namespace {

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hexDigit(text[i + 1]) >= 0 && hexDigit(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexDigit(text[i + 1]) * 16 + hexDigit(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// A registered name: letters, digits, '-', '.', '_' (what DNS and /etc/hosts hold).
bool validHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') return false;
  }
  return true;
}

// Any byte a request line must not carry: blanks, controls, DEL and non-ASCII.
bool validTarget(std::string_view target) {
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

}  // namespace

bool isHttpsUrl(std::string_view url) {
  return startsWithNoCase(url, "https://");
}

std::string HttpUrl::origin() const {
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

std::optional<HttpUrl> parseHttpUrl(std::string_view url, std::string& error) {
  HttpUrl out;
  if (startsWithNoCase(url, "https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (startsWithNoCase(url, "http://")) {
    url.remove_prefix(7);
  } else {
    error = "unsupported URL: only http:// and https:// are supported";
    return std::nullopt;
  }
  const std::size_t authorityEnd = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, authorityEnd);
  std::string_view rest =
      authorityEnd == std::string_view::npos ? std::string_view() : url.substr(authorityEnd);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    out.userinfo = percentDecode(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "bad URL: unterminated [IPv6 literal]";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      error = "bad URL: unexpected text after the [IPv6 literal]";
      return std::nullopt;
    }
    if (!after.empty()) port = after.substr(1);
    unsigned char address[16];
    if (::inet_pton(AF_INET6, std::string(host).c_str(), address) != 1) {
      error = "bad URL: not an IPv6 address in brackets";
      return std::nullopt;
    }
  } else {
    if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (!validHostName(host)) {
      error = "bad URL: the host must be a name, an IPv4 address or a [IPv6 literal]";
      return std::nullopt;
    }
  }
  out.host = std::string(host);
  if (port.empty()) {
    out.port = out.tls ? 443 : 80;
  } else {
    int value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) {
        value = -1;
        break;
      }
      value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 65535) {
      error = "bad URL: the port must be a number from 1 to 65535";
      return std::nullopt;
    }
    out.port = value;
  }
  out.hostHeader = std::string(authority);
  rest = rest.substr(0, rest.find('#'));
  out.target = rest.empty() || rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
  if (!validTarget(out.target)) {
    error = "bad URL: the path holds a blank, control or non-ASCII character";
    return std::nullopt;
  }
  return out;
}

}  // namespace dynostatsd::forward
