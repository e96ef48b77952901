#pragma once
// LineDeriver: turns one parsed Logplex log line into metric samples (the drain-mode table in
// README.md "Drain mode").
// Input: a SyslogMessage (views into the request body) and the source app (from /logs/<app>).
// Output: MetricSamples handed to the MetricConsumer before derive() returns, except the router
// request series, which are grouped per tag set and handed on by endBatch() (one counter sample
// with the request count and one multi-value distribution sample per group: the same aggregate as
// one sample per line, since a batch lands in one bucket, at a fraction of the context lookups):
//   heroku[router]            heroku.router.requests/.connect/.service/.bytes, .errors (at=error)
//   heroku[<dyno>] `Error R14 (...)`, heroku[logplex] `Error L10 (...)`   heroku.errors
//   heroku[<dyno>] sample#memory_*/load_avg_* (log-runtime-metrics)       heroku.dyno.*
//   app[heroku-postgres|heroku-redis] sample#<key>                        heroku.postgres|redis.<key>
//   app[<dyno>] count#/measure#/sample#/unique# (l2met)                   the named metric
// Every sample is tagged app:<source app>. Only bounded fields become tags: paths, hosts,
// request ids, IPs, descriptions never do, and a tag value outside [A-Za-z0-9_.:/@-] (or longer
// than 100 bytes) is left out. Memory: fixed buffers, nothing allocated per line once warm.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "drain/logplex_body.h"
#include "ingest/ingestor.h"
#include "model/metric_sample.h"
#include "model/self_metric.h"

namespace dynostatsd::drain {

enum class LineKind : std::uint8_t { Router, PlatformError, RuntimeMetrics, Addon, L2met, Other, Count };
std::string_view lineKindName(LineKind kind);  // "router", "platform_error", ...

struct DeriveStats {
  std::array<std::uint64_t, static_cast<std::size_t>(LineKind::Count)> lines{};
  std::uint64_t samples = 0;        // samples handed to the consumer
  std::uint64_t invalidValues = 0;  // a metric key whose value was not a finite number
  std::uint64_t invalidNames = 0;   // an l2met/add-on name outside [A-Za-z0-9_.-] or too long
};

class LineDeriver {
 public:
  // `host`: the series host for every sample (the Enricher's default host; may be empty).
  LineDeriver(MetricConsumer& consumer, std::string_view host);

  // Sets the app every following line belongs to (validated by the caller).
  void setApp(std::string_view app);
  void derive(const SyslogMessage& line, std::int64_t nowSeconds);
  // Hands on the grouped router series of the lines derived since the last call.
  void endBatch();

  const DeriveStats& stats() const { return stats_; }
  void collectSelfMetrics(std::vector<SelfMetric>& out) const;

 private:
  void router(std::string_view message);
  void platform(const SyslogMessage& line);
  bool runtimeMetrics(std::string_view message, std::string_view procid);
  void addon(std::string_view message, std::string_view prefix, std::string_view sourceTag);
  void l2met(std::string_view message);

  // Tags: app:<app> first, then addTag() appends into a fixed buffer until resetTags().
  void resetTags();
  void addTag(std::string_view key, std::string_view value);
  void emit(std::string_view name, MetricType type, double value, std::string_view member = {});
  void emitValues(std::string_view name, MetricType type, const std::vector<double>& values);

  // The router request series of one tag set within a batch.
  struct RouterGroup {
    std::string tags;  // the tags after app:, each followed by '\n'
    double requests = 0;
    std::vector<double> connect, service, bytes;
  };
  RouterGroup& routerGroup();

  MetricConsumer& consumer_;
  std::string host_;
  std::string appTag_;
  std::int64_t now_ = 0;
  MetricSample sample_;
  std::array<char, 1024> tagBuffer_{};
  std::size_t tagUsed_ = 0;
  std::array<char, 256> nameBuffer_{};
  DeriveStats stats_;
  std::string groupKey_;                                       // scratch: the tags of the current line
  std::unordered_map<std::uint64_t, std::size_t> groupIndex_;  // hash of groupKey_ -> groups_
  std::vector<RouterGroup> groups_;                            // the first groupsUsed_ are live
  std::size_t groupsUsed_ = 0;
};

// `12.5ms` -> 12.5 and unit `ms`: a finite decimal number (no sign other than `-`, no hex, no
// inf/nan) followed by letters only. False when the text is not of that form.
bool parseNumberWithUnit(std::string_view text, double& value, std::string_view& unit);
// The factor that turns a byte-sized unit into bytes: B/bytes 1, kB/KB 1024, MB 2^20, GB 2^30
// (Heroku's MB are MiB: a 512MB dyno has a 536870912-byte quota); 1 for any other unit.
double bytesFactor(std::string_view unit);

}  // namespace dynostatsd::drain
