#pragma once
// Boot rules: whether this dyno runs the agent. Input: the dyno's environment (DYNO and the
// switches below). Output: a BootDecision (start or not, why, and whether to say so). Used by
// `dynostatsd supervise` at dyno boot (classic .profile.d and the CNB exec.d) and again after the
// prerun hooks ran; the dyno type comes from Enricher::dynoType, the booleans from
// config::isTrue/switchOn, so the agent's tags and the boot decision can never disagree.
//
// Rules, first match wins:
//   DISABLE_DATADOG_AGENT set (any value)          -> skip (the Datadog buildpack's switch)
//   DYNOSTATSD_DISABLE on (config::switchOn)       -> skip
//   type run (Cedar run.N, Fir run-...)            -> skip unless DYNOSTATSD_ONE_OFF is true
//   DYNOSTATSD_DYNO_TYPES set, type not listed     -> skip ("web,worker", commas and/or blanks)
//   otherwise                                      -> start
// A skip is announced on web dynos and whenever DYNOSTATSD_DEBUG is on; one-off and worker
// dynos stay silent so `heroku run` scripting output stays clean.
#include <functional>
#include <string>

namespace dynostatsd::supervise {

// Reads one environment variable; nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

struct BootDecision {
  bool start = false;
  std::string dynoType;
  std::string reason;     // why not, when !start
  bool announce = false;  // print the reason (web dyno or DYNOSTATSD_DEBUG)
};

BootDecision decideBoot(const EnvLookup& env);

// The process environment (std::getenv).
EnvLookup processEnvironment();

}  // namespace dynostatsd::supervise
