#pragma once
// The sink registry: one table of the outputs the agent knows, each with how it describes itself
// from the Config alone (for `check-config`, without opening anything) and the factory that builds
// it for a running agent. Adding an output = one folder agent/sink/<name>/ + one line in
// registry.cpp.
#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "model/clock.h"
#include "sink/sink.h"

namespace dynostatsd {

// What a factory gets: everything a sink may need from the running agent. References stay valid
// for the sink's whole life.
struct SinkContext {
  uv_loop_t* loop;                             // the agent's only loop; sinks never block it
  const Clock& clock;                          // wall clock (ManualClock in tests)
  const Config& config;                        // the whole validated configuration
  const std::vector<std::string>& staticTags;  // the enricher's dyno tags (dyno:, dynotype:, ...)
  const std::string& defaultHost;              // the enricher's host ("" when none)
  const std::string& source;                   // the dyno (web.1), else the host, else "dynostatsd"
  bool logMetricsForced = false;               // no API key: l2met turned on by default
};

struct SinkRegistration {
  std::string_view name;  // the sink: tag and the name in the ready line
  // nullopt when the configuration leaves this sink off; else where it sends, as Sink::describe()
  // (for `check-config`, which opens nothing).
  std::optional<std::string> (*describeConfig)(const Config& config);
  // Builds the sink; nullptr when the configuration leaves it off.
  std::unique_ptr<Sink> (*make)(const SinkContext& context);
};

// Every known output, in the order their lines are listed.
const std::vector<SinkRegistration>& sinkRegistry();

// The sinks the configuration turns on, built with `context`.
std::vector<std::unique_ptr<Sink>> makeSinks(const SinkContext& context);

struct ActiveSink {
  std::string name;
  std::string description;
};
// The sinks the configuration turns on, described (for `check-config`).
std::vector<ActiveSink> describeSinks(const Config& config);

}  // namespace dynostatsd
