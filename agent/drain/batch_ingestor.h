#pragma once
// BatchIngestor: one Logplex request body, start to finish, on the loop thread.
// Input: the source app (validated by the server), the body, and Logplex-Msg-Count when sent.
// Output: every frame parsed (logplex_body.h) and derived (LineDeriver) into the MetricConsumer
// before ingest() returns; malformed frames counted by FrameError reason and skipped; a frame
// count that disagrees with Logplex-Msg-Count counted. Bad frames are logged at a throttled rate
// with a truncated, quoted sample. Ownership: nothing of the body is kept after ingest().
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "drain/line_deriver.h"
#include "drain/logplex_body.h"
#include "model/clock.h"
#include "telemetry/log.h"

namespace dynostatsd::drain {

struct BatchResult {
  std::size_t frames = 0;     // frames seen, malformed included
  std::size_t malformed = 0;  // frames skipped
};

struct BatchStats {
  std::uint64_t batches = 0;
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(FrameError::Count)> frameErrors{};
  std::uint64_t msgCountMismatches = 0;  // batches whose frame count != Logplex-Msg-Count
};

class BatchIngestor {
 public:
  BatchIngestor(MetricConsumer& consumer, std::string_view host, const Clock& clock);

  BatchResult ingest(std::string_view app, std::string_view body, std::optional<std::uint64_t> msgCount);

  const BatchStats& stats() const { return stats_; }
  const DeriveStats& deriveStats() const { return deriver_.stats(); }
  void collectSelfMetrics(std::vector<SelfMetric>& out) const;

 private:
  void malformed(FrameError error, std::string_view app, std::string_view frame);

  const Clock& clock_;
  LineDeriver deriver_;
  SyslogMessage message_;
  BatchStats stats_;
  log::Throttle errorLog_;
};

}  // namespace dynostatsd::drain
