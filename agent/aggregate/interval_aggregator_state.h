#pragma once
// The aggregator's private per-context state, shared by interval_aggregator.cpp (add path) and
// interval_aggregator_flush.cpp (flush path). Not part of the stage's interface.
#include <memory>
#include <string>
#include <vector>

#include "aggregate/ddsketch.h"
#include "aggregate/histogram_accumulator.h"
#include "aggregate/interval_aggregator.h"
#include "aggregate/key_index.h"
#include "aggregate/member_set.h"

namespace dynostatsd {

// The start of the epoch-aligned bucket holding `seconds`.
inline std::int64_t bucketStart(std::int64_t seconds, std::int64_t interval) {
  const std::int64_t remainder = ((seconds % interval) + interval) % interval;
  return seconds - remainder;
}

// What one histogram output series carries (HistogramOutput::statistic).
enum HistogramStatistic : int { kMax, kMin, kMedian, kAvg, kSum, kCount, kPercentile };

// One context's data for one bucket. Only the member matching the context's family is used.
struct IntervalAggregator::Bucket {
  static constexpr std::int64_t kNone = INT64_MIN;  // an empty head bucket
  std::int64_t start = kNone;
  double value = 0;                    // counter: sum of v/rate; gauge: last value
  std::unique_ptr<MemberSet> members;  // set: 64-bit hashes of the distinct members
  std::unique_ptr<HistogramAccumulator> histogram;
  std::unique_ptr<DDSketch> sketch;
};

struct IntervalAggregator::Context {
  std::uint64_t key = 0;  // 0: free slot
  std::string identity;   // ContextIdentity encoding of name, host, sorted tags
  Family family = Family::Counter;
  bool timer = false;                         // a histogram context created by `ms`
  std::int64_t lastSeen = 0;                  // clock seconds of the last accepted sample
  std::int64_t lastSampleBucket = INT64_MIN;  // newest bucket that received data
  std::int64_t nextFlushBucket = INT64_MIN;   // buckets before this one were flushed
  // The newest bucket lives inline (no pointer chase on the hot path); older unflushed buckets,
  // at most one or two around an interval boundary, wait in `older` (ascending, < head.start).
  Bucket head;
  std::vector<Bucket> older;
  bool empty() const { return head.start == Bucket::kNone && older.empty(); }
};

inline std::size_t pooledBytes(const MemberSet& members) {
  return members.bytes();
}
inline std::size_t pooledBytes(const HistogramAccumulator& histogram) {
  return histogram.memoryBytes();
}
inline std::size_t pooledBytes(const DDSketch& sketch) {
  return sketch.memoryBytes();
}

// Emptied per-bucket objects of one kind kept, with their capacity, for the next bucket, so a
// context that sees the same traffic every interval allocates nothing in steady state (set
// members, histogram samples and sketch bins included). Bounded in bytes: at most kMaxBytes of
// capacity per kind and kMaxObjectBytes per object (larger ones are freed).
template <typename T>
class ObjectPool {
 public:
  static constexpr std::size_t kMaxBytes = 2 << 20;
  static constexpr std::size_t kMaxObjectBytes = 256 << 10;
  static constexpr std::size_t kMaxObjects = 1024;

  std::unique_ptr<T> take() {
    if (objects_.empty()) return std::make_unique<T>();
    auto object = std::move(objects_.back());
    objects_.pop_back();
    bytes_ -= pooledBytes(*object);
    return object;
  }
  // `object` must be emptied (cleared, capacity kept).
  void give(std::unique_ptr<T> object) {
    const std::size_t bytes = pooledBytes(*object);
    if (bytes > kMaxObjectBytes || bytes_ + bytes > kMaxBytes || objects_.size() >= kMaxObjects) return;
    bytes_ += bytes;
    objects_.push_back(std::move(object));
  }
  std::size_t bytes() const { return bytes_; }

 private:
  std::vector<std::unique_ptr<T>> objects_;
  std::size_t bytes_ = 0;
};

struct IntervalAggregator::Pools {
  ObjectPool<MemberSet> sets;
  ObjectPool<HistogramAccumulator> histograms;
  ObjectPool<DDSketch> sketches;
};

}  // namespace dynostatsd
