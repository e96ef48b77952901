#include "aggregate/interval_aggregator.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "aggregate/context_identity.h"
#include "aggregate/interval_aggregator_state.h"

namespace dynostatsd {

IntervalAggregator::IntervalAggregator(const AggregateConfig& config, const Clock& clock,
                                       std::vector<std::string> staticTags, MemoryBudget* budget)
    : config_(config),
      clock_(clock),
      budget_(budget != nullptr ? *budget : ownBudget_),
      interval_(config.flushIntervalSeconds > 0 ? config.flushIntervalSeconds : 10),
      keyer_((static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()),
      pools_(std::make_unique<Pools>()) {
  for (auto& tag : staticTags) {
    if (!tag.empty() && std::find(staticTags_.begin(), staticTags_.end(), tag) == staticTags_.end()) {
      staticTags_.push_back(std::move(tag));
    }
  }
  struct Known {
    std::string_view name;
    HistogramStatistic statistic;
  };
  static constexpr Known kKnown[] = {{"max", kMax}, {"min", kMin}, {"median", kMedian},
                                     {"avg", kAvg}, {"sum", kSum}, {"count", kCount}};
  auto alreadyOut = [this](std::string_view suffix) {
    return std::any_of(histogramOutputs_.begin(), histogramOutputs_.end(),
                       [&](const HistogramOutput& o) { return o.suffix == suffix; });
  };
  for (const auto& name : config_.histogramAggregates) {
    for (const auto& known : kKnown) {
      if (name != known.name) continue;
      std::string suffix = "." + std::string(known.name);
      if (alreadyOut(suffix)) break;
      std::size_t rankIndex = 0;
      if (known.statistic == kMedian) {
        rankIndex = rankRules_.size();
        rankRules_.push_back(RankRule{true, 50});
      }
      histogramOutputs_.push_back(HistogramOutput{std::move(suffix), known.statistic, rankIndex});
    }
  }
  for (const int percent : config_.histogramPercentiles) {
    if (percent < 0 || percent > 100) continue;
    std::string suffix = "." + std::to_string(percent) + "percentile";
    if (alreadyOut(suffix)) continue;
    histogramOutputs_.push_back(HistogramOutput{std::move(suffix), kPercentile, rankRules_.size()});
    rankRules_.push_back(RankRule{false, percent});
  }
}

IntervalAggregator::~IntervalAggregator() {
  budget_.release(charged_);
}

IntervalAggregator::Family IntervalAggregator::familyOf(MetricType type) {
  switch (type) {
    case MetricType::Counter: return Family::Counter;
    case MetricType::Gauge: return Family::Gauge;
    case MetricType::Set: return Family::Set;
    case MetricType::Timer:
    case MetricType::Histogram: return Family::Histogram;
    case MetricType::Distribution: return Family::Distribution;
  }
  return Family::Gauge;
}

void IntervalAggregator::add(const MetricSample& sample) {
  add(sample, clock_.nowSeconds());
}

double IntervalAggregator::effectiveRate(const MetricSample& sample) {
  const double rate = sample.rate;
  if (rate == 1) return 1;
  // NaN fails both comparisons; a subnormal rate would make 1/rate infinite.
  if (!(rate > 0 && rate <= 1) || !std::isfinite(1 / rate)) {
    ++stats_.invalidSampleRate;
    return 1;
  }
  return rate;
}

bool IntervalAggregator::findKnownSpelling(const MetricSample& sample, std::uint32_t& slot) const {
  if (!sample.rawTagsKnown || sample.timestamp > 0) return false;
  const Family family = familyOf(sample.type);
  slot = rawIndex_.find(keyer_.rawKey(sample.name, sample.rawTags, static_cast<std::uint8_t>(family)));
  if (slot == KeyIndex::kMissing) return false;
  const Context& context = contexts_[slot];
  __builtin_prefetch(&context.head);
  // A busy set's member table is far bigger than the caches: its probe is the one likely miss.
  if (family == Family::Set && context.head.members) context.head.members->prefetch(memberHash(sample));
  return true;
}

void IntervalAggregator::addKnownSpelling(const MetricSample& sample, std::uint32_t slot,
                                          std::int64_t nowSeconds) {
  const Family family = familyOf(sample.type);
  const double rate = effectiveRate(sample);
  if (family == Family::Set || hasFiniteValue(sample))
    accumulate(contexts_[slot], sample, family, rate, nowSeconds);
}

std::uint64_t IntervalAggregator::memberHash(const MetricSample& sample) const {
  const std::uint64_t hash = hashing::hashBytes(sample.setMember, keyer_.seed() ^ hashing::kMul0);
  return hash == 0 ? 1 : hash;  // 0 marks an empty MemberSet slot
}

void IntervalAggregator::add(const MetricSample& sample, std::int64_t nowSeconds) {
  const double rate = effectiveRate(sample);
  if (sample.timestamp > 0) {
    addTimestamped(sample, nowSeconds);
    return;
  }
  const Family family = familyOf(sample.type);
  if (family != Family::Set && !hasFiniteValue(sample)) return;

  Context* context = nullptr;
  std::uint64_t rawKey = 0;
  if (sample.rawTagsKnown) {
    rawKey = keyer_.rawKey(sample.name, sample.rawTags, static_cast<std::uint8_t>(family));
    const std::uint32_t cached = rawIndex_.find(rawKey);
    if (cached != KeyIndex::kMissing) context = &contexts_[cached];
  }
  if (context == nullptr) {
    const std::uint64_t key =
        keyer_.key(sample.name, sample.host, sample.tags, static_cast<std::uint8_t>(family));
    context = findOrCreate(key, sample, family);
    if (context == nullptr) return;
    if (sample.rawTagsKnown && context->family == family) rememberSpelling(rawKey, *context);
  }
  accumulate(*context, sample, family, rate, nowSeconds);
}

void IntervalAggregator::accumulate(Context& context, const MetricSample& sample, Family family, double rate,
                                    std::int64_t nowSeconds) {
  if (context.family != family) {  // a 64-bit key collision across type families: never mix them
    ++stats_.keyCollisions;
    return;
  }
  if (nowSeconds != lastNow_) {  // one clock reading per datagram: divide once per reading
    lastNow_ = nowSeconds;
    lastBucketStart_ = bucketStart(nowSeconds, interval_);
  }
  const std::int64_t start = lastBucketStart_;
  Bucket& bucket = context.head.start == start ? context.head : bucketFor(context, start);

  switch (family) {
    case Family::Counter: {
      const double scale = 1 / rate;
      for (const double v : sample.values) {
        if (std::isfinite(v)) bucket.value += v * scale;
      }
      break;
    }
    case Family::Gauge:
      for (const double v : sample.values) {
        if (std::isfinite(v)) bucket.value = v;
      }
      break;
    case Family::Set: {
      if (!bucket.members) {
        if (!budget_.fits(sizeof(MemberSet) + MemberSet().grownBytes())) return budgetDrop();
        bucket.members = pools_->sets.take();
        chargeBytes(sizeof(MemberSet) + bucket.members->bytes());
      }
      const std::uint64_t member = memberHash(sample);
      MemberSet& members = *bucket.members;
      if (members.size() >= kMaxSetMembers) {  // full: only members already counted get in
        if (members.contains(member)) break;
        ++stats_.setMemberLimitDrops;
        return;
      }
      if (members.tryInsert(member) == MemberSet::Insert::Full) {
        // The old and the new slot arrays are both allocated while the table grows.
        const std::size_t before = members.bytes();
        if (!admit(members.grownBytes())) return;
        members.grow();
        members.tryInsert(member);
        releaseBytes(before);
      }
      break;
    }
    case Family::Histogram: {
      if (!bucket.histogram) {
        if (!budget_.fits(sizeof(HistogramAccumulator))) return budgetDrop();
        bucket.histogram = pools_->histograms.take();
        chargeBytes(sizeof(HistogramAccumulator) + bucket.histogram->memoryBytes());
      }
      // Growth is charged after the fact (exact), admitted on a bound of one step per value.
      if (!budget_.fits(sample.values.size() * 2 * sizeof(double))) return budgetDrop();
      HistogramAccumulator& histogram = *bucket.histogram;
      const std::size_t before = histogram.memoryBytes();
      const bool wasDegraded = histogram.degraded();
      const double weight = 1 / rate;
      for (const double v : sample.values) {
        if (std::isfinite(v)) histogram.add(v, weight, exactBudget_);
      }
      if (!wasDegraded && histogram.degraded()) ++stats_.histogramBucketsDegraded;
      chargeBytes(histogram.memoryBytes());
      releaseBytes(before);
      break;
    }
    case Family::Distribution: {
      if (!bucket.sketch) {
        if (!budget_.fits(sizeof(DDSketch))) return budgetDrop();
        bucket.sketch = pools_->sketches.take();
        chargeBytes(sizeof(DDSketch) + bucket.sketch->memoryBytes());
      }
      if (!budget_.fits(sample.values.size() * 2 * sizeof(double))) return budgetDrop();
      DDSketch& sketch = *bucket.sketch;
      const std::size_t before = sketch.memoryBytes();
      // The Agent's uint(1/rate), capped at a uint32 so bin counts stay representable.
      const double weight = std::min(std::trunc(1 / rate), static_cast<double>(UINT32_MAX));
      for (const double v : sample.values) sketch.insert(v, weight);
      chargeBytes(sketch.memoryBytes());
      releaseBytes(before);
      break;
    }
  }
  ++stats_.samplesAccepted;
  context.lastSeen = nowSeconds;
  context.lastSampleBucket = std::max(context.lastSampleBucket, start);
}

IntervalAggregator::Context* IntervalAggregator::findOrCreate(std::uint64_t key, const MetricSample& sample,
                                                              Family family) {
  const std::uint32_t found = index_.find(key);
  if (found != KeyIndex::kMissing) return &contexts_[found];

  if (liveContexts_ >= config_.maxContexts) {
    ++stats_.contextLimitDrops;
    if (contextLimitLog_.allow(clock_.nowMillis())) {
      log::write(log::Level::Warn, "aggregate",
                 "reason=context_limit max_contexts=" + std::to_string(config_.maxContexts) +
                     " dropped_total=" + std::to_string(stats_.contextLimitDrops) +
                     " suppressed=" + std::to_string(contextLimitLog_.takeSuppressed()));
    }
    return nullptr;
  }
  sortedTags_.assign(sample.tags.begin(), sample.tags.end());
  std::sort(sortedTags_.begin(), sortedTags_.end());
  sortedTags_.erase(std::unique(sortedTags_.begin(), sortedTags_.end()), sortedTags_.end());

  // A new context costs its identity, plus the arrays' growth when they must grow now (the old
  // and the new array coexist while the elements move; libstdc++ vectors double).
  std::size_t cost = heapBytes(ContextIdentity::encodedSize(sample.name, sample.host, sortedTags_));
  if (freeSlots_.empty() && contexts_.size() == contexts_.capacity())
    cost += std::max<std::size_t>(1, contexts_.capacity() * 2) * sizeof(Context);
  if (index_.insertGrows()) cost += index_.grownBytes();
  if (!budget_.fits(cost)) {
    budgetDrop();
    return nullptr;
  }

  std::uint32_t slot;
  if (!freeSlots_.empty()) {
    slot = freeSlots_.back();
    freeSlots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(contexts_.size());
    contexts_.emplace_back();
  }
  Context& context = contexts_[slot];
  context.key = key;
  context.identity = ContextIdentity::encode(sample.name, sample.host, sortedTags_);
  context.family = family;
  context.timer = sample.type == MetricType::Timer;  // h and ms share a context; the first names it
  context.lastSeen = 0;
  context.lastSampleBucket = INT64_MIN;
  context.nextFlushBucket = INT64_MIN;
  context.head = Bucket{};
  context.older.clear();
  index_.insert(key, slot);
  chargeBytes(heapBytes(context.identity.capacity()));
  resyncStructure();
  ++liveContexts_;
  ++liveByFamily_[static_cast<std::size_t>(family)];
  return &context;
}

void IntervalAggregator::rememberSpelling(std::uint64_t rawKey, const Context& context) {
  // Bounded: many spellings of few contexts (tags in every order) only ever refill the cache.
  const std::size_t limit = std::min(kMaxCachedSpellings, 2 * liveContexts_ + 1024);
  if (rawIndex_.size() >= limit) rawIndex_.clear();
  const std::size_t capacity = rawIndex_.capacity();
  rawIndex_.insert(rawKey, static_cast<std::uint32_t>(&context - contexts_.data()));
  if (rawIndex_.capacity() != capacity) resyncStructure();
}

IntervalAggregator::Bucket& IntervalAggregator::bucketFor(Context& context, std::int64_t start) {
  Bucket& head = context.head;
  if (head.start == start) return head;
  if (head.start == Bucket::kNone) {
    head.start = start;
    return head;
  }
  if (start > head.start) {  // the interval moved on before the flush took the old bucket
    const std::size_t before = context.older.capacity();
    context.older.push_back(std::move(head));
    if (context.older.capacity() != before)  // charged unconditionally: <= 2 buckets per context
      chargeBytes((context.older.capacity() - before) * sizeof(Bucket));
    head = Bucket{};
    head.start = start;
    return head;
  }
  // Older than the head: only when the wall clock stepped back.
  auto& older = context.older;
  auto position =
      std::lower_bound(older.begin(), older.end(), start,
                       [](const Bucket& bucket, std::int64_t value) { return bucket.start < value; });
  if (position != older.end() && position->start == start) return *position;
  const std::size_t before = older.capacity();
  auto inserted = older.emplace(position);
  if (older.capacity() != before) chargeBytes((older.capacity() - before) * sizeof(Bucket));
  inserted->start = start;
  return *inserted;
}

bool IntervalAggregator::hasFiniteValue(const MetricSample& sample) {
  std::size_t finite = 0;
  for (const double v : sample.values) finite += std::isfinite(v) ? 1 : 0;
  stats_.nonFiniteValues += sample.values.size() - finite;
  return finite > 0;
}

void IntervalAggregator::addTimestamped(const MetricSample& sample, std::int64_t nowSeconds) {
  const Family family = familyOf(sample.type);
  if (family != Family::Counter && family != Family::Gauge) {
    ++stats_.timestampedUnsupported;
    if (timestampedLog_.allow(clock_.nowMillis())) {
      log::write(log::Level::Warn, "aggregate",
                 "reason=timestamp_unsupported_type type=" + std::string(wireName(sample.type)) +
                     " dropped_total=" + std::to_string(stats_.timestampedUnsupported) +
                     " suppressed=" + std::to_string(timestampedLog_.takeSuppressed()));
    }
    return;
  }
  if (sample.timestamp < nowSeconds - kTimestampMaxAgeSeconds) {
    ++stats_.timestampedTooOld;
    return;
  }
  if (sample.timestamp > nowSeconds + kTimestampMaxAheadSeconds) {
    ++stats_.timestampedTooNew;
    return;
  }
  if (!hasFiniteValue(sample)) return;

  const std::uint64_t key =
      keyer_.key(sample.name, sample.host, sample.tags, static_cast<std::uint8_t>(family));
  std::uint64_t pointKey = hashing::combine(key, static_cast<std::uint64_t>(sample.timestamp));
  if (pointKey == 0) pointKey = 1;
  std::uint32_t position = timestampedIndex_.find(pointKey);
  if (position == KeyIndex::kMissing) {
    if (timestamped_.size() >= kMaxTimestampedPending) {
      ++stats_.timestampedQueueDrops;
      return;
    }
    sortedTags_.assign(sample.tags.begin(), sample.tags.end());
    std::sort(sortedTags_.begin(), sortedTags_.end());
    sortedTags_.erase(std::unique(sortedTags_.begin(), sortedTags_.end()), sortedTags_.end());
    std::size_t cost = heapBytes(ContextIdentity::encodedSize(sample.name, sample.host, sortedTags_));
    if (timestamped_.size() == timestamped_.capacity())
      cost += std::max<std::size_t>(1, timestamped_.capacity() * 2) * sizeof(TimestampedPoint);
    if (timestampedIndex_.insertGrows()) cost += timestampedIndex_.grownBytes();
    if (!budget_.fits(cost)) return budgetDrop();
    position = static_cast<std::uint32_t>(timestamped_.size());
    timestamped_.push_back(TimestampedPoint{
        key, ContextIdentity::encode(sample.name, sample.host, sortedTags_), family, sample.timestamp, 0});
    timestampedIndex_.insert(pointKey, position);
    chargeBytes(heapBytes(timestamped_.back().identity.capacity()));
    resyncStructure();
  }
  TimestampedPoint& point = timestamped_[position];
  // Same context and timestamp: counters add up, a gauge keeps the last value.
  for (const double v : sample.values) {
    if (!std::isfinite(v)) continue;
    if (family == Family::Counter) {
      point.value += v;  // the count: a Rate series carries counts (model/series.h)
    } else {
      point.value = v;
    }
  }
  ++stats_.samplesAccepted;
}

bool IntervalAggregator::admit(std::size_t bytes) {
  if (!budget_.fits(bytes)) {
    budgetDrop();
    return false;
  }
  chargeBytes(bytes);
  return true;
}

void IntervalAggregator::budgetDrop() {
  ++stats_.memoryBudgetDrops;
  budget_.countDrop();
  if (budgetLog_.allow(clock_.nowMillis())) {
    log::write(log::Level::Warn, "aggregate",
               "reason=memory_budget budget_bytes=" + std::to_string(budget_.limit()) +
                   " used_bytes=" + std::to_string(budget_.used()) +
                   " dropped_total=" + std::to_string(stats_.memoryBudgetDrops) +
                   " suppressed=" + std::to_string(budgetLog_.takeSuppressed()));
  }
}

void IntervalAggregator::chargeBytes(std::size_t bytes) {
  budget_.charge(bytes);
  charged_ += bytes;
}

void IntervalAggregator::releaseBytes(std::size_t bytes) {
  bytes = std::min(bytes, charged_);
  budget_.release(bytes);
  charged_ -= bytes;
}

std::size_t IntervalAggregator::structureBytes() const {
  return contexts_.capacity() * sizeof(Context) + freeSlots_.capacity() * sizeof(std::uint32_t) +
         index_.bytes() + rawIndex_.bytes() +
         (timestamped_.capacity() + drainingTimestamped_.capacity()) * sizeof(TimestampedPoint) +
         timestampedIndex_.bytes();
}

void IntervalAggregator::resyncStructure() {
  const std::size_t now = structureBytes();
  if (now > structureCharged_) chargeBytes(now - structureCharged_);
  if (now < structureCharged_) releaseBytes(structureCharged_ - now);
  structureCharged_ = now;
}

std::size_t IntervalAggregator::bucketBytes(const Bucket& bucket) {
  std::size_t bytes = 0;
  if (bucket.members) bytes += sizeof(MemberSet) + bucket.members->bytes();
  if (bucket.histogram) bytes += sizeof(HistogramAccumulator) + bucket.histogram->memoryBytes();
  if (bucket.sketch) bytes += sizeof(DDSketch) + bucket.sketch->memoryBytes();
  return bytes;
}

}  // namespace dynostatsd
