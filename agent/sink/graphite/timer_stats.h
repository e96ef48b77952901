#pragma once
// TimerStats: Etsy statsd's timer statistics (lib/process_metrics.js) for one `ms`/`h`/`d` point.
//
// From the exact samples (DistributionPoint.samples, one entry per value received), n = their
// number, v ascending:
//   count       = sum of weights (1/rate per sample: sample-rate corrected)   count_ps = count / interval
//   lower/upper = v[0] / v[n-1]         sum = sum of v     sum_squares = sum of v^2   mean = sum / n
//   median      = v[n/2] (n odd), (v[n/2-1] + v[n/2]) / 2 (n even)
//   std         = sqrt(sum of (v - mean)^2 / n)                (population standard deviation)
//   per percentile P (k = round(|P|/100 * n); with n == 1 the group is that one sample; with k == 0
//   the percentile is left out, as Etsy does):
//     P > 0: the lowest k samples, upper_P = v[k-1];  P < 0: the highest k, lower_topP = v[n-k]
//     count_P = k, sum_P, sum_squares_P over the group, mean_P = sum_P / k
// From the DDSketch (samples empty: the bucket held more than the exact limit) the same rules run
// over the bins, each bin a run of `weight` samples at its centre value, clamped to [min, max];
// n is then the total weight. count, sum, lower, upper and mean stay exact; the others are within
// the sketch's 0.78 % relative error per value (std: of the spread around the exact mean).
#include <string>
#include <vector>

#include "model/series.h"

namespace dynostatsd::graphite {

struct PercentileStats {
  double percent = 0;
  bool present = false;  // false: k rounded to 0 (Etsy skips it)
  double count = 0, mean = 0, bound = 0, sum = 0, sumSquares = 0;
};

struct TimerStats {
  double count = 0, lower = 0, upper = 0, sum = 0, sumSquares = 0, mean = 0, median = 0, std = 0;
  std::vector<PercentileStats> percentiles;
};

// `percentiles` as configured (90, 99.9, -10 ...). A point with count 0 gives all zeros.
TimerStats timerStats(const DistributionPoint& point, const std::vector<double>& percentiles);

// Etsy's name for a percentile: 90 -> "90", 99.9 -> "99_9", -10 -> "top10".
std::string percentileLabel(double percent);

}  // namespace dynostatsd::graphite
