#pragma once
// `dynostatsd supervise`: the one process of ours beside the agent in a dyno. It applies the boot
// rules (boot_rules.h), detaches from the dyno's shell, runs the prerun hooks, starts the agent
// (fork + exec of `<agent> run`), prefixes the agent's log lines (log_prefixer.h), restarts it
// when it dies, and on SIGTERM forwards the signal and exits after the agent's final flush.
//
// States (prose of the loop in Supervisor::run):
//   starting -> running --(agent exits)--> backing off --(delay over)--> starting ...
//                  \--(SIGTERM/SIGINT)--> stopping: forward the signal, wait for the agent's exit,
//                                         drain its last lines, exit with the agent's status
//   running --(agent exits 2: invalid configuration)--> stopped (not retried: config vars only
//                                         change with a new release, which restarts the dyno)
//   backing off --(SIGTERM)--> stopped at once
// Backoff starts at 0.5 s and doubles up to 30 s; an agent that ran for a healthy minute resets
// it. One supervisor per dyno: flock on <run dir>/supervisor.lock, taken before detaching.
#include <string>

namespace dynostatsd::supervise {

struct SuperviseOptions {
  bool foreground = false;  // stay in the caller's session and wait (default: detach, return at once)
  std::string appDir;       // cwd of the agent and home of the prerun hooks (default $HOME, /app)
  std::string runDir;       // lock and pid files (default $DYNOSTATSD_RUN_DIR, <appDir>/.dynostatsd/run)
  std::string agent;        // the agent binary (default $DYNOSTATSD_AGENT, else this binary)
  std::string argv0;        // how this binary was invoked: the agent's argv[0]
};

// Returns the exit status for `dynostatsd supervise`: 0 when skipped, already running or detached;
// in the foreground (and in the detached child) the agent's last status.
int runSupervise(SuperviseOptions options);

}  // namespace dynostatsd::supervise
