#include "supervise/prerun_hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "supervise/process_util.h"

namespace dynostatsd::supervise {
namespace {

constexpr std::size_t kMaxEnvironmentBytes = 1024 * 1024;
constexpr std::int64_t kHookTimeoutMillis = 60000;
// Sources each hook with `set -a`-free semantics (exactly `source FILE`), then prints the result.
constexpr const char* kRunner = "for h in \"$@\"; do source \"$h\"; done; exec env -0 >&3";

bool isFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void applyEnvironment(const std::string& block) {
  ::clearenv();
  std::size_t start = 0;
  while (start < block.size()) {
    auto end = block.find('\0', start);
    if (end == std::string::npos) end = block.size();
    const std::string entry = block.substr(start, end - start);
    const auto eq = entry.find('=');
    if (eq != std::string::npos && eq > 0) {
      ::setenv(entry.substr(0, eq).c_str(), entry.substr(eq + 1).c_str(), 1);
    }
    start = end + 1;
  }
}

}  // namespace

PrerunResult runPrerunHooks(const std::string& appDir, LogPrefixer& out, const sigset_t& childMask) {
  std::vector<std::string> hooks;
  for (const char* name : {"dynostatsd/prerun.sh", "datadog/prerun.sh"}) {
    const std::string path = appDir + "/" + name;
    if (isFile(path)) {
      hooks.push_back(path);
      out.addLine(std::string("at=info stage=supervisor msg=prerun file=") + name);
    }
  }
  if (hooks.empty()) return PrerunResult::None;

  int logPipe[2];
  int envPipe[2];
  if (::pipe2(logPipe, O_CLOEXEC) != 0) return PrerunResult::Ended;
  if (::pipe2(envPipe, O_CLOEXEC) != 0) {
    ::close(logPipe[0]);
    ::close(logPipe[1]);
    return PrerunResult::Ended;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    resetSignalsInChild(childMask);
    ::dup2(logPipe[1], STDOUT_FILENO);
    ::dup2(logPipe[1], STDERR_FILENO);
    ::dup2(envPipe[1], 3);
    closeDescriptorsFrom(4);
    std::vector<char*> argv{const_cast<char*>("bash"), const_cast<char*>("-c"), const_cast<char*>(kRunner),
                            const_cast<char*>("dynostatsd-prerun")};
    for (auto& hook : hooks) argv.push_back(hook.data());
    argv.push_back(nullptr);
    ::execvp("bash", argv.data());
    _exit(127);
  }
  ::close(logPipe[1]);
  ::close(envPipe[1]);
  if (pid < 0) {
    ::close(logPipe[0]);
    ::close(envPipe[0]);
    return PrerunResult::Ended;
  }

  std::string environment;
  bool tooLarge = false;
  pollfd fds[2] = {{logPipe[0], POLLIN, 0}, {envPipe[0], POLLIN, 0}};
  const std::int64_t deadline = nowMillis() + kHookTimeoutMillis;
  bool timedOut = false;
  char buffer[16384];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const std::int64_t left = deadline - nowMillis();
    if (left <= 0) {
      timedOut = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left)) < 0 && errno != EINTR) break;
    for (auto& p : fds) {
      if (p.fd < 0 || p.revents == 0) continue;
      const ssize_t n = ::read(p.fd, buffer, sizeof buffer);
      if (n > 0 && p.fd == logPipe[0]) {
        out.addBytes({buffer, static_cast<std::size_t>(n)});
        out.flush();
      } else if (n > 0) {
        if (environment.size() + static_cast<std::size_t>(n) > kMaxEnvironmentBytes) {
          tooLarge = true;
        } else {
          environment.append(buffer, static_cast<std::size_t>(n));
        }
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(p.fd);
        p.fd = -1;
      }
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  out.endOfInput();
  int waitStatus = 0;
  while (::waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR) {
  }
  const int status = shellStatus(waitStatus);
  if (timedOut || tooLarge || environment.empty() || status != 0) {
    std::string why = timedOut                               ? "timeout"
                      : tooLarge                             ? "environment_too_large"
                      : status == 127 && environment.empty() ? "bash_not_found"
                                                             : "hook_exited";
    out.addLine("at=error stage=supervisor msg=\"prerun hook ended the boot, agent not started\" reason=" +
                why + " status=" + std::to_string(status));
    return PrerunResult::Ended;
  }
  applyEnvironment(environment);
  return PrerunResult::Applied;
}

}  // namespace dynostatsd::supervise
