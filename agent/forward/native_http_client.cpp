#include "forward/native_http_client.h"

#include <algorithm>

#include "forward/http_request_head.h"
#include "forward/http_response_parser.h"
#include "forward/http_url.h"
#include "loop/tls_api.h"

namespace dynostatsd::forward {

struct NativeHttpClient::Exchange {
  HttpUrl url;
  std::string head;       // request line and headers
  std::string_view body;  // the caller's, alive until the completion ran
  std::uint64_t timeoutMillis = 0;
  Completion done;
  HttpResponseParser parser;
  HttpResponse response;  // set by finish()
  Connection* connection = nullptr;
  std::unique_ptr<Timer> timer;
  int attempts = 0;
  bool finished = false;
};

struct NativeHttpClient::Connection {
  std::string origin;
  std::unique_ptr<StreamClient> stream;
  Exchange* exchange = nullptr;  // nullptr: idle (or about to be dropped)
  bool open = false;
  bool reused = false;  // has carried a request before the current one
  std::uint64_t idleSinceMillis = 0;
};

namespace {

TransportError transportError(StreamCause cause) {
  switch (cause) {
    case StreamCause::Resolve: return TransportError::Resolve;
    case StreamCause::Connect: return TransportError::Connect;
    case StreamCause::ConnectTimeout: return TransportError::Timeout;
    case StreamCause::Tls: return TransportError::Tls;
    case StreamCause::PeerClosed:
    case StreamCause::Network: return TransportError::Network;
  }
  return TransportError::Network;
}

}  // namespace

NativeHttpClient::NativeHttpClient(uv_loop_t* loop, Fallback tlsFallback)
    : loop_(loop),
      tlsFallback_(std::move(tlsFallback)),
      completeTimer_(loop, [this] { completeFinished(); }),
      idleTimer_(loop, [this] { sweepIdle(); }) {}

NativeHttpClient::~NativeHttpClient() {
  close();
}

void NativeHttpClient::send(const HttpRequest& request, Completion done) {
  if (closed_) return;  // close() came first: no completion, as promised
  if (isHttpsUrl(request.url)) {
    if (tlsFallback_ && loadTls() == nullptr) fallbackClient_ = tlsFallback_();
    tlsFallback_ = nullptr;
    if (fallbackClient_) return fallbackClient_->send(request, std::move(done));
  }
  auto owned = std::make_unique<Exchange>();
  Exchange* exchange = owned.get();
  exchanges_.emplace(exchange, std::move(owned));
  exchange->done = std::move(done);
  exchange->body = request.body;
  exchange->timeoutMillis = static_cast<std::uint64_t>(std::max(1, request.timeoutSeconds)) * 1000;
  std::string error;
  std::optional<HttpUrl> url = parseHttpUrl(request.url, error);
  if (url) {
    exchange->url = std::move(*url);
    exchange->head = requestHead(request, exchange->url, error);
  }
  if (!error.empty()) return finish(exchange, TransportError::Network, error);
  exchange->timer = std::make_unique<Timer>(loop_, [this, exchange] { onTimeout(exchange); });
  exchange->timer->start(exchange->timeoutMillis);
  start(exchange, false);
}

// Puts the exchange on the most recently used idle connection to its origin, else on a new one.
void NativeHttpClient::start(Exchange* exchange, bool fresh) {
  ++exchange->attempts;
  exchange->parser = HttpResponseParser();
  const std::string origin = exchange->url.origin();
  const std::uint64_t now = uv_now(loop_);
  if (!fresh) {
    Connection* idle = nullptr;
    for (const auto& connection : connections_) {
      const bool usable = connection->exchange == nullptr && connection->open &&
                          connection->origin == origin && now - connection->idleSinceMillis < kIdleMillis;
      if (usable && (idle == nullptr || connection->idleSinceMillis >= idle->idleSinceMillis))
        idle = connection.get();
    }
    if (idle != nullptr) {
      idle->exchange = exchange;
      exchange->connection = idle;
      return writeRequest(exchange);
    }
  }
  auto connection = std::make_unique<Connection>();
  Connection* raw = connection.get();
  raw->origin = origin;
  raw->exchange = exchange;
  exchange->connection = raw;
  connections_.push_back(std::move(connection));
  ++connectionsOpened_;
  StreamClientCallbacks callbacks;
  callbacks.onOpen = [this, raw] { onOpen(raw); };
  callbacks.onClosed = [this, raw](StreamCause cause, const std::string& reason) {
    onClosed(raw, cause, reason);
  };
  callbacks.onData = [this, raw](std::string_view bytes) { onData(raw, bytes); };
  raw->stream = std::make_unique<StreamClient>(
      loop_, exchange->url.host, exchange->url.port, exchange->url.tls,
      std::min(kConnectTimeoutMillis, exchange->timeoutMillis), std::move(callbacks));
}

void NativeHttpClient::writeRequest(Exchange* exchange) {
  StreamClient& stream = *exchange->connection->stream;
  // A failed write closes the connection (onClosed ran and may have retried): stop there.
  if (!stream.write(exchange->head)) return;
  if (!exchange->body.empty()) stream.write(exchange->body);
}

void NativeHttpClient::onOpen(Connection* connection) {
  connection->open = true;
  if (connection->exchange != nullptr) writeRequest(connection->exchange);
}

void NativeHttpClient::onData(Connection* connection, std::string_view bytes) {
  Exchange* exchange = connection->exchange;
  if (exchange == nullptr) return drop(connection);  // an idle connection spoke out of turn
  HttpResponseParser& parser = exchange->parser;
  const std::size_t used = parser.feed(bytes);
  if (parser.failed()) {
    drop(connection);
    return finish(exchange, TransportError::Network, exchange->url.host + ": " + parser.error());
  }
  if (!parser.done()) return;
  // Reused only when nothing is left over on either side (an early answer, e.g. a 413, can
  // arrive while the body is still being written).
  release(connection, parser.reusable() && used == bytes.size() && connection->stream->inFlightBytes() == 0);
  finish(exchange, TransportError::None, {});
}

void NativeHttpClient::onClosed(Connection* connection, StreamCause cause, const std::string& reason) {
  Exchange* exchange = connection->exchange;
  const bool reused = connection->reused;
  connection->exchange = nullptr;
  drop(connection);
  if (exchange == nullptr) return;
  exchange->connection = nullptr;
  HttpResponseParser& parser = exchange->parser;
  const bool closedEarly = cause == StreamCause::PeerClosed || cause == StreamCause::Network;
  if (reused && closedEarly && !parser.started() && exchange->attempts == 1) return start(exchange, true);
  if (cause == StreamCause::PeerClosed) {
    parser.endOfStream();
    if (parser.done()) return finish(exchange, TransportError::None, {});
    return finish(exchange, TransportError::Network, exchange->url.host + ": " + parser.error());
  }
  std::string text = reason;
  if (cause == StreamCause::ConnectTimeout)
    text = "connect to " + exchange->url.host + " timed out after " +
           std::to_string(std::min(kConnectTimeoutMillis, exchange->timeoutMillis) / 1000) + "s";
  else if (cause != StreamCause::Resolve)
    text = exchange->url.host + ":" + std::to_string(exchange->url.port) + ": " + reason;
  finish(exchange, transportError(cause), text);
}

void NativeHttpClient::onTimeout(Exchange* exchange) {
  if (Connection* connection = exchange->connection) {
    connection->exchange = nullptr;
    drop(connection);
  }
  exchange->connection = nullptr;
  const char* phase = exchange->parser.started() ? "while reading the response" : "waiting for the response";
  finish(exchange, TransportError::Timeout,
         exchange->url.host + ": no complete response within " +
             std::to_string(exchange->timeoutMillis / 1000) + "s (" + phase + ")");
}

// Completion happens from the loop (completeTimer_), never inside send() or a stream callback.
void NativeHttpClient::finish(Exchange* exchange, TransportError error, std::string errorText) {
  if (exchange->finished) return;
  exchange->finished = true;
  exchange->connection = nullptr;
  if (exchange->timer) exchange->timer->close();
  HttpResponse& response = exchange->response;
  if (error == TransportError::None) {
    response = std::move(exchange->parser.response());
  } else {
    response.status = 0;
    response.error = error;
    response.errorText = std::move(errorText);
  }
  finished_.push_back(exchange);
  completeTimer_.start(0);
}

void NativeHttpClient::completeFinished() {
  std::vector<std::unique_ptr<Exchange>> ready;
  for (Exchange* exchange : finished_) {
    auto it = exchanges_.find(exchange);
    if (it == exchanges_.end()) continue;
    ready.push_back(std::move(it->second));
    exchanges_.erase(it);
  }
  finished_.clear();
  for (auto& exchange : ready) {
    if (closed_) return;  // a completion closed the client: no more completions
    exchange->done(exchange->response);
  }
}

void NativeHttpClient::release(Connection* connection, bool reusable) {
  connection->exchange = nullptr;
  const std::size_t idle = static_cast<std::size_t>(
      std::count_if(connections_.begin(), connections_.end(), [&](const std::unique_ptr<Connection>& other) {
        return other.get() != connection && other->exchange == nullptr && other->origin == connection->origin;
      }));
  if (!reusable || closed_ || idle >= kMaxIdlePerOrigin) return drop(connection);
  connection->reused = true;
  connection->idleSinceMillis = uv_now(loop_);
  idleTimer_.start(kIdleMillis / 10, kIdleMillis / 10);
}

// Closes the connection (no callback runs afterwards) and frees it.
void NativeHttpClient::drop(Connection* connection) {
  auto it = std::find_if(connections_.begin(), connections_.end(),
                         [&](const std::unique_ptr<Connection>& owned) { return owned.get() == connection; });
  if (it == connections_.end()) return;
  std::unique_ptr<Connection> owned = std::move(*it);
  connections_.erase(it);
  if (owned->exchange != nullptr) owned->exchange->connection = nullptr;
  owned->stream->close();
}

void NativeHttpClient::sweepIdle() {
  const std::uint64_t now = uv_now(loop_);
  std::vector<Connection*> expired;
  bool idleLeft = false;
  for (const auto& connection : connections_) {
    if (connection->exchange != nullptr) continue;
    if (now - connection->idleSinceMillis >= kIdleMillis) {
      expired.push_back(connection.get());
    } else {
      idleLeft = true;
    }
  }
  for (Connection* connection : expired) drop(connection);
  if (!idleLeft) idleTimer_.stop();
}

std::size_t NativeHttpClient::idleConnectionsForTest() const {
  return static_cast<std::size_t>(
      std::count_if(connections_.begin(), connections_.end(),
                    [](const auto& connection) { return connection->exchange == nullptr; }));
}

void NativeHttpClient::close() {
  if (closed_) return;
  closed_ = true;
  if (fallbackClient_) fallbackClient_->close();
  for (auto& connection : connections_) connection->stream->close();
  connections_.clear();
  finished_.clear();
  exchanges_.clear();  // their timers close with them
  completeTimer_.close();
  idleTimer_.close();
}

}  // namespace dynostatsd::forward
