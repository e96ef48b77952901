#include "supervise/boot_rules.h"

#include <algorithm>
#include <cstdlib>

#include "config/config_values.h"
#include "enrich/enricher.h"

namespace dynostatsd::supervise {
namespace {

std::string get(const EnvLookup& env, const char* name) {
  const char* value = env(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

BootDecision decideBoot(const EnvLookup& env) {
  BootDecision d;
  d.dynoType = Enricher::dynoType(get(env, "DYNO"));
  const std::string types = get(env, "DYNOSTATSD_DYNO_TYPES");
  const auto listed = config::splitList(types);

  if (!get(env, "DISABLE_DATADOG_AGENT").empty()) {
    d.reason = "DISABLE_DATADOG_AGENT is set";
  } else if (config::switchOn(get(env, "DYNOSTATSD_DISABLE"))) {
    d.reason = "DYNOSTATSD_DISABLE is set";
  } else if (d.dynoType == "run" && !config::isTrue(get(env, "DYNOSTATSD_ONE_OFF"))) {
    d.reason = "one-off dyno (set DYNOSTATSD_ONE_OFF=true to run the agent in one-off dynos)";
  } else if (!listed.empty() && std::find(listed.begin(), listed.end(), d.dynoType) == listed.end()) {
    d.reason = "process type " + (d.dynoType.empty() ? std::string("unknown") : d.dynoType) +
               " is not in DYNOSTATSD_DYNO_TYPES=" + types;
  } else {
    d.start = true;
    return d;
  }
  d.announce = d.dynoType == "web" || config::switchOn(get(env, "DYNOSTATSD_DEBUG"));
  return d;
}

EnvLookup processEnvironment() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

}  // namespace dynostatsd::supervise
