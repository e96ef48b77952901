#pragma once
// MemoryBudget: one bound, in bytes, on everything the agent holds between flushes — contexts with
// their names and tags, set members, histogram samples and sketches, |T points, queued events and
// service checks (the "aggregate" share) and the payloads waiting in sink queues (the "queue"
// share). Charged as data arrives, released when it is freed.
//
//   share      may use                         when full
//   Aggregate  limit - queueReserve (3/4)      the new sample / context / member / event is dropped
//   Queue      limit (all of it)               the sink drops its oldest queued payload first
//
// So a flood of new contexts can never starve the payloads already waiting to be sent, and
// queued payloads may borrow what aggregation leaves free. Every refused charge is counted per
// share (`drops()`, reported as dynostatsd.dropped{reason:memory_budget}).
//
// Event-loop thread only (no atomics: the hot path pays two compares and an add per charge).
// What is not charged is the fixed overhead documented in the README (code, libuv/libcurl, the
// per-flush slice being serialized, allocator slack).
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace dynostatsd {

class MemoryBudget {
 public:
  static constexpr std::size_t kDefaultBytes = std::size_t{64} << 20;
  static constexpr std::size_t kMinBytes = std::size_t{1} << 20;
  // Unlimited, for tests and tools that do not care.
  static constexpr std::size_t kUnlimited = SIZE_MAX / 4;

  enum class Share : std::uint8_t { Aggregate, Queue };

  explicit MemoryBudget(std::size_t limitBytes = kDefaultBytes)
      : limit_(limitBytes), reserve_(limitBytes / 4) {}

  // Charges `bytes` if they fit in `share`; otherwise charges nothing, counts one drop, returns false.
  bool tryCharge(std::size_t bytes, Share share = Share::Aggregate) {
    if (!fits(bytes, share)) {
      ++drops_[static_cast<std::size_t>(share)];
      return false;
    }
    add(bytes);
    return true;
  }
  // Whether `bytes` would fit, charging nothing (and counting nothing).
  bool fits(std::size_t bytes, Share share = Share::Aggregate) const {
    const std::size_t ceiling = share == Share::Aggregate ? limit_ - reserve_ : limit_;
    return bytes <= ceiling && used_ <= ceiling - bytes;
  }
  // Charges unconditionally: for memory already allocated (a container that just grew by a step
  // whose size is only known afterwards). Keeps the accounting exact; may pass the ceiling by that
  // one step, after which tryCharge refuses.
  void charge(std::size_t bytes) { add(bytes); }
  void release(std::size_t bytes) { used_ -= std::min(bytes, used_); }
  // Counts a drop decided by the caller (e.g. after fits() was false).
  void countDrop(Share share = Share::Aggregate) { ++drops_[static_cast<std::size_t>(share)]; }

  std::size_t limit() const { return limit_; }
  std::size_t used() const { return used_; }
  std::size_t available(Share share = Share::Aggregate) const {
    const std::size_t ceiling = share == Share::Aggregate ? limit_ - reserve_ : limit_;
    return used_ >= ceiling ? 0 : ceiling - used_;
  }
  std::uint64_t drops(Share share) const { return drops_[static_cast<std::size_t>(share)]; }
  std::uint64_t drops() const { return drops_[0] + drops_[1]; }
  // The highest `used()` since the last call (then restarts from the current value): the
  // interval's peak, for the memory.budget_used_bytes self-metric.
  std::size_t takePeak() {
    const std::size_t peak = peak_;
    peak_ = used_;
    return peak;
  }

 private:
  void add(std::size_t bytes) {
    used_ += bytes;
    peak_ = std::max(peak_, used_);
  }

  std::size_t limit_;
  std::size_t reserve_;  // kept for Share::Queue
  std::size_t used_ = 0;
  std::size_t peak_ = 0;
  std::uint64_t drops_[2] = {};
};

// The bytes a std::string's heap block takes (0 while it fits the small-string buffer), with the
// allocator's 16-byte header: what charging a copied name or tag costs.
inline std::size_t heapBytes(std::size_t stringCapacity) {
  return stringCapacity > 15 ? stringCapacity + 1 + 16 : 0;
}

}  // namespace dynostatsd
