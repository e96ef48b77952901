#include "sink/graphite/graphite_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sink/graphite/timer_stats.h"

namespace dynostatsd::graphite {
namespace {

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Carbon reads floats; 15 significant digits print a count such as 0.7 * 10 back as 7.
void appendNumber(std::string& out, double value) {
  char text[32];
  int n = std::snprintf(text, sizeof text, "%.15g", value);
  out.append(text, static_cast<std::size_t>(n));
}

std::string tagKey(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    if (c == ';' || c == '!' || c == '^' || c == '=' || isBlank(c) || static_cast<unsigned char>(c) >= 0x80)
      c = '_';
  }
  return out;
}

std::string tagValue(std::string_view value) {
  if (value.empty()) return "true";
  std::string out(value);
  for (char& c : out) {
    if (c == ';' || isBlank(c)) c = '_';
  }
  if (out.front() == '~') out.front() = '_';
  return out;
}

}  // namespace

std::string sanitizeName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (isBlank(c)) {
      while (i + 1 < name.size() && isBlank(name[i + 1])) ++i;
      out.push_back('_');
    } else if (c == '/') {
      out.push_back('-');
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '.' || c == '-') {
      out.push_back(c);
    }
  }
  return out;
}

std::string tagSuffix(const std::vector<std::string>& tags, const std::string& host) {
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(tags.size() + 1);
  for (const auto& tag : tags) {
    const auto colon = tag.find(':');
    std::string key = tagKey(std::string_view(tag).substr(0, colon));
    if (key.empty()) continue;
    pairs.emplace_back(
        std::move(key),
        tagValue(colon == std::string::npos ? std::string_view() : std::string_view(tag).substr(colon + 1)));
  }
  if (!host.empty()) pairs.emplace_back("host", tagValue(host));
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0 && pairs[i].first == pairs[i - 1].first) continue;
    out += ';';
    out += pairs[i].first;
    out += '=';
    out += pairs[i].second;
  }
  return out;
}

GraphiteEncoder::GraphiteEncoder(EncoderOptions options) : options_(std::move(options)) {
  if (!options_.apiKeyPrefix.empty()) pathPrefix_ += options_.apiKeyPrefix + ".";
  if (!options_.prefix.empty()) pathPrefix_ += options_.prefix + ".";
  if (options_.tags == GraphiteTags::Path && !options_.dyno.empty()) {
    std::string dyno = sanitizeName(options_.dyno);
    std::replace(dyno.begin(), dyno.end(), '.', '_');
    pathPrefix_ += dyno + ".";
  }
  for (double p : options_.percentiles) {
    const std::string label = percentileLabel(p);
    percentileStats_.push_back({"count_" + label, "mean_" + label, (p > 0 ? "upper_" : "lower_") + label,
                                "sum_" + label, "sum_squares_" + label});
  }
}

void GraphiteEncoder::line(std::string& out, std::string_view kind, std::string_view name,
                           std::string_view stat, const std::string& tags, double value,
                           std::int64_t timestamp) {
  if (!std::isfinite(value)) {
    ++stats_.nonFinite;
    return;
  }
  out += pathPrefix_;
  out += kind;
  out += '.';
  out += name;
  if (!stat.empty()) {
    out += '.';
    out += stat;
  }
  out += tags;
  out += ' ';
  appendNumber(out, value);
  out += ' ';
  out += std::to_string(timestamp);
  out += '\n';
  ++stats_.lines;
}

std::size_t GraphiteEncoder::encode(const FlushBatch& slice, std::string& out) {
  const std::uint64_t before = stats_.lines;
  const bool tagged = options_.tags == GraphiteTags::Tagged;
  const double interval = options_.intervalSeconds > 0 ? options_.intervalSeconds : 10;
  for (const Series& series : slice.series) {
    if (series.kind == MetricKind::HistogramStatistic) continue;
    const std::string name = sanitizeName(series.name);
    if (name.empty()) continue;
    const std::string tags = tagged ? tagSuffix(series.tags, series.host) : std::string();
    for (const Point& point : series.points) {
      switch (series.kind) {
        case MetricKind::Counter: {
          // A counter point holds the interval's count (Σ value/rate), for Rate and Count series alike.
          const double seconds = series.interval > 0 ? static_cast<double>(series.interval) : interval;
          line(out, "counters", name, "count", tags, point.value, point.timestamp);
          line(out, "counters", name, "rate", tags, point.value / seconds, point.timestamp);
          break;
        }
        case MetricKind::Gauge: line(out, "gauges", name, "", tags, point.value, point.timestamp); break;
        case MetricKind::Set: line(out, "sets", name, "count", tags, point.value, point.timestamp); break;
        case MetricKind::HistogramStatistic: break;
      }
    }
  }
  for (const DistributionSeries& series : slice.distributions) {
    const std::string name = sanitizeName(series.name);
    if (name.empty()) continue;
    const std::string tags = tagged ? tagSuffix(series.tags, series.host) : std::string();
    for (const DistributionPoint& point : series.points) {
      const TimerStats s = timerStats(point, options_.percentiles);
      const std::int64_t ts = point.timestamp;
      for (std::size_t i = 0; i < s.percentiles.size(); ++i) {
        const PercentileStats& p = s.percentiles[i];
        if (!p.present) continue;
        const auto& stat = percentileStats_[i];
        line(out, "timers", name, stat[0], tags, p.count, ts);
        line(out, "timers", name, stat[1], tags, p.mean, ts);
        line(out, "timers", name, stat[2], tags, p.bound, ts);
        line(out, "timers", name, stat[3], tags, p.sum, ts);
        line(out, "timers", name, stat[4], tags, p.sumSquares, ts);
      }
      line(out, "timers", name, "count", tags, s.count, ts);
      line(out, "timers", name, "count_ps", tags, s.count / interval, ts);
      if (point.count > 0) {
        line(out, "timers", name, "lower", tags, s.lower, ts);
        line(out, "timers", name, "upper", tags, s.upper, ts);
        line(out, "timers", name, "mean", tags, s.mean, ts);
        line(out, "timers", name, "median", tags, s.median, ts);
        line(out, "timers", name, "std", tags, s.std, ts);
        line(out, "timers", name, "sum", tags, s.sum, ts);
        line(out, "timers", name, "sum_squares", tags, s.sumSquares, ts);
      }
    }
  }
  stats_.eventsUnsupported += slice.events.size();
  stats_.checksUnsupported += slice.checks.size();
  return static_cast<std::size_t>(stats_.lines - before);
}

}  // namespace dynostatsd::graphite
