#pragma once
// Transaction: one payload on its way to the intake, and the single place that decides what an
// HTTP answer means for it (after the Datadog Agent's transaction.go):
//   2xx                         Sent
//   400                         Dropped (the body is wrong; resending cannot help)
//   403                         Dropped (the API key is invalid)
//   413                         Split in two and both halves resent; a single item is Dropped
//   404, 408, 429, 5xx, other   Retry with backoff (404: proxies and regional routing)
//   1xx, 3xx                    Dropped (a redirect means DD_DD_URL is wrong)
//   no answer (timeout, refused connection, DNS, TLS)   Retry with backoff
#include <cstdint>
#include <string>

#include "forward/http_client.h"
#include "serialize/payload.h"

namespace dynostatsd::forward {

enum class OutcomeKind : std::uint8_t { Sent, Retry, Dropped, Split };

struct Outcome {
  OutcomeKind kind;
  std::string reason;  // logfmt/self-metric spelling: "http_503", "timeout", "connect", ...
};

Outcome classify(const HttpResponse& response);

// "2xx", "4xx", ... or "none" when no answer arrived: the self-metric tag of a response.
std::string statusClass(long status);

struct Transaction {
  serialize::Payload payload;
  std::uint64_t sequence = 0;  // submission order: lower is older
  std::int64_t createdMillis = 0;
  int attempts = 0;
};

}  // namespace dynostatsd::forward
