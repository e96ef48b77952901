#pragma once
// Outcome: what one HTTP answer means for the payload it carried, decided by the route's
// classify() (forward/route.h). Reasons are enums with one logfmt/self-metric spelling each
// (reasonName()); an HTTP status is carried beside Reason::HttpStatus ("http_503").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "forward/http_client.h"

namespace dynostatsd::forward {

enum class OutcomeKind : std::uint8_t { Sent, Retry, Dropped, Split };

enum class Reason : std::uint8_t {
  None,
  HttpStatus,  // "http_<status>"
  Timeout,     // transport: no answer in time
  Connect,     // refused / unreachable
  Dns,
  Tls,
  Network,
  QueueFull,          // evicted from the byte-bounded queue (oldest first)
  Expired,            // older than the route's maxAgeMillis
  Shutdown,           // still queued when the shutdown deadline passed
  TooLarge,           // 413 on a payload that cannot be split further
  CompressFailed,     // the encoder could not compress the body
  UnsupportedBySink,  // content the sink has no form for (e.g. OTLP events)
  Rejected,           // the intake accepted the request but rejected part of it
};

std::string reasonName(Reason reason, long status = 0);

struct Outcome {
  OutcomeKind kind = OutcomeKind::Dropped;
  Reason reason = Reason::None;
  long status = 0;                // the HTTP status, 0 when none arrived
  double retryAfterSeconds = -1;  // Retry: the server's Retry-After; < 0 when absent
  bool loggedBySink = false;      // Dropped: the route's onAnswer logs it (e.g. Datadog's 403)

  std::string name() const { return reasonName(reason, status); }
};

// The outcome of an answer that never arrived (status 0): always Retry, with the transport reason.
Outcome transportOutcome(const HttpResponse& response);

// The HTTP status as an outcome of `kind` ("http_<status>"), with Retry-After read for Retry.
Outcome statusOutcome(OutcomeKind kind, const HttpResponse& response, std::int64_t nowSeconds);

// Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; the wait in seconds from
// `nowSeconds` (0 for a date in the past), nullopt when absent or malformed.
std::optional<double> parseRetryAfter(std::string_view value, std::int64_t nowSeconds);

// "2xx", "4xx", ... or "none" when no answer arrived: the self-metric tag of a response.
std::string statusClass(long status);

}  // namespace dynostatsd::forward
