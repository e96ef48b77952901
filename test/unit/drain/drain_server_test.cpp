// DrainServer over a real socket on the real loop: a client thread with a blocking socket talks
// to the server; when it is done it wakes the loop (uv_async), which closes everything, and
// uv_loop_close() must then return 0.
#include "drain/drain_server.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "loop/event_loop.h"

using namespace dynostatsd;
using namespace dynostatsd::drain;

namespace {

struct CountingConsumer : MetricConsumer {
  std::vector<std::string> names;
  void add(const MetricSample& s, std::int64_t) override { names.emplace_back(s.name); }
};

int connectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

// Everything the server sends until it closes the connection, or until `until` appears.
std::string readAll(int fd, const std::string& until = "") {
  std::string out;
  char buffer[4096];
  while (until.empty() || out.find(until) == std::string::npos) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

void sendAll(int fd, const std::string& bytes) {
  REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
}

std::string post(const std::string& body, const std::string& extra = "") {
  // Basic dTpwdw== is u:pw
  return "POST /logs/shop HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpwdw==\r\n"
         "Content-Type: application/logplex-1\r\n" +
         extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string frame(const std::string& message) {
  return std::to_string(message.size() + 1) + " " + message + "\n";
}

const std::string kFrame = frame(
    "<158>1 2026-07-22T00:06:26+00:00 host heroku router - at=info method=GET dyno=web.1 connect=1ms "
    "service=2ms status=200 bytes=3 protocol=https");

struct ServerFixture {
  ServerFixture() {
    REQUIRE(DrainCredentials::load("u:pw", {}, credentials, error));
    options.maxConnections = 2;
  }
  // Runs the loop while `client(port)` runs on a thread; closes the server when it returns.
  void run(const std::function<void(int)>& client) {
    DrainServer server(loop.get(), credentials, ingestor, clock, options);
    REQUIRE(server.listen("127.0.0.1", 0, error));
    uv_async_t done{};
    done.data = &server;
    uv_async_init(loop.get(), &done, [](uv_async_t* handle) {
      static_cast<DrainServer*>(handle->data)->close();
      uv_close(reinterpret_cast<uv_handle_t*>(handle), nullptr);
    });
    const int port = server.localPort();
    std::thread thread([&] {
      client(port);
      uv_async_send(&done);
    });
    loop.run();
    thread.join();
    answered204 = server.answered(204);
    answered401 = server.answered(401);
    CHECK(loop.close() == 0);
  }

  EventLoop loop;
  std::string error;
  DrainCredentials credentials;
  CountingConsumer consumer;
  ManualClock clock{1700000000000};
  BatchIngestor ingestor{consumer, "", clock};
  DrainServerOptions options;
  std::uint64_t answered204 = 0;
  std::uint64_t answered401 = 0;
};

}  // namespace

TEST_CASE_METHOD(ServerFixture, "keep-alive POSTs are answered 204 after their samples are handed on") {
  std::string first, second;
  run([&](int port) {
    int fd = connectTo(port);
    // Two pipelined requests in one write, the second with a frame id, then its retry.
    sendAll(fd, post(kFrame) + post(kFrame + kFrame, "Logplex-Frame-Id: F1\r\n"));
    first = readAll(fd, "\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
    sendAll(fd, post(kFrame, "Logplex-Frame-Id: F1\r\n"));
    second = readAll(fd, "\r\n\r\n");
    ::close(fd);
  });
  CHECK(first == "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
  CHECK(second == "HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(answered204 == 3);
  // 3 router lines counted (the retry of F1 was not): 4 grouped samples per batch.
  CHECK(consumer.names.size() == 8);
  CHECK(ingestor.stats().frames == 3);
}

TEST_CASE_METHOD(ServerFixture, "a connection over the limit is closed at once; bad credentials get 401") {
  std::string refused, unauthorized, served;
  run([&](int port) {
    int a = connectTo(port);
    int b = connectTo(port);
    int c = connectTo(port);  // the third, over maxConnections = 2
    refused = readAll(c);
    sendAll(a,
            "POST /logs/shop HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTp4\r\nContent-Length: 0\r\n\r\n");
    unauthorized = readAll(a);
    sendAll(b, post(kFrame));
    served = readAll(b, "\r\n\r\n");
    for (int fd : {a, b, c}) ::close(fd);
  });
  CHECK(refused.empty());
  CHECK(unauthorized.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
  CHECK(unauthorized.find("Connection: close\r\n") != std::string::npos);
  CHECK(served == "HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(answered401 == 1);
  CHECK(consumer.names.size() == 4);
}
