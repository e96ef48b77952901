#include "forward/retry_queue.h"

#include <algorithm>

namespace dynostatsd::forward {

void RetryQueue::push(Transaction transaction, std::vector<Transaction>& evicted) {
  std::size_t size = transaction.payload.memoryBytes();
  if (size > maxBytes_ || transaction.payload.route >= queues_.size()) {
    evicted.push_back(std::move(transaction));
    return;
  }
  while (bytes_ + reserved_ + size > maxBytes_ && count_ > 0) evictOldest(evicted);
  auto& fifo = queues_[transaction.payload.route];
  auto at =
      std::upper_bound(fifo.begin(), fifo.end(), transaction.sequence,
                       [](std::uint64_t sequence, const Transaction& t) { return sequence < t.sequence; });
  fifo.insert(at, std::move(transaction));
  bytes_ += size;
  ++count_;
}

Transaction RetryQueue::pop(std::size_t route) {
  auto& fifo = queues_[route];
  Transaction transaction = std::move(fifo.front());
  fifo.pop_front();
  bytes_ -= transaction.payload.memoryBytes();
  --count_;
  return transaction;
}

void RetryQueue::evictOldest(std::vector<Transaction>& evicted) {
  std::deque<Transaction>* oldest = nullptr;
  for (auto& fifo : queues_) {
    if (!fifo.empty() && (oldest == nullptr || fifo.front().sequence < oldest->front().sequence))
      oldest = &fifo;
  }
  if (oldest == nullptr) return;
  bytes_ -= oldest->front().payload.memoryBytes();
  --count_;
  evicted.push_back(std::move(oldest->front()));
  oldest->pop_front();
}

void RetryQueue::takeAll(std::vector<Transaction>& out) {
  for (auto& fifo : queues_) {
    for (auto& transaction : fifo) out.push_back(std::move(transaction));
    fifo.clear();
  }
  bytes_ = 0;
  count_ = 0;
}

}  // namespace dynostatsd::forward
