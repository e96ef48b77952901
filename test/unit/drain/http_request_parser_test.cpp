#include "drain/http_request_parser.h"

#include <catch2/catch.hpp>
#include <string>

using namespace dynostatsd::drain;
using State = HttpRequestParser::State;

namespace {

// Feeds the whole text (in pieces of `step` bytes), as a connection would; returns bytes used.
std::size_t feedAll(HttpRequestParser& parser, std::string_view text, std::size_t step = 1 << 20) {
  std::size_t used = 0;
  while (used < text.size() && parser.state() != State::Complete && parser.state() != State::Error) {
    std::string_view piece = text.substr(used, std::min(step, text.size() - used));
    used += parser.feed(piece);
  }
  return used;
}

const std::string kRequest =
    "POST /logs/shop?x=1 HTTP/1.1\r\nHost: drain.example\r\nContent-Type: application/logplex-1\r\n"
    "Logplex-Msg-Count: 1\r\nContent-Length: 11\r\n\r\nhello world";

}  // namespace

TEST_CASE("a Logplex POST parses whole, in any split") {
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{1000}}) {
    HttpRequestParser parser;
    INFO(step);
    REQUIRE(feedAll(parser, kRequest, step) == kRequest.size());
    REQUIRE(parser.state() == State::Complete);
    CHECK(parser.method() == "POST");
    CHECK(parser.target() == "/logs/shop?x=1");
    CHECK(*parser.header("content-type") == "application/logplex-1");
    CHECK(*parser.header("LOGPLEX-MSG-COUNT") == "1");
    CHECK(parser.header("Logplex-Frame-Id") == nullptr);
    CHECK(parser.body() == "hello world");
    CHECK(parser.keepAlive());
  }
}

TEST_CASE("the head is reported before the body is consumed, and pipelined bytes are left") {
  HttpRequestParser parser;
  std::string two = kRequest + kRequest;
  std::size_t used = parser.feed(two);
  CHECK(parser.headComplete());
  CHECK(parser.state() == State::Body);
  CHECK(used == kRequest.size() - 11);
  used += parser.feed(std::string_view(two).substr(used));
  CHECK(parser.state() == State::Complete);
  CHECK(used == kRequest.size());
  parser.reset();
  CHECK(feedAll(parser, std::string_view(two).substr(used)) == kRequest.size());
  CHECK(parser.state() == State::Complete);
}

TEST_CASE("chunked bodies are decoded") {
  const std::string request =
      "POST /logs/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\n"
      "X-Trailer: 1\r\n\r\n";
  for (std::size_t step : {std::size_t{1}, std::size_t{4}, std::size_t{1000}}) {
    HttpRequestParser parser;
    REQUIRE(feedAll(parser, request, step) == request.size());
    REQUIRE(parser.state() == State::Complete);
    CHECK(parser.body() == "hello world");
    CHECK(parser.contentLength() == -1);
  }
}

TEST_CASE("malformed or oversized requests fail with their status") {
  struct Case {
    std::string request;
    int status;
    const char* reason;
  };
  HttpLimits limits;
  limits.maxHeadBytes = 256;
  limits.maxHeaders = 4;
  limits.maxBodyBytes = 16;
  const Case cases[] = {
      {"POST /logs/a HTTP/1.1\nHost: x\r\n\r\n", 400, "bare_cr_or_lf"},
      {"POST /logs/a\r\n\r\n", 400, "bad_request_line"},
      {"POST logs HTTP/1.1\r\n\r\n", 400, "bad_target"},
      {"POST /logs/a HTTP/2.0\r\n\r\n", 505, "bad_version"},
      {"POST /logs/a HTTP/1.1\r\nHost x\r\n\r\n", 400, "bad_header"},
      {"POST /logs/a HTTP/1.1\r\nHo st: x\r\n\r\n", 400, "bad_header_name"},
      {"POST /logs/a HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "obs_fold"},
      {"POST /logs/a HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "bad_content_length"},
      {"POST /logs/a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
       "conflicting_content_length"},
      {"POST /logs/a HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "content_length_and_chunked"},
      {"POST /logs/a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unsupported_transfer_encoding"},
      {"POST /logs/a HTTP/1.1\r\nContent-Length: 17\r\n\r\n", 413, "body_too_large"},
      {"POST /logs/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n", 413, "body_too_large"},
      {"POST /logs/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad_chunk_size"},
      {"POST /logs/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 400, "bad_chunk_end"},
      {"POST /logs/a HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\ne: 5\r\n\r\n", 431, "too_many_headers"},
      {"POST /logs/a HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n", 431, "head_too_large"},
      {"POST /logs/a HTTP/1.1\r\nExpect: tea\r\n\r\n", 417, "bad_expect"},
  };
  for (const auto& c : cases) {
    HttpRequestParser parser(limits);
    INFO(c.request);
    feedAll(parser, c.request, 5);
    REQUIRE(parser.state() == State::Error);
    CHECK(parser.errorStatus() == c.status);
    CHECK(parser.errorReason() == c.reason);
  }
}

TEST_CASE("Connection and Expect headers") {
  HttpRequestParser parser;
  feedAll(parser,
          "POST /logs/a HTTP/1.1\r\nConnection: close\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n");
  CHECK(parser.state() == State::Complete);
  CHECK_FALSE(parser.keepAlive());
  CHECK(parser.expectContinue());
  parser.reset();
  feedAll(parser, "\r\nPOST /logs/a HTTP/1.0\r\n\r\n");
  CHECK(parser.state() == State::Complete);
  CHECK_FALSE(parser.keepAlive());
}
