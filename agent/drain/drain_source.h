#pragma once
// DrainSource: drain mode as an Agent Source — the DrainServer listening on drain.bindHost:port,
// its BatchIngestor feeding the Agent's aggregator. Credentials are loaded (and refused when
// absent) before the Agent starts, by the `drain` command.
#include <memory>

#include "drain/batch_ingestor.h"
#include "drain/credentials.h"
#include "drain/drain_server.h"
#include "ingest/source.h"

namespace dynostatsd::drain {

class DrainSource final : public Source {
 public:
  DrainSource(const SourceContext& context, DrainCredentials credentials);

  bool open(std::string& readyFields, std::string& error) override;
  void onShutdown() override;
  void close() override;
  void collectSelfMetrics(std::vector<SelfMetric>& out) const override;

  static DrainServerOptions options(const DrainConfig& config);

 private:
  const DrainConfig& config_;
  DrainCredentials credentials_;
  BatchIngestor ingestor_;
  DrainServer server_;
};

}  // namespace dynostatsd::drain
