#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "loop/datagram_listener.h"
#include "loop/event_loop.h"
#include "loop/signal_watcher.h"
#include "loop/timer.h"

using namespace dynostatsd;

namespace {

// Records datagrams; closes the listener once `expected` datagrams + truncations arrived.
struct RecordingSink : DatagramSink {
  std::vector<std::string> datagrams;
  std::vector<std::size_t> truncated;
  std::size_t expected = 0;
  DatagramListener* listener = nullptr;

  std::vector<std::size_t> batches;          // datagrams per onDatagrams call
  std::vector<std::string_view> firstViews;  // the first batch's views, re-read at its end

  void onDatagrams(const std::string_view* batch, std::size_t count) override {
    batches.push_back(count);
    if (batches.size() == 1) firstViews.assign(batch, batch + count);
    DatagramSink::onDatagrams(batch, count);
    if (batches.size() == 1) {  // every view of the batch is still intact at its end
      for (std::size_t i = 0; i < firstViews.size(); ++i) CHECK(firstViews[i] == datagrams[i]);
    }
  }
  void onDatagram(std::string_view datagram) override {
    datagrams.emplace_back(datagram);
    maybeClose();
  }
  void onTruncated(std::size_t received) override {
    truncated.push_back(received);
    maybeClose();
  }
  void maybeClose() {
    if (datagrams.size() + truncated.size() == expected) listener->close();
  }
};

void sendUdp(int port, const std::string& payload) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
          static_cast<ssize_t>(payload.size()));
  ::close(fd);
}

void sendUnix(const std::string& path, const std::string& payload) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un to{};
  to.sun_family = AF_UNIX;
  std::strcpy(to.sun_path, path.c_str());
  REQUIRE(::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
          static_cast<ssize_t>(payload.size()));
  ::close(fd);
}

}  // namespace

TEST_CASE("UDP listener on port 0 delivers every datagram exactly once, in order") {
  EventLoop loop;
  RecordingSink sink;
  std::string error;
  ListenerOptions options;
  options.soRcvbuf = 1 << 20;
  auto listener = DatagramListener::openUdp(loop.get(), "127.0.0.1", 0, options, sink, error);
  REQUIRE(listener != nullptr);
  REQUIRE(listener->localPort() > 0);
  CHECK(listener->address() == "127.0.0.1:" + std::to_string(listener->localPort()));
  CHECK(listener->effectiveRcvbuf() >= (1 << 20));
  sink.listener = listener.get();
  // More than one recvmmsg batch, all queued before the loop runs.
  const int kCount = 3 * DatagramListener::kBatch + 5;
  sink.expected = kCount;
  for (int i = 0; i < kCount; ++i) sendUdp(listener->localPort(), "page.views:" + std::to_string(i) + "|c");
  loop.run();
  REQUIRE(sink.datagrams.size() == kCount);
  for (int i = 0; i < kCount; ++i) CHECK(sink.datagrams[i] == "page.views:" + std::to_string(i) + "|c");
  CHECK(listener->stats().datagrams == kCount);
  CHECK(listener->stats().truncated == 0);
  CHECK(listener->stats().syscalls >= 4);
  // One onDatagrams call per recvmmsg call, each with at most kBatch datagrams.
  CHECK(sink.batches.size() == listener->stats().syscalls);
  CHECK(sink.batches.front() == DatagramListener::kBatch);
  CHECK(std::all_of(sink.batches.begin(), sink.batches.end(),
                    [](std::size_t n) { return n >= 1 && n <= DatagramListener::kBatch; }));
  CHECK(listener->closed());
  CHECK(loop.close() == 0);
}

TEST_CASE("a sink closing the listener on a truncated datagram still gets the batch's complete ones") {
  EventLoop loop;
  RecordingSink sink;
  std::string error;
  ListenerOptions options;
  options.bufferSize = 16;
  auto listener = DatagramListener::openUdp(loop.get(), "127.0.0.1", 0, options, sink, error);
  REQUIRE(listener != nullptr);
  sink.listener = listener.get();
  sink.expected = 1;  // onTruncated comes before the batch: the sink closes on it
  sendUdp(listener->localPort(), "a:1|c");
  sendUdp(listener->localPort(), "b:1|c");
  sendUdp(listener->localPort(), std::string(100, 'x'));
  loop.run();
  CHECK(sink.truncated == std::vector<std::size_t>{16});
  CHECK(sink.datagrams == std::vector<std::string>{"a:1|c", "b:1|c"});
  CHECK(listener->closed());
  CHECK(loop.close() == 0);
}

TEST_CASE("a datagram longer than the buffer is counted as truncated and not delivered") {
  EventLoop loop;
  RecordingSink sink;
  std::string error;
  ListenerOptions options;
  options.bufferSize = 16;
  auto listener = DatagramListener::openUdp(loop.get(), "127.0.0.1", 0, options, sink, error);
  REQUIRE(listener != nullptr);
  sink.listener = listener.get();
  sink.expected = 3;
  sendUdp(listener->localPort(), "a:1|c");
  sendUdp(listener->localPort(), std::string(100, 'x'));
  sendUdp(listener->localPort(), std::string(16, 'y'));  // exactly the buffer: complete
  loop.run();
  CHECK(sink.datagrams == std::vector<std::string>{"a:1|c", std::string(16, 'y')});
  CHECK(sink.truncated == std::vector<std::size_t>{16});
  CHECK(listener->stats().truncated == 1);
  CHECK(listener->stats().bytes == 21);
  CHECK(loop.close() == 0);
}

TEST_CASE("Unix datagram listener replaces a stale socket file and removes it at close") {
  char dir[] = "/tmp/dynostatsd-loop-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  const std::string path = std::string(dir) + "/dsd.socket";
  {
    // A stale socket file left by a killed process.
    int stale = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    REQUIRE(::bind(stale, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::close(stale);
    REQUIRE(::access(path.c_str(), F_OK) == 0);
  }
  EventLoop loop;
  RecordingSink sink;
  std::string error;
  auto listener = DatagramListener::openUnix(loop.get(), path, {}, sink, error);
  REQUIRE(listener != nullptr);
  CHECK(listener->address() == "unix:" + path);
  sink.listener = listener.get();
  sink.expected = 2;
  sendUnix(path, "x:1|g");
  sendUnix(path, "y:2|g\nz:3|g");
  loop.run();
  CHECK(sink.datagrams == std::vector<std::string>{"x:1|g", "y:2|g\nz:3|g"});
  CHECK(::access(path.c_str(), F_OK) != 0);
  CHECK(loop.close() == 0);
  ::rmdir(dir);
}

TEST_CASE("Unix listener refuses to delete a regular file") {
  char dir[] = "/tmp/dynostatsd-loop-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  const std::string path = std::string(dir) + "/not-a-socket";
  ::close(::creat(path.c_str(), 0600));
  EventLoop loop;
  RecordingSink sink;
  std::string error;
  auto listener = DatagramListener::openUnix(loop.get(), path, {}, sink, error);
  CHECK(listener == nullptr);
  CHECK(error == "refusing to replace " + path + ": it exists and is not a socket");
  CHECK(::access(path.c_str(), F_OK) == 0);
  ::unlink(path.c_str());
  ::rmdir(dir);
  CHECK(loop.close() == 0);
}

TEST_CASE("binding a busy UDP port fails with a message") {
  EventLoop loop;
  RecordingSink sink;
  std::string error;
  auto first = DatagramListener::openUdp(loop.get(), "127.0.0.1", 0, {}, sink, error);
  REQUIRE(first != nullptr);
  auto second = DatagramListener::openUdp(loop.get(), "127.0.0.1", first->localPort(), {}, sink, error);
  CHECK(second == nullptr);
  CHECK(error == "bind 127.0.0.1:" + std::to_string(first->localPort()) + ": Address already in use");
  first->close();
  first->close();  // idempotent
  CHECK(loop.close() == 0);
}

TEST_CASE("timer fires the exact number of times; close from its own callback is safe") {
  EventLoop loop;
  int fired = 0;
  Timer* self = nullptr;
  Timer timer(loop.get(), [&] {
    if (++fired == 3) self->close();
  });
  self = &timer;
  timer.start(1, 1);
  loop.run();
  CHECK(fired == 3);
  CHECK(timer.closed());
  CHECK(loop.close() == 0);
}

TEST_CASE("signal watcher runs its callback on the loop, once per signal") {
  EventLoop loop;
  std::vector<int> seen;
  SignalWatcher* self = nullptr;
  SignalWatcher watcher(loop.get(), SIGUSR1, [&](int signum) {
    seen.push_back(signum);
    if (seen.size() == 1) {
      ::kill(::getpid(), SIGUSR1);
    } else {
      self->close();
    }
  });
  self = &watcher;
  ::kill(::getpid(), SIGUSR1);
  loop.run();
  CHECK(seen == std::vector<int>{SIGUSR1, SIGUSR1});
  CHECK(loop.close() == 0);
}

TEST_CASE("owners destroyed while open still free their handles in close callbacks") {
  EventLoop loop;
  RecordingSink sink;
  std::string error;
  {
    Timer timer(loop.get(), [] {});
    timer.start(100000);
    SignalWatcher watcher(loop.get(), SIGUSR2, [](int) {});
    auto listener = DatagramListener::openUdp(loop.get(), "127.0.0.1", 0, {}, sink, error);
    REQUIRE(listener != nullptr);
  }
  CHECK(loop.close() == 0);
}

TEST_CASE("drain() reads what is queued in the socket without running the loop") {
  EventLoop loop;
  RecordingSink sink;
  std::string error;
  auto listener = DatagramListener::openUdp(loop.get(), "127.0.0.1", 0, {}, sink, error);
  REQUIRE(listener != nullptr);
  sink.listener = listener.get();
  sink.expected = 1000;  // never reached: the test closes
  for (int i = 0; i < 70; ++i) sendUdp(listener->localPort(), "d:" + std::to_string(i) + "|c");
  listener->drain();
  CHECK(sink.datagrams.size() == 70);
  CHECK(sink.datagrams.back() == "d:69|c");
  listener->close();
  CHECK(listener->stats().datagrams == 70);  // readable after close
  CHECK(loop.close() == 0);
}

TEST_CASE("while traffic flows, reads are coalesced into fewer wake-ups") {
  EventLoop loop;
  RecordingSink sink;
  std::string error;
  ListenerOptions options;
  options.soRcvbuf = 4 << 20;
  auto listener = DatagramListener::openUdp(loop.get(), "127.0.0.1", 0, options, sink, error);
  REQUIRE(listener != nullptr);
  const int kTicks = 100, kPerTick = 3;
  sink.listener = listener.get();
  sink.expected = kTicks * kPerTick;
  // A burst of 3 datagrams per loop iteration, paced by a 1 ms repeating timer: without
  // coalescing each burst costs one wake-up (100); reading every 2 ms roughly halves that.
  int ticks = 0;
  Timer* self = nullptr;
  Timer sender(loop.get(), [&] {
    for (int i = 0; i < kPerTick; ++i) sendUdp(listener->localPort(), "tick:" + std::to_string(ticks) + "|c");
    if (++ticks == kTicks) self->close();
  });
  self = &sender;
  sender.start(1, 1);
  loop.run();
  REQUIRE(sink.datagrams.size() == kTicks * kPerTick);
  CHECK(sink.datagrams.back() == "tick:99|c");
  CHECK(listener->stats().wakeups < kTicks * 3 / 4);
  CHECK(loop.close() == 0);
}

TEST_CASE("a libuv call that fails is reported, and the owner stays safe to use and close") {
  EventLoop loop;
  REQUIRE(loop.ok());
  // libuv refuses signal numbers outside 1..NSIG-1 (UV_EINVAL) at uv_signal_start.
  SignalWatcher bogus(loop.get(), 100000, [](int) { FAIL("no such signal"); });
  CHECK_FALSE(bogus.watching());
  SignalWatcher term(loop.get(), SIGUSR2, [](int) {});
  CHECK(term.watching());
  bogus.close();
  term.close();
  bogus.close();  // idempotent
  CHECK(loop.close() == 0);
}
