#pragma once
// StreamClient: one outgoing TCP connection on the loop, optionally TLS, for line protocols
// (carbon plaintext). One object = one attempt: resolve (uv_getaddrinfo, off the loop thread),
// connect, TLS handshake with certificate and host name verification (tls_api.h), then write.
// The owner reconnects by making a new StreamClient.
//
// States:  Resolving -> Connecting -> Handshaking (TLS only) -> Open -> Closed
//          any state -> Closed on an error, the peer closing, or the connect deadline;
//          onClosed(reason) runs exactly once, unless close() was called first.
// Input: bytes to send (write()), copied into libuv write requests. Output: the callbacks below.
// Reading: what the peer sends (decrypted, with TLS) goes to onData when set, else it is
// discarded; EOF closes (StreamCause::PeerClosed).
// Ownership: the uv handles, requests and OpenSSL objects live in a heap Block freed only when
// the last handle and request callback ran, so the owner may destroy the client at any time.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace dynostatsd {

// Why a connection ended (onClosed), for owners that map it to their own errors.
enum class StreamCause : std::uint8_t { PeerClosed, Resolve, Connect, ConnectTimeout, Tls, Network };

struct StreamClientCallbacks {
  std::function<void()> onOpen;
  std::function<void(StreamCause cause, const std::string& reason)> onClosed;
  std::function<void()> onDrained;  // every byte written so far was handed to the kernel
  // Bytes from the peer (plaintext). It may call close() or destroy the client.
  std::function<void(std::string_view bytes)> onData;
};

class StreamClient {
 public:
  StreamClient(uv_loop_t* loop, std::string host, int port, bool tls, std::uint64_t connectTimeoutMillis,
               StreamClientCallbacks callbacks);
  ~StreamClient();
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  bool open() const;
  // Queues bytes for sending; false (and nothing queued) when the connection is not open.
  bool write(std::string_view bytes);
  // Bytes queued in libuv and not yet written to the socket.
  std::size_t inFlightBytes() const;
  // Sends the TLS close_notify, waits for queued writes, half-closes (FIN); then `done` runs and
  // the client is closed. Runs `done` at once when not open.
  void finish(std::function<void()> done);
  // Closes now, dropping whatever is in flight; no callback runs afterwards. Idempotent.
  void close();

  struct Block;

 private:
  Block* block_;
};

}  // namespace dynostatsd
