#include "forward/outcome.h"

#include <ctime>

namespace dynostatsd::forward {
namespace {

Reason transportReason(TransportError error) {
  switch (error) {
    case TransportError::Timeout: return Reason::Timeout;
    case TransportError::Connect: return Reason::Connect;
    case TransportError::Resolve: return Reason::Dns;
    case TransportError::Tls: return Reason::Tls;
    case TransportError::None:
    case TransportError::Network: return Reason::Network;
  }
  return Reason::Network;
}

bool allDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

}  // namespace

std::string reasonName(Reason reason, long status) {
  switch (reason) {
    case Reason::None: return "none";
    case Reason::HttpStatus: return "http_" + std::to_string(status);
    case Reason::Timeout: return "timeout";
    case Reason::Connect: return "connect";
    case Reason::Dns: return "dns";
    case Reason::Tls: return "tls";
    case Reason::Network: return "network";
    case Reason::QueueFull: return "queue_full";
    case Reason::Expired: return "expired";
    case Reason::Shutdown: return "shutdown";
    case Reason::TooLarge: return "too_large";
    case Reason::CompressFailed: return "compress_failed";
    case Reason::UnsupportedBySink: return "unsupported_by_sink";
    case Reason::Rejected: return "rejected";
  }
  return "none";
}

Outcome transportOutcome(const HttpResponse& response) {
  Outcome outcome;
  outcome.kind = OutcomeKind::Retry;
  outcome.reason = transportReason(response.error);
  return outcome;
}

Outcome statusOutcome(OutcomeKind kind, const HttpResponse& response, std::int64_t nowSeconds) {
  Outcome outcome;
  outcome.kind = kind;
  outcome.reason = Reason::HttpStatus;
  outcome.status = response.status;
  if (kind == OutcomeKind::Retry) {
    if (auto wait = parseRetryAfter(response.header("retry-after"), nowSeconds))
      outcome.retryAfterSeconds = *wait;
  }
  return outcome;
}

std::optional<double> parseRetryAfter(std::string_view value, std::int64_t nowSeconds) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (allDigits(value)) {
    if (value.size() > 9) return std::nullopt;  // more than 30 years: not a real answer
    return static_cast<double>(std::stol(std::string(value)));
  }
  // IMF-fixdate, the only form servers must send: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  std::string text(value);
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  std::int64_t at = ::timegm(&tm);
  return at > nowSeconds ? static_cast<double>(at - nowSeconds) : 0.0;
}

std::string statusClass(long status) {
  if (status < 100 || status > 599) return "none";
  return std::to_string(status / 100) + "xx";
}

}  // namespace dynostatsd::forward
