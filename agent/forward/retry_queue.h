#pragma once
// RetryQueue: every payload waiting to be sent (new or to be retried), one FIFO per endpoint in
// submission order, bounded in bytes across all endpoints. When a push goes over the bound the
// OLDEST payloads (lowest sequence, any endpoint) are evicted first and handed back so the
// forwarder counts and logs them. Memory: at most maxBytes of payload plus bookkeeping, and with
// a MemoryBudget every queued payload is charged to its queue share: when the budget is full the
// oldest payloads are evicted the same way.
#include <array>
#include <cstddef>
#include <deque>
#include <vector>

#include "forward/transaction.h"
#include "model/memory_budget.h"

namespace dynostatsd::forward {

class RetryQueue {
 public:
  explicit RetryQueue(std::size_t maxBytes) : maxBytes_(maxBytes) {}
  ~RetryQueue() { setMemoryBudget(nullptr); }
  RetryQueue(const RetryQueue&) = delete;
  RetryQueue& operator=(const RetryQueue&) = delete;
  // Charges what is queued to `budget` (Share::Queue) from now on; null stops charging.
  void setMemoryBudget(MemoryBudget* budget) {
    if (budget_ != nullptr) budget_->release(bytes_);
    budget_ = budget;
    if (budget_ != nullptr) budget_->charge(bytes_);
  }

  // Inserts by sequence (new payloads go last; a retried one back where it was). Evicted payloads
  // are appended to `evicted`; a payload larger than the whole bound is itself evicted.
  void push(Transaction transaction, std::vector<Transaction>& evicted);

  bool empty(serialize::Endpoint endpoint) const { return queue(endpoint).empty(); }
  const Transaction& front(serialize::Endpoint endpoint) const { return queue(endpoint).front(); }
  Transaction pop(serialize::Endpoint endpoint);

  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return bytes_; }
  std::size_t maxBytes() const { return maxBytes_; }
  // Removes everything (shutdown), appending it to `out`.
  void takeAll(std::vector<Transaction>& out);

 private:
  std::deque<Transaction>& queue(serialize::Endpoint endpoint) {
    return queues_[static_cast<std::size_t>(endpoint)];
  }
  const std::deque<Transaction>& queue(serialize::Endpoint endpoint) const {
    return queues_[static_cast<std::size_t>(endpoint)];
  }
  void evictOldest(std::vector<Transaction>& evicted);

  std::size_t maxBytes_;
  MemoryBudget* budget_ = nullptr;
  std::size_t bytes_ = 0;
  std::size_t count_ = 0;
  std::array<std::deque<Transaction>, serialize::kEndpointCount> queues_;
};

}  // namespace dynostatsd::forward
