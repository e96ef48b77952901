#pragma once
// GraphiteEncoder: turns FlushBatch slices into carbon plaintext lines (`path value timestamp\n`),
// named as Etsy statsd names them with legacyNamespace false (reference/outputs.md §2.2). Pure.
// Input: Series of kind Counter/Gauge/Set and `distributions` (h/ms/d); HistogramStatistic series
// are the Datadog forms and are skipped; events and service checks are counted as unsupported.
// Output: lines appended to a caller's string. Timestamps are the bucket starts.
//
//   counter X  <p>.counters.X.count (sum of value/rate in the interval), <p>.counters.X.rate (per second)
//   gauge X    <p>.gauges.X                 set X  <p>.sets.X.count (unique members)
//   h/ms/d X   <p>.timers.X.{count,count_ps,lower,upper,mean,median,std,sum,sum_squares} and per
//              percentile P: {count,mean,upper,sum,sum_squares}_P (timer_stats.h)
// <p> = [HOSTEDGRAPHITE_APIKEY.][prefix (default stats).][dyno, in path mode.]
// Names are sanitised as Etsy's sanitizeKeyName: whitespace runs -> `_`, `/` -> `-`, then every
// byte outside [A-Za-z0-9_.-] dropped. Tags (tagged mode, Graphite >= 1.1): `path;k=v;...` sorted
// by key (a repeated key keeps its first value in that order), `k:v` -> `k=v`, a bare tag `foo` or
// `foo:` -> `foo=true`; in a key `;!^=` and blanks become `_`, in a value `;`, blanks and a leading
// `~` become `_`; the series host becomes the tag host=<host>. Path mode drops every tag.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "model/series.h"

namespace dynostatsd::graphite {

struct EncoderOptions {
  std::string apiKeyPrefix;  // Hosted Graphite key; empty = none
  std::string prefix = "stats";
  GraphiteTags tags = GraphiteTags::Tagged;
  std::string dyno;  // path mode: inserted after the prefix (dots -> `_`)
  std::vector<double> percentiles{90};
  int intervalSeconds = 10;
};

struct EncoderStats {
  std::uint64_t lines = 0;
  std::uint64_t eventsUnsupported = 0;
  std::uint64_t checksUnsupported = 0;
  std::uint64_t nonFinite = 0;  // values carbon would drop (NaN) or reject (Inf): not written
};

// Etsy statsd's sanitizeKeyName.
std::string sanitizeName(std::string_view name);
// The `;k=v;...` suffix for sorted DogStatsD tags (tagged mode); empty when there are none.
std::string tagSuffix(const std::vector<std::string>& tags, const std::string& host);

class GraphiteEncoder {
 public:
  explicit GraphiteEncoder(EncoderOptions options);

  // Appends the lines of `slice` to `out`; returns how many were appended.
  std::size_t encode(const FlushBatch& slice, std::string& out);
  const EncoderStats& stats() const { return stats_; }
  // The fixed part every path starts with, e.g. "stats." or "KEY.stats.web_1." (secret: never log).
  const std::string& pathPrefix() const { return pathPrefix_; }

 private:
  void startSeries(std::string_view kind, const std::string& name, const std::vector<std::string>& tags,
                   const std::string& host);
  void startPoint(std::int64_t timestamp);
  void line(std::string& out, std::string_view head, std::string_view stat, double value);

  EncoderOptions options_;
  std::string pathPrefix_;
  // Per configured percentile: count_P, mean_P, upper_P (lower_topP), sum_P, sum_squares_P.
  std::vector<std::array<std::string, 5>> percentileStats_;
  EncoderStats stats_;
  std::string head_, tags_, timestamp_;  // of the series and point being written (reused)
};

}  // namespace dynostatsd::graphite
