#include "forward/http_request_head.h"

#include <algorithm>
#include <cstdint>

namespace dynostatsd::forward {
namespace {

bool isToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool hasControl(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

bool sameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<std::uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<std::uint8_t>(in[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < in.size() ? kAlphabet[n & 63] : '=');
  }
  return out;
}

}  // namespace

std::string requestHead(const HttpRequest& request, const HttpUrl& url, std::string& error) {
  if (!isToken(request.method)) {
    error = "invalid request method";
    return {};
  }
  std::string head = request.method + " " + url.target + " HTTP/1.1\r\nHost: " + url.hostHeader + "\r\n";
  bool authorization = false;
  for (const auto& [name, value] : request.headers) {
    if (!isToken(name) || hasControl(value)) {
      error = isToken(name) ? "request header " + name + " holds a line break or NUL"
                            : std::string("a request header name is not an HTTP token");
      return {};
    }
    if (sameName(name, "Host") || sameName(name, "Content-Length")) continue;  // ours
    authorization = authorization || sameName(name, "Authorization");
    head += name + ": " + value + "\r\n";
  }
  if (!url.userinfo.empty() && !authorization)
    head += "Authorization: Basic " + base64(url.userinfo) + "\r\n";
  if (request.method != "GET" || !request.body.empty())
    head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  head += "\r\n";
  return head;
}

}  // namespace dynostatsd::forward
