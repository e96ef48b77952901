#include "aggregate/interval_aggregator.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "aggregate/context_identity.h"
#include "aggregate/interval_aggregator_state.h"

namespace dynostatsd {

IntervalAggregator::IntervalAggregator(const AggregateConfig& config, const Clock& clock,
                                       std::vector<std::string> staticTags)
    : config_(config),
      clock_(clock),
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

IntervalAggregator::~IntervalAggregator() = default;

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

void IntervalAggregator::add(const MetricSample& sample, std::int64_t nowSeconds) {
  double rate = sample.rate;
  // NaN fails both comparisons; a subnormal rate would make 1/rate infinite.
  if (!(rate > 0 && rate <= 1) || !std::isfinite(1 / rate)) {
    ++stats_.invalidSampleRate;
    rate = 1;
  }
  if (sample.timestamp > 0) {
    addTimestamped(sample, nowSeconds);
    return;
  }
  const Family family = familyOf(sample.type);
  if (family != Family::Set && !hasFiniteValue(sample)) return;

  const std::uint64_t key =
      keyer_.key(sample.name, sample.host, sample.tags, static_cast<std::uint8_t>(family));
  Context* context = findOrCreate(key, sample, family);
  if (context == nullptr) return;
  if (context->family != family) {  // a 64-bit key collision across type families: never mix them
    ++stats_.keyCollisions;
    return;
  }
  const std::int64_t start = bucketStart(nowSeconds, interval_);
  Bucket& bucket = bucketFor(*context, start);

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
      if (!bucket.members) bucket.members = Pools::take(pools_->sets);
      std::uint64_t member = hashing::hashBytes(sample.setMember, keyer_.seed() ^ hashing::kMul0);
      if (member == 0) member = 1;
      if (bucket.members->size() >= kMaxSetMembers && bucket.members->find(member) == KeyIndex::kMissing) {
        ++stats_.setMemberLimitDrops;
        return;
      }
      bucket.members->insert(member, 0);
      break;
    }
    case Family::Histogram: {
      if (!bucket.histogram) bucket.histogram = Pools::take(pools_->histograms);
      const bool wasDegraded = bucket.histogram->degraded();
      const double weight = 1 / rate;
      for (const double v : sample.values) {
        if (std::isfinite(v)) bucket.histogram->add(v, weight, exactBudget_);
      }
      if (!wasDegraded && bucket.histogram->degraded()) ++stats_.histogramBucketsDegraded;
      break;
    }
    case Family::Distribution: {
      if (!bucket.sketch) bucket.sketch = Pools::take(pools_->sketches);
      // The Agent's uint(1/rate), capped at a uint32 so bin counts stay representable.
      const double weight = std::min(std::trunc(1 / rate), static_cast<double>(UINT32_MAX));
      for (const double v : sample.values) bucket.sketch->insert(v, weight);
      break;
    }
  }
  ++stats_.samplesAccepted;
  context->lastSeen = nowSeconds;
  context->lastSampleBucket = std::max(context->lastSampleBucket, start);
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
  ++liveContexts_;
  ++liveByFamily_[static_cast<std::size_t>(family)];
  return &context;
}

IntervalAggregator::Bucket& IntervalAggregator::bucketFor(Context& context, std::int64_t start) {
  Bucket& head = context.head;
  if (head.start == start) return head;
  if (head.start == Bucket::kNone) {
    head.start = start;
    return head;
  }
  if (start > head.start) {  // the interval moved on before the flush took the old bucket
    context.older.push_back(std::move(head));
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
  auto inserted = older.emplace(position);
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
    position = static_cast<std::uint32_t>(timestamped_.size());
    timestamped_.push_back(TimestampedPoint{
        key, ContextIdentity::encode(sample.name, sample.host, sortedTags_), family, sample.timestamp, 0});
    timestampedIndex_.insert(pointKey, position);
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

}  // namespace dynostatsd
