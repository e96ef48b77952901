#pragma once
// NativeHttpClient: HttpClient over loop/StreamClient (libuv TCP, OpenSSL from loop/tls_api.h),
// HTTP/1.1 without libcurl and its ~20 libraries. One request per connection at a time (no
// pipelining); connections are kept alive and reused, at most kMaxIdlePerOrigin idle ones per
// (scheme, host, port), each closed after kIdleMillis unused.
// Input: HttpRequests (http:// or https:// URLs; the body is written from the caller's buffer).
// Output: one HttpResponse per request, from the loop (HttpResponseParser bounds it).
// A request
//   - times out after HttpRequest::timeoutSeconds in all (TransportError::Timeout), the
//     connection attempt after at most kConnectTimeoutMillis;
//   - sent on a reused connection that the server closed before any response byte is sent once
//     more on a new connection (the server may close an idle connection just as it is reused);
//     every other failure is the caller's to retry (forward/delivery.h).
// Error texts name the host and what failed, never a header value (they hold API keys).
// libssl is loaded at the first https:// request; when it cannot be, that request and every
// later https:// one go to the client `tlsFallback` makes (libcurl: http_client_factory.h).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "forward/http_client.h"
#include "loop/stream_client.h"
#include "loop/timer.h"

namespace dynostatsd::forward {

inline constexpr std::size_t kMaxIdlePerOrigin = 4;
inline constexpr std::uint64_t kIdleMillis = 50'000;  // below the 60 s most load balancers keep
inline constexpr std::uint64_t kConnectTimeoutMillis = 10'000;

class NativeHttpClient final : public HttpClient {
 public:
  using Fallback = std::function<std::unique_ptr<HttpClient>()>;
  // Without a fallback, https:// requests fail with TransportError::Tls when libssl is missing.
  explicit NativeHttpClient(uv_loop_t* loop, Fallback tlsFallback = {});
  ~NativeHttpClient() override;
  NativeHttpClient(const NativeHttpClient&) = delete;
  NativeHttpClient& operator=(const NativeHttpClient&) = delete;

  void send(const HttpRequest& request, Completion done) override;
  std::size_t inFlight() const override {
    return exchanges_.size() + (fallbackClient_ ? fallbackClient_->inFlight() : 0);
  }
  void close() override;
  bool closed() const override { return closed_; }

  std::size_t idleConnectionsForTest() const;
  std::size_t connectionsOpenedForTest() const { return connectionsOpened_; }

  struct Exchange;
  struct Connection;

 private:
  void start(Exchange* exchange, bool fresh);
  void writeRequest(Exchange* exchange);
  void onOpen(Connection* connection);
  void onData(Connection* connection, std::string_view bytes);
  void onClosed(Connection* connection, StreamCause cause, const std::string& reason);
  void onTimeout(Exchange* exchange);
  void finish(Exchange* exchange, TransportError error, std::string errorText);
  void release(Connection* connection, bool reusable);
  void drop(Connection* connection);
  void sweepIdle();
  void completeFinished();

  uv_loop_t* loop_;
  Fallback tlsFallback_;                        // called once, at the first https:// request
  std::unique_ptr<HttpClient> fallbackClient_;  // set when libssl could not be loaded
  std::unordered_map<Exchange*, std::unique_ptr<Exchange>> exchanges_;  // sent, not yet completed
  std::vector<std::unique_ptr<Connection>> connections_;                // busy and idle
  std::vector<Exchange*> finished_;                                     // to complete from the loop
  Timer completeTimer_;
  Timer idleTimer_;
  std::size_t connectionsOpened_ = 0;
  bool closed_ = false;
};

}  // namespace dynostatsd::forward
