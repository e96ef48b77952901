#include "supervise/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "supervise/boot_rules.h"
#include "supervise/log_prefixer.h"
#include "supervise/prerun_hooks.h"
#include "supervise/process_util.h"

namespace dynostatsd::supervise {
namespace {

constexpr std::int64_t kBackoffFirstMillis = 500;
constexpr std::int64_t kBackoffMaxMillis = 30000;
constexpr std::int64_t kHealthyMillis = 60000;
constexpr std::int64_t kFinalDrainMillis = 5000;
constexpr int kConfigInvalid = 2;  // the agent's exit status for an invalid configuration
constexpr std::string_view kDefaultPrefix = "dynostatsd: ";

// Lines printed before the log prefixer exists (boot decision, lock errors): stdout, one write.
void printBootLine(const std::string& line) {
  const std::string text = std::string(kDefaultPrefix) + line + "\n";
  [[maybe_unused]] const ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
}

class Supervisor {
 public:
  Supervisor(SuperviseOptions options, LogPrefixer& out, bool prefixing, const sigset_t& childMask,
             int signalFd)
      : options_(std::move(options)),
        out_(out),
        prefixing_(prefixing),
        childMask_(childMask),
        signalFd_(signalFd) {}

  int run();

 private:
  void spawn();
  void onSignal();
  void readAgentOutput();
  void onAgentExit();
  void closeAgentPipe();
  void log(const std::string& line) {
    out_.addLine(line);
    out_.flush();
  }

  enum class State { Starting, Running, BackingOff, Stopped };

  SuperviseOptions options_;
  LogPrefixer& out_;
  bool prefixing_;
  sigset_t childMask_;
  int signalFd_;
  State state_ = State::Starting;
  bool stopping_ = false;
  pid_t child_ = -1;
  int pipe_ = -1;
  int status_ = 0;
  std::int64_t startedAt_ = 0;
  std::int64_t restartAt_ = 0;
  std::int64_t backoff_ = kBackoffFirstMillis;
};

void Supervisor::spawn() {
  int fds[2] = {-1, -1};
  if (prefixing_ && ::pipe2(fds, O_CLOEXEC) != 0) fds[0] = fds[1] = -1;
  startedAt_ = nowMillis();
  const std::string agentPath = options_.agent;
  const pid_t pid = ::fork();
  if (pid == 0) {
    resetSignalsInChild(childMask_);
    if (fds[1] >= 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::dup2(fds[1], STDERR_FILENO);
    }
    closeDescriptorsFrom(3);
    char* argv[] = {const_cast<char*>(options_.argv0.c_str()), const_cast<char*>("run"), nullptr};
    ::execv(agentPath.c_str(), argv);
    const std::string line =
        "at=error stage=supervisor msg=\"cannot start the agent\" errno=" + std::to_string(errno) + "\n";
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    _exit(127);
  }
  if (fds[1] >= 0) ::close(fds[1]);
  if (pid < 0) {
    if (fds[0] >= 0) ::close(fds[0]);
    status_ = 1;
    onAgentExit();
    return;
  }
  child_ = pid;
  pipe_ = fds[0];
  if (pipe_ >= 0) ::fcntl(pipe_, F_SETFL, ::fcntl(pipe_, F_GETFL) | O_NONBLOCK);
  writeFile(options_.runDir + "/agent.pid", std::to_string(pid) + "\n");
  state_ = State::Running;
}

void Supervisor::readAgentOutput() {
  char buffer[16384];
  while (pipe_ >= 0) {
    const ssize_t n = ::read(pipe_, buffer, sizeof buffer);
    if (n > 0) {
      out_.addBytes({buffer, static_cast<std::size_t>(n)});
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    closeAgentPipe();  // EOF or error
  }
  out_.flush();
}

void Supervisor::closeAgentPipe() {
  if (pipe_ < 0) return;
  ::close(pipe_);
  pipe_ = -1;
  out_.endOfInput();
}

void Supervisor::onSignal() {
  signalfd_siginfo info{};
  while (::read(signalFd_, &info, sizeof info) == sizeof info) {
    if (info.ssi_signo == SIGCHLD) {
      int waitStatus = 0;
      if (child_ > 0 && ::waitpid(child_, &waitStatus, WNOHANG) == child_) {
        status_ = shellStatus(waitStatus);
        onAgentExit();
      }
      continue;
    }
    // SIGTERM / SIGINT: Heroku may send SIGTERM more than once; each one is forwarded.
    stopping_ = true;
    if (state_ == State::Running && child_ > 0) {
      ::kill(child_, SIGTERM);
    } else if (state_ != State::Running) {
      state_ = State::Stopped;
    }
  }
}

void Supervisor::onAgentExit() {
  child_ = -1;
  // The agent is gone, so everything it wrote is in the pipe: read it all before saying so.
  readAgentOutput();
  closeAgentPipe();
  if (stopping_) {
    state_ = State::Stopped;
    return;
  }
  if (status_ == kConfigInvalid) {
    log("at=error stage=supervisor msg=\"agent configuration invalid, not restarting\" status=2 "
        "fix=\"correct the setting named above with heroku config:set\"");
    state_ = State::Stopped;
    return;
  }
  const std::int64_t ran = nowMillis() - startedAt_;
  if (ran >= kHealthyMillis) backoff_ = kBackoffFirstMillis;
  log("at=warn stage=supervisor msg=\"agent exited\" status=" + std::to_string(status_) +
      " ran=" + seconds(ran) + "s restart_in=" + seconds(backoff_) + "s");
  restartAt_ = nowMillis() + backoff_;
  backoff_ = std::min(backoff_ * 2, kBackoffMaxMillis);
  state_ = State::BackingOff;
}

int Supervisor::run() {
  while (state_ != State::Stopped) {
    if (state_ == State::Starting) spawn();
    if (state_ == State::Stopped) break;
    int timeout = -1;
    if (state_ == State::BackingOff) {
      const std::int64_t left = restartAt_ - nowMillis();
      if (left <= 0) {
        state_ = State::Starting;
        continue;
      }
      timeout = static_cast<int>(left);
    }
    pollfd fds[3] = {
        {signalFd_, POLLIN, 0}, {pipe_, POLLIN, 0}, {out_.hasPending() ? out_.fd() : -1, POLLOUT, 0}};
    if (::poll(fds, 3, timeout) < 0 && errno != EINTR) break;
    if (fds[2].revents != 0) out_.flush();
    if (fds[1].revents != 0) readAgentOutput();
    if (fds[0].revents != 0) onSignal();
  }
  ::unlink((options_.runDir + "/agent.pid").c_str());
  ::unlink((options_.runDir + "/supervisor.pid").c_str());
  out_.addLine("at=info stage=supervisor msg=stopped agent_status=" + std::to_string(status_));
  // The last lines (the agent's final flush report, ours) get a bounded wait for a slow log.
  const std::int64_t deadline = nowMillis() + kFinalDrainMillis;
  while (out_.flush() && out_.hasPending() && nowMillis() < deadline) {
    pollfd p{out_.fd(), POLLOUT, 0};
    ::poll(&p, 1, 50);
  }
  return status_;
}

}  // namespace

int runSupervise(SuperviseOptions options) {
  const BootDecision decision = decideBoot(processEnvironment());
  if (!decision.start) {
    if (decision.announce)
      printBootLine("at=info stage=boot msg=\"agent not started\" reason=\"" + decision.reason + "\"");
    return 0;
  }
  if (options.appDir.empty()) options.appDir = envOr("HOME", "/app");
  if (options.runDir.empty())
    options.runDir = envOr("DYNOSTATSD_RUN_DIR", options.appDir + "/.dynostatsd/run");
  if (options.agent.empty()) options.agent = envOr("DYNOSTATSD_AGENT", "");
  if (options.agent.empty()) {
    options.agent = executablePath(options.argv0);
  } else {
    options.argv0 = options.agent;
  }

  // Descriptor hygiene: nothing inherited from the dyno's shell (or the CNB launcher's fd 3, which
  // it reads until EOF) stays open in a process that lives as long as the dyno.
  closeDescriptorsFrom(3);
  const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devNull >= 0) {
    ::dup2(devNull, STDIN_FILENO);
    ::close(devNull);
  }
  if (!makeDirectories(options.runDir)) {
    printBootLine("at=error stage=supervisor msg=\"cannot write the lock file, agent not started\" dir=" +
                  options.runDir);
    return 1;
  }
  const std::string lockPath = options.runDir + "/supervisor.lock";
  const int lock = ::open(lockPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (lock < 0) {
    printBootLine("at=error stage=supervisor msg=\"cannot write the lock file, agent not started\" dir=" +
                  options.runDir);
    return 1;
  }
  if (::flock(lock, LOCK_EX | LOCK_NB) != 0) return 0;  // another supervisor already runs in this dyno

  // Set up before detaching, as far as it can be: the detached child starts with only its copied
  // anonymous pages, so the libc code run here (signals, environment) never becomes resident in the
  // process that lives as long as the dyno (two 64 KiB windows of libc measured).
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  sigset_t handled;
  sigset_t childMask;
  sigemptyset(&handled);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &handled, &childMask);
  const int signalFd = ::signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signalFd < 0) return 1;
  // DYNOSTATSD_LOG_PREFIX unset: "dynostatsd: "; set but empty: no prefix and no prefixer, the
  // agent writes to the dyno log itself.
  const char* prefixVar = std::getenv("DYNOSTATSD_LOG_PREFIX");
  const std::string prefix = prefixVar == nullptr ? std::string(kDefaultPrefix) : std::string(prefixVar);

  if (!options.foreground) {
    // Detach like `setsid -f`: the caller (the dyno's shell sourcing .profile.d, the CNB launcher
    // running exec.d) gets its status at once; the child leads its own session and process group,
    // so the shell's job control never waits for it or signals it. The lock's open file
    // description is shared, so the child keeps the lock when the parent exits.
    const pid_t pid = ::fork();
    if (pid < 0) return 1;
    if (pid > 0) return 0;
    ::setsid();
  }

  if (::chdir(options.appDir.c_str()) != 0) {
    // The agent then resolves ./dynostatsd.yml against the caller's directory; not fatal.
  }
  writeFile(options.runDir + "/supervisor.pid", std::to_string(::getpid()) + "\n");

  LogPrefixer out(openLogDescriptor(), prefix);

  switch (runPrerunHooks(options.appDir, out, childMask)) {
    case PrerunResult::Ended:
      out.flush();
      ::unlink((options.runDir + "/supervisor.pid").c_str());
      return 1;
    case PrerunResult::Applied:
      if (const BootDecision after = decideBoot(processEnvironment()); !after.start) {
        out.addLine("at=info stage=supervisor msg=skipped reason=disabled_by_prerun detail=\"" +
                    after.reason + "\"");
        out.flush();
        ::unlink((options.runDir + "/supervisor.pid").c_str());
        return 0;
      }
      break;
    case PrerunResult::None: break;
  }
  Supervisor supervisor(std::move(options), out, !prefix.empty(), childMask, signalFd);
  return supervisor.run();
}

}  // namespace dynostatsd::supervise
