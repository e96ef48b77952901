#pragma once
// Sink: one output of the agent (Datadog, OTLP, Graphite, l2met lines, ...). The Agent hands every
// configured sink each flush as read-only FlushBatch slices; a sink owns its encoding, its queue
// and its delivery, and never blocks the loop. Data flow: Sources -> IntervalAggregator -> Sinks.
//
// Contract, per flush:  submit(slice) x N   (N >= 0; the slices are freed after each call)
//                       endFlush(timestamp) (once, after the last slice of that flush)
// At shutdown:          drain(done)         (keeps delivering until empty or the shutdown
//                                            deadline; `done` runs exactly once, on the loop)
//                       close()             (releases every handle; idempotent)
// Isolation: each sink has its own byte-bounded queue; a slow or dead backend never delays,
// blocks or loses another sink's data.
//
// Adding an output: one folder agent/sink/<name>/ with a class derived from Sink and a factory,
// plus one line in agent/sink/registry.cpp.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/self_metric.h"
#include "model/series.h"

namespace dynostatsd {

// What a sink reads from a FlushBatch, so the aggregator builds only the shapes someone needs.
struct SinkNeeds {
  bool datadogShapes = false;  // series of kind HistogramStatistic and `sketches` (Agent forms)
  bool distributions = false;  // `distributions`: the neutral h/ms/d form (samples or sketch)
};

class Sink {
 public:
  virtual ~Sink() = default;

  virtual std::string_view name() const = 0;  // "datadog", "otlp", "graphite", "l2met": the sink: tag
  virtual SinkNeeds needs() const = 0;
  // Where it sends, for the ready line (`datadog=https://api.datadoghq.com l2met=stdout`) and
  // `check-config`: a URL without credentials, "stdout", host:port... never a secret.
  virtual std::string describe() const = 0;

  virtual void start() {}
  virtual void submit(const FlushBatch& slice) = 0;
  virtual void endFlush(std::int64_t /*flushTimestamp*/) {}
  virtual void drain(std::function<void()> done) = 0;
  virtual void close() = 0;
  // dynostatsd.sink.* figures; the Agent adds the sink:<name> tag.
  virtual void collectSelfMetrics(std::vector<SelfMetric>& out) const = 0;
};

}  // namespace dynostatsd
