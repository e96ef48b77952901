// The native HTTP client's pure parts: URLs, the bounded response parser, the client choice.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "forward/http_client_factory.h"
#include "forward/http_request_head.h"
#include "forward/http_response_parser.h"
#include "forward/http_url.h"

using namespace dynostatsd;
using namespace dynostatsd::forward;

TEST_CASE("parseHttpUrl: the URLs the sinks use") {
  struct Case {
    const char* url;
    bool tls;
    const char* host;
    int port;
    const char* target;
    const char* hostHeader;
  };
  const Case cases[] = {
      {"https://api.datadoghq.com/api/v2/series", true, "api.datadoghq.com", 443, "/api/v2/series",
       "api.datadoghq.com"},
      {"http://127.0.0.1:8126", false, "127.0.0.1", 8126, "/", "127.0.0.1:8126"},
      {"HTTP://Intake.Example:80/v1/metrics?x=1&y=2#frag", false, "Intake.Example", 80, "/v1/metrics?x=1&y=2",
       "Intake.Example:80"},
      {"https://[::1]:4318/v1/metrics", true, "::1", 4318, "/v1/metrics", "[::1]:4318"},
      {"https://[2001:db8::1]/x", true, "2001:db8::1", 443, "/x", "[2001:db8::1]"},
      {"http://h?q=1", false, "h", 80, "/?q=1", "h"},
  };
  for (const Case& c : cases) {
    std::string error;
    auto url = parseHttpUrl(c.url, error);
    INFO(c.url << " " << error);
    REQUIRE(url);
    CHECK(url->tls == c.tls);
    CHECK(url->host == c.host);
    CHECK(url->port == c.port);
    CHECK(url->target == c.target);
    CHECK(url->hostHeader == c.hostHeader);
    CHECK(url->userinfo.empty());
  }
}

TEST_CASE("parseHttpUrl: userinfo is decoded and never repeated in an error") {
  std::string error;
  auto url = parseHttpUrl("https://us%3Aer:p%40ss@intake.example/api", error);
  REQUIRE(url);
  CHECK(url->userinfo == "us:er:p@ss");
  CHECK(url->hostHeader == "intake.example");
  CHECK(url->origin() == "https://intake.example:443");
  CHECK_FALSE(parseHttpUrl("https://user:hunter2secret@bad host/", error));
  CHECK(error.find("hunter2secret") == std::string::npos);
}

TEST_CASE("parseHttpUrl: anything but http(s) with a host is a clear error") {
  const std::map<std::string, std::string> rejected = {
      {"ftp://h/x", "only http:// and https://"},
      {"api.datadoghq.com/x", "only http:// and https://"},
      {"https:///x", "the host must be"},
      {"https://h:0/", "the port must be"},
      {"https://h:65536/", "the port must be"},
      {"https://h:8x/", "the port must be"},
      {"https://[::1/", "unterminated"},
      {"https://[nothex]/", "not an IPv6 address"},
      {"https://[::1]x/", "after the [IPv6 literal]"},
      {"https://h/a b", "blank, control or non-ASCII"},
      {"https://h/a\r\nX-Injected: 1", "blank, control or non-ASCII"},
  };
  for (const auto& [text, message] : rejected) {
    std::string error;
    INFO(text);
    CHECK_FALSE(parseHttpUrl(text, error));
    CHECK(error.find(message) != std::string::npos);
  }
}

namespace {

std::string repeat(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

// Feeds `wire` in pieces of `step` bytes (1 = byte by byte); ends the stream when `eof`.
HttpResponseParser parse(const std::string& wire, std::size_t step, bool eof = false) {
  HttpResponseParser parser;
  for (std::size_t at = 0; at < wire.size() && !parser.done() && !parser.failed(); at += step) {
    parser.feed(std::string_view(wire).substr(at, step));
  }
  if (eof) parser.endOfStream();
  return parser;
}

}  // namespace

TEST_CASE("HttpResponseParser: framing, in one piece and byte by byte") {
  struct Case {
    const char* name;
    std::string wire;
    bool eof;
    long status;
    std::string body;
    bool reusable;
  };
  const Case cases[] = {
      {"content-length", "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}", false, 202, "{}", true},
      {"chunked with extensions and trailers",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nX-T: "
       "1\r\n\r\n",
       false, 200, "Wikipedia", true},
      {"until close", "HTTP/1.1 200 OK\r\n\r\nall of it", true, 200, "all of it", false},
      {"connection: close", "HTTP/1.1 503 X\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, 503,
       "", false},
      {"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", false, 200, "x", false},
      {"HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
       false, 200, "x", true},
      {"204 has no body", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", false, 204, "", true},
      {"interim 100 then the answer",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n", false, 413, "",
       true},
      {"bare LF lines", "HTTP/1.1 202 OK\nContent-Length: 2\n\nok", false, 202, "ok", true},
  };
  for (const Case& c : cases) {
    for (std::size_t step : {c.wire.size(), std::size_t{1}, std::size_t{7}}) {
      INFO(c.name << " step " << step);
      HttpResponseParser parser = parse(c.wire, step, c.eof);
      REQUIRE(parser.done());
      CHECK(parser.response().status == c.status);
      CHECK(parser.response().body == c.body);
      CHECK(parser.reusable() == c.reusable);
    }
  }
}

TEST_CASE("HttpResponseParser: headers are lowercased, bounded in count and length") {
  std::string wire =
      "HTTP/1.1 429 Too Many\r\nRetry-After:  7 \r\nX-Long: " + std::string(1000, 'v') + "\r\n";
  for (int i = 0; i < 100; ++i) wire += "X-" + std::to_string(i) + ": " + std::to_string(i) + "\r\n";
  wire += "Content-Length: 0\r\n\r\n";
  HttpResponseParser parser = parse(wire, wire.size());
  REQUIRE(parser.done());
  const HttpResponse& response = parser.response();
  CHECK(response.header("retry-after") == "7");
  CHECK(response.header("x-long").size() == kMaxResponseHeaderValue);
  CHECK(response.headers.size() == kMaxResponseHeaders);
  CHECK(parser.reusable());  // Content-Length was read though it came past the kept headers
}

TEST_CASE("HttpResponseParser: the body is kept up to kMaxResponseBody, the rest consumed") {
  const std::string body(100 * 1024, 'b');
  const std::string wire =
      "HTTP/1.1 400 Bad\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  HttpResponseParser parser;
  CHECK(parser.feed(wire + "HTTP/1.1 next") == wire.size());  // stops at the end of this response
  REQUIRE(parser.done());
  CHECK(parser.response().body == body.substr(0, kMaxResponseBody));
}

TEST_CASE("HttpResponseParser: malformed or oversized responses fail with a reason") {
  const std::map<std::string, std::pair<std::string, std::string>> rejected = {
      {"not http", {"SSH-2.0-OpenSSH_9.2\r\n\r\n", "not an HTTP/1.x status line"}},
      {"status not digits", {"HTTP/1.1 2x2 OK\r\n\r\n", "not an HTTP/1.x status line"}},
      {"header block too large",
       {"HTTP/1.1 200 OK\r\nX-Big: " + std::string(kMaxResponseHeadBytes, 'h') + "\r\n\r\n",
        "header block over"}},
      {"endless header lines", {"HTTP/1.1 200 OK\r\n" + repeat("X: y\r\n", 4000), "header block over"}},
      {"status line without end",
       {"HTTP/1.1 200 " + std::string(kMaxResponseHeadBytes * 2, 'r'), "header block over"}},
      {"bad content-length", {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"}},
      {"conflicting content-length",
       {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "invalid Content-Length"}},
      {"bad chunk size",
       {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid chunk size"}},
      {"huge chunk size",
       {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", "invalid chunk size"}},
      {"chunk-size line too long",
       {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + std::string(4096, 'e'),
        "chunk-size line over"}},
      {"no CRLF after chunk",
       {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n", "no CRLF"}},
      {"header without name", {"HTTP/1.1 200 OK\r\n: v\r\n\r\n", "without a name"}},
  };
  for (const auto& [name, wireAndError] : rejected) {
    for (std::size_t step : {wireAndError.first.size(), std::size_t{3}}) {
      INFO(name << " step " << step);
      HttpResponseParser parser = parse(wireAndError.first, step);
      REQUIRE(parser.failed());
      CHECK(parser.error().find(wireAndError.second) != std::string::npos);
    }
  }
}

TEST_CASE("HttpResponseParser: the stream ending early is an error, before or inside a response") {
  HttpResponseParser before;
  before.endOfStream();
  CHECK(before.failed());
  CHECK_FALSE(before.started());
  CHECK(before.error() == "connection closed by the server before any response");
  HttpResponseParser inside = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100, true);
  CHECK(inside.failed());
  CHECK(inside.started());
  CHECK(inside.error() == "connection closed by the server in the middle of the response");
}

TEST_CASE("chooseHttpClient: the rule of http_client_factory.h") {
  std::map<std::string, std::string> env;
  auto read = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  CHECK(chooseHttpClient(HttpClientSetting::Native, read).kind == HttpClientKind::Native);
  HttpClientChoice configured = chooseHttpClient(HttpClientSetting::Curl, read);
  CHECK(configured.kind == HttpClientKind::Curl);
  CHECK(configured.reason == "configured");
  for (const char* name : kProxyVariables) {
    env = {{name, "http://proxy:3128"}};
    HttpClientChoice proxied = chooseHttpClient(HttpClientSetting::Native, read);
    INFO(name);
    CHECK(proxied.kind == HttpClientKind::Curl);
    CHECK(proxied.reason == "proxy_variable");
    CHECK(proxied.variable == name);
  }
  env = {{"HTTPS_PROXY", ""}};  // set but empty: no proxy
  CHECK(chooseHttpClient(HttpClientSetting::Native, read).kind == HttpClientKind::Native);
}

TEST_CASE("requestHead: Host and Content-Length are ours, userinfo becomes Basic auth") {
  std::string error;
  const auto url = parseHttpUrl("https://us%3Aer:p%40ss@[::1]:8443/v1/metrics?x=1", error);
  REQUIRE(url);
  HttpRequest request;
  request.url = "unused here";
  request.headers = {{"Host", "evil"}, {"Content-Type", "application/x-protobuf"}, {"content-length", "999"}};
  request.body = "12345";
  CHECK(requestHead(request, *url, error) ==
        "POST /v1/metrics?x=1 HTTP/1.1\r\nHost: [::1]:8443\r\nContent-Type: application/x-protobuf\r\n"
        "Authorization: Basic dXM6ZXI6cEBzcw==\r\nContent-Length: 5\r\n\r\n");
  request.headers.emplace_back("Authorization", "Bearer token");  // the request's own wins
  CHECK(requestHead(request, *url, error).find("Basic") == std::string::npos);
  request.headers = {{"Bad Name", "v"}};
  CHECK(requestHead(request, *url, error).empty());
  CHECK(error == "a request header name is not an HTTP token");
  request.headers = {};
  request.method = "GET\r\nX";
  CHECK(requestHead(request, *url, error).empty());
  CHECK(error == "invalid request method");
}
