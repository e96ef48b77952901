#include "sink/registry.h"

#include "sink/datadog/datadog_sink.h"
#include "sink/l2met/l2met_sink.h"

namespace dynostatsd {

const std::vector<SinkRegistration>& sinkRegistry() {
  // One line per output.
  static const std::vector<SinkRegistration> registry = {
      {"datadog", &datadog::describeConfig, &datadog::makeSink},
      {"l2met", &l2met::describeConfig, &l2met::makeSink},
  };
  return registry;
}

std::vector<std::unique_ptr<Sink>> makeSinks(const SinkContext& context) {
  std::vector<std::unique_ptr<Sink>> sinks;
  for (const SinkRegistration& registration : sinkRegistry()) {
    if (std::unique_ptr<Sink> sink = registration.make(context)) sinks.push_back(std::move(sink));
  }
  return sinks;
}

std::vector<ActiveSink> describeSinks(const Config& config) {
  std::vector<ActiveSink> active;
  for (const SinkRegistration& registration : sinkRegistry()) {
    if (auto description = registration.describeConfig(config))
      active.push_back({std::string(registration.name), std::move(*description)});
  }
  return active;
}

}  // namespace dynostatsd
