#pragma once
// DrainServer: the HTTP side of drain mode — Logplex POSTs batches to /logs/<source app>.
// Input: connections from a TcpServer (loop/), parsed by HttpRequestParser. Output: each
// accepted batch handed to the BatchIngestor (and so to the aggregator) before its 204 is
// written: a 2xx is only ever sent for a batch whose samples are already aggregated.
//
// Per request, in order (Logplex drops a batch for good on any 4xx but 429, and retries 5xx,
// 429 and connection errors — heroku-wave2.md §5.1):
//   | check                                   | answer                                  |
//   |-----------------------------------------|-----------------------------------------|
//   | malformed request / head / body         | 400, 431, 501, 505 (413 over the limit) |
//   | path not /logs/<app>                     | 404                                     |
//   | method not POST                          | 405                                     |
//   | Basic credentials wrong or missing       | 401                                     |
//   | Content-Type not application/logplex-1   | 415                                     |
//   | over the in-flight bound (count, bytes)  | 503 + Retry-After (Logplex retries)     |
//   | Logplex-Frame-Id seen in the window      | 204, not counted again                  |
//   | otherwise                                | parse + derive, then 204                |
// Every non-2xx closes the connection (its body may be unread). Slow clients: a request must
// arrive whole within requestTimeout of its first byte, and an idle keep-alive connection is
// closed after idleTimeout; both are closed without an answer (Logplex retries).
// Shutdown: stopAccepting() closes the listener and idle connections; requests under way finish
// and are answered with Connection: close; close() ends the rest.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "drain/batch_ingestor.h"
#include "drain/credentials.h"
#include "drain/frame_id_cache.h"
#include "drain/http_request_parser.h"
#include "loop/tcp_server.h"
#include "loop/timer.h"
#include "model/clock.h"
#include "model/self_metric.h"
#include "telemetry/log.h"

namespace dynostatsd::drain {

struct DrainServerOptions {
  HttpLimits http;
  std::size_t maxConnections = 256;
  std::size_t maxInFlight = 64;                     // requests whose body is being received
  std::size_t maxInFlightBytes = 16 * 1024 * 1024;  // their declared (or maximal) body bytes
  std::int64_t requestTimeoutMillis = 30000;
  std::int64_t idleTimeoutMillis = 60000;
  int retryAfterSeconds = 1;
  std::int64_t dedupeWindowMillis = 300000;
  std::size_t dedupeCapacity = 32768;
};

class DrainServer final : public TcpConnectionHandler {
 public:
  DrainServer(uv_loop_t* loop, const DrainCredentials& credentials, BatchIngestor& ingestor,
              const Clock& clock, DrainServerOptions options);
  ~DrainServer() override;

  bool listen(const std::string& host, int port, std::string& error);
  int localPort() const { return server_ ? server_->localPort() : 0; }
  // SIGTERM: no new connections; idle ones are closed now, busy ones after their answer.
  void stopAccepting();
  // Requests received in part (their answer not yet written).
  std::size_t requestsUnderWay() const;
  void close();

  void collectSelfMetrics(std::vector<SelfMetric>& out) const;
  std::uint64_t answered(int status) const;

  void onAccepted(ConnectionId id) override;
  void onData(ConnectionId id, std::string_view bytes) override;
  void onClosed(ConnectionId id) override;

 private:
  struct Connection {
    explicit Connection(const HttpLimits& limits) : parser(limits) {}
    HttpRequestParser parser;
    bool headChecked = false;
    bool started = false;      // a byte of the current request arrived
    bool counted = false;      // the request holds an in-flight slot
    std::size_t reserved = 0;  // and these in-flight bytes
    std::int64_t deadlineMillis = 0;
    bool closing = false;
    std::string app;  // of the current request, once its head is checked
  };

  // False when the request was refused (answered and closing).
  bool checkHead(ConnectionId id, Connection& connection);
  void complete(ConnectionId id, Connection& connection);
  void respond(ConnectionId id, Connection& connection, int status, std::string_view extraHeaders = {});
  void release(Connection& connection);
  void onSweep();

  uv_loop_t* loop_;
  const DrainCredentials& credentials_;
  BatchIngestor& ingestor_;
  const Clock& clock_;
  DrainServerOptions options_;
  std::unique_ptr<TcpServer> server_;
  std::unique_ptr<Timer> sweep_;
  std::unordered_map<ConnectionId, std::unique_ptr<Connection>> connections_;
  FrameIdCache frameIds_;
  std::size_t inFlight_ = 0;
  std::size_t inFlightBytes_ = 0;
  bool draining_ = false;
  std::map<int, std::uint64_t> answers_;  // status -> count
  std::uint64_t duplicates_ = 0;
  std::uint64_t timeouts_ = 0;
  log::Throttle refusedLog_;
};

}  // namespace dynostatsd::drain
