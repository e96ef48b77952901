#include "drain/drain_source.h"

namespace dynostatsd::drain {

DrainServerOptions DrainSource::options(const DrainConfig& config) {
  DrainServerOptions options;
  options.http.maxBodyBytes = config.maxBodyBytes;
  options.maxConnections = config.maxConnections;
  options.maxInFlight = config.maxInFlight;
  options.maxInFlightBytes = config.maxInFlightBytes;
  options.requestTimeoutMillis = static_cast<std::int64_t>(config.requestTimeoutSeconds) * 1000;
  options.idleTimeoutMillis = static_cast<std::int64_t>(config.idleTimeoutSeconds) * 1000;
  options.dedupeWindowMillis = static_cast<std::int64_t>(config.dedupeWindowSeconds) * 1000;
  return options;
}

DrainSource::DrainSource(const SourceContext& context, DrainCredentials credentials)
    : config_(context.config.drain),
      credentials_(std::move(credentials)),
      ingestor_(context.consumer, context.enricher.defaultHost(), context.clock),
      server_(context.loop, credentials_, ingestor_, context.clock, options(context.config.drain)) {}

bool DrainSource::open(std::string& readyFields, std::string& error) {
  if (!server_.listen(config_.bindHost, config_.port, error)) return false;
  readyFields += " drain=" + config_.bindHost + ":" + std::to_string(server_.localPort()) + " drain_apps=" +
                 (credentials_.hasGlobal() ? std::string("any") : std::to_string(credentials_.perAppCount()));
  return true;
}

void DrainSource::onShutdown() {
  server_.stopAccepting();
}

void DrainSource::close() {
  server_.close();
}

void DrainSource::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  ingestor_.collectSelfMetrics(out);
  server_.collectSelfMetrics(out);
}

}  // namespace dynostatsd::drain
