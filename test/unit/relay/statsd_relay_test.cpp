#include "relay/statsd_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "loop/event_loop.h"

using namespace dynostatsd;

namespace {

// A real UDP socket bound to a free loopback port.
struct Receiver {
  int fd = -1;
  int port = 0;
  explicit Receiver(bool v6 = false) {
    fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_storage addr{};
    socklen_t len;
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&addr);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    }
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                    : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  }
  ~Receiver() { ::close(fd); }
  std::vector<std::string> datagrams() const {
    std::vector<std::string> out;
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0) return out;
      out.emplace_back(buf, static_cast<std::size_t>(n));
    }
  }
};

}  // namespace

TEST_CASE("StatsdRelay sends each line to its CRC32 upstream within the send delay") {
  EventLoop loop;
  Receiver a, b;
  Receiver v6(true);
  RelayConfig config;
  config.upstreams = {"127.0.0.1:" + std::to_string(a.port), "localhost:" + std::to_string(b.port),
                      "[::1]:" + std::to_string(v6.port)};
  std::string error;
  auto relay = StatsdRelay::open(loop.get(), config, "web.1", error);
  REQUIRE(relay);
  CHECK(error.empty());
  const std::vector<std::string> lines = {"checkout.ok:1|c", "api.latency:12|ms|#env:prod", "queue.depth:7|g",
                                          "users:alice|s", "x:1|c"};
  for (const auto& line : lines) relay->onAccepted(line, MessageKind::Metric);
  relay->onAccepted("_sc|db|0", MessageKind::ServiceCheck);
  CHECK(a.datagrams().empty());  // nothing before the timer (or a full datagram)
  const std::uint64_t started = uv_hrtime();
  loop.run();  // the relay's 20 ms timer is the only handle: returns once it fired
  const double waitedMs = static_cast<double>(uv_hrtime() - started) / 1e6;
  CHECK(waitedMs <= 20 + 200);  // 20 ms plus generous scheduling slack on a shared host

  std::vector<std::vector<std::string>> got(3);
  Receiver* receivers[] = {&a, &b, &v6};
  for (int i = 0; i < 3; ++i) {
    for (const auto& d : receivers[i]->datagrams()) {
      std::size_t start = 0;
      for (;;) {
        std::size_t lf = d.find('\n', start);
        got[i].push_back(d.substr(start, lf == std::string::npos ? std::string::npos : lf - start));
        if (lf == std::string::npos) break;
        start = lf + 1;
      }
    }
  }
  std::size_t total = 0;
  for (int i = 0; i < 3; ++i) {
    for (const auto& line : got[i]) {
      ++total;
      if (line == "_sc|db|0") {
        CHECK(i == 0);
        continue;
      }
      CHECK(std::find(lines.begin(), lines.end(), line) != lines.end());
      CHECK(static_cast<std::size_t>(i) == shardOf(line, 3));
    }
  }
  CHECK(total == lines.size() + 1);
  std::uint64_t sent = 0;
  for (const auto& u : relay->upstreamStats()) {
    sent += u.datagrams;
    CHECK(u.errors == 0);
  }
  CHECK(sent >= 1);
  relay->close();
  CHECK(loop.close() == 0);
}

TEST_CASE("StatsdRelay refuses an unresolvable host or a bad address at start, naming it") {
  EventLoop loop;
  std::string error;
  RelayConfig config;
  config.upstreams = {"no-such-host.invalid:8125"};
  CHECK_FALSE(StatsdRelay::open(loop.get(), config, "", error));
  CHECK(error.find("cannot resolve host \"no-such-host.invalid\"") != std::string::npos);
  config.upstreams = {"127.0.0.1"};
  error.clear();
  CHECK_FALSE(StatsdRelay::open(loop.get(), config, "", error));
  CHECK(error == "expected host:port");
  CHECK(loop.close() == 0);
}

TEST_CASE("StatsdRelay counts a failed send as dropped lines and never blocks") {
  EventLoop loop;
  int port;
  {
    Receiver gone;
    port = gone.port;
  }  // closed: the kernel answers ICMP port unreachable, the next send fails with ECONNREFUSED
  RelayConfig config;
  config.upstreams = {"127.0.0.1:" + std::to_string(port)};
  config.maxDatagram = 64;
  std::string error;
  auto relay = StatsdRelay::open(loop.get(), config, "", error);
  REQUIRE(relay);
  for (int i = 0; i < 10; ++i) {
    relay->onAccepted("a.rather.long.metric.name.number." + std::to_string(i) + ":1|c", MessageKind::Metric);
  }
  relay->flush();
  const auto& stats = relay->upstreamStats().at(0);
  CHECK(stats.errors >= 1);
  CHECK(stats.linesDropped >= 1);
  CHECK(stats.datagrams + stats.errors == 10);
  relay->close();
  CHECK(loop.close() == 0);
}
