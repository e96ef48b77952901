#include "sink/otlp/otlp_sink.h"

#include <catch2/catch.hpp>

#include "protoc_decode.h"

using namespace dynostatsd;
using namespace dynostatsd::otlp;
using forward::HttpResponse;
using forward::OutcomeKind;
using forward::TransportError;

namespace {

HttpResponse answer(long status, std::vector<std::pair<std::string, std::string>> headers = {},
                    std::string body = {}) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST_CASE("classify: the OTLP/HTTP retry rules") {
  struct Case {
    long status;
    OutcomeKind kind;
  };
  for (const Case& c : std::vector<Case>{{200, OutcomeKind::Sent},
                                         {202, OutcomeKind::Sent},
                                         {429, OutcomeKind::Retry},
                                         {502, OutcomeKind::Retry},
                                         {503, OutcomeKind::Retry},
                                         {504, OutcomeKind::Retry},
                                         {413, OutcomeKind::Split},
                                         {400, OutcomeKind::Dropped},
                                         {401, OutcomeKind::Dropped},
                                         {403, OutcomeKind::Dropped},
                                         {404, OutcomeKind::Dropped},
                                         {408, OutcomeKind::Dropped},
                                         {500, OutcomeKind::Dropped},
                                         {501, OutcomeKind::Dropped},
                                         {301, OutcomeKind::Dropped}}) {
    INFO("status " << c.status);
    CHECK(classify(answer(c.status)).kind == c.kind);
  }
  CHECK(classify(answer(400)).loggedBySink);
  HttpResponse refused;
  refused.error = TransportError::Connect;
  CHECK(classify(refused).kind == OutcomeKind::Retry);
  CHECK(classify(refused).name() == "connect");
}

TEST_CASE("classify: Retry-After in seconds or as an HTTP-date") {
  CHECK(classify(answer(429, {{"retry-after", "7"}})).retryAfterSeconds == 7);
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
  CHECK(classify(answer(503, {{"retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"}}), 784111770)
            .retryAfterSeconds == 7);
  CHECK(classify(answer(503)).retryAfterSeconds < 0);
}

TEST_CASE("partial_success read from a body encoded by protoc") {
  const std::string body = otlptest::encodeText(
      "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse",
      "partial_success { rejected_data_points: 3 error_message: \"3 points had invalid names\" }");
  auto partial = parsePartialSuccess(body);
  REQUIRE(partial);
  CHECK(partial->rejectedDataPoints == 3);
  CHECK(partial->errorMessage == "3 points had invalid names");
  // Cut at the response-body bound: what arrived is still read.
  auto cut = parsePartialSuccess(body.substr(0, body.size() - 6));
  REQUIRE(cut);
  CHECK(cut->rejectedDataPoints == 3);
  CHECK(cut->errorMessage == "3 points had invalid");
  CHECK_FALSE(parsePartialSuccess(""));
  CHECK_FALSE(parsePartialSuccess(
      otlptest::encodeText("opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse", "")));
  CHECK_FALSE(parsePartialSuccess("\xff\xff\xff"));
}

TEST_CASE("errorMessage: google.rpc.Status.message, or a short text body") {
  // google.rpc.Status{code: 3, message: "bad data"} (googleapis' field numbers 1 and 2).
  const std::string status = std::string("\x08\x03\x12\x08", 4) + "bad data";
  CHECK(errorMessage(answer(400, {{"content-type", "application/x-protobuf"}}, status)) == "bad data");
  CHECK(errorMessage(answer(400, {{"content-type", "text/plain"}}, "invalid temporality")) ==
        "invalid temporality");
  CHECK(errorMessage(answer(400, {{"content-type", "application/x-protobuf"}}, "\x12\x05\x01\x02")) == "");
}
