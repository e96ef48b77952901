// Delivery self-metrics: what was sent, answered, retried and dropped, and the queue's size.
#include "forward/delivery.h"

namespace dynostatsd::forward {

void Delivery::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  for (std::size_t route = 0; route < routes_.size(); ++route) {
    const RouteState& state = state_[route];
    if (state.payloadsSent == 0) continue;
    std::string tag = "route:" + routes_[route].name;
    out.push_back({"sink.payloads_sent", {tag}, static_cast<double>(state.payloadsSent), true});
    out.push_back({"sink.bytes_sent", {tag}, static_cast<double>(state.bytesSent), true});
    out.push_back({"sink.points_sent", {tag}, static_cast<double>(state.itemsSent), true});
  }
  for (const auto& [cls, count] : counters_.responses)
    out.push_back({"sink.responses", {"status_class:" + cls}, static_cast<double>(count), true});
  for (const auto& [reason, count] : counters_.retries)
    out.push_back({"sink.retries", {"reason:" + reason}, static_cast<double>(count), true});
  for (const auto& [reason, count] : counters_.droppedPayloads)
    out.push_back({"sink.dropped_payloads", {"reason:" + reason}, static_cast<double>(count), true});
  for (const auto& [reason, count] : counters_.droppedItems)
    out.push_back({"sink.dropped_items", {"reason:" + reason}, static_cast<double>(count), true});
  out.push_back({"sink.splits", {}, static_cast<double>(counters_.splits), true});
  out.push_back(
      {"sink.queue_bytes", {}, static_cast<double>(queue_.bytes() + queue_.reservedBytes()), false});
  out.push_back({"sink.queue_payloads", {}, static_cast<double>(queue_.size()), false});
  out.push_back({"sink.in_flight", {}, static_cast<double>(inFlight_.size()), false});
  int concurrency = 0;
  for (const RouteState& state : state_) concurrency = std::max(concurrency, state.limit);
  out.push_back({"sink.concurrency", {}, static_cast<double>(concurrency), false});
}

}  // namespace dynostatsd::forward
