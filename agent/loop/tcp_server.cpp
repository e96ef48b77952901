#include "loop/tcp_server.h"

#include <netinet/in.h>

#include <cstring>

#include "loop/uv_check.h"

namespace dynostatsd {

struct TcpServer::Listener {
  uv_tcp_t handle{};
  TcpServer* server = nullptr;  // nullptr once the server let go of it
};

struct TcpServer::Connection {
  uv_tcp_t handle{};
  TcpServer* server = nullptr;  // nullptr once the server closed it (no more handler calls)
  ConnectionId id = 0;
  std::size_t queuedBytes = 0;
  bool closeWhenWritten = false;
  bool closing = false;
  bool reading = false;
};

namespace {

struct WriteRequest {
  uv_write_t request{};
  std::string bytes;
};

void onListenerClosed(uv_handle_t* handle) {
  delete static_cast<TcpServer::Listener*>(handle->data);
}

void onNewConnection(uv_stream_t* stream, int status) {
  auto* listener = static_cast<TcpServer::Listener*>(stream->data);
  if (listener->server != nullptr) listener->server->onConnection(status);
}

void onAlloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* connection = static_cast<TcpServer::Connection*>(handle->data);
  static char spare[1];
  if (connection->server == nullptr) {
    *buf = uv_buf_init(spare, sizeof spare);
    return;
  }
  *buf = uv_buf_init(connection->server->readBuffer(),
                     static_cast<unsigned>(connection->server->readBufferBytes()));
}

void onReadCallback(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  auto* connection = static_cast<TcpServer::Connection*>(stream->data);
  if (connection->server != nullptr) connection->server->onRead(connection, nread);
}

void onWriteCallback(uv_write_t* request, int) {
  auto* write = reinterpret_cast<WriteRequest*>(request);
  auto* connection = static_cast<TcpServer::Connection*>(request->handle->data);
  const std::size_t bytes = write->bytes.size();
  delete write;
  if (connection->server != nullptr) connection->server->onWritten(connection, bytes);
}

void onConnectionHandleClosed(uv_handle_t* handle) {
  auto* connection = static_cast<TcpServer::Connection*>(handle->data);
  if (connection->server != nullptr) connection->server->onConnectionClosed(connection);
  delete connection;
}

void closeHandleOf(TcpServer::Connection* connection) {
  if (connection->closing) return;
  connection->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&connection->handle), &onConnectionHandleClosed);
}

}  // namespace

TcpServer::TcpServer(uv_loop_t* loop, const TcpServerOptions& options, TcpConnectionHandler& handler)
    : loop_(loop), options_(options), handler_(handler), readBuffer_(new char[options.readBufferBytes]) {}

TcpServer::~TcpServer() {
  close();
}

std::unique_ptr<TcpServer> TcpServer::open(uv_loop_t* loop, const std::string& host, int port,
                                           const TcpServerOptions& options, TcpConnectionHandler& handler,
                                           std::string& error) {
  std::unique_ptr<TcpServer> server(new TcpServer(loop, options, handler));
  sockaddr_storage address{};
  int rc = uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&address));
  if (rc != 0) rc = uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&address));
  if (rc != 0) {
    error = "bad address " + host + ": " + uv_strerror(rc);
    return nullptr;
  }
  auto* listener = new Listener;
  if (!uvOk(uv_tcp_init(loop, &listener->handle), "uv_tcp_init")) {
    delete listener;
    error = "cannot create a TCP handle";
    return nullptr;
  }
  listener->handle.data = listener;
  listener->server = server.get();
  server->listener_ = listener;
  rc = uv_tcp_bind(&listener->handle, reinterpret_cast<const sockaddr*>(&address), 0);
  if (rc == 0)
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener->handle), options.backlog, &onNewConnection);
  if (rc != 0) {
    error = "cannot listen on " + host + ":" + std::to_string(port) + ": " + uv_strerror(rc);
    server->close();
    return nullptr;
  }
  sockaddr_storage bound{};
  int length = sizeof bound;
  if (!uvOk(uv_tcp_getsockname(&listener->handle, reinterpret_cast<sockaddr*>(&bound), &length),
            "uv_tcp_getsockname")) {
    error = "cannot read the bound address";
    server->close();
    return nullptr;
  }
  server->localPort_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                                   : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return server;
}

void TcpServer::onConnection(int status) {
  if (status != 0 || listener_ == nullptr) return;
  auto* connection = new Connection;
  if (!uvOk(uv_tcp_init(loop_, &connection->handle), "uv_tcp_init")) {
    delete connection;
    return;
  }
  connection->handle.data = connection;
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener_->handle),
                reinterpret_cast<uv_stream_t*>(&connection->handle)) != 0) {
    closeHandleOf(connection);
    return;
  }
  if (connections_.size() >= options_.maxConnections) {
    // Over the bound: closed at once (Logplex retries a connection error like a 5xx).
    ++stats_.rejected;
    closeHandleOf(connection);
    return;
  }
  ++stats_.accepted;
  connection->server = this;
  connection->id = nextId_++;
  connections_.emplace(connection->id, connection);
  uvOk(uv_tcp_nodelay(&connection->handle, 1), "uv_tcp_nodelay");  // latency only: serve anyway
  handler_.onAccepted(connection->id);
  if (!uvOk(uv_read_start(reinterpret_cast<uv_stream_t*>(&connection->handle), &onAlloc, &onReadCallback),
            "uv_read_start")) {
    closeConnection(connection);
    return;
  }
  connection->reading = true;
}

void TcpServer::onRead(Connection* connection, ssize_t nread) {
  if (nread > 0) {
    stats_.bytesRead += static_cast<std::uint64_t>(nread);
    handler_.onData(connection->id, std::string_view(readBuffer_.get(), static_cast<std::size_t>(nread)));
    return;
  }
  if (nread == 0) return;  // EAGAIN
  if (nread != UV_EOF) ++stats_.readErrors;
  // The peer closed (or failed): answer what was already queued, then close.
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&connection->handle));
  connection->reading = false;
  if (nread == UV_EOF) {
    closeAfterWrite(connection->id);
  } else {
    closeConnection(connection);
  }
}

TcpServer::Connection* TcpServer::find(ConnectionId id) {
  auto it = connections_.find(id);
  return it == connections_.end() || it->second->closing ? nullptr : it->second;
}

bool TcpServer::write(ConnectionId id, std::string_view bytes) {
  Connection* connection = find(id);
  if (connection == nullptr) return false;
  if (connection->queuedBytes + bytes.size() > options_.maxQueuedWriteBytes) {
    closeConnection(connection);
    return false;
  }
  auto* request = new WriteRequest;
  request->bytes.assign(bytes);
  uv_buf_t buf = uv_buf_init(request->bytes.data(), static_cast<unsigned>(request->bytes.size()));
  int rc = uv_write(&request->request, reinterpret_cast<uv_stream_t*>(&connection->handle), &buf, 1,
                    &onWriteCallback);
  if (rc != 0) {
    delete request;
    closeConnection(connection);
    return false;
  }
  connection->queuedBytes += bytes.size();
  return true;
}

void TcpServer::onWritten(Connection* connection, std::size_t bytes) {
  connection->queuedBytes -= bytes;
  if (connection->queuedBytes == 0 && connection->closeWhenWritten) closeConnection(connection);
}

void TcpServer::closeAfterWrite(ConnectionId id) {
  Connection* connection = find(id);
  if (connection == nullptr) return;
  if (connection->queuedBytes == 0) {
    closeConnection(connection);
    return;
  }
  connection->closeWhenWritten = true;
  if (connection->reading) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&connection->handle));
    connection->reading = false;
  }
}

void TcpServer::pauseReading(ConnectionId id) {
  Connection* connection = find(id);
  if (connection == nullptr || !connection->reading) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&connection->handle));
  connection->reading = false;
}

void TcpServer::resumeReading(ConnectionId id) {
  Connection* connection = find(id);
  if (connection == nullptr || connection->reading || connection->closeWhenWritten) return;
  if (!uvOk(uv_read_start(reinterpret_cast<uv_stream_t*>(&connection->handle), &onAlloc, &onReadCallback),
            "uv_read_start")) {
    closeConnection(connection);
    return;
  }
  connection->reading = true;
}

void TcpServer::closeConnection(Connection* connection) {
  closeHandleOf(connection);
}

void TcpServer::onConnectionClosed(Connection* connection) {
  connections_.erase(connection->id);
  handler_.onClosed(connection->id);
}

void TcpServer::stopAccepting() {
  if (listener_ == nullptr) return;
  listener_->server = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_->handle), &onListenerClosed);
  listener_ = nullptr;
}

void TcpServer::close() {
  stopAccepting();
  for (auto& [id, connection] : connections_) {
    connection->server = nullptr;
    closeHandleOf(connection);
  }
  connections_.clear();
}

}  // namespace dynostatsd
