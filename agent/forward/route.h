#pragma once
// Route: one destination of a sink's payloads for the vendor-neutral delivery layer
// (forward/Delivery): where to POST, with which headers, what each answer means, and how to cut a
// payload the server answered 413 in two. Payload::route is the index of its route.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "forward/http_client.h"
#include "forward/outcome.h"
#include "serialize/payload.h"

namespace dynostatsd::forward {

struct Route {
  using Classify = std::function<Outcome(const HttpResponse& response, std::int64_t nowSeconds)>;
  using Split = std::function<std::optional<std::pair<serialize::Payload, serialize::Payload>>(
      const serialize::Payload& payload)>;
  using OnAnswer = std::function<void(const HttpResponse& response, const Outcome& outcome,
                                      const serialize::Payload& payload)>;

  std::string name;  // "series_v2", "metrics": the endpoint= log field and route: tag
  std::string url;   // may hold user:password@ (logs show displayUrl())
  std::vector<std::pair<std::string, std::string>> headers;  // may hold secrets: never logged
  // Queued payloads older than this are dropped as `expired` (the intake would refuse them);
  // 0 = no limit.
  std::int64_t maxAgeMillis = 0;
  // What an answer means (required). transportOutcome() for status 0 is the usual first line.
  Classify classify;
  // For OutcomeKind::Split (413): the two halves, or nullopt (-> dropped as too_large). Empty: a
  // Split outcome is dropped as too_large.
  Split split;
  // Optional: sees every answer after classification (sink-specific logs and counters, e.g.
  // Datadog's invalid-key line or OTLP's partial_success).
  OnAnswer onAnswer;
};

}  // namespace dynostatsd::forward
