#include "forward/transaction.h"

namespace dynostatsd::forward {
namespace {

std::string transportReason(TransportError error) {
  switch (error) {
    case TransportError::Timeout: return "timeout";
    case TransportError::Connect: return "connect";
    case TransportError::Resolve: return "dns";
    case TransportError::Tls: return "tls";
    case TransportError::None:
    case TransportError::Network: return "network";
  }
  return "network";
}

}  // namespace

Outcome classify(const HttpResponse& response) {
  long status = response.status;
  if (status == 0) return {OutcomeKind::Retry, transportReason(response.error)};
  std::string reason = "http_" + std::to_string(status);
  if (status >= 200 && status < 300) return {OutcomeKind::Sent, reason};
  if (status == 400 || status == 403) return {OutcomeKind::Dropped, reason};
  if (status == 413) return {OutcomeKind::Split, reason};
  if (status >= 400) return {OutcomeKind::Retry, reason};
  return {OutcomeKind::Dropped, reason};  // 1xx, 3xx
}

std::string statusClass(long status) {
  if (status < 100 || status > 599) return "none";
  return std::to_string(status / 100) + "xx";
}

}  // namespace dynostatsd::forward
