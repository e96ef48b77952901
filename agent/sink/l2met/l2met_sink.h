#pragma once
// L2metSink: each flush as l2met lines on stdout (L2metReport), the no-API-key default and
// DYNOSTATSD_LOG_METRICS=true. Reads the Agent's shapes (histogram statistics, sketch summaries).
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "sink/l2met/l2met_report.h"
#include "sink/sink.h"

namespace dynostatsd {
struct SinkContext;
}

namespace dynostatsd::l2met {

class L2metSink final : public Sink {
 public:
  explicit L2metSink(std::unique_ptr<L2metReport> report) : report_(std::move(report)) {}

  std::string_view name() const override { return "l2met"; }
  SinkNeeds needs() const override { return {.datadogShapes = true, .distributions = false}; }
  std::string describe() const override { return "stdout"; }
  void submit(const FlushBatch& slice) override;
  void drain(std::function<void()> done) override { done(); }  // nothing is ever queued
  void close() override {}
  void collectSelfMetrics(std::vector<SelfMetric>& out) const override;

 private:
  std::unique_ptr<L2metReport> report_;
  std::uint64_t lines_ = 0;
};

std::optional<std::string> describeConfig(const Config& config);
std::unique_ptr<Sink> makeSink(const SinkContext& context);

}  // namespace dynostatsd::l2met
