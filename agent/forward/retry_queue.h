#pragma once
// RetryQueue: every payload waiting to be sent (new or to be retried), one FIFO per route in
// submission order, bounded in bytes across all routes of one sink, counting the payloads in
// flight too (reserve()/release()). When a push goes over the bound the OLDEST queued payloads
// (lowest sequence, any route) are evicted first and handed back so the delivery counts and logs
// them. Memory: at most maxBytes of payload plus bookkeeping.
// (The agent-wide memory budget, when there is one, hooks here: push() is where a sink's bytes
// are admitted.)
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "serialize/payload.h"

namespace dynostatsd::forward {

struct Transaction {
  serialize::Payload payload;
  std::uint64_t sequence = 0;  // submission order: lower is older
  std::int64_t createdMillis = 0;
  int attempts = 0;
  std::int64_t sentMillis = 0;  // when the current attempt was dispatched
};

class RetryQueue {
 public:
  RetryQueue(std::size_t maxBytes, std::size_t routes) : maxBytes_(maxBytes), queues_(routes) {}

  // Inserts by sequence (new payloads go last; a retried one back where it was). Evicted payloads
  // are appended to `evicted`; a payload larger than the whole bound is itself evicted.
  void push(Transaction transaction, std::vector<Transaction>& evicted);

  bool empty(std::size_t route) const { return queues_[route].empty(); }
  const Transaction& front(std::size_t route) const { return queues_[route].front(); }
  Transaction pop(std::size_t route);
  std::size_t size(std::size_t route) const { return queues_[route].size(); }

  // Bytes held outside the queue (payloads in flight) that count against the bound.
  void reserve(std::size_t bytes) { reserved_ += bytes; }
  void release(std::size_t bytes) { reserved_ -= bytes < reserved_ ? bytes : reserved_; }

  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return bytes_; }
  std::size_t reservedBytes() const { return reserved_; }
  std::size_t maxBytes() const { return maxBytes_; }
  std::size_t routes() const { return queues_.size(); }
  // Removes everything (shutdown), appending it to `out`.
  void takeAll(std::vector<Transaction>& out);

 private:
  void evictOldest(std::vector<Transaction>& evicted);

  std::size_t maxBytes_;
  std::size_t bytes_ = 0;
  std::size_t reserved_ = 0;
  std::size_t count_ = 0;
  std::vector<std::deque<Transaction>> queues_;
};

}  // namespace dynostatsd::forward
