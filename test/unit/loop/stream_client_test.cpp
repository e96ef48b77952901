#include "loop/stream_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loop/event_loop.h"
#include "loop/timer.h"

using namespace dynostatsd;

namespace {

// A listening TCP socket on loopback; accept() and read without blocking.
struct Peer {
  int fd = -1, conn = -1, port = 0;
  std::string received;
  bool eof = false;
  Peer() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Peer() {
    if (conn >= 0) ::close(conn);
    if (fd >= 0) ::close(fd);
  }
  void poll() {
    if (conn < 0) conn = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK);
    char buf[4096];
    for (ssize_t n; conn >= 0 && (n = ::recv(conn, buf, sizeof buf, 0)) >= 0;) {
      if (n == 0) {
        eof = true;
        return;
      }
      received.append(buf, static_cast<std::size_t>(n));
    }
  }
};

bool runUntil(EventLoop& loop, const std::function<bool()>& done, std::uint64_t timeoutMillis = 5000) {
  Timer tick(loop.get(), [] {});
  tick.start(5, 5);
  const std::uint64_t deadline = uv_hrtime() + timeoutMillis * 1'000'000;
  bool ok = false;
  while (!ok && uv_hrtime() < deadline) {
    uv_run(loop.get(), UV_RUN_ONCE);
    ok = done();
  }
  tick.close();
  return ok;
}

}  // namespace

TEST_CASE("StreamClient connects, writes, and finishes with a FIN after every byte") {
  EventLoop loop;
  Peer peer;
  bool opened = false, finished = false;
  std::string closedReason;
  StreamClient client(
      loop.get(), "127.0.0.1", peer.port, false, 5000,
      {[&] { opened = true; }, [&](StreamCause, const std::string& r) { closedReason = r; }, [] {}});
  CHECK_FALSE(client.write("early"));  // not open yet: nothing queued
  REQUIRE(runUntil(loop, [&] { return opened; }));
  CHECK(client.write("a.b 1 1700000000\n"));
  CHECK(client.write("c.d 2 1700000000\n"));
  client.finish([&] { finished = true; });
  REQUIRE(runUntil(loop, [&] {
    peer.poll();
    return finished && peer.eof;
  }));
  CHECK(peer.received == "a.b 1 1700000000\nc.d 2 1700000000\n");
  CHECK(closedReason.empty());  // a clean finish is not a failure
  CHECK(loop.close() == 0);
}

TEST_CASE("StreamClient reports a refused connection and the peer closing, once each") {
  EventLoop loop;
  int port;
  {
    Peer gone;
    port = gone.port;
  }
  int closes = 0;
  std::string reason;
  StreamClient refused(loop.get(), "127.0.0.1", port, false, 5000,
                       {[] {}, [&](StreamCause, const std::string& r) { ++closes, reason = r; }, [] {}});
  REQUIRE(runUntil(loop, [&] { return closes > 0; }));
  CHECK(reason == "connect: connection refused");
  CHECK_FALSE(refused.open());

  Peer peer;
  bool opened = false;
  closes = 0;
  StreamClient dropped(
      loop.get(), "localhost", peer.port, false, 5000,
      {[&] { opened = true; }, [&](StreamCause, const std::string& r) { ++closes, reason = r; }, [] {}});
  REQUIRE(runUntil(loop, [&] {
    peer.poll();
    return opened && peer.conn >= 0;
  }));
  ::close(peer.conn);
  peer.conn = -1;
  REQUIRE(runUntil(loop, [&] { return closes > 0; }));
  CHECK(reason == "closed_by_peer");
  runUntil(
      loop, [] { return false; }, 300);  // nothing more arrives
  CHECK(closes == 1);
  CHECK(loop.close() == 0);
}

TEST_CASE("StreamClient closed while resolving or connecting calls nothing and frees everything") {
  EventLoop loop;
  Peer peer;
  int calls = 0;
  {
    StreamClient client(
        loop.get(), "127.0.0.1", peer.port, false, 5000,
        {[&] { ++calls; }, [&](StreamCause, const std::string&) { ++calls; }, [&] { ++calls; }});
    client.close();
    client.close();  // idempotent
  }
  auto destroyed = std::make_unique<StreamClient>(loop.get(), "localhost", peer.port, true, 5000,
                                                  StreamClientCallbacks{[&] { ++calls; }, {}, {}});
  destroyed.reset();  // the owner goes away mid-attempt
  runUntil(
      loop, [] { return false; }, 300);
  CHECK(calls == 0);
  CHECK(loop.close() == 0);
}

TEST_CASE("StreamClient hands what the peer sends to onData and says why it closed") {
  EventLoop loop;
  Peer peer;
  bool opened = false;
  std::string data;
  std::vector<StreamCause> causes;
  StreamClientCallbacks callbacks;
  callbacks.onOpen = [&] { opened = true; };
  callbacks.onClosed = [&](StreamCause cause, const std::string&) { causes.push_back(cause); };
  callbacks.onData = [&](std::string_view bytes) { data.append(bytes); };
  StreamClient client(loop.get(), "127.0.0.1", peer.port, false, 5000, callbacks);
  REQUIRE(runUntil(loop, [&] {
    peer.poll();
    return opened && peer.conn >= 0;
  }));
  REQUIRE(::send(peer.conn, "HTTP/1.1 202 X\r\n", 16, 0) == 16);
  REQUIRE(runUntil(loop, [&] { return data.size() == 16; }));
  CHECK(data == "HTTP/1.1 202 X\r\n");
  ::close(peer.conn);
  peer.conn = -1;
  REQUIRE(runUntil(loop, [&] { return !causes.empty(); }));
  CHECK(causes == std::vector<StreamCause>{StreamCause::PeerClosed});

  int port;
  {
    Peer gone;
    port = gone.port;
  }
  causes.clear();
  StreamClient refused(loop.get(), "127.0.0.1", port, false, 5000, callbacks);
  REQUIRE(runUntil(loop, [&] { return !causes.empty(); }));
  CHECK(causes == std::vector<StreamCause>{StreamCause::Connect});
  causes.clear();
  StreamClient unknown(loop.get(), "no-such-host.invalid", port, false, 5000, callbacks);
  REQUIRE(runUntil(loop, [&] { return !causes.empty(); }));
  CHECK(causes == std::vector<StreamCause>{StreamCause::Resolve});
  CHECK(loop.close() == 0);
}
