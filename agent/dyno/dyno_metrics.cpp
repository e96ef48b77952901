#include "dyno/dyno_metrics.h"

#include <time.h>

#include <cstdio>

#include "model/printf_double.h"
#include "telemetry/log.h"

namespace dynostatsd::dyno {
namespace {

std::string fixed1(double value) {
  return printfFixed(value, 1);
}

std::string megabytes(double bytes) {
  return fixed1(bytes / (1024 * 1024)) + " MB";
}

double threadCpuMicros() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

}  // namespace

DynoMetrics::DynoMetrics(const DynoMetricsConfig& config, CgroupLayout layout,
                         std::vector<std::string> staticTags, std::string host, std::string dyno,
                         int intervalSeconds, std::uint64_t monotonicNanos)
    : sampler_(std::move(layout)),
      warning_(config.memoryWarnPct),
      staticTags_(std::move(staticTags)),
      host_(std::move(host)),
      dyno_(std::move(dyno)),
      intervalSeconds_(intervalSeconds) {
  sampler_.sample(monotonicNanos, snapshot_);
  lastOomKills_ = snapshot_[Figure::OomKills];
}

Series DynoMetrics::makeSeries(std::string_view name, std::string_view unit, bool count, double value,
                               std::int64_t timestamp) const {
  Series series;
  series.name = name;
  series.type = count ? SeriesType::Count : SeriesType::Gauge;
  series.kind = count ? MetricKind::Counter : MetricKind::Gauge;
  series.interval = intervalSeconds_;
  series.host = host_;
  series.tags = staticTags_;
  series.points.push_back({timestamp, value});
  series.unit = unit;
  return series;
}

void DynoMetrics::collect(std::int64_t bucketTimestamp, std::int64_t nowSeconds, std::uint64_t monotonicNanos,
                          FlushBatch& batch) {
  const double started = threadCpuMicros();
  sampler_.sample(monotonicNanos, snapshot_);
  for (std::size_t i = 0; i < kFigureCount; ++i) {
    const auto figure = static_cast<Figure>(i);
    const FigureInfo& info = figureInfo(figure);
    std::optional<double> value = snapshot_[figure];
    if (figure == Figure::OomKills && value) {
      // The increase since the previous flush; a total that went down is a new group.
      const double total = *value;
      value = lastOomKills_ && total >= *lastOomKills_ ? total - *lastOomKills_ : total;
      lastOomKills_ = total;
    }
    if (value) batch.series.push_back(makeSeries(info.name, info.unit, info.count, *value, bucketTimestamp));
  }
  for (const auto& process : snapshot_.top) {
    Series series =
        makeSeries(kProcessRssName, "byte", false, static_cast<double>(process.rssBytes), bucketTimestamp);
    series.tags.insert(series.tags.begin(), "process:" + process.name);
    batch.series.push_back(std::move(series));
  }
  warnIfNearQuota(nowSeconds, batch);
  lastCollectMicros_ = threadCpuMicros() - started;
}

void DynoMetrics::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  out.push_back({"dyno.collect_us", {}, lastCollectMicros_, false});
}

void DynoMetrics::warnIfNearQuota(std::int64_t nowSeconds, FlushBatch& batch) {
  const auto& used = snapshot_[Figure::MemoryTotal];
  const auto& quota = snapshot_[Figure::MemoryQuota];
  const auto& pct = snapshot_[Figure::MemoryQuotaUsedPct];
  if (!pct) return;
  std::optional<double> crossed = warning_.update(*pct);
  if (!crossed) return;
  log::write(log::Level::Warn, "dyno",
             "msg=\"memory near quota\" used=" + std::to_string(static_cast<std::uint64_t>(*used)) +
                 " quota=" + std::to_string(static_cast<std::uint64_t>(*quota)) +
                 " used_pct=" + fixed1(*pct) + " threshold=" + fixed1(*crossed));
  Event event;
  event.title = "Dyno memory near quota" + (dyno_.empty() ? std::string() : " on " + dyno_);
  event.text = "heroku.dyno.memory.total is " + fixed1(*pct) + "% of the memory quota (" + megabytes(*used) +
               " of " + megabytes(*quota) + "), past the " + fixed1(*crossed) +
               "% warning. Heroku reports R14 (Memory quota exceeded) above 100%.";
  event.timestamp = nowSeconds;
  event.host = host_;
  event.aggregationKey = "dynostatsd.dyno.memory";
  event.alertType = *crossed >= 100 ? "error" : "warning";
  event.tags = staticTags_;
  batch.events.push_back(std::move(event));
}

}  // namespace dynostatsd::dyno
