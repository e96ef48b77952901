#include "supervise/log_prefixer.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

using namespace dynostatsd::supervise;

namespace {

// A real pipe: the prefixer writes into it, the test reads what a dyno log reader would see.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { REQUIRE(::pipe2(fds, O_NONBLOCK) == 0); }
  ~Pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  LogDescriptor writer() const { return {fds[1], LogMode::Reopened}; }
  std::string readAll() const {
    std::string text;
    char buffer[65536];
    ssize_t n;
    while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    return text;
  }
};

}  // namespace

TEST_CASE("LogPrefixer: every line prefixed, partial lines kept until their newline") {
  Pipe pipe;
  LogPrefixer out(pipe.writer(), "dynostatsd: ");
  out.addBytes("at=info stage=app msg=ready\nsource=web.1 count#a=");
  CHECK(out.flush());
  CHECK(pipe.readAll() == "dynostatsd: at=info stage=app msg=ready\n");
  out.addBytes("1\n\nlast without newline");
  out.addLine("at=info stage=supervisor msg=stopped agent_status=0");
  out.flush();
  CHECK(pipe.readAll() ==
        "dynostatsd: source=web.1 count#a=1\ndynostatsd: \n"
        "dynostatsd: at=info stage=supervisor msg=stopped agent_status=0\n");
  out.endOfInput();
  out.flush();
  CHECK(pipe.readAll() == "dynostatsd: last without newline\n");
}

TEST_CASE("LogPrefixer: an empty prefix passes lines through; long lines are cut, not buffered unbounded") {
  Pipe pipe;
  LogPrefixer out(pipe.writer(), "");
  const std::string longLine(LogPrefixer::kMaxLineBytes + 10, 'x');
  out.addBytes(longLine + "\n");
  out.flush();
  CHECK(pipe.readAll() == std::string(LogPrefixer::kMaxLineBytes, 'x') + "\n" + std::string(10, 'x') + "\n");
}

TEST_CASE("LogPrefixer: a blocked log never blocks; pending stays bounded, drops are counted and reported") {
  Pipe pipe;
  LogPrefixer out(pipe.writer(), "p: ");
  const std::string line(999, 'y');
  // Far more than the pipe (64 KiB) plus the pending bound (256 KiB) can hold.
  for (int i = 0; i < 1000; ++i) {
    out.addBytes(line + "\n");
    CHECK(out.flush());  // returns at once: EAGAIN is not an error
  }
  CHECK(out.hasPending());
  CHECK(out.droppedLines() > 0);
  const auto dropped = out.droppedLines();
  // The reader catches up: the log drains and says how many lines were lost.
  std::string seen;
  for (int i = 0; i < 100 && (out.hasPending() || seen.empty()); ++i) {
    seen += pipe.readAll();
    out.flush();
  }
  seen += pipe.readAll();
  out.addLine("after");
  out.flush();
  seen += pipe.readAll();
  CHECK_THAT(seen, Catch::Contains(
                       "p: at=warn stage=supervisor msg=\"log lines dropped\" reason=log_blocked count=" +
                       std::to_string(dropped) + "\n"));
  CHECK_THAT(seen, Catch::EndsWith("p: after\n"));
  // Every line that was written is whole and prefixed.
  std::size_t start = 0;
  while (start < seen.size()) {
    const auto end = seen.find('\n', start);
    REQUIRE(end != std::string::npos);
    CHECK(seen.compare(start, 3, "p: ") == 0);
    start = end + 1;
  }
}

TEST_CASE("LogPrefixer: a closed log reports failure and discards instead of growing") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);
  ::close(fds[0]);
  ::signal(SIGPIPE, SIG_IGN);
  LogPrefixer out({fds[1], LogMode::Reopened}, "p: ");
  out.addLine("nobody reads this");
  CHECK_FALSE(out.flush());
  CHECK_FALSE(out.hasPending());
  ::close(fds[1]);
}
