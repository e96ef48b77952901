// Delivery shutdown: drain() until the queue is empty or the deadline passes, then close().
#include "forward/delivery.h"

namespace dynostatsd::forward {
namespace {

constexpr std::string_view kStage = "forward";

}  // namespace

void Delivery::drain(std::function<void()> done) {
  drainDone_ = std::move(done);
  if (closed_) {
    auto callback = std::move(drainDone_);
    drainDone_ = nullptr;
    if (callback) callback();
    return;
  }
  draining_ = true;
  drainFinished_ = false;
  std::int64_t now = clock_.nowMillis();
  for (RouteState& state : state_) {
    state.blockedUntilMillis = std::min(state.blockedUntilMillis, now + kDrainRetryMillis);
  }
  drainTimer_.start(static_cast<std::uint64_t>(std::max(0, options_.shutdownDeadlineSeconds)) * 1000);
  pump();
}

void Delivery::checkDrained() {
  if (!draining_ || drainFinished_ || !queue_.empty() || !inFlight_.empty()) return;
  drainFinished_ = true;
  log::write(log::Level::Info, kStage,
             "event=drained msg=\"everything queued was delivered or dropped\"" + logTail());
  drainTimer_.start(0);  // call back from the loop, not from inside a completion
}

void Delivery::onDrainTimer() {
  if (!drainFinished_) {
    drainFinished_ = true;
    std::vector<Transaction> undelivered;
    queue_.takeAll(undelivered);
    std::size_t items = 0, bytes = 0;
    const std::string reason = reasonName(Reason::Shutdown);
    for (const Transaction& transaction : undelivered) {
      items += transaction.payload.items;
      bytes += transaction.payload.body.size();
      ++counters_.droppedPayloads[reason];
      counters_.droppedItems[reason] += transaction.payload.items;
    }
    for (const auto& [id, transaction] : inFlight_) {
      items += transaction->payload.items;
      bytes += transaction->payload.body.size();
      ++counters_.droppedPayloads[reason];
      counters_.droppedItems[reason] += transaction->payload.items;
    }
    log::write(log::Level::Warn, kStage,
               "reason=shutdown_deadline undelivered_payloads=" +
                   std::to_string(undelivered.size() + inFlight_.size()) + " undelivered_items=" +
                   std::to_string(items) + " undelivered_bytes=" + std::to_string(bytes) +
                   " deadline=" + std::to_string(options_.shutdownDeadlineSeconds) + "s" + logTail());
  }
  auto callback = std::move(drainDone_);
  drainDone_ = nullptr;
  if (callback) callback();
}

void Delivery::close() {
  if (closed_) return;
  closed_ = true;
  client_->close();
  wakeTimer_.close();
  drainTimer_.close();
  inFlight_.clear();
}

}  // namespace dynostatsd::forward
