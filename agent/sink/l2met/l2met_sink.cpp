#include "sink/l2met/l2met_sink.h"

#include "sink/registry.h"

namespace dynostatsd::l2met {

void L2metSink::submit(const FlushBatch& slice) {
  if (slice.empty()) return;
  lines_ += report_->write(slice);
}

void L2metSink::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  out.push_back({"sink.lines_written", {}, static_cast<double>(lines_), true});
  out.push_back({"sink.write_errors", {}, static_cast<double>(report_->writeErrors()), true});
}

std::optional<std::string> describeConfig(const Config& config) {
  if (!config.logMetrics) return std::nullopt;
  return std::string("stdout");
}

std::unique_ptr<Sink> makeSink(const SinkContext& context) {
  if (!context.config.logMetrics) return nullptr;
  return std::make_unique<L2metSink>(
      std::make_unique<L2metReport>(context.source, context.staticTags, context.defaultHost));
}

}  // namespace dynostatsd::l2met
