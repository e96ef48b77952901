#include "forward/http_client_factory.h"

#include <cstdlib>

#include "forward/curl_http_client.h"
#include "forward/native_http_client.h"
#include "loop/tls_api.h"
#include "telemetry/log.h"

namespace dynostatsd::forward {

namespace {

void warnIfCurlResolvesSynchronously() {
  if (curlResolvesAsynchronously()) return;
  log::write(
      log::Level::Warn, "forward",
      "reason=sync_dns msg=\"this libcurl resolves host names synchronously; a slow DNS lookup delays the "
      "event loop\"");
}

// The last row of the rule: NativeHttpClient calls it at its first https:// request when
// libssl.so.3 cannot be loaded.
std::unique_ptr<HttpClient> curlForTls(uv_loop_t* loop) {
  log::write(log::Level::Warn, "forward",
             "http_client=curl reason=libssl_unavailable library=" + std::string(kTlsLibrary) +
                 " error=" + log::quote(tlsLoadError()) + " msg=\"https:// goes through libcurl\"");
  warnIfCurlResolvesSynchronously();
  return std::make_unique<CurlHttpClient>(loop);
}

}  // namespace

HttpClientChoice chooseHttpClient(HttpClientSetting setting,
                                  const std::function<const char*(const char*)>& env) {
  if (setting == HttpClientSetting::Curl) return {HttpClientKind::Curl, "configured", ""};
  for (const char* name : kProxyVariables) {
    const char* value = env(name);
    if (value != nullptr && value[0] != '\0') return {HttpClientKind::Curl, "proxy_variable", name};
  }
  return {HttpClientKind::Native, "", ""};
}

std::unique_ptr<HttpClient> makeHttpClient(uv_loop_t* loop, const ForwardConfig& config) {
  const HttpClientChoice choice =
      chooseHttpClient(config.httpClient, [](const char* name) { return std::getenv(name); });
  static bool logged = false;  // two HTTP sinks make two clients: one line
  const bool log = !logged;
  logged = true;
  if (choice.kind == HttpClientKind::Native) {
    if (log) log::write(log::Level::Info, "forward", "http_client=native");
    return std::make_unique<NativeHttpClient>(loop, [loop] { return curlForTls(loop); });
  }
  if (log) {
    std::string fields = "http_client=curl reason=" + choice.reason;
    if (!choice.variable.empty()) fields += " variable=" + choice.variable;
    log::write(log::Level::Info, "forward", fields);
    warnIfCurlResolvesSynchronously();
  }
  return std::make_unique<CurlHttpClient>(loop);
}

}  // namespace dynostatsd::forward
