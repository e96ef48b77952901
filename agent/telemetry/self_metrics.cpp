#include "telemetry/self_metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace dynostatsd {

SelfMetricsReporter::SelfMetricsReporter(std::vector<std::string> staticTags, std::string host,
                                         int intervalSeconds)
    : staticTags_(std::move(staticTags)), host_(std::move(host)), intervalSeconds_(intervalSeconds) {}

void SelfMetricsReporter::report(const std::vector<SelfMetric>& figures, std::int64_t timestamp,
                                 std::vector<Series>& out) {
  for (const auto& figure : figures) {
    // A reason-tagged total appears once it is non-zero: each tag set is a billed custom metric.
    if (figure.monotonic && !figure.tags.empty() && figure.value == 0) continue;
    Series series;
    series.name = "dynostatsd." + figure.name;
    series.interval = intervalSeconds_;
    series.host = host_;
    series.tags = figure.tags;
    series.tags.insert(series.tags.end(), staticTags_.begin(), staticTags_.end());
    double value = figure.value;
    if (figure.monotonic) {
      std::string key = figure.name;
      for (const auto& tag : figure.tags) key.append("|").append(tag);
      double& last = lastTotals_[key];
      // A total that went down was reset (e.g. a restarted component): count it from zero.
      value = figure.value >= last ? figure.value - last : figure.value;
      last = figure.value;
      series.type = SeriesType::Count;
      series.kind = MetricKind::Counter;
    } else {
      series.type = SeriesType::Gauge;
    }
    series.points.push_back({timestamp, value});
    out.push_back(std::move(series));
  }
}

double residentBytes() {
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[128];
  ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return 0;
  text[n] = '\0';
  // "size resident shared text lib data dt", in pages. from_chars, not strtoull: glibc's strtoul
  // shares a fault-around window with its printf internals, which this agent otherwise never runs.
  const char* cursor = std::find(text, text + n, ' ');
  std::uint64_t pages = 0;
  if (cursor != text + n) std::from_chars(cursor + 1, text + n, pages);
  return static_cast<double>(pages) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

}  // namespace dynostatsd
