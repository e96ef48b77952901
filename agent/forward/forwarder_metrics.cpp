// Forwarder self-metrics: what was sent, answered, retried and dropped, and the queue's size.
#include "forward/forwarder.h"

namespace dynostatsd::forward {

using serialize::Endpoint;
using serialize::endpointInfo;

void Forwarder::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  for (std::size_t i = 0; i < serialize::kEndpointCount; ++i) {
    std::string tag = "endpoint:" + std::string(endpointInfo(static_cast<Endpoint>(i)).name);
    if (counters_.payloadsSent[i] == 0) continue;
    out.push_back({"forward.payloads_sent", {tag}, static_cast<double>(counters_.payloadsSent[i]), true});
    out.push_back({"forward.bytes_sent", {tag}, static_cast<double>(counters_.bytesSent[i]), true});
  }
  for (const auto& [cls, count] : counters_.responses)
    out.push_back({"forward.responses", {"status_class:" + cls}, static_cast<double>(count), true});
  for (const auto& [reason, count] : counters_.retries)
    out.push_back({"forward.retries", {"reason:" + reason}, static_cast<double>(count), true});
  for (const auto& [reason, count] : counters_.droppedPayloads)
    out.push_back({"forward.dropped_payloads", {"reason:" + reason}, static_cast<double>(count), true});
  for (const auto& [reason, count] : counters_.droppedItems)
    out.push_back({"forward.dropped_items", {"reason:" + reason}, static_cast<double>(count), true});
  out.push_back({"forward.splits", {}, static_cast<double>(counters_.splits), true});
  out.push_back({"forward.queue_bytes", {}, static_cast<double>(queue_.bytes()), false});
  out.push_back({"forward.queue_payloads", {}, static_cast<double>(queue_.size()), false});
  out.push_back({"forward.in_flight", {}, static_cast<double>(inFlight_.size()), false});
  const serialize::SerializeStats& stats = serializer_.stats();
  out.push_back({"serialize.non_finite_points", {}, static_cast<double>(stats.nonFinitePoints), true});
  out.push_back({"serialize.empty_series", {}, static_cast<double>(stats.emptySeries), true});
  out.push_back({"serialize.oversized_items", {}, static_cast<double>(stats.oversizedItems), true});
  out.push_back({"serialize.truncated_fields", {}, static_cast<double>(stats.truncatedFields), true});
}

}  // namespace dynostatsd::forward
