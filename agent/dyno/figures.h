#pragma once
// The dyno's figures, one table for the series names, units and kinds (what the README documents,
// `dynostatsd dyno` prints and DynoMetrics sends). Names mirror log-runtime-metrics
// (memory_total -> heroku.dyno.memory.total).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dynostatsd::dyno {

enum class Figure : std::uint8_t {
  MemoryTotal,         // usage - inactive_file (the working set), bytes
  MemoryRss,           // v2 anon, v1 total_rss, bytes
  MemoryCache,         // v2 file, v1 total_cache, bytes
  MemorySwap,          // bytes
  MemoryQuota,         // the limit, bytes; absent when unlimited
  MemoryQuotaUsedPct,  // total / quota x 100
  CpuUserPct,          // user CPU time over the interval, % of one core
  CpuSystemPct,        // system CPU time over the interval, % of one core
  CpuThrottledPct,     // throttled periods / enforcement periods over the interval, %
  CpuQuota,            // quota / period, cores; absent when unlimited
  OomKills,            // the cgroup's running total (DynoMetrics sends its increase as a count)
  Processes,           // processes in the dyno
  kCount
};
constexpr std::size_t kFigureCount = static_cast<std::size_t>(Figure::kCount);

struct FigureInfo {
  std::string_view name;  // series name
  std::string_view unit;  // Datadog unit name; empty when none
  bool count = false;     // sent as the increase since the previous flush
};

const FigureInfo& figureInfo(Figure figure);

// The per-process series: heroku.dyno.process.rss tagged process:<name>, at most kTopProcesses.
inline constexpr std::string_view kProcessRssName = "heroku.dyno.process.rss";
inline constexpr std::size_t kTopProcesses = 5;

struct ProcessRss {
  int pid = 0;
  std::string name;  // sanitised comm
  std::uint64_t rssBytes = 0;
};

// One reading of every figure; an absent value is a figure this dyno does not have or whose file
// was missing or malformed.
struct DynoSnapshot {
  std::array<std::optional<double>, kFigureCount> values;
  std::vector<ProcessRss> top;  // largest RSS first
  bool processesTruncated = false;

  std::optional<double>& operator[](Figure f) { return values[static_cast<std::size_t>(f)]; }
  const std::optional<double>& operator[](Figure f) const { return values[static_cast<std::size_t>(f)]; }
};

}  // namespace dynostatsd::dyno
