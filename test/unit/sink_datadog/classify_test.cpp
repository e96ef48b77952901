#include <catch2/catch.hpp>

#include "sink/datadog/datadog_sink.h"

using namespace dynostatsd;
using namespace dynostatsd::forward;
using namespace dynostatsd::datadog;

TEST_CASE("Every HTTP answer maps to one outcome") {
  struct Case {
    long status;
    TransportError error;
    OutcomeKind kind;
    std::string_view reason;
  };
  const Case cases[] = {
      {200, TransportError::None, OutcomeKind::Sent, "http_200"},
      {202, TransportError::None, OutcomeKind::Sent, "http_202"},
      {400, TransportError::None, OutcomeKind::Dropped, "http_400"},
      {403, TransportError::None, OutcomeKind::Dropped, "http_403"},
      {413, TransportError::None, OutcomeKind::Split, "http_413"},
      {404, TransportError::None, OutcomeKind::Retry, "http_404"},
      {408, TransportError::None, OutcomeKind::Retry, "http_408"},
      {429, TransportError::None, OutcomeKind::Retry, "http_429"},
      {500, TransportError::None, OutcomeKind::Retry, "http_500"},
      {503, TransportError::None, OutcomeKind::Retry, "http_503"},
      {401, TransportError::None, OutcomeKind::Retry, "http_401"},
      {301, TransportError::None, OutcomeKind::Dropped, "http_301"},
      {0, TransportError::Timeout, OutcomeKind::Retry, "timeout"},
      {0, TransportError::Connect, OutcomeKind::Retry, "connect"},
      {0, TransportError::Resolve, OutcomeKind::Retry, "dns"},
      {0, TransportError::Tls, OutcomeKind::Retry, "tls"},
      {0, TransportError::Network, OutcomeKind::Retry, "network"},
  };
  for (const Case& c : cases) {
    HttpResponse response;
    response.status = c.status;
    response.error = c.error;
    Outcome outcome = classify(response);
    INFO(c.status << " " << c.reason);
    CHECK(outcome.kind == c.kind);
    CHECK(outcome.name() == c.reason);
  }
  HttpResponse limited;
  limited.status = 503;
  limited.headers = {{"retry-after", "30"}};
  CHECK(classify(limited, 0).retryAfterSeconds == 30.0);
  limited.status = 403;
  CHECK(classify(limited, 0).loggedBySink);  // the sink's own throttled line about the key
}
