#pragma once
// HttpClient: the delivery layer's seam to the network. NativeHttpClient (HTTP/1.1 over the loop's
// StreamClient) and CurlHttpClient (libcurl on the libuv loop) are the real ones, picked by
// makeHttpClient (http_client_factory.h); tests inject a fake that answers with chosen statuses.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dynostatsd::forward {

struct HttpRequest {
  std::string method = "POST";  // "GET" or "POST"
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // may hold the API key: never log
  std::string_view body;  // not copied: the caller keeps it alive until the completion ran
  int timeoutSeconds = 20;
};

// Why no HTTP status arrived.
enum class TransportError : std::uint8_t { None, Timeout, Connect, Resolve, Tls, Network };

inline constexpr std::size_t kMaxResponseBody = 1024;
// Response headers kept (the first ones; names lowercased, values cut to kMaxResponseHeaderValue).
inline constexpr std::size_t kMaxResponseHeaders = 32;
inline constexpr std::size_t kMaxResponseHeaderValue = 256;

struct HttpResponse {
  long status = 0;  // 0 when no response arrived (see error)
  TransportError error = TransportError::None;
  std::string errorText;  // the transport's message; never holds request headers
  std::string body;       // the first kMaxResponseBody bytes of the response body
  std::vector<std::pair<std::string, std::string>> headers;  // lowercase names, bounded (above)

  // The value of header `lowercaseName` ("" when absent).
  std::string_view header(std::string_view lowercaseName) const {
    for (const auto& [name, value] : headers) {
      if (name == lowercaseName) return value;
    }
    return {};
  }
};

class HttpClient {
 public:
  using Completion = std::function<void(const HttpResponse&)>;
  virtual ~HttpClient() = default;
  // Starts the request; `done` runs exactly once, later, from the loop (never from inside send()),
  // unless close() came first.
  virtual void send(const HttpRequest& request, Completion done) = 0;
  virtual std::size_t inFlight() const = 0;
  // Aborts every request (no completions) and releases every handle. Idempotent.
  virtual void close() = 0;
  virtual bool closed() const = 0;
};

}  // namespace dynostatsd::forward
