#pragma once
// LogPrefixer: the supervisor's log output. Input: raw bytes the agent wrote to its stdout/stderr
// pipe, and the supervisor's own lines. Output: whole lines, each led by DYNOSTATSD_LOG_PREFIX,
// written to the dyno log without ever blocking: the log descriptor is non-blocking, lines wait
// in a buffer of at most kMaxPendingBytes, and lines that do not fit are dropped and counted
// (a `msg="log lines dropped"` line says how many as soon as the log has drained). A line longer than
// kMaxLineBytes is cut into pieces of that size. So the agent's pipe is always read at once and
// the agent never waits for the log.
#include <sys/types.h>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dynostatsd::supervise {

// How LogPrefixer::flush writes without blocking, never changing a flag the app (which shares the
// dyno's log) could see:
//   Reopened  pipe/FIFO/terminal: a fresh open file description of it (/proc/self/fd/1 with
//             O_NONBLOCK|O_NOCTTY), plain non-blocking write(2)
//   Shared    regular file: a dup of fd 1, so the offset stays shared with every other writer (an
//             own description would overwrite their lines); file writes do not wait for a reader
//   Socket    a dup of fd 1: send(2) with MSG_DONTWAIT
//   Polled    a dup of fd 1 (no /proc): poll(2) for room, then at most PIPE_BUF bytes per write
enum class LogMode : std::uint8_t { Reopened, Shared, Socket, Polled };

struct LogDescriptor {
  int fd = -1;  // close-on-exec; -1 when stdout is closed
  LogMode mode = LogMode::Polled;
};

LogDescriptor openLogDescriptor();

class LogPrefixer {
 public:
  static constexpr std::size_t kMaxPendingBytes = 256 * 1024;
  static constexpr std::size_t kMaxLineBytes = 16 * 1024;
  static constexpr std::size_t kShrinkAboveBytes = 64 * 1024;

  // `log`: where lines go (owned by the caller), from openLogDescriptor().
  LogPrefixer(LogDescriptor log, std::string prefix);

  // Bytes from the agent; complete lines are queued, a trailing partial line is kept.
  void addBytes(std::string_view bytes);
  // One line of the supervisor's own (no newline).
  void addLine(std::string_view line);
  // Queues a kept partial line (the writer is gone).
  void endOfInput();

  // Writes what the log accepts now; never blocks. False when the log is gone (EPIPE etc.):
  // pending bytes are then discarded.
  bool flush();
  bool hasPending() const { return !pending_.empty(); }
  int fd() const { return log_.fd; }
  std::uint64_t droppedLines() const { return droppedTotal_; }

 private:
  void queue(std::string_view text);
  std::string droppedNote() const;

  ssize_t writeSome();

  LogDescriptor log_;
  std::string prefix_;
  std::string partial_;
  std::string pending_;
  std::uint64_t dropped_ = 0;
  std::uint64_t droppedTotal_ = 0;
};

}  // namespace dynostatsd::supervise
