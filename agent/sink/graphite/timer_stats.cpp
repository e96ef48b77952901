#include "sink/graphite/timer_stats.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "aggregate/ddsketch.h"
#include "model/shortest_double.h"

namespace dynostatsd::graphite {
namespace {

// A run of `weight` equal values: one exact sample (weight 1) or one sketch bin.
struct Run {
  double value;
  double weight;
};

// Sum and sum of squares of the `take` lowest (fromTop = false) or highest values of `runs`
// (ascending), and the last value taken (the group's bound).
struct Group {
  double sum = 0, sumSquares = 0, bound = 0;
};

Group takeGroup(const std::vector<Run>& runs, double take, bool fromTop) {
  Group group;
  double left = take;
  auto visit = [&](const Run& run) {
    const double used = std::min(run.weight, left);
    group.sum += run.value * used;
    group.sumSquares += run.value * run.value * used;
    group.bound = run.value;
    left -= used;
  };
  if (fromTop) {
    for (auto it = runs.rbegin(); it != runs.rend() && left > 0; ++it) visit(*it);
  } else {
    for (auto it = runs.begin(); it != runs.end() && left > 0; ++it) visit(*it);
  }
  return group;
}

// The value at 0-based position `index` when every run is expanded into `weight` copies.
double valueAt(const std::vector<Run>& runs, double index) {
  double seen = 0;
  for (const Run& run : runs) {
    seen += run.weight;
    if (index < seen) return run.value;
  }
  return runs.empty() ? 0 : runs.back().value;
}

}  // namespace

std::string percentileLabel(double percent) {
  char text[32];
  std::string label(text, shortestDouble(text, text + sizeof text, percent));
  if (auto dot = label.find('.'); dot != std::string::npos) label[dot] = '_';
  if (label.starts_with('-')) label.replace(0, 1, "top");
  return label;
}

TimerStats timerStats(const DistributionPoint& point, const std::vector<double>& percentiles) {
  TimerStats stats;
  stats.count = point.count;
  std::vector<Run> runs;
  if (!point.samples.empty()) {
    runs.reserve(point.samples.size());
    for (const auto& sample : point.samples) runs.push_back({sample.value, 1});
    if (!std::is_sorted(runs.begin(), runs.end(),
                        [](const Run& a, const Run& b) { return a.value < b.value; })) {
      std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.value < b.value; });
    }
  } else {
    for (std::size_t i = 0; i < point.sketchKeys.size() && i < point.sketchCounts.size(); ++i) {
      if (!(point.sketchCounts[i] > 0)) continue;
      const double value = std::clamp(DDSketch::binValue(point.sketchKeys[i]), point.min, point.max);
      runs.push_back({value, point.sketchCounts[i]});
    }
  }
  double n = 0;
  for (const Run& run : runs) n += run.weight;
  if (runs.empty() || !(n > 0)) {
    for (double p : percentiles) stats.percentiles.push_back({p});
    return stats;
  }
  const bool exact = !point.samples.empty();
  const Group all = takeGroup(runs, n, false);
  stats.lower = exact ? runs.front().value : point.min;
  stats.upper = exact ? runs.back().value : point.max;
  stats.sum = exact ? all.sum : point.sum;
  stats.sumSquares = all.sumSquares;
  stats.mean = stats.sum / (exact ? n : point.count);
  double diffs = 0;
  for (const Run& run : runs) diffs += (run.value - stats.mean) * (run.value - stats.mean) * run.weight;
  stats.std = std::sqrt(diffs / n);
  // Etsy: mid = floor(n / 2); odd n -> v[mid], even n -> mean of v[mid - 1] and v[mid].
  const double mid = std::floor(n / 2);
  const bool odd = std::fmod(std::round(n), 2) == 1;
  stats.median = odd ? valueAt(runs, mid) : (valueAt(runs, mid - 1) + valueAt(runs, mid)) / 2;

  for (double p : percentiles) {
    PercentileStats ps{p};
    if (n <= 1) {  // Etsy keeps its initial values: the single sample
      ps = {p,
            true,
            n,
            runs.front().value,
            stats.upper,
            runs.front().value,
            runs.front().value * runs.front().value};
      stats.percentiles.push_back(ps);
      continue;
    }
    const double k = std::round(std::abs(p) / 100 * n);
    if (k == 0) {
      stats.percentiles.push_back(ps);
      continue;
    }
    const Group group = takeGroup(runs, k, p < 0);
    ps.present = true;
    ps.count = k;
    ps.sum = group.sum;
    ps.sumSquares = group.sumSquares;
    ps.bound = group.bound;
    ps.mean = group.sum / k;
    stats.percentiles.push_back(ps);
  }
  return stats;
}

}  // namespace dynostatsd::graphite
