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
  double value = 0;                   // counter: sum of v/rate; gauge: last value
  std::unique_ptr<KeyIndex> members;  // set: 64-bit hashes of the distinct members
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

// Emptied per-bucket objects kept for the next bucket, so steady state does not allocate.
// Bounded: at most kLimit objects per kind, each holding at most kMaxPooledBytes of capacity
// (larger ones are freed), so each pool keeps at most 1 MiB.
struct IntervalAggregator::Pools {
  static constexpr std::size_t kLimit = 128;
  static constexpr std::size_t kMaxPooledBytes = 8192;
  std::vector<std::unique_ptr<KeyIndex>> sets;
  std::vector<std::unique_ptr<HistogramAccumulator>> histograms;
  std::vector<std::unique_ptr<DDSketch>> sketches;

  template <typename T>
  static std::unique_ptr<T> take(std::vector<std::unique_ptr<T>>& pool) {
    if (pool.empty()) return std::make_unique<T>();
    auto object = std::move(pool.back());
    pool.pop_back();
    return object;
  }
};

}  // namespace dynostatsd
