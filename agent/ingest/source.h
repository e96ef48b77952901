#pragma once
// Source: a kind of outside input the Agent runs beside its DogStatsD listeners (drain mode's
// Logplex endpoint). The Agent builds each from a SourceFactory and drives its lifecycle.
// Input: what the SourceContext lends (loop, consumer, enricher, clock, config; all outlive the
// Source). Output: MetricSamples into the consumer, on the loop thread, as input arrives.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "enrich/enricher.h"
#include "ingest/ingestor.h"
#include "model/clock.h"
#include "model/self_metric.h"

namespace dynostatsd {

struct SourceContext {
  uv_loop_t* loop;
  MetricConsumer& consumer;
  const Enricher& enricher;
  const Clock& clock;
  const Config& config;
};

class Source {
 public:
  virtual ~Source() = default;
  // Binds its sockets. False with `error` set stops the start (exit 1). `readyFields`: logfmt
  // fields appended to the `msg=ready` line, e.g. ` drain=0.0.0.0:5000`.
  virtual bool open(std::string& readyFields, std::string& error) = 0;
  // First SIGTERM/SIGINT: the grace period begins (stop taking new work, finish what is under way).
  virtual void onShutdown() = 0;
  // The grace period is over, right before the final flush: close everything.
  virtual void close() = 0;
  virtual void collectSelfMetrics(std::vector<SelfMetric>& out) const = 0;
};

using SourceFactory = std::function<std::unique_ptr<Source>(const SourceContext&)>;

}  // namespace dynostatsd
