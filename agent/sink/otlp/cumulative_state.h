#pragma once
// CumulativeState: the running totals CUMULATIVE temporality needs, per stream (kind + name +
// host + tags, kept as a 64-bit hash of them, as the aggregator keys its contexts: two streams
// whose hashes collide, ~1e-9 for 200k streams, would share a total): a counter's total and an
// exponential histogram merged since the stream was first seen, with that first point's start
// time (every point of a stream repeats it).
// Memory: bounded in bytes (keys, totals and histogram buckets); a new stream beyond the bound is
// refused (the caller drops its points and counts them). A stream with no point for `expiry`
// seconds is forgotten, so a series that comes back later restarts with a new start time (a
// legitimate reset). The state lives in memory only: a restart of the agent is a reset too.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sink/otlp/exponential_histogram.h"

namespace dynostatsd::otlp {

struct StreamState {
  std::uint64_t startNanos = 0;
  std::uint64_t lastTimeNanos = 0;                  // times of one stream never go backwards
  double total = 0;                                 // counters
  std::unique_ptr<ExponentialHistogram> histogram;  // h / ms / d (null for counters)
};

class CumulativeState {
 public:
  CumulativeState(std::size_t maxBytes, std::int64_t expirySeconds)
      : maxBytes_(maxBytes), expiry_(expirySeconds) {}

  // The stream's state, created with startNanos when new; nullptr when a new stream would exceed
  // the byte bound. A histogram stream is charged its largest size up front (both signs at
  // kMaxBuckets; merge() keeps capacities tight), so merging into it never exceeds the bound.
  StreamState* find(std::string_view key, std::uint64_t startNanos, bool histogram);
  // Per-stream costs, for the README and tests: a counter, and a histogram charged up front.
  static constexpr std::size_t kEntryOverhead = 48;  // hash node and bucket slot
  static constexpr std::size_t kCounterBytes =
      sizeof(std::uint64_t) + sizeof(StreamState) + sizeof(std::size_t) + kEntryOverhead;
  static constexpr std::size_t kHistogramBytes =
      kCounterBytes + sizeof(ExponentialHistogram) + 2 * kMaxBuckets * sizeof(std::uint64_t);
  // Forgets the streams whose last point is older than nowSeconds - expiry.
  void expire(std::int64_t nowSeconds);

  std::size_t bytes() const { return bytes_; }
  std::size_t streams() const { return streams_.size(); }

 private:
  struct Entry {
    StreamState state;
    std::size_t bytes;
  };

  std::size_t maxBytes_;
  std::int64_t expiry_;
  std::size_t bytes_ = 0;
  std::unordered_map<std::uint64_t, Entry> streams_;
};

}  // namespace dynostatsd::otlp
