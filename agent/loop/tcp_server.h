#pragma once
// TcpServer: a listening TCP socket and its connections, on the libuv loop (drain mode's HTTP
// endpoint; the protocol lives in drain/). Input: connections and their bytes. Output: calls on a
// TcpConnectionHandler — onAccepted, onData (bytes valid only during the call), onClosed — and
// write()/close() on a connection by id. Bounds: at most maxConnections open (one more is
// accepted and closed at once, counted in stats().rejected); one shared read buffer; a
// connection's queued response bytes are capped (over the cap the connection is closed).
// Ownership: every uv handle lives in a heap block freed by its close callback, so closing from
// inside a callback is safe and the handler is never called after close().
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace dynostatsd {

using ConnectionId = std::uint64_t;

class TcpConnectionHandler {
 public:
  virtual ~TcpConnectionHandler() = default;
  virtual void onAccepted(ConnectionId id) = 0;
  virtual void onData(ConnectionId id, std::string_view bytes) = 0;
  // The connection is gone (peer closed, error, or close()); its id is never used again.
  virtual void onClosed(ConnectionId id) = 0;
};

struct TcpServerOptions {
  std::size_t maxConnections = 256;
  std::size_t readBufferBytes = 64 * 1024;
  std::size_t maxQueuedWriteBytes = 64 * 1024;  // per connection
  int backlog = 128;
};

struct TcpServerStats {
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;  // over maxConnections
  std::uint64_t readErrors = 0;
  std::uint64_t bytesRead = 0;
};

class TcpServer {
 public:
  // Binds host:port (port 0 picks a free one; see localPort()). nullptr with `error` on failure.
  static std::unique_ptr<TcpServer> open(uv_loop_t* loop, const std::string& host, int port,
                                         const TcpServerOptions& options, TcpConnectionHandler& handler,
                                         std::string& error);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  int localPort() const { return localPort_; }
  std::size_t connections() const { return connections_.size(); }
  const TcpServerStats& stats() const { return stats_; }

  // Queues bytes (copied) to the connection; false when it is unknown or over its write cap (then
  // it is being closed).
  bool write(ConnectionId id, std::string_view bytes);
  // Closes the connection once its queued bytes are written (immediately when none are).
  void closeAfterWrite(ConnectionId id);
  // Stops calling onData for this connection until resumeReading().
  void pauseReading(ConnectionId id);
  void resumeReading(ConnectionId id);
  // Stops accepting (closes the listening socket); open connections stay.
  void stopAccepting();
  // Closes the listener and every connection now; no handler call follows. Idempotent.
  void close();

  struct Connection;  // public for the libuv callbacks
  struct Listener;
  void onConnection(int status);
  void onRead(Connection* connection, ssize_t nread);
  void onWritten(Connection* connection, std::size_t bytes);
  void onConnectionClosed(Connection* connection);
  char* readBuffer() { return readBuffer_.get(); }
  std::size_t readBufferBytes() const { return options_.readBufferBytes; }

 private:
  TcpServer(uv_loop_t* loop, const TcpServerOptions& options, TcpConnectionHandler& handler);
  Connection* find(ConnectionId id);
  void closeConnection(Connection* connection);

  uv_loop_t* loop_;
  TcpServerOptions options_;
  TcpConnectionHandler& handler_;
  Listener* listener_ = nullptr;
  std::unique_ptr<char[]> readBuffer_;
  std::unordered_map<ConnectionId, Connection*> connections_;
  ConnectionId nextId_ = 1;
  int localPort_ = 0;
  TcpServerStats stats_;
};

}  // namespace dynostatsd
