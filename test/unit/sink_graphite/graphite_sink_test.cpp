#include "sink/graphite/graphite_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <string>

#include "loop/event_loop.h"

using namespace dynostatsd;
using namespace dynostatsd::graphite;

namespace {

// A real carbon-like TCP listener on loopback that records what it receives.
struct Listener {
  int fd = -1;
  int port = 0;
  int conn = -1;
  std::string received;
  bool eof = false;

  explicit Listener(int wantPort = 0) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(wantPort));
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() {
    if (conn >= 0) ::close(conn);
    ::close(fd);
  }
  // Accepts and reads whatever is there now (non-blocking).
  void poll() {
    if (conn < 0) conn = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK);
    if (conn < 0) return;
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(conn, buf, sizeof buf, 0);
      if (n > 0) {
        received.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) eof = true;
      return;
    }
  }
};

// Runs the loop (with a 5 ms ticker so it never sleeps long) until `done` or the timeout.
bool runUntil(EventLoop& loop, const std::function<bool()>& done, int timeoutMillis = 5000) {
  Timer tick(loop.get(), [] {});
  tick.start(5, 5);
  const std::uint64_t deadline = uv_hrtime() + static_cast<std::uint64_t>(timeoutMillis) * 1000000;
  bool ok = false;
  while (uv_hrtime() < deadline) {
    uv_run(loop.get(), UV_RUN_ONCE);
    if (done()) {
      ok = true;
      break;
    }
  }
  tick.close();
  return ok;
}

FlushBatch gauges(int from, int count) {
  FlushBatch batch;
  for (int i = from; i < from + count; ++i) {
    Series s;
    s.name = "g" + std::to_string(i);
    s.kind = MetricKind::Gauge;
    s.points = {{1700000000, static_cast<double>(i)}};
    batch.series.push_back(std::move(s));
  }
  return batch;
}

Config configFor(int port) {
  Config config;
  config.graphite.url = "tcp://127.0.0.1:" + std::to_string(port);
  config.forward.shutdownDeadlineSeconds = 3;
  return config;
}

}  // namespace

TEST_CASE("GraphiteSink writes each flush's lines over one connection and closes it cleanly at drain") {
  EventLoop loop;
  Listener carbon;
  GraphiteSink sink(loop.get(), configFor(carbon.port));
  CHECK(sink.describe() == "tcp://127.0.0.1:" + std::to_string(carbon.port));
  sink.start();
  sink.submit(gauges(0, 2));
  sink.endFlush(1700000010);
  REQUIRE(runUntil(loop, [&] {
    carbon.poll();
    return carbon.received.size() >= 58;
  }));
  CHECK(carbon.received == "stats.gauges.g0 0 1700000000\nstats.gauges.g1 1 1700000000\n");
  sink.submit(gauges(2, 1));
  bool drained = false;
  sink.drain([&] { drained = true; });
  REQUIRE(runUntil(loop, [&] {
    carbon.poll();
    return drained && carbon.eof;
  }));
  CHECK(carbon.received.ends_with("stats.gauges.g2 2 1700000000\n"));
  CHECK(sink.stats().connects == 1);
  sink.close();
  CHECK(loop.close() == 0);
}

TEST_CASE("GraphiteSink keeps what it could not send and delivers it after a reconnect") {
  EventLoop loop;
  int port;
  { port = Listener().port; }  // free now: the first connects are refused
  GraphiteSink sink(loop.get(), configFor(port));
  sink.start();
  REQUIRE(runUntil(loop, [&] { return sink.stats().connectionErrors >= 1; }));
  sink.submit(gauges(0, 100));
  sink.endFlush(0);
  CHECK(sink.queuedBytes() > 0);
  Listener carbon(port);  // carbon is back
  REQUIRE(runUntil(loop, [&] {
    carbon.poll();
    return std::count(carbon.received.begin(), carbon.received.end(), '\n') == 100;
  }));
  CHECK(carbon.received.starts_with("stats.gauges.g0 0 1700000000\n"));
  CHECK(sink.stats().linesDropped == 0);
  sink.close();
  CHECK(loop.close() == 0);
}

TEST_CASE("GraphiteSink bounds its queue in bytes, dropping the oldest lines first") {
  EventLoop loop;
  int port;
  { port = Listener().port; }
  Config config = configFor(port);
  config.graphite.bufferBytes = 256 * 1024;
  GraphiteSink sink(loop.get(), config);
  sink.start();
  for (int flush = 0; flush < 20; ++flush) {
    sink.submit(gauges(flush * 1000, 1000));  // ~30 KB per flush
    sink.endFlush(flush);
    CHECK(sink.queuedBytes() <= config.graphite.bufferBytes);
  }
  CHECK(sink.stats().linesDropped > 0);
  Listener carbon(port);
  REQUIRE(runUntil(loop, [&] {
    carbon.poll();
    return carbon.received.ends_with("stats.gauges.g19999 19999 1700000000\n");
  }));
  // The newest lines survived, the oldest were dropped, and every line arrived whole.
  const auto lines =
      static_cast<std::uint64_t>(std::count(carbon.received.begin(), carbon.received.end(), '\n'));
  CHECK(lines + sink.stats().linesDropped == 20000);
  CHECK(carbon.received.find("stats.gauges.g0 0 ") == std::string::npos);
  sink.close();
  CHECK(loop.close() == 0);
}

TEST_CASE("GraphiteSink drain gives up at the shutdown deadline when carbon is down, counting the lines") {
  EventLoop loop;
  int port;
  { port = Listener().port; }
  Config config = configFor(port);
  config.forward.shutdownDeadlineSeconds = 1;
  GraphiteSink sink(loop.get(), config);
  sink.start();
  sink.submit(gauges(0, 5));
  bool drained = false;
  const std::uint64_t started = uv_hrtime();
  sink.drain([&] { drained = true; });
  REQUIRE(runUntil(loop, [&] { return drained; }));
  CHECK((uv_hrtime() - started) / 1000000 < 1500);
  CHECK(sink.stats().linesUnsentAtExit == 5);
  sink.close();
  CHECK(loop.close() == 0);
}

TEST_CASE("GraphiteSink sends the lines of the last seconds again when carbon drops the connection") {
  EventLoop loop;
  Listener carbon;
  GraphiteSink sink(loop.get(), configFor(carbon.port));
  sink.start();
  sink.submit(gauges(0, 3));
  sink.endFlush(0);
  REQUIRE(runUntil(loop, [&] {
    carbon.poll();
    return std::count(carbon.received.begin(), carbon.received.end(), '\n') == 3;
  }));
  // carbon restarts: it may have read these lines without storing them
  ::close(carbon.conn);
  carbon.conn = -1;
  const std::string first = carbon.received;
  carbon.received.clear();
  REQUIRE(runUntil(loop, [&] {
    carbon.poll();
    return carbon.received == first;
  }));
  CHECK(sink.stats().linesResent == 3);
  CHECK(sink.stats().connects == 2);
  sink.close();
  CHECK(loop.close() == 0);
}

TEST_CASE("GraphiteSink never resends to Hosted Graphite, which would add repeats up") {
  EventLoop loop;
  Listener carbon;
  Config config = configFor(carbon.port);
  config.graphite.hostedGraphiteApiKey = "key";
  GraphiteSink sink(loop.get(), config);
  sink.start();
  sink.submit(gauges(0, 3));
  sink.endFlush(0);
  REQUIRE(runUntil(loop, [&] {
    carbon.poll();
    return std::count(carbon.received.begin(), carbon.received.end(), '\n') == 3;
  }));
  CHECK(carbon.received.starts_with("key.stats.gauges.g0 0 "));
  ::close(carbon.conn);
  carbon.conn = -1;
  carbon.received.clear();
  REQUIRE(runUntil(loop, [&] { return sink.stats().connects == 2; }));
  runUntil(
      loop, [] { return false; }, 200);
  carbon.poll();
  CHECK(carbon.received.empty());
  CHECK(sink.stats().linesResent == 0);
  sink.close();
  CHECK(loop.close() == 0);
}
