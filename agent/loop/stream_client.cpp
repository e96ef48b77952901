#include "loop/stream_client.h"

#include <cstring>
#include <utility>

#include "loop/tls_api.h"
#include "loop/uv_check.h"

namespace dynostatsd {

struct StreamClient::Block {
  enum class State : std::uint8_t { Resolving, Connecting, Handshaking, Open, Closed };

  uv_loop_t* loop = nullptr;
  StreamClient* owner = nullptr;  // cleared by close(); told when the Block goes away
  std::string host;
  int port = 0;
  bool tls = false;
  StreamClientCallbacks callbacks;
  State state = State::Resolving;
  bool detached = false;  // the owner called close(): no more callbacks
  int outstanding = 0;    // initialised handles not yet closed + requests not yet completed
  bool tcpInit = false;
  bool timerInit = false;
  bool finishing = false;  // finish() called: shut down once the writes drained
  std::size_t inFlight = 0;
  std::function<void()> finishDone;
  uv_getaddrinfo_t resolver{};
  uv_tcp_t tcp{};
  uv_timer_t timer{};
  uv_connect_t connectReq{};
  uv_shutdown_t shutdownReq{};
  const TlsApi* api = nullptr;
  SSL* ssl = nullptr;
  BIO* rbio = nullptr;  // ciphertext from the peer -> OpenSSL
  BIO* wbio = nullptr;  // OpenSSL -> ciphertext for the peer
  char readBuffer[16384];

  void release() {
    if (--outstanding > 0) return;
    if (ssl != nullptr) api->sslFree(ssl);  // frees both BIOs
    if (owner != nullptr) owner->block_ = nullptr;
    delete this;
  }

  void fail(StreamCause cause, const std::string& reason) {
    if (state == State::Closed) return;
    state = State::Closed;
    closeHandles();
    if (!detached && callbacks.onClosed) callbacks.onClosed(cause, reason);  // may destroy the owner
  }

  // False once the owner closed the client or the connection ended (from inside a callback).
  bool live() const { return !detached && state != State::Closed; }

  void deliver(const char* data, std::size_t size) {
    if (!detached && callbacks.onData) callbacks.onData(std::string_view(data, size));
  }

  void closeHandles() {
    uv_cancel(reinterpret_cast<uv_req_t*>(&resolver));  // fails harmlessly unless still queued
    if (timerInit && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&timer),
               [](uv_handle_t* h) { static_cast<Block*>(h->data)->release(); });
    }
    if (tcpInit && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp),
               [](uv_handle_t* h) { static_cast<Block*>(h->data)->release(); });
    }
  }

  void opened() {
    state = State::Open;
    if (timerInit) uv_timer_stop(&timer);
    if (!detached && callbacks.onOpen) callbacks.onOpen();
  }

  struct WriteRequest {
    uv_write_t req;
    std::string data;
    Block* block;
  };

  bool queueWrite(std::string data) {
    auto* request = new WriteRequest{{}, std::move(data), this};
    uv_buf_t buf = uv_buf_init(request->data.data(), static_cast<unsigned>(request->data.size()));
    request->req.data = request;
    int rc = uv_write(&request->req, reinterpret_cast<uv_stream_t*>(&tcp), &buf, 1,
                      [](uv_write_t* req, int status) {
                        auto* r = static_cast<WriteRequest*>(req->data);
                        Block* b = r->block;
                        b->inFlight -= r->data.size();
                        delete r;
                        if (status < 0) {
                          b->fail(StreamCause::Network, std::string("write: ") + uv_strerror(status));
                        } else if (b->inFlight == 0 && b->state == State::Open) {
                          if (b->finishing) {
                            b->shutdown();
                          } else if (!b->detached && b->callbacks.onDrained) {
                            b->callbacks.onDrained();
                          }
                        }
                        b->release();
                      });
    if (rc != 0) {
      delete request;
      fail(StreamCause::Network, std::string("write: ") + uv_strerror(rc));
      return false;
    }
    inFlight += request->data.size();
    ++outstanding;
    return true;
  }

  // Sends whatever OpenSSL produced (handshake records, application data, close_notify).
  bool flushTls() {
    while (api->bioCtrl(wbio, BIO_CTRL_PENDING, 0, nullptr) > 0) {
      std::string chunk(16384, '\0');
      const int n = api->bioRead(wbio, chunk.data(), static_cast<int>(chunk.size()));
      if (n <= 0) break;
      chunk.resize(static_cast<std::size_t>(n));
      if (!queueWrite(std::move(chunk))) return false;
    }
    return true;
  }

  std::string tlsError() {
    const long verify = api->getVerifyResult(ssl);
    if (verify != X509_V_OK) return std::string("tls: certificate: ") + api->verifyErrorString(verify);
    const unsigned long code = api->errGetError();
    if (code == 0) return "tls: handshake failed";
    char text[256];
    api->errErrorStringN(code, text, sizeof text);
    return std::string("tls: ") + text;
  }

  void handshake() {
    api->errClearError();
    const int rc = api->doHandshake(ssl);
    if (!flushTls()) return;
    if (rc == 1) return opened();
    const int error = api->getError(ssl, rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
    fail(StreamCause::Tls, tlsError());
  }

  void startTls() {
    api = loadTls();
    SSL_CTX* context = tlsClientContext();
    if (api == nullptr || context == nullptr) return fail(StreamCause::Tls, "tls: " + tlsLoadError());
    ssl = api->sslNew(context);
    rbio = api->bioNew(api->bioSMem());
    wbio = api->bioNew(api->bioSMem());
    api->setBio(ssl, rbio, wbio);
    api->setConnectState(ssl);
    if (!tlsExpectPeer(*api, ssl, host))
      return fail(StreamCause::Tls, "tls: cannot set the expected host name");
    state = State::Handshaking;
    handshake();
  }

  void onRead(ssize_t nread) {
    if (nread == 0) return;
    if (nread < 0)
      return fail(
          nread == UV_EOF ? StreamCause::PeerClosed : StreamCause::Network,
          nread == UV_EOF ? "closed_by_peer" : std::string("read: ") + uv_strerror(static_cast<int>(nread)));
    if (!tls) return deliver(readBuffer, static_cast<std::size_t>(nread));
    api->bioWrite(rbio, readBuffer, static_cast<int>(nread));
    if (state == State::Handshaking) {
      handshake();
      if (!live() || state != State::Open) return;  // records after the handshake's are read below
    }
    char plain[16384];
    for (;;) {
      const int n = api->read(ssl, plain, sizeof plain);
      if (n > 0) {
        deliver(plain, static_cast<std::size_t>(n));
        if (!live()) return;
        continue;
      }
      const int error = api->getError(ssl, n);
      if (error == SSL_ERROR_ZERO_RETURN) return fail(StreamCause::PeerClosed, "closed_by_peer");
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE)
        return fail(StreamCause::Tls, tlsError());
      break;
    }
    flushTls();
  }

  void shutdown() {
    shutdownReq.data = this;
    if (uv_shutdown(&shutdownReq, reinterpret_cast<uv_stream_t*>(&tcp), [](uv_shutdown_t* req, int) {
          Block* b = static_cast<Block*>(req->data);
          auto done = std::move(b->finishDone);
          b->detached = true;  // a clean end, not a failure to report
          b->fail(StreamCause::PeerClosed, "finished");
          if (done) done();
          b->release();
        }) == 0) {
      ++outstanding;
      return;
    }
    auto done = std::move(finishDone);
    detached = true;
    fail(StreamCause::PeerClosed, "finished");
    if (done) done();
  }
};

StreamClient::StreamClient(uv_loop_t* loop, std::string host, int port, bool tls,
                           std::uint64_t connectTimeoutMillis, StreamClientCallbacks callbacks)
    : block_(new Block) {
  Block* b = block_;
  b->owner = this;
  b->loop = loop;
  b->host = std::move(host);
  b->port = port;
  b->tls = tls;
  b->callbacks = std::move(callbacks);
  b->timer.data = b;
  b->tcp.data = b;
  b->resolver.data = b;
  b->connectReq.data = b;
  // Without its timer the attempt has no deadline, but it still ends on any error or close().
  b->timerInit = uvOk(uv_timer_init(loop, &b->timer), "uv_timer_init");
  if (b->timerInit) {
    ++b->outstanding;
    uvOk(uv_timer_start(
             &b->timer,
             [](uv_timer_t* t) {
               static_cast<Block*>(t->data)->fail(StreamCause::ConnectTimeout, "connect_timeout");
             },
             connectTimeoutMillis, 0),
         "uv_timer_start");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const std::string service = std::to_string(port);
  int rc = uv_getaddrinfo(
      loop, &b->resolver,
      [](uv_getaddrinfo_t* req, int status, addrinfo* result) {
        Block* b = static_cast<Block*>(req->data);
        if (b->state == Block::State::Closed) {
          uv_freeaddrinfo(result);
          return b->release();
        }
        if (status < 0) {
          b->fail(StreamCause::Resolve, "resolve " + b->host + ": " + uv_strerror(status));
          return b->release();
        }
        // IPv4 first (localhost often resolves to ::1 first while carbon listens on 0.0.0.0).
        addrinfo* pick = result;
        for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
          if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
          }
        }
        if (!uvOk(uv_tcp_init(b->loop, &b->tcp), "uv_tcp_init")) {
          uv_freeaddrinfo(result);
          b->fail(StreamCause::Network, "tcp: cannot create a socket");
          return b->release();
        }
        b->tcpInit = true;
        ++b->outstanding;
        b->state = Block::State::Connecting;
        int rc = uv_tcp_connect(&b->connectReq, &b->tcp, pick->ai_addr, [](uv_connect_t* req, int status) {
          Block* b = static_cast<Block*>(req->data);
          if (b->state != Block::State::Closed) {
            if (status < 0) {
              b->fail(StreamCause::Connect, std::string("connect: ") + uv_strerror(status));
            } else {
              uv_tcp_nodelay(&b->tcp, 1);
              const int reading = uv_read_start(
                  reinterpret_cast<uv_stream_t*>(&b->tcp),
                  [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
                    Block* b = static_cast<Block*>(h->data);
                    *buf = uv_buf_init(b->readBuffer, sizeof b->readBuffer);
                  },
                  [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
                    static_cast<Block*>(s->data)->onRead(nread);
                  });
              if (!uvOk(reading, "uv_read_start")) {
                b->fail(StreamCause::Network, "read: cannot start");
              } else if (b->tls) {
                b->startTls();
              } else {
                b->opened();
              }
            }
          }
          b->release();
        });
        uv_freeaddrinfo(result);
        if (rc == 0) {
          ++b->outstanding;
        } else {
          b->fail(StreamCause::Connect, std::string("connect: ") + uv_strerror(rc));
        }
        b->release();
      },
      b->host.c_str(), service.c_str(), &hints);
  if (rc == 0) {
    ++b->outstanding;
  } else if (b->timerInit) {
    // Reported from the loop, as every other failure, never from inside the constructor.
    uv_timer_start(
        &b->timer,
        [](uv_timer_t* t) {
          static_cast<Block*>(t->data)->fail(StreamCause::Resolve, "resolve: cannot start");
        },
        0, 0);
  }
}

StreamClient::~StreamClient() {
  close();
}

bool StreamClient::open() const {
  return block_ != nullptr && block_->state == Block::State::Open && !block_->finishing;
}

bool StreamClient::write(std::string_view bytes) {
  if (!open()) return false;
  Block* b = block_;
  if (!b->tls) return b->queueWrite(std::string(bytes));
  b->api->errClearError();
  while (!bytes.empty()) {
    const int n =
        b->api->write(b->ssl, bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 20)));
    if (n <= 0) {
      b->fail(StreamCause::Tls, b->tlsError());
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return b->flushTls();
}

std::size_t StreamClient::inFlightBytes() const {
  return block_ == nullptr ? 0 : block_->inFlight;
}

void StreamClient::finish(std::function<void()> done) {
  if (!open()) {
    close();
    if (done) done();
    return;
  }
  Block* b = block_;
  b->finishing = true;
  b->finishDone = std::move(done);
  if (b->tls) {
    b->api->shutdown(b->ssl);  // queues close_notify
    b->flushTls();
  }
  if (b->state == Block::State::Open && b->inFlight == 0) b->shutdown();
}

void StreamClient::close() {
  if (block_ == nullptr) return;
  Block* b = block_;
  block_ = nullptr;
  b->owner = nullptr;
  b->detached = true;
  b->fail(StreamCause::PeerClosed, "closed");
}

}  // namespace dynostatsd
