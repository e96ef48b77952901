#pragma once
// Prerun hooks: <app>/dynostatsd/prerun.sh and <app>/datadog/prerun.sh (the Datadog buildpack's
// name), bash files the app ships to set variables for the agent per dyno (DD_TAGS from
// DYNO_SIZE, DISABLE_DATADOG_AGENT on some types...). Input: the app dir and the supervisor's
// environment. Output: the environment after the hooks ran, applied to this process (the agent
// inherits it); the hooks' own output goes to the log. They run once per supervisor, in a bash
// child (`source` each, then `env -0` on fd 3), never in the dyno's own shell.
#include <signal.h>

#include <string>

#include "supervise/log_prefixer.h"

namespace dynostatsd::supervise {

enum class PrerunResult {
  None,     // no hook file: nothing ran
  Applied,  // hooks ran; their environment is now ours
  Ended,    // a hook exited (or bash failed): do not start the agent
};

PrerunResult runPrerunHooks(const std::string& appDir, LogPrefixer& out, const sigset_t& childMask);

}  // namespace dynostatsd::supervise
