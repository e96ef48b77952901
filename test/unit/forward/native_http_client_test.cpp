// NativeHttpClient against a real HTTP/1.1 server (ScriptedServer, its own thread) on 127.0.0.1
// port 0: plain and TLS, keep-alive, framing, bounds, failures and their TransportErrors.
#include "forward/native_http_client.h"

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>

#include "forward/http_response_parser.h"
#include "loop/event_loop.h"
#include "loop/timer.h"
#include "scripted_server.h"

using namespace dynostatsd;
using namespace dynostatsd::forward;
using dynostatsd::test::httpResponse;
using dynostatsd::test::ScriptedServer;
using After = ScriptedServer::After;

namespace {

constexpr const char* kSecret = "s3cr3t-api-key-value";

bool runUntil(EventLoop& loop, const std::function<bool()>& done, std::uint64_t timeoutMillis = 10000) {
  Timer tick(loop.get(), [] {});
  tick.start(5, 5);
  const std::uint64_t deadline = uv_hrtime() + timeoutMillis * 1'000'000;
  bool ok = done();
  while (!ok && uv_hrtime() < deadline) {
    uv_run(loop.get(), UV_RUN_ONCE);
    ok = done();
  }
  tick.close();
  return ok;
}

HttpRequest post(const std::string& url, std::string_view body = "{}") {
  HttpRequest request;
  request.url = url;
  request.headers = {{"DD-API-KEY", kSecret}, {"Content-Type", "application/json"}};
  request.body = body;
  request.timeoutSeconds = 5;
  return request;
}

// Sends one request and runs the loop until its completion; counts completions.
struct Call {
  HttpResponse response;
  int completions = 0;
};
Call roundTrip(EventLoop& loop, NativeHttpClient& client, const HttpRequest& request) {
  Call call;
  client.send(request, [&call](const HttpResponse& r) {
    call.response = r;
    ++call.completions;
  });
  CHECK(call.completions == 0);  // never from inside send()
  REQUIRE(runUntil(loop, [&] { return call.completions > 0; }));
  return call;
}

std::string local(const ScriptedServer& server, const std::string& path = "/api/v2/series") {
  return "http://127.0.0.1:" + std::to_string(server.port()) + path;
}

void closeAll(EventLoop& loop, NativeHttpClient& client) {
  client.close();
  CHECK(client.closed());
  CHECK(loop.close() == 0);
}

}  // namespace

TEST_CASE("NativeHttpClient: POST with Content-Length, GET, keep-alive reuse, exact request bytes") {
  EventLoop loop;
  ScriptedServer server({{httpResponse(202, "{}"), After::Keep},
                         {httpResponse(503, R"({"errors":["busy"]})", "Retry-After: 3\r\n"), After::Keep},
                         {httpResponse(200, R"({"valid":true})"), After::Keep}});
  NativeHttpClient client(loop.get());
  Call first = roundTrip(loop, client, post(local(server), "payload"));
  CHECK(first.response.status == 202);
  CHECK(first.response.body == "{}");
  CHECK(first.response.error == TransportError::None);
  CHECK(client.idleConnectionsForTest() == 1);
  Call second = roundTrip(loop, client, post(local(server)));
  CHECK(second.response.status == 503);
  CHECK(second.response.header("retry-after") == "3");
  HttpRequest get = post(local(server, "/api/v1/validate?x=1"), "");
  get.method = "GET";
  CHECK(roundTrip(loop, client, get).response.status == 200);
  CHECK(server.accepted() == 1);
  CHECK(client.connectionsOpenedForTest() == 1);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  CHECK(requests[0] == "POST /api/v2/series HTTP/1.1\r\nHost: " + host + "\r\nDD-API-KEY: " + kSecret +
                           "\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\npayload");
  CHECK(requests[2] == "GET /api/v1/validate?x=1 HTTP/1.1\r\nHost: " + host + "\r\nDD-API-KEY: " + kSecret +
                           "\r\nContent-Type: application/json\r\n\r\n");
  CHECK(client.inFlight() == 0);
  closeAll(loop, client);
}

TEST_CASE("NativeHttpClient: chunked and read-until-close bodies; the body is bounded, the rest read") {
  EventLoop loop;
  const std::string big(200 * 1024, 'x');
  ScriptedServer server(
      {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;e=1\r\n\":1}\r\n0\r\n\r\n",
        After::Keep},
       {httpResponse(400, big), After::Keep},
       {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end", After::Close}});
  NativeHttpClient client(loop.get());
  Call chunked = roundTrip(loop, client, post(local(server)));
  CHECK(chunked.response.status == 200);
  CHECK(chunked.response.body == R"({"a":1})");
  Call bounded = roundTrip(loop, client, post(local(server)));
  CHECK(bounded.response.status == 400);
  CHECK(bounded.response.body == big.substr(0, kMaxResponseBody));
  CHECK(server.accepted() == 1);  // the 200 kB were read off the connection, which was reused
  Call untilClose = roundTrip(loop, client, post(local(server)));
  CHECK(untilClose.response.status == 200);
  CHECK(untilClose.response.body == "to the end");
  CHECK(client.idleConnectionsForTest() == 0);  // a body that ends at close leaves nothing to reuse
  closeAll(loop, client);
}

TEST_CASE("NativeHttpClient: an oversized header block or a response cut short is a Network error") {
  EventLoop loop;
  ScriptedServer server(
      {{"HTTP/1.1 200 OK\r\nX-Flood: " + std::string(kMaxResponseHeadBytes + 10, 'f') + "\r\n\r\n",
        After::Keep},
       {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten..", After::Close},
       {"", After::Close}});
  NativeHttpClient client(loop.get());
  Call flood = roundTrip(loop, client, post(local(server)));
  CHECK(flood.response.status == 0);
  CHECK(flood.response.error == TransportError::Network);
  CHECK(flood.response.errorText == "127.0.0.1: bad response: header block over 16384 bytes");
  Call cut = roundTrip(loop, client, post(local(server)));
  CHECK(cut.response.error == TransportError::Network);
  CHECK(cut.response.errorText == "127.0.0.1: connection closed by the server in the middle of the response");
  Call none = roundTrip(loop, client, post(local(server)));  // a new connection: no retry
  CHECK(none.response.error == TransportError::Network);
  CHECK(none.response.errorText == "127.0.0.1: connection closed by the server before any response");
  CHECK(server.accepted() == 3);
  for (const Call* call : {&flood, &cut, &none})
    CHECK(call->response.errorText.find(kSecret) == std::string::npos);
  closeAll(loop, client);
}

TEST_CASE("NativeHttpClient: a reused connection the server closed unanswered is retried once, fresh") {
  EventLoop loop;
  ScriptedServer server({{httpResponse(202, "{}"), After::Keep},
                         {"", After::Close},  // the idle connection dies as it is reused
                         {httpResponse(202, "second"), After::Keep},
                         {httpResponse(202, "{}"), After::Keep},
                         {"", After::Close},  // and again: but this time the retry fails too
                         {"", After::Close}});
  NativeHttpClient client(loop.get());
  CHECK(roundTrip(loop, client, post(local(server))).response.status == 202);
  Call retried = roundTrip(loop, client, post(local(server)));
  CHECK(retried.response.status == 202);
  CHECK(retried.response.body == "second");
  CHECK(retried.completions == 1);
  CHECK(server.accepted() == 2);
  CHECK(roundTrip(loop, client, post(local(server))).response.status == 202);
  Call failed = roundTrip(loop, client, post(local(server)));
  CHECK(failed.response.error == TransportError::Network);  // one retry only
  CHECK(server.accepted() == 3);
  CHECK(server.requests().size() == 6);
  closeAll(loop, client);
}

TEST_CASE("NativeHttpClient: timeout, refused connection, unknown host, bad URL; no header in any error") {
  EventLoop loop;
  NativeHttpClient client(loop.get());
  SECTION("timeout") {
    ScriptedServer server({{"", After::Hang}});
    HttpRequest request = post(local(server));
    request.timeoutSeconds = 1;
    const std::uint64_t started = uv_hrtime();
    Call hung = roundTrip(loop, client, request);
    CHECK((uv_hrtime() - started) / 1'000'000 >= 900);  // the loop's clock is cached: a little slack
    CHECK(hung.response.error == TransportError::Timeout);
    CHECK(hung.response.errorText == "127.0.0.1: no complete response within 1s (waiting for the response)");
    CHECK(client.idleConnectionsForTest() == 0);
  }
  SECTION("refused") {
    int port;
    {
      ScriptedServer gone({});
      port = gone.port();
    }
    Call refused = roundTrip(loop, client, post("http://127.0.0.1:" + std::to_string(port) + "/x"));
    CHECK(refused.response.error == TransportError::Connect);
    CHECK(refused.response.errorText ==
          "127.0.0.1:" + std::to_string(port) + ": connect: connection refused");
  }
  SECTION("unknown host") {
    Call unknown = roundTrip(loop, client, post("http://no-such-host.invalid/x"));
    CHECK(unknown.response.error == TransportError::Resolve);
    CHECK(unknown.response.errorText.starts_with("resolve no-such-host.invalid: "));
  }
  SECTION("bad URL and bad header") {
    Call scheme = roundTrip(loop, client, post("ftp://127.0.0.1/x"));
    CHECK(scheme.response.error == TransportError::Network);
    CHECK(scheme.response.errorText == "unsupported URL: only http:// and https:// are supported");
    HttpRequest injected = post("http://127.0.0.1:1/x");
    injected.headers.emplace_back("X-Team", std::string(kSecret) + "\r\nX-Evil: 1");
    Call header = roundTrip(loop, client, injected);
    CHECK(header.response.errorText == "request header X-Team holds a line break or NUL");
  }
  CHECK(client.inFlight() == 0);
  closeAll(loop, client);
}

TEST_CASE("NativeHttpClient: close() with requests in flight calls nothing back and frees every handle") {
  EventLoop loop;
  ScriptedServer server({{"", After::Hang}});
  auto client = std::make_unique<NativeHttpClient>(loop.get());
  int calls = 0;
  client->send(post(local(server)), [&](const HttpResponse&) { ++calls; });
  REQUIRE(runUntil(loop, [&] { return server.requests().size() == 1; }));
  client->send(post("ftp://x/"), [&](const HttpResponse&) { ++calls; });  // failed, not yet completed
  CHECK(client->inFlight() == 2);
  client->close();
  client->close();
  client->send(post(local(server)), [&](const HttpResponse&) { ++calls; });  // after close: dropped
  client.reset();
  runUntil(
      loop, [] { return false; }, 100);
  CHECK(calls == 0);
  CHECK(loop.close() == 0);
}

TEST_CASE("NativeHttpClient over TLS: verified, reused; a wrong host or an unknown issuer is refused") {
  const auto& certificates = test::testCertificates();  // before the first TLS context is built
  EventLoop loop;
  NativeHttpClient client(loop.get());
  SECTION("trusted") {
    ScriptedServer server({}, &certificates.trusted);
    const std::string url = "https://localhost:" + std::to_string(server.port()) + "/api/v2/series";
    Call first = roundTrip(loop, client, post(url, std::string(300 * 1024, 'p')));
    CHECK(first.response.status == 202);
    CHECK(first.response.errorText.empty());
    CHECK(roundTrip(loop, client, post(url)).response.status == 202);
    CHECK(server.accepted() == 1);
    const auto requests = server.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].size() > 300 * 1024);
    CHECK(requests[1].starts_with("POST /api/v2/series HTTP/1.1\r\nHost: localhost:" +
                                  std::to_string(server.port())));
  }
  SECTION("host name mismatch") {
    ScriptedServer server({}, &certificates.trusted);  // the certificate names localhost only
    Call wrong = roundTrip(loop, client, post("https://127.0.0.1:" + std::to_string(server.port()) + "/x"));
    CHECK(wrong.response.status == 0);
    CHECK(wrong.response.error == TransportError::Tls);
    CHECK(wrong.response.errorText.find("tls: certificate: IP address mismatch") != std::string::npos);
    CHECK(server.requests().empty());
  }
  SECTION("untrusted issuer") {
    ScriptedServer server({}, &certificates.untrusted);
    Call untrusted =
        roundTrip(loop, client, post("https://localhost:" + std::to_string(server.port()) + "/x"));
    CHECK(untrusted.response.error == TransportError::Tls);
    CHECK(untrusted.response.errorText.find("tls: certificate: self-signed certificate") !=
          std::string::npos);
    CHECK(untrusted.response.errorText.find(kSecret) == std::string::npos);
    CHECK(server.requests().empty());
  }
  closeAll(loop, client);
}
