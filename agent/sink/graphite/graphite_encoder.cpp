#include "sink/graphite/graphite_encoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "sink/graphite/timer_stats.h"

namespace dynostatsd::graphite {
namespace {

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Carbon reads floats; 15 significant digits print a sum such as 0.1 + 0.2 back as 0.3.
void appendNumber(std::string& out, double value) {
  char text[32];
  char* end;
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    end = std::to_chars(text, text + sizeof text, static_cast<std::int64_t>(value)).ptr;
  } else {
    // printf's %.15g is what to_chars(general, 15) writes; g++ 10 (heroku-22's stand-in) has no
    // floating-point to_chars.
    end = text + std::snprintf(text, sizeof text, "%.15g", value);
  }
  out.append(text, static_cast<std::size_t>(end - text));
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

void GraphiteEncoder::line(std::string& out, std::string_view head, std::string_view stat, double value) {
  if (!std::isfinite(value)) {
    ++stats_.nonFinite;
    return;
  }
  out += head;
  if (!stat.empty()) {
    out += '.';
    out += stat;
  }
  out += tags_;
  out += ' ';
  appendNumber(out, value);
  out += timestamp_;
  ++stats_.lines;
}

// head_ = <prefix><kind>.<name>; tags_ = the `;k=v` suffix of the series.
void GraphiteEncoder::startSeries(std::string_view kind, const std::string& name,
                                  const std::vector<std::string>& tags, const std::string& host) {
  head_.assign(pathPrefix_);
  head_ += kind;
  head_ += '.';
  head_ += name;
  tags_ = options_.tags == GraphiteTags::Tagged ? tagSuffix(tags, host) : std::string();
}

// timestamp_ = " <timestamp>\n"
void GraphiteEncoder::startPoint(std::int64_t timestamp) {
  char text[24];
  char* end = std::to_chars(text, text + sizeof text, timestamp).ptr;
  timestamp_.assign(" ");
  timestamp_.append(text, static_cast<std::size_t>(end - text));
  timestamp_ += '\n';
}

std::size_t GraphiteEncoder::encode(const FlushBatch& slice, std::string& out) {
  const std::uint64_t before = stats_.lines;
  const double interval = options_.intervalSeconds > 0 ? options_.intervalSeconds : 10;
  for (const Series& series : slice.series) {
    if (series.kind == MetricKind::HistogramStatistic) continue;
    const std::string name = sanitizeName(series.name);
    if (name.empty()) continue;
    const std::string_view kind = series.kind == MetricKind::Counter ? "counters"
                                  : series.kind == MetricKind::Set   ? "sets"
                                                                     : "gauges";
    startSeries(kind, name, series.tags, series.host);
    for (const Point& point : series.points) {
      startPoint(point.timestamp);
      switch (series.kind) {
        case MetricKind::Counter: {
          // A counter point holds the interval's count (Σ value/rate), for Rate and Count series alike.
          const double seconds = series.interval > 0 ? static_cast<double>(series.interval) : interval;
          line(out, head_, "count", point.value);
          line(out, head_, "rate", point.value / seconds);
          break;
        }
        case MetricKind::Gauge: line(out, head_, "", point.value); break;
        case MetricKind::Set: line(out, head_, "count", point.value); break;
        case MetricKind::HistogramStatistic: break;
      }
    }
  }
  for (const DistributionSeries& series : slice.distributions) {
    const std::string name = sanitizeName(series.name);
    if (name.empty()) continue;
    startSeries("timers", name, series.tags, series.host);
    for (const DistributionPoint& point : series.points) {
      const TimerStats s = timerStats(point, options_.percentiles);
      startPoint(point.timestamp);
      for (std::size_t i = 0; i < s.percentiles.size(); ++i) {
        const PercentileStats& p = s.percentiles[i];
        if (!p.present) continue;
        const auto& stat = percentileStats_[i];
        line(out, head_, stat[0], p.count);
        line(out, head_, stat[1], p.mean);
        line(out, head_, stat[2], p.bound);
        line(out, head_, stat[3], p.sum);
        line(out, head_, stat[4], p.sumSquares);
      }
      line(out, head_, "count", s.count);
      line(out, head_, "count_ps", s.count / interval);
      if (point.count > 0) {
        line(out, head_, "lower", s.lower);
        line(out, head_, "upper", s.upper);
        line(out, head_, "mean", s.mean);
        line(out, head_, "median", s.median);
        line(out, head_, "std", s.std);
        line(out, head_, "sum", s.sum);
        line(out, head_, "sum_squares", s.sumSquares);
      }
    }
  }
  stats_.eventsUnsupported += slice.events.size();
  stats_.checksUnsupported += slice.checks.size();
  return static_cast<std::size_t>(stats_.lines - before);
}

}  // namespace dynostatsd::graphite
