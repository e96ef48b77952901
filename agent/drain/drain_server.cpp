#include "drain/drain_server.h"

#include <algorithm>
#include <optional>

namespace dynostatsd::drain {
namespace {

constexpr std::string_view kLogsPrefix = "/logs/";
constexpr std::size_t kMaxAppName = 100;
constexpr std::size_t kMaxFrameId = 128;
constexpr std::uint64_t kSweepMillis = 1000;

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

// /logs/<app>[?query]: a Heroku app name is lower-case letters, digits and dashes.
bool appFromTarget(std::string_view target, std::string_view& app) {
  target = target.substr(0, target.find_first_of("?#"));
  if (!target.starts_with(kLogsPrefix)) return false;
  app = target.substr(kLogsPrefix.size());
  if (app.empty() || app.size() > kMaxAppName) return false;
  return std::all_of(app.begin(), app.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool isLogplexContentType(const std::string_view* value) {
  if (value == nullptr) return false;
  std::string_view type = value->substr(0, value->find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  if (type.size() != 21) return false;
  for (std::size_t i = 0; i < type.size(); ++i) {
    char c = type[i] >= 'A' && type[i] <= 'Z' ? static_cast<char>(type[i] - 'A' + 'a') : type[i];
    if (c != "application/logplex-1"[i]) return false;
  }
  return true;
}

bool parseCount(const std::string_view* value, std::uint64_t& out) {
  if (value == nullptr || value->empty() || value->size() > 9) return false;
  out = 0;
  for (char c : *value) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

bool validFrameId(const std::string_view* value) {
  return value != nullptr && !value->empty() && value->size() <= kMaxFrameId;
}

}  // namespace

DrainServer::DrainServer(uv_loop_t* loop, const DrainCredentials& credentials, BatchIngestor& ingestor,
                         const Clock& clock, DrainServerOptions options)
    : loop_(loop),
      credentials_(credentials),
      ingestor_(ingestor),
      clock_(clock),
      options_(options),
      frameIds_(options.dedupeCapacity, options.dedupeWindowMillis) {}

DrainServer::~DrainServer() {
  close();
}

bool DrainServer::listen(const std::string& host, int port, std::string& error) {
  TcpServerOptions tcp;
  tcp.maxConnections = options_.maxConnections;
  server_ = TcpServer::open(loop_, host, port, tcp, *this, error);
  if (!server_) return false;
  sweep_ = std::make_unique<Timer>(loop_, [this] { onSweep(); });
  sweep_->start(kSweepMillis, kSweepMillis);
  return true;
}

void DrainServer::stopAccepting() {
  draining_ = true;
  if (!server_) return;
  server_->stopAccepting();
  std::vector<ConnectionId> idle;
  for (const auto& [id, connection] : connections_) {
    if (!connection->started && !connection->closing) idle.push_back(id);
  }
  for (ConnectionId id : idle) {
    connections_[id]->closing = true;
    server_->closeAfterWrite(id);
  }
}

std::size_t DrainServer::requestsUnderWay() const {
  std::size_t count = 0;
  for (const auto& [id, connection] : connections_)
    count += connection->started && !connection->closing ? 1 : 0;
  return count;
}

void DrainServer::close() {
  if (sweep_) sweep_->close();
  if (server_) server_->close();
  connections_.clear();
  inFlight_ = 0;
  inFlightBytes_ = 0;
}

void DrainServer::onAccepted(ConnectionId id) {
  auto connection = std::make_unique<Connection>(options_.http);
  connection->deadlineMillis = static_cast<std::int64_t>(uv_now(loop_)) + options_.idleTimeoutMillis;
  connections_[id] = std::move(connection);
}

void DrainServer::onClosed(ConnectionId id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  release(*it->second);
  connections_.erase(it);
}

void DrainServer::onData(ConnectionId id, std::string_view bytes) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  while (!bytes.empty() && !connection.closing) {
    if (!connection.started) {
      connection.started = true;
      connection.deadlineMillis = static_cast<std::int64_t>(uv_now(loop_)) + options_.requestTimeoutMillis;
    }
    const std::size_t used = connection.parser.feed(bytes);
    bytes.remove_prefix(used);
    HttpRequestParser& parser = connection.parser;
    if (parser.state() == HttpRequestParser::State::Error) {
      respond(id, connection, parser.errorStatus());
      return;
    }
    if (parser.headComplete() && !connection.headChecked) {
      connection.headChecked = true;
      if (!checkHead(id, connection)) return;
    }
    if (parser.state() == HttpRequestParser::State::Complete) {
      complete(id, connection);
      continue;
    }
    if (used == 0) break;
  }
}

bool DrainServer::checkHead(ConnectionId id, Connection& connection) {
  const HttpRequestParser& parser = connection.parser;
  std::string_view app;
  if (!appFromTarget(parser.target(), app)) {
    respond(id, connection, 404);
    return false;
  }
  if (parser.method() != "POST") {
    respond(id, connection, 405, "Allow: POST\r\n");
    return false;
  }
  if (!credentials_.authorize(app, parser.header("Authorization"))) {
    if (refusedLog_.allow(clock_.nowMillis())) {
      log::write(log::Level::Warn, "drain", "msg=\"unauthorized request\" app=" + log::quote(app));
    }
    respond(id, connection, 401, "WWW-Authenticate: Basic realm=\"dynostatsd\"\r\n");
    return false;
  }
  if (!isLogplexContentType(parser.header("Content-Type"))) {
    respond(id, connection, 415);
    return false;
  }
  const std::size_t reserve = parser.contentLength() >= 0 ? static_cast<std::size_t>(parser.contentLength())
                                                          : options_.http.maxBodyBytes;
  if (inFlight_ >= options_.maxInFlight || inFlightBytes_ + reserve > options_.maxInFlightBytes) {
    respond(id, connection, 503, "Retry-After: " + std::to_string(options_.retryAfterSeconds) + "\r\n");
    return false;
  }
  ++inFlight_;
  inFlightBytes_ += reserve;
  connection.reserved = reserve;
  connection.counted = true;
  connection.app.assign(app);
  connection.parser.reserveBody();
  if (parser.expectContinue() && parser.state() != HttpRequestParser::State::Complete) {
    server_->write(id, "HTTP/1.1 100 Continue\r\n\r\n");
  }
  return true;
}

void DrainServer::release(Connection& connection) {
  if (!connection.counted) return;
  connection.counted = false;
  --inFlight_;
  inFlightBytes_ -= std::min(inFlightBytes_, connection.reserved);
  connection.reserved = 0;
}

void DrainServer::complete(ConnectionId id, Connection& connection) {
  const HttpRequestParser& parser = connection.parser;
  const std::string app = connection.app;
  release(connection);
  const std::int64_t now = clock_.nowMillis();
  const std::string_view* frameId = parser.header("Logplex-Frame-Id");
  const bool hasFrameId = validFrameId(frameId);
  if (hasFrameId && frameIds_.contains(app, *frameId, now)) {
    ++duplicates_;
  } else {
    std::uint64_t count = 0;
    std::optional<std::uint64_t> msgCount;
    if (parseCount(parser.header("Logplex-Msg-Count"), count)) msgCount = count;
    ingestor_.ingest(app, parser.body(), msgCount);
    if (hasFrameId) frameIds_.remember(app, *frameId, now);
  }
  respond(id, connection, 204);
  if (connection.closing) return;
  connection.parser.reset();
  connection.headChecked = false;
  connection.started = false;
  connection.deadlineMillis = static_cast<std::int64_t>(uv_now(loop_)) + options_.idleTimeoutMillis;
}

void DrainServer::respond(ConnectionId id, Connection& connection, int status,
                          std::string_view extraHeaders) {
  ++answers_[status];
  const bool ok = status >= 200 && status < 300;
  const bool close = !ok || draining_ || !connection.parser.keepAlive();
  std::string response =
      "HTTP/1.1 " + std::to_string(status) + " " + std::string(reasonPhrase(status)) + "\r\n";
  response += extraHeaders;
  std::string body;
  if (status != 204) {
    body = std::string(reasonPhrase(status)) + "\n";
    response += "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  if (close) response += "Connection: close\r\n";
  response += "\r\n";
  response += body;
  server_->write(id, response);
  if (close) {
    connection.closing = true;
    release(connection);
    server_->closeAfterWrite(id);
  }
}

void DrainServer::onSweep() {
  const auto now = static_cast<std::int64_t>(uv_now(loop_));
  std::vector<ConnectionId> expired;
  for (const auto& [id, connection] : connections_) {
    if (!connection->closing && now >= connection->deadlineMillis) expired.push_back(id);
  }
  for (ConnectionId id : expired) {
    // No answer: a 408 would make Logplex drop the batch; a closed connection is retried.
    Connection& connection = *connections_[id];
    if (connection.started) ++timeouts_;
    connection.closing = true;
    release(connection);
    server_->closeAfterWrite(id);
  }
}

std::uint64_t DrainServer::answered(int status) const {
  auto it = answers_.find(status);
  return it == answers_.end() ? 0 : it->second;
}

void DrainServer::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  for (const auto& [status, count] : answers_) {
    out.push_back({"drain.requests", {"status:" + std::to_string(status)}, static_cast<double>(count), true});
  }
  out.push_back({"drain.duplicates", {}, static_cast<double>(duplicates_), true});
  out.push_back({"drain.timeouts", {}, static_cast<double>(timeouts_), true});
  out.push_back({"drain.connections", {}, static_cast<double>(connections_.size()), false});
  if (server_) {
    out.push_back({"drain.connections.rejected", {}, static_cast<double>(server_->stats().rejected), true});
  }
}

}  // namespace dynostatsd::drain
