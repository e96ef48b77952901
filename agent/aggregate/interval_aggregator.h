#pragma once
// IntervalAggregator: DogStatsD aggregation with the Datadog Agent's semantics.
// Input: enriched MetricSamples (views valid only during add()); the injected Clock picks the
// bucket (flushIntervalSeconds wide, aligned to the epoch) unless the sample has `|T`.
// Output: flush() appends Series / SketchSeries / DistributionSeries (see setNeeds()) for every
// CLOSED bucket to a FlushBatch that the caller owns; flushAll also closes the open bucket
// (shutdown). Series.kind says which DogStatsD type each series came from; a counter's points
// carry the interval's count (model/series.h).
// Memory: everything held (contexts with their identity, set members, histogram samples and
// sketches, |T points, and the arrays indexing them) is charged to the MemoryBudget as it is
// allocated and released when freed; a sample whose context, member or values would not fit is
// dropped and counted (memoryBudgetDrops). The count limits stay as a second bound: at most
// maxContexts live contexts, <= kMaxSetMembers member hashes per set bucket, <= 2048 exact
// samples per histogram bucket and kExactSampleBudget overall before degrading to a sketch,
// <= kMaxTimestampedPending |T points.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aggregate/context_key.h"
#include "aggregate/histogram_accumulator.h"
#include "aggregate/key_index.h"
#include "config/config.h"
#include "model/clock.h"
#include "model/memory_budget.h"
#include "model/metric_sample.h"
#include "model/series.h"
#include "telemetry/log.h"

namespace dynostatsd {

struct AggregatorStats {                     // running totals, for self-metrics
  std::uint64_t samplesAccepted = 0;         // samples that contributed at least one value
  std::uint64_t invalidSampleRate = 0;       // rate NaN, <= 0 or > 1: treated as 1
  std::uint64_t nonFiniteValues = 0;         // NaN / +-Inf values rejected
  std::uint64_t contextLimitDrops = 0;       // samples for new contexts beyond maxContexts
  std::uint64_t setMemberLimitDrops = 0;     // new set members beyond kMaxSetMembers
  std::uint64_t timestampedUnsupported = 0;  // |T on a type other than c and g
  std::uint64_t timestampedTooOld = 0;       // |T more than 1 h in the past (intake would refuse)
  std::uint64_t contextsExpired = 0;
  std::uint64_t timestampedTooNew = 0;         // |T more than 10 min in the future
  std::uint64_t timestampedQueueDrops = 0;     // |T points beyond kMaxTimestampedPending
  std::uint64_t nonFiniteResults = 0;          // points dropped because a sum overflowed to +-Inf/NaN
  std::uint64_t keyCollisions = 0;             // samples dropped: their key belongs to another type family
  std::uint64_t histogramBucketsDegraded = 0;  // histogram buckets that fell back to a sketch
  std::uint64_t memoryBudgetDrops = 0;         // samples dropped: their memory would pass the budget
};

class IntervalAggregator {
 public:
  static constexpr std::size_t kMaxSetMembers = 100000;
  static constexpr std::size_t kExactSampleBudget = 262144;  // 4 MiB of exact histogram samples
  static constexpr std::size_t kMaxTimestampedPending = 65536;
  static constexpr std::int64_t kTimestampMaxAgeSeconds = 3600;
  static constexpr std::int64_t kTimestampMaxAheadSeconds = 600;
  // The context cache (wire spelling -> context slot) holds at most this many spellings (16 MiB).
  static constexpr std::size_t kMaxCachedSpellings = std::size_t{1} << 19;
  // flushSome also ends a slice once its series carry about this many bytes of names and tags, so
  // the flush's transient copy stays small whatever the tags' size.
  static constexpr std::size_t kMaxSliceBytes = std::size_t{1} << 20;

  // `budget`: shared with the rest of the agent; null = unlimited (tests, tools).
  IntervalAggregator(const AggregateConfig& config, const Clock& clock, std::vector<std::string> staticTags,
                     MemoryBudget* budget = nullptr);
  ~IntervalAggregator();
  IntervalAggregator(const IntervalAggregator&) = delete;
  IntervalAggregator& operator=(const IntervalAggregator&) = delete;

  void add(const MetricSample& sample);  // already enriched; bucket = clock time unless sample.timestamp
  // Same, with the caller's reading of the clock (one clock read per datagram instead of per line).
  void add(const MetricSample& sample, std::int64_t nowSeconds);
  // The ingest fast path (MetricConsumer::findKnownSpelling / addKnownSpelling), for a sample
  // that is parsed but not split or enriched. findKnownSpelling: true, with the context's slot,
  // when its (name, raw tag section, type family) was seen before; false for a new spelling or
  // a |T sample, which need add(). It changes nothing, but asks the CPU to fetch what
  // addKnownSpelling will touch (the context, a set's member slot). addKnownSpelling then adds
  // the sample; only other addKnownSpelling calls may come between the two.
  bool findKnownSpelling(const MetricSample& sample, std::uint32_t& slot) const;
  void addKnownSpelling(const MetricSample& sample, std::uint32_t slot, std::int64_t nowSeconds);

  // Moves every CLOSED bucket (start + interval <= start of the current bucket) into out.series /
  // out.sketches (appending), zero-fills counters, expires contexts, emits queued |T points.
  // flushAll (shutdown) also flushes the open bucket.
  void flush(FlushBatch& out, bool flushAll);
  // The same flush in slices, to bound the memory of a big flush: appends at most ~maxItems
  // series + sketches (a histogram's outputs are never split), returns true when the flush cycle
  // is complete. Serialize and clear `out` between calls; samples may be added in between (they
  // land in the open bucket). A flushAll call upgrades a cycle that is under way.
  bool flushSome(FlushBatch& out, bool flushAll, std::size_t maxItems);

  // Which flush shapes to build (the union of the sinks' SinkNeeds): Datadog's (histogram
  // statistic series and `sketches`) and/or the neutral `distributions`. Default: Datadog's only.
  void setNeeds(bool datadogShapes, bool distributions) {
    datadogShapes_ = datadogShapes;
    distributions_ = distributions;
  }

  std::size_t liveContexts() const { return liveContexts_; }
  const AggregatorStats& stats() const { return stats_; }
  std::size_t pendingTimestamped() const {
    return timestamped_.size() + drainingTimestamped_.size() - drainingNext_;
  }
  // Bytes this aggregator has charged to the budget right now.
  std::size_t chargedBytesForTest() const { return charged_; }

 private:
  enum class Family : std::uint8_t { Counter, Gauge, Set, Histogram, Distribution };
  struct Bucket;
  struct Context;
  struct Pools;
  struct TimestampedPoint {
    std::uint64_t key;
    std::string identity;
    Family family;
    std::int64_t timestamp;
    double value;
  };

  static Family familyOf(MetricType type);
  Context* findOrCreate(std::uint64_t key, const MetricSample& sample, Family family);
  void rememberSpelling(std::uint64_t rawKey, const Context& context);
  Bucket& bucketFor(Context& context, std::int64_t start);
  std::uint64_t memberHash(const MetricSample& sample) const;  // a set member's MemberSet key
  // sample.rate, or 1 (counted in invalidSampleRate) when it is outside (0, 1].
  double effectiveRate(const MetricSample& sample);
  // Adds the sample's values to the context's current bucket (the tail of both add paths).
  void accumulate(Context& context, const MetricSample& sample, Family family, double rate,
                  std::int64_t nowSeconds);
  void addTimestamped(const MetricSample& sample, std::int64_t nowSeconds);
  // Counts the sample's non-finite values (nonFiniteValues); false when none is finite.
  bool hasFiniteValue(const MetricSample& sample);
  void flushContext(Context& context, std::int64_t cutoff, std::int64_t zeroFillEnd, FlushBatch& out);
  void beginTimestampedFlush();
  // Emits queued |T points until the slice is full (false) or none is left (true).
  bool flushTimestamped(FlushBatch& out, std::size_t maxItems, std::size_t startItems, std::size_t& bytes);
  void expireContexts(std::int64_t now);
  void releaseBucket(Bucket& bucket);
  void pushPoint(Series& series, std::int64_t timestamp, double value);
  void rebuildIndex();
  // Memory accounting (see the header comment): admit() charges `bytes` if they fit, else counts a
  // memory_budget drop (with a throttled log line) and returns false.
  bool admit(std::size_t bytes);
  void budgetDrop();
  void chargeBytes(std::size_t bytes);
  void releaseBytes(std::size_t bytes);
  void resyncStructure();  // charges/releases the change in the arrays' capacities
  std::size_t structureBytes() const;
  static std::size_t bucketBytes(const Bucket& bucket);
  DistributionSeries makeDistribution(const Context& context) const;
  Series makeSeries(std::string_view identity, std::string_view suffix, SeriesType type,
                    MetricKind kind) const;
  std::vector<std::string> seriesTags(std::string_view identity) const;

  AggregateConfig config_;
  const Clock& clock_;
  MemoryBudget ownBudget_{MemoryBudget::kUnlimited};
  MemoryBudget& budget_;
  std::size_t charged_ = 0;           // all bytes charged by this aggregator
  std::size_t structureCharged_ = 0;  // the part charged for contexts_, index_, timestamped_ ...
  std::vector<std::string> staticTags_;
  std::int64_t interval_;
  std::int64_t lastNow_ = INT64_MIN;  // the last clock reading accumulate() saw, and its bucket
  std::int64_t lastBucketStart_ = 0;
  std::vector<RankRule> rankRules_;  // median + percentiles wanted, in output order
  struct HistogramOutput {
    std::string suffix;  // ".max", ".95percentile", ...
    int statistic;       // see interval_aggregator.cpp
    std::size_t rankIndex;
  };
  std::vector<HistogramOutput> histogramOutputs_;

  ContextKeyer keyer_;
  KeyIndex index_;
  KeyIndex rawIndex_;  // ContextKeyer::rawKey -> slot: skips tag hashing for a known spelling
  std::vector<Context> contexts_;
  std::vector<std::uint32_t> freeSlots_;
  std::size_t liveContexts_ = 0;
  std::size_t liveByFamily_[5] = {};  // indexed by Family, to reserve the flush output once
  std::unique_ptr<Pools> pools_;
  std::size_t exactBudget_ = kExactSampleBudget;
  bool datadogShapes_ = true;
  bool distributions_ = false;

  struct FlushCycle {
    bool active = false;
    bool flushAll = false;
    std::int64_t now = 0, cutoff = 0, zeroFillEnd = 0;
    std::size_t slot = 0;           // next context to visit
    bool timestampedPhase = false;  // contexts done, emitting drainingTimestamped_
  } cycle_;

  std::vector<TimestampedPoint> timestamped_;
  KeyIndex timestampedIndex_;  // hash(context key, timestamp) -> position in timestamped_
  // The points a flush cycle is emitting (sorted by key, timestamp), moved out of timestamped_ so
  // samples added between slices start a new queue; [drainingNext_, end) are still to emit.
  std::vector<TimestampedPoint> drainingTimestamped_;
  std::size_t drainingNext_ = 0;

  AggregatorStats stats_;
  log::Throttle contextLimitLog_;
  log::Throttle timestampedLog_;
  log::Throttle budgetLog_;
  std::vector<std::string_view> sortedTags_;  // scratch for new contexts
  std::vector<Bucket*> closedScratch_;        // scratch for flushContext
};

}  // namespace dynostatsd
