#pragma once
// Enricher: applies the dyno's identity to what the parser produced.
// Input: a parsed MetricSample / Event / ServiceCheck and the EnrichConfig (DYNO, DD_TAGS, ...).
// Output: the same object, modified in place: reserved tags removed, host chosen; events and
// service checks also get the static dyno tags (metrics get them from the aggregator at flush).
// Ownership: a sample's host view points into the datagram (a `host:` tag) or into this Enricher,
// which must outlive every sample it enriched.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "model/event.h"
#include "model/metric_sample.h"

namespace dynostatsd {

class Enricher {
 public:
  explicit Enricher(const EnrichConfig& config);

  // Removes `host:<h>` (sets sample.host = <h>, even when empty; the last one wins),
  // `dd.internal.*` reserved tags and empty tags; without a host tag sample.host = defaultHost().
  void enrich(MetricSample& sample) const;
  // Host precedence: `h:` field, else the last `host:` tag, else defaultHost(). Removes the
  // reserved and empty tags, appends staticTags() not already present, timestamp 0 -> nowSeconds.
  void enrich(Event& event, std::int64_t nowSeconds) const;
  void enrich(ServiceCheck& check, std::int64_t nowSeconds) const;

  // dyno:$DYNO, dynotype:<type>, appname:$HEROKU_APP_NAME, release:$HEROKU_RELEASE_VERSION,
  // DD_TAGS entries, env:/service:/version:; empty values add nothing; first occurrence kept.
  const std::vector<std::string>& staticTags() const { return staticTags_; }
  // DD_HOSTNAME; else with DD_DYNO_HOST <appname>.<dyno>; else "" (no host resource).
  const std::string& defaultHost() const { return defaultHost_; }

  // The process type of a dyno name: Cedar `web.1` -> web, `run.1234` -> run; Fir pod-style
  // `<type>-<hash>-<suffix>` (hash 6..10, suffix 5 lower-case alphanumerics; the type itself may
  // contain `-`) -> <type>; any other `run-...` (a Fir one-off dyno) -> run; anything else is
  // returned whole. Empty for an empty name. The one dyno-type rule: the boot rules
  // (supervise/boot_rules) and `dynostatsd dyno-type` use it too.
  static std::string dynoType(std::string_view dyno);
  // Splits DD_TAGS-style text on commas and whitespace, dropping empty entries.
  static std::vector<std::string> splitTags(std::string_view ddTags);

 private:
  template <typename Message>
  void enrichMessage(Message& message, std::int64_t nowSeconds) const;

  std::vector<std::string> staticTags_;
  std::string defaultHost_;
};

}  // namespace dynostatsd
