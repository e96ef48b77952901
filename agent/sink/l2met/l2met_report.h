#pragma once
// L2metReport: prints one flush as l2met log lines on stdout (the no-API-key default, and
// DYNOSTATSD_LOG_METRICS=true). Input: a FlushBatch (read only). Output: text lines such as
//
//   source=web.1 count#page.views=3 sample#queue.depth=7 sample#latency.95percentile=21
//   source=web.1 tags=env:prod,route:/cart count#page.views=2
//   source=web.1 event title="Deploy done" text="v42 is live" alert_type=success priority=normal
//   source=web.1 check=db.up status=critical message="no route"
//
// Series are grouped per line by (bucket, host, non-dyno tags); the dyno's static tags are implied
// by source= and left out. Counters (Rate series) print as `count#` per interval (the count they carry),
// Count series as `count#`, gauges (and sets, histogram statistics) as `sample#`, sketches as
// `count#<name>.count` plus `sample#<name>.avg/min/max`. Lines stay under ~1 KB (a long group is
// split across several lines with the same prefix). Entries in a line are sorted by name.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/series.h"

namespace dynostatsd {

class L2metReport {
 public:
  // Writes a block of complete lines; returns false on failure (never throws).
  using Writer = std::function<bool(std::string_view)>;

  static constexpr std::size_t kMaxLineBytes = 1000;

  // `source`: the dyno (web.1), or the host when there is no dyno. `staticTags` are omitted from
  // tags=. `defaultHost`: series whose host differs show host=. The writer defaults to stdout.
  L2metReport(std::string source, std::vector<std::string> staticTags, std::string defaultHost,
              Writer writer = {});

  // Formats and writes the batch; returns the number of lines written (0 on a write failure,
  // which is counted in writeErrors()).
  std::size_t write(const FlushBatch& batch);
  // The lines for a batch, each ending in '\n'.
  std::string format(const FlushBatch& batch) const;

  std::uint64_t writeErrors() const { return writeErrors_; }

 private:
  std::string source_;
  std::vector<std::string> staticTags_;
  std::string defaultHost_;
  Writer writer_;
  std::uint64_t writeErrors_ = 0;
};

// write(2) to stdout, retrying short writes and EINTR; false when stdout is gone (EPIPE, EBADF)
// or would block.
bool writeStdout(std::string_view text);

}  // namespace dynostatsd
