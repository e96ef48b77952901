// CurlHttpClient and CurlDriver against a real HTTP/1.1 server on the same libuv loop (port 0).
#include <uv.h>
#include <catch2/catch.hpp>

#include <cstring>
#include <deque>
#include <memory>
#include <string>

#include "forward/curl_http_client.h"
#include "forward/delivery.h"

using namespace dynostatsd;
using namespace dynostatsd::forward;

namespace {

// A tiny keep-alive HTTP server: answers each request with the next scripted status (or never,
// for "hang"), records what it received, counts connections.
class TestServer {
 public:
  struct Received {
    std::string head;
    std::string body;
  };
  static constexpr long kHang = -1;

  explicit TestServer(uv_loop_t* loop) : loop_(loop) {
    uv_tcp_init(loop, &listener_);
    listener_.data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    REQUIRE(uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
    REQUIRE(uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 16, &onConnection) == 0);
    sockaddr_storage bound{};
    int length = sizeof bound;
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &length);
    port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }

  void close() {
    for (Connection* connection : connections_) closeConnection(connection);
    connections_.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }

  int port = 0;
  int accepted = 0;
  std::deque<long> script;  // statuses to answer, in order; empty -> 202
  std::string extraHeader;  // e.g. "Retry-After: 1\r\n", sent with every non-2xx answer
  std::vector<Received> received;

 private:
  struct Connection {
    uv_tcp_t handle{};
    TestServer* server = nullptr;
    std::string buffer;
  };

  static void onConnection(uv_stream_t* listener, int status) {
    auto* self = static_cast<TestServer*>(listener->data);
    if (status < 0) return;
    auto* connection = new Connection;
    connection->server = self;
    uv_tcp_init(self->loop_, &connection->handle);
    connection->handle.data = connection;
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&connection->handle)) != 0) {
      closeConnection(connection);
      return;
    }
    ++self->accepted;
    self->connections_.push_back(connection);
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&connection->handle),
        [](uv_handle_t*, size_t size, uv_buf_t* buf) {
          buf->base = new char[size];
          buf->len = size;
        },
        &onRead);
  }

  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* connection = static_cast<Connection*>(stream->data);
    if (nread > 0) connection->buffer.append(buf->base, static_cast<std::size_t>(nread));
    delete[] buf->base;
    if (nread < 0) {
      connection->server->forget(connection);
      return;
    }
    connection->server->serve(connection);
  }

  void serve(Connection* connection) {
    for (;;) {
      std::size_t headEnd = connection->buffer.find("\r\n\r\n");
      if (headEnd == std::string::npos) return;
      std::string head = connection->buffer.substr(0, headEnd);
      std::size_t length = 0;
      std::size_t at = head.find("Content-Length: ");
      if (at != std::string::npos) length = std::stoul(head.substr(at + 16));
      if (connection->buffer.size() < headEnd + 4 + length) return;
      received.push_back({head, connection->buffer.substr(headEnd + 4, length)});
      connection->buffer.erase(0, headEnd + 4 + length);
      long status = 202;
      if (!script.empty()) {
        status = script.front();
        script.pop_front();
      }
      if (status == kHang) continue;
      std::string body = status < 300 ? R"({"errors":[]})" : R"({"errors":["nope"]})";
      auto* response = new std::string(
          "HTTP/1.1 " + std::to_string(status) + " X\r\n" + (status >= 300 ? extraHeader : std::string()) +
          "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
          body);
      auto* write = new uv_write_t;
      write->data = response;
      uv_buf_t buf = uv_buf_init(response->data(), static_cast<unsigned>(response->size()));
      uv_write(write, reinterpret_cast<uv_stream_t*>(&connection->handle), &buf, 1, [](uv_write_t* req, int) {
        delete static_cast<std::string*>(req->data);
        delete req;
      });
    }
  }

  void forget(Connection* connection) {
    for (auto it = connections_.begin(); it != connections_.end(); ++it) {
      if (*it == connection) {
        connections_.erase(it);
        break;
      }
    }
    closeConnection(connection);
  }

  static void closeConnection(Connection* connection) {
    uv_close(reinterpret_cast<uv_handle_t*>(&connection->handle),
             [](uv_handle_t* handle) { delete static_cast<Connection*>(handle->data); });
  }

  uv_loop_t* loop_;
  uv_tcp_t listener_{};
  std::vector<Connection*> connections_;
};

HttpRequest post(const std::string& url, std::string_view body) {
  HttpRequest request;
  request.url = url + "/api/v2/series";
  request.headers = {
      {"DD-API-KEY", "k"}, {"Content-Type", "application/json"}, {"Content-Encoding", "zstd1"}};
  request.body = body;
  request.timeoutSeconds = 5;
  return request;
}

// Runs the loop until `done()` or a safety cap of iterations (the loop blocks on real I/O).
template <typename Done>
void runUntil(uv_loop_t* loop, Done done) {
  for (int i = 0; i < 100000 && !done(); ++i) uv_run(loop, UV_RUN_ONCE);
}

int freePort() {
  uv_loop_t loop;
  uv_loop_init(&loop);
  TestServer server(&loop);
  int port = server.port;
  server.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return port;
}

}  // namespace

TEST_CASE("CurlHttpClient posts on the libuv loop, reuses the connection, reports statuses") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  TestServer server(&loop);
  server.script = {202, 503, 202};
  CurlHttpClient client(&loop);
  std::vector<long> statuses;
  std::vector<std::string> bodies;
  std::string payload(2 * 1024 * 1024, 'p');  // big enough that curl would otherwise send Expect
  for (int i = 0; i < 3; ++i) {
    std::size_t before = statuses.size();
    client.send(post(server.url(), i == 0 ? std::string_view(payload) : "{}"), [&](const HttpResponse& r) {
      statuses.push_back(r.status);
      bodies.push_back(r.body);
    });
    CHECK(client.inFlight() == 1);
    runUntil(&loop, [&] { return statuses.size() > before; });
  }
  CHECK(statuses == std::vector<long>{202, 503, 202});
  CHECK(bodies[1] == R"({"errors":["nope"]})");
  CHECK(server.accepted == 1);  // one kept-alive connection for all three
  REQUIRE(server.received.size() == 3);
  CHECK(server.received[0].body == payload);
  const std::string& head = server.received[0].head;
  CHECK(head.rfind("POST /api/v2/series HTTP/1.1\r\n", 0) == 0);
  CHECK(head.find("DD-API-KEY: k\r\n") != std::string::npos);
  CHECK(head.find("Content-Encoding: zstd1\r\n") != std::string::npos);
  CHECK(head.find("Expect") == std::string::npos);
  client.close();
  server.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("CurlHttpClient reports a refused connection and a timeout as transport errors") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  CurlHttpClient client(&loop);
  HttpResponse refused;
  bool done = false;
  client.send(post("http://127.0.0.1:" + std::to_string(freePort()), "{}"), [&](const HttpResponse& r) {
    refused = r;
    done = true;
  });
  runUntil(&loop, [&] { return done; });
  CHECK(refused.status == 0);
  CHECK(refused.error == TransportError::Connect);
  CHECK(transportOutcome(refused).name() == "connect");

  TestServer server(&loop);
  server.script = {TestServer::kHang};
  HttpRequest request = post(server.url(), "{}");
  request.timeoutSeconds = 1;
  HttpResponse timedOut;
  done = false;
  client.send(request, [&](const HttpResponse& r) {
    timedOut = r;
    done = true;
  });
  runUntil(&loop, [&] { return done; });
  CHECK(timedOut.error == TransportError::Timeout);
  CHECK(transportOutcome(timedOut).name() == "timeout");
  client.close();
  server.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("close() with a request in flight calls nothing back and leaves no handle open") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  TestServer server(&loop);
  server.script = {TestServer::kHang};
  auto client = std::make_unique<CurlHttpClient>(&loop);
  int calls = 0;
  client->send(post(server.url(), "{}"), [&](const HttpResponse&) { ++calls; });
  runUntil(&loop, [&] { return !server.received.empty(); });
  client->close();
  client->close();
  CHECK(client->closed());
  client.reset();
  server.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(calls == 0);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("Delivery with the real client and a custom route: 503 + Retry-After, then 202; drain; close") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  TestServer server(&loop);
  server.script = {503, 202};
  server.extraHeader = "Retry-After: 1\r\n";
  SystemClock clock;
  // What a new HTTP sink does: its own route(s) and classification, the shared delivery.
  Route route;
  route.name = "metrics";
  route.url = server.url() + "/v1/metrics";
  route.headers = {{"Content-Type", "application/x-protobuf"}, {"Authorization", "Bearer s3cret"}};
  route.classify = [](const HttpResponse& response, std::int64_t now) {
    if (response.status == 0) return transportOutcome(response);
    if (response.status >= 200 && response.status < 300)
      return statusOutcome(OutcomeKind::Sent, response, now);
    if (response.status == 429 || response.status >= 502)
      return statusOutcome(OutcomeKind::Retry, response, now);
    return statusOutcome(OutcomeKind::Dropped, response, now);
  };
  std::vector<double> retryAfter;
  route.onAnswer = [&](const HttpResponse&, const Outcome& outcome, const serialize::Payload&) {
    retryAfter.push_back(outcome.retryAfterSeconds);
  };
  DeliveryOptions options;
  options.sink = "test";
  options.backoffBaseSeconds = 0.01;  // the server's Retry-After (1 s) wins over 10-20 ms
  options.backoffMaxSeconds = 0.02;
  Delivery delivery(&loop, clock, options, {route}, std::make_unique<CurlHttpClient>(&loop),
                    defaultUniform01());
  serialize::Payload payload;
  payload.body = "payload-bytes";
  payload.items = 3;
  const std::int64_t started = clock.nowMillis();
  delivery.enqueue(std::move(payload));
  bool drained = false;
  runUntil(&loop, [&] { return server.received.size() == 2; });
  const std::int64_t waited = clock.nowMillis() - started;
  delivery.drain([&] { drained = true; });
  runUntil(&loop, [&] { return drained; });
  CHECK(drained);
  REQUIRE(server.received.size() == 2);
  CHECK(server.received[0].head.rfind("POST /v1/metrics", 0) == 0);
  CHECK(server.received[0].head.find("Authorization: Bearer s3cret") != std::string::npos);
  CHECK(server.received[1].body == "payload-bytes");
  CHECK(waited >= 1000);  // Retry-After honoured
  REQUIRE(retryAfter.size() == 2);
  CHECK(retryAfter[0] == 1.0);
  std::vector<SelfMetric> metrics;
  delivery.collectSelfMetrics(metrics);
  double sent = 0, retries = 0, points = 0;
  for (const SelfMetric& m : metrics) {
    if (m.name == "sink.payloads_sent") sent = m.value;
    if (m.name == "sink.points_sent") points = m.value;
    if (m.name == "sink.retries") retries = m.value;
  }
  CHECK(sent == 1);
  CHECK(points == 3);
  CHECK(retries == 1);
  delivery.close();
  server.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}
