#pragma once
// CurlHttpClient: HttpClient over libcurl's multi interface on the libuv loop (loop/CurlDriver).
// TLS peer and host verification are always on; connections are reused across requests; proxies
// come from the usual environment (https_proxy/HTTPS_PROXY, http_proxy, no_proxy/NO_PROXY), which
// libcurl reads itself.
#include <uv.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "forward/http_client.h"
#include "loop/curl_driver.h"
#include "loop/timer.h"

namespace dynostatsd::forward {

// False when this libcurl resolves names synchronously (no AsynchDNS): then a DNS lookup stalls
// the event loop, so the forwarder warns at start.
bool curlResolvesAsynchronously();

class CurlHttpClient final : public HttpClient {
 public:
  // Loads libcurl on first use (loop/curl_driver.h); when it cannot, logs why once and every
  // request fails with TransportError::Network.
  explicit CurlHttpClient(uv_loop_t* loop);
  // For tests: the CurlDriver seam (api nullptr = libcurl missing, with its load error).
  CurlHttpClient(uv_loop_t* loop, const CurlApi* api, const std::string& loadError);
  ~CurlHttpClient() override;

  void send(const HttpRequest& request, Completion done) override;
  std::size_t inFlight() const override { return transfers_.size() + failed_.size(); }
  void close() override;
  bool closed() const override { return driver_.closed(); }

  struct Transfer;

 private:
  void finish(Transfer* transfer, int result);
  // A request that failed before reaching libcurl: completed from the loop (deferTimer_).
  void fail(std::unique_ptr<Transfer> transfer, std::string errorText);
  void completeFailed();

  CurlDriver driver_;
  std::unordered_map<Transfer*, std::unique_ptr<Transfer>> transfers_;
  std::vector<std::unique_ptr<Transfer>> failed_;
  Timer deferTimer_;
};

}  // namespace dynostatsd::forward
