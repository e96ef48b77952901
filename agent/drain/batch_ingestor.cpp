#include "drain/batch_ingestor.h"

#include <string>

namespace dynostatsd::drain {
namespace {

constexpr std::size_t kLogSampleBytes = 120;

}  // namespace

BatchIngestor::BatchIngestor(MetricConsumer& consumer, std::string_view host, const Clock& clock)
    : clock_(clock), deriver_(consumer, host) {}

BatchResult BatchIngestor::ingest(std::string_view app, std::string_view body,
                                  std::optional<std::uint64_t> msgCount) {
  BatchResult result;
  const std::int64_t now = clock_.nowSeconds();
  deriver_.setApp(app);
  ++stats_.batches;
  stats_.bytes += body.size();
  result.frames = forEachFrame(
      body,
      [&](std::string_view frame) {
        FrameError error = parseSyslog(frame, message_);
        if (error != FrameError::None) {
          ++result.malformed;
          malformed(error, app, frame);
          return;
        }
        deriver_.derive(message_, now);
      },
      [&](FrameError error) {
        ++result.malformed;
        malformed(error, app, body.substr(0, 0));
      });
  deriver_.endBatch();
  stats_.frames += result.frames;
  if (msgCount && *msgCount != result.frames) ++stats_.msgCountMismatches;
  return result;
}

void BatchIngestor::malformed(FrameError error, std::string_view app, std::string_view frame) {
  ++stats_.frameErrors[static_cast<std::size_t>(error)];
  if (!errorLog_.allow(clock_.nowMillis())) return;
  std::string fields = "msg=\"malformed frame skipped\" reason=" + std::string(frameErrorName(error)) +
                       " app=" + log::quote(app);
  if (!frame.empty()) fields += " frame=" + log::quote(frame.substr(0, kLogSampleBytes));
  if (std::uint64_t suppressed = errorLog_.takeSuppressed())
    fields += " suppressed=" + std::to_string(suppressed);
  log::write(log::Level::Warn, "drain", fields);
}

void BatchIngestor::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  out.push_back({"drain.batches", {}, static_cast<double>(stats_.batches), true});
  out.push_back({"drain.frames", {}, static_cast<double>(stats_.frames), true});
  out.push_back({"drain.bytes", {}, static_cast<double>(stats_.bytes), true});
  for (std::size_t i = 1; i < stats_.frameErrors.size(); ++i) {
    out.push_back({"drain.frames.malformed",
                   {"reason:" + std::string(frameErrorName(static_cast<FrameError>(i)))},
                   static_cast<double>(stats_.frameErrors[i]),
                   true});
  }
  out.push_back({"drain.msg_count_mismatch", {}, static_cast<double>(stats_.msgCountMismatches), true});
  deriver_.collectSelfMetrics(out);
}

}  // namespace dynostatsd::drain
