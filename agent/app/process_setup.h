#pragma once
// Process hygiene at start, before any library opens a descriptor or a signal can arrive.
//   - A closed fd 0, 1 or 2 is reopened on /dev/null: otherwise libuv's epoll fd (or a socket)
//     lands on it, and closing it at exit trips libuv's `fd > STDERR_FILENO` assertion (abort,
//     core file with the API key in it).
//   - `run` only (SIG_IGN is inherited across exec, so never in a command that starts programs):
//     SIGPIPE is ignored (a closed stdout surfaces as EPIPE); SIGHUP, SIGUSR1, SIGUSR2 and SIGALRM
//     are ignored until the agent's own handlers take over (app/agent.cpp), so no default action
//     kills the agent silently while it loads its configuration.
namespace dynostatsd {

void reopenClosedStandardFds();
void ignoreFatalSignalsUntilHandled();

}  // namespace dynostatsd
