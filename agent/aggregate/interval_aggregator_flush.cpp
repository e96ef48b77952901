// IntervalAggregator::flush and the Series it builds (the add() path is interval_aggregator.cpp).
#include <algorithm>
#include <cmath>
#include <limits>

#include "aggregate/context_identity.h"
#include "aggregate/interval_aggregator.h"
#include "aggregate/interval_aggregator_state.h"

namespace dynostatsd {
namespace {

template <typename T>
void recycle(std::vector<std::unique_ptr<T>>& pool, std::unique_ptr<T> object, std::size_t limit) {
  if (object && pool.size() < limit) pool.push_back(std::move(object));
}

}  // namespace

// Flush timeline for one counter context (interval 10, counterExpirySeconds 300), sample at 1003:
//
//   bucket  1000  1010  1020 ... 1290  1300
//   point   v      0     0   ...  0    (none: 1000 + 300 > 1300 is false)
//
// Buckets are emitted once closed (start < cutoff = start of the current bucket); zero points
// resume at nextFlushBucket so no bucket is emitted twice.
void IntervalAggregator::flush(FlushBatch& out, bool flushAll) {
  while (!flushSome(out, flushAll, std::numeric_limits<std::size_t>::max())) {
  }
}

bool IntervalAggregator::flushSome(FlushBatch& out, bool flushAll, std::size_t maxItems) {
  if (!cycle_.active || (flushAll && !cycle_.flushAll)) {
    // A new cycle, or a shutdown upgrading a partial one: contexts already visited only have open
    // buckets left, so starting over from slot 0 emits nothing twice.
    const std::int64_t now = clock_.nowSeconds();
    const std::int64_t currentBucket = bucketStart(now, interval_);
    cycle_.active = true;
    cycle_.flushAll = flushAll;
    cycle_.now = now;
    cycle_.cutoff = flushAll ? std::numeric_limits<std::int64_t>::max() : currentBucket;
    cycle_.zeroFillEnd = flushAll ? currentBucket + interval_ : currentBucket;
    cycle_.slot = 0;
  }

  // Reserve for every context that may emit (idle ones cost an unused slot) instead of letting
  // the vectors double: at 100k contexts doubling would briefly hold 3x the series array.
  const auto live = [this](Family family) { return liveByFamily_[static_cast<std::size_t>(family)]; };
  const std::size_t seriesBound = live(Family::Counter) + live(Family::Gauge) + live(Family::Set) +
                                  live(Family::Histogram) * histogramOutputs_.size() + timestamped_.size();
  out.series.reserve(out.series.size() + std::min(seriesBound, maxItems));
  out.sketches.reserve(out.sketches.size() + std::min(live(Family::Distribution), maxItems));

  const auto items = [&out] { return out.series.size() + out.sketches.size() + out.distributions.size(); };
  const std::size_t startItems = items();
  while (cycle_.slot < contexts_.size()) {
    if (items() - startItems >= maxItems) return false;
    Context& context = contexts_[cycle_.slot++];
    if (context.key != 0) flushContext(context, cycle_.cutoff, cycle_.zeroFillEnd, out);
  }
  expireContexts(cycle_.now);
  flushTimestamped(out);
  cycle_.active = false;
  return true;
}

void IntervalAggregator::expireContexts(std::int64_t now) {
  bool expired = false;
  for (std::uint32_t slot = 0; slot < contexts_.size(); ++slot) {
    Context& context = contexts_[slot];
    if (context.key == 0 || !context.empty()) continue;
    std::int64_t idleLimit = config_.contextExpirySeconds;
    if (context.family == Family::Counter) {
      idleLimit += config_.counterExpirySeconds;
      if (context.nextFlushBucket < context.lastSampleBucket + config_.counterExpirySeconds) continue;
    }
    if (context.lastSeen + idleLimit >= now) continue;
    context.key = 0;
    std::string().swap(context.identity);
    std::vector<Bucket>().swap(context.older);
    freeSlots_.push_back(slot);
    --liveContexts_;
    --liveByFamily_[static_cast<std::size_t>(context.family)];
    ++stats_.contextsExpired;
    expired = true;
  }
  if (expired) rebuildIndex();
}

void IntervalAggregator::flushContext(Context& context, std::int64_t cutoff, std::int64_t zeroFillEnd,
                                      FlushBatch& out) {
  auto& closedBuckets = closedScratch_;
  closedBuckets.clear();
  std::size_t closedOlder = 0;
  while (closedOlder < context.older.size() && context.older[closedOlder].start < cutoff) {
    closedBuckets.push_back(&context.older[closedOlder++]);
  }
  const bool headClosed = context.head.start != Bucket::kNone && context.head.start < cutoff;
  if (headClosed) closedBuckets.push_back(&context.head);
  const std::size_t closed = closedBuckets.size();

  // Counter zero-fill range: after the newest data bucket, not yet flushed, inside the window.
  std::int64_t zeroFrom = 0, zeroTo = 0;
  if (context.family == Family::Counter && context.lastSampleBucket != INT64_MIN) {
    zeroFrom = std::max(context.nextFlushBucket, context.lastSampleBucket + interval_);
    zeroTo = std::min(zeroFillEnd, context.lastSampleBucket + config_.counterExpirySeconds);
  }
  context.nextFlushBucket = std::max(context.nextFlushBucket, zeroFillEnd);
  if (closed == 0 && zeroFrom >= zeroTo) return;

  switch (context.family) {
    case Family::Counter:
    case Family::Gauge:
    case Family::Set: {
      const bool counter = context.family == Family::Counter;
      Series series = makeSeries(context.identity, "", counter ? SeriesType::Rate : SeriesType::Gauge,
                                 counter                         ? MetricKind::Counter
                                 : context.family == Family::Set ? MetricKind::Set
                                                                 : MetricKind::Gauge);
      for (std::size_t i = 0; i < closed; ++i) {
        const Bucket& bucket = *closedBuckets[i];
        double value = bucket.value;  // a counter's: the count, sum of v/rate (model/series.h)
        if (context.family == Family::Set)
          value = static_cast<double>(bucket.members ? bucket.members->size() : 0);
        pushPoint(series, bucket.start, value);
      }
      for (std::int64_t start = zeroFrom; start < zeroTo; start += interval_) {
        series.points.push_back(Point{start, 0});
      }
      if (!series.points.empty()) out.series.push_back(std::move(series));
      break;
    }
    case Family::Histogram: {
      const std::size_t first = out.series.size();
      if (datadogShapes_) {
        for (const auto& output : histogramOutputs_) {
          out.series.push_back(makeSeries(context.identity, output.suffix,
                                          output.statistic == kCount ? SeriesType::Rate : SeriesType::Gauge,
                                          MetricKind::HistogramStatistic));
          out.series.back().points.reserve(closed);
        }
      }
      DistributionSeries distribution;
      if (distributions_) distribution = makeDistribution(context);
      for (std::size_t i = 0; i < closed; ++i) {
        Bucket& bucket = *closedBuckets[i];
        if (datadogShapes_) {
          const HistogramSummary summary = bucket.histogram->summarize(rankRules_);
          for (std::size_t o = 0; o < histogramOutputs_.size(); ++o) {
            const auto& output = histogramOutputs_[o];
            double value = 0;
            switch (output.statistic) {
              case kMax: value = summary.max; break;
              case kMin: value = summary.min; break;
              case kAvg: value = summary.avg; break;
              case kSum: value = summary.sum; break;
              case kCount: value = summary.weight; break;  // a count (Rate series carry counts)
              case kMedian:
              case kPercentile: value = summary.ranked[output.rankIndex]; break;
            }
            pushPoint(out.series[first + o], bucket.start, value);
          }
        }
        if (distributions_) {
          DistributionPoint point;
          point.timestamp = bucket.start;
          bucket.histogram->exportTo(point);
          if (std::isfinite(point.sum)) {
            distribution.points.push_back(std::move(point));
          } else {
            ++stats_.nonFiniteResults;
          }
        }
      }
      out.series.erase(std::remove_if(out.series.begin() + static_cast<std::ptrdiff_t>(first),
                                      out.series.end(), [](const Series& s) { return s.points.empty(); }),
                       out.series.end());
      if (!distribution.points.empty()) out.distributions.push_back(std::move(distribution));
      break;
    }
    case Family::Distribution: {
      ContextIdentity identity(context.identity);
      SketchSeries series;
      DistributionSeries distribution;
      if (datadogShapes_) {
        series.name = std::string(identity.name());
        series.host = std::string(identity.host());
        series.tags = seriesTags(context.identity);
      }
      if (distributions_) distribution = makeDistribution(context);
      for (std::size_t i = 0; i < closed; ++i) {
        const DDSketch& sketch = *closedBuckets[i]->sketch;
        if (!std::isfinite(sketch.sum()) || !(sketch.count() < 9e18)) {
          ++stats_.nonFiniteResults;  // the values' sum overflowed a double
          continue;
        }
        if (distributions_) {
          DistributionPoint point;
          point.timestamp = closedBuckets[i]->start;
          point.count = sketch.count();
          point.sum = sketch.sum();
          point.min = sketch.min();
          point.max = sketch.max();
          exportBins(sketch, point);
          distribution.points.push_back(std::move(point));
        }
        if (!datadogShapes_) continue;
        SketchPoint point;
        point.timestamp = closedBuckets[i]->start;
        point.count = static_cast<std::int64_t>(std::llround(sketch.count()));
        point.min = sketch.min();
        point.max = sketch.max();
        point.sum = sketch.sum();
        point.avg = sketch.avg();
        point.keys.reserve(sketch.bins().size());
        point.counts.reserve(sketch.bins().size());
        for (const auto& bin : sketch.bins()) {
          // Saturates: more than 4 billion samples in one bin of one bucket is not a real load.
          point.keys.push_back(bin.key);
          point.counts.push_back(
              static_cast<std::uint32_t>(std::min(std::round(bin.count), static_cast<double>(UINT32_MAX))));
        }
        series.points.push_back(std::move(point));
      }
      if (!series.points.empty()) out.sketches.push_back(std::move(series));
      if (!distribution.points.empty()) out.distributions.push_back(std::move(distribution));
      break;
    }
  }
  for (Bucket* bucket : closedBuckets) releaseBucket(*bucket);
  context.older.erase(context.older.begin(),
                      context.older.begin() + static_cast<std::ptrdiff_t>(closedOlder));
  if (headClosed) context.head = Bucket{};
}

void IntervalAggregator::pushPoint(Series& series, std::int64_t timestamp, double value) {
  if (std::isfinite(value)) {
    series.points.push_back(Point{timestamp, value});
  } else {
    ++stats_.nonFiniteResults;  // finite inputs whose sum overflowed a double (e.g. 1e308 twice)
  }
}

void IntervalAggregator::releaseBucket(Bucket& bucket) {
  if (bucket.members) {
    if (bucket.members->capacity() * 16 <= Pools::kMaxPooledBytes) {
      bucket.members->clear();
      recycle(pools_->sets, std::move(bucket.members), Pools::kLimit);
    }
    bucket.members.reset();
  }
  if (bucket.histogram) {
    bucket.histogram->clear(exactBudget_);
    if (bucket.histogram->memoryBytes() <= Pools::kMaxPooledBytes) {
      recycle(pools_->histograms, std::move(bucket.histogram), Pools::kLimit);
    }
    bucket.histogram.reset();
  }
  if (bucket.sketch) {
    bucket.sketch->clear();
    if (bucket.sketch->memoryBytes() <= Pools::kMaxPooledBytes)
      recycle(pools_->sketches, std::move(bucket.sketch), Pools::kLimit);
    bucket.sketch.reset();
  }
}

void IntervalAggregator::flushTimestamped(FlushBatch& out) {
  if (timestamped_.empty()) return;
  std::stable_sort(timestamped_.begin(), timestamped_.end(),
                   [](const TimestampedPoint& a, const TimestampedPoint& b) {
                     return a.key != b.key ? a.key < b.key : a.timestamp < b.timestamp;
                   });
  for (std::size_t i = 0; i < timestamped_.size();) {
    const TimestampedPoint& head = timestamped_[i];
    const bool counter = head.family == Family::Counter;
    Series series = makeSeries(head.identity, "", counter ? SeriesType::Rate : SeriesType::Gauge,
                               counter ? MetricKind::Counter : MetricKind::Gauge);
    std::size_t j = i;
    for (; j < timestamped_.size() && timestamped_[j].key == head.key; ++j) {
      pushPoint(series, timestamped_[j].timestamp, timestamped_[j].value);
    }
    if (!series.points.empty()) out.series.push_back(std::move(series));
    i = j;
  }
  timestamped_.clear();
  if (timestamped_.capacity() > 4096) std::vector<TimestampedPoint>().swap(timestamped_);
  timestampedIndex_.release();
}

void IntervalAggregator::rebuildIndex() {
  if (freeSlots_.size() * 2 > contexts_.size()) {
    // Mostly empty after a burst of short-lived contexts: compact so memory goes back down.
    contexts_.erase(
        std::remove_if(contexts_.begin(), contexts_.end(), [](const Context& c) { return c.key == 0; }),
        contexts_.end());
    contexts_.shrink_to_fit();
    freeSlots_.clear();
    freeSlots_.shrink_to_fit();
  }
  index_.release();
  for (std::uint32_t slot = 0; slot < contexts_.size(); ++slot) {
    if (contexts_[slot].key != 0) index_.insert(contexts_[slot].key, slot);
  }
}

std::vector<std::string> IntervalAggregator::seriesTags(std::string_view encoded) const {
  ContextIdentity identity(encoded);
  std::size_t count = 0;
  identity.forEachTag([&](std::string_view) { ++count; });
  std::vector<std::string> tags;
  tags.reserve(count + staticTags_.size());
  identity.forEachTag([&](std::string_view tag) { tags.emplace_back(tag); });
  const std::size_t own = tags.size();
  for (const auto& tag : staticTags_) {
    // Context tags are sorted: binary search them for a static tag the sample already carried.
    if (!std::binary_search(tags.begin(), tags.begin() + static_cast<std::ptrdiff_t>(own), tag)) {
      tags.push_back(tag);
    }
  }
  return tags;
}

DistributionSeries IntervalAggregator::makeDistribution(const Context& context) const {
  ContextIdentity identity(context.identity);
  DistributionSeries series;
  series.name = std::string(identity.name());
  series.kind = context.family == Family::Distribution ? DistributionKind::Distribution
                : context.timer                        ? DistributionKind::Timer
                                                       : DistributionKind::Histogram;
  series.host = std::string(identity.host());
  series.tags = seriesTags(context.identity);
  return series;
}

Series IntervalAggregator::makeSeries(std::string_view encoded, std::string_view suffix, SeriesType type,
                                      MetricKind kind) const {
  ContextIdentity identity(encoded);
  Series series;
  series.name.reserve(identity.name().size() + suffix.size());
  series.name.append(identity.name()).append(suffix);
  series.type = type;
  series.kind = kind;
  series.interval = interval_;
  series.host = std::string(identity.host());
  series.tags = seriesTags(encoded);
  return series;
}

}  // namespace dynostatsd
