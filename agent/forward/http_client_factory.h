#pragma once
// The HttpClient every HTTP sink (Datadog, OTLP) sends with, chosen by one rule:
//   DYNOSTATSD_HTTP_CLIENT  a proxy variable set  libssl.so.3 loads  client
//   curl                    -                     -                  libcurl (CurlHttpClient)
//   native (default)        yes                   -                  libcurl: it reads the proxy variables
//   native                  no                    yes                NativeHttpClient
//   native                  no                    no                 NativeHttpClient for http://, libcurl
//                                                                    for https:// (a libssl1.1-only root)
// libssl is tried at the first https:// request, not before: an agent sending only to http://
// (a local collector) never maps it. Proxy variables: kProxyVariables below, any of them set
// and non-empty (libcurl ignores HTTP_PROXY in upper case; setting it still picks libcurl,
// which then behaves as it always did).
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "forward/http_client.h"

namespace dynostatsd::forward {

inline constexpr const char* kProxyVariables[] = {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY",
                                                  "all_proxy",   "ALL_PROXY",   "no_proxy",   "NO_PROXY"};

enum class HttpClientKind : std::uint8_t { Native, Curl };

struct HttpClientChoice {
  HttpClientKind kind = HttpClientKind::Native;
  std::string reason;    // why libcurl: "configured", "proxy_variable"
  std::string variable;  // the proxy variable's name
};

// The first two columns of the rule above; `env` reads a variable (nullptr when unset).
HttpClientChoice chooseHttpClient(HttpClientSetting setting,
                                  const std::function<const char*(const char*)>& env);

// The client for this process's settings and environment; logs the choice once per process.
std::unique_ptr<HttpClient> makeHttpClient(uv_loop_t* loop, const ForwardConfig& config);

}  // namespace dynostatsd::forward
