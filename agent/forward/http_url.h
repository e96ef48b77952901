#pragma once
// HttpUrl: the parts of an http:// or https:// URL the native HTTP client needs.
//   https://user:pass@[2001:db8::1]:8443/api/v2/series?x=1#frag
//   ^scheme  ^userinfo ^host (no brackets) ^port ^target (path + query; the fragment is dropped)
// Input: the URL text. Output: an HttpUrl, or an error that never repeats the userinfo (it may
// hold a password).
#include <optional>
#include <string>
#include <string_view>

namespace dynostatsd::forward {

struct HttpUrl {
  bool tls = false;        // https
  std::string host;        // a name or an IP literal, without brackets
  int port = 0;            // the URL's, or 443 / 80
  std::string target;      // "/path?query", "/" when the URL has no path
  std::string hostHeader;  // the Host header: host[:port] as the URL spells it (brackets kept)
  std::string userinfo;    // "user:password", percent-decoded; empty when absent
  // "https://host:port": connections to the same origin are interchangeable.
  std::string origin() const;
};

std::optional<HttpUrl> parseHttpUrl(std::string_view url, std::string& error);
bool isHttpsUrl(std::string_view url);  // starts with https:// (in any case)

}  // namespace dynostatsd::forward
