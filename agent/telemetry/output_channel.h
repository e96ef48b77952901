#pragma once
// OutputChannel: stdout or stderr written without ever blocking the event loop. A reader that
// stops reading (`dynostatsd run | sleep 1000`) must not stall ingest, forwarding or signals.
// Input: whole lines (log lines, l2met report chunks). Output: the same bytes on the fd, in order.
//
// The fd gets its own non-blocking open file description (a pipe or tty is reopened through
// /proc/self/fd/N, so the O_NONBLOCK flag does not leak to the app processes sharing the same
// pipe); a socket is written with MSG_DONTWAIT. What the fd does not take at once waits in a
// bounded buffer; when the buffer is full, new text is dropped whole and its lines counted. Once
// the buffer drains, one `reason=output_blocked dropped_lines=N` line goes to stderr.
// Memory: at most maxBuffered bytes plus the rest of one partially written chunk.
// Thread-safe (one mutex); in practice used from the event-loop thread.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace dynostatsd {

class OutputChannel {
 public:
  OutputChannel(int fd, std::string_view name, std::size_t maxBuffered);

  // Reopens the fd non-blocking (see above). Safe to call more than once.
  void makeNonBlocking();
  // Never blocks. False when the text was dropped (buffer full) or the fd is gone (EPIPE, EBADF).
  bool write(std::string_view text);
  // Writes what the buffer holds as far as the fd takes it; reports drops once empty.
  void drain();
  // At exit: drain, waiting at most timeoutMillis for the reader.
  void drainFor(int timeoutMillis);

  std::size_t buffered() const;
  std::uint64_t droppedLines() const;

  void setMaxBufferedForTest(std::size_t bytes) { maxBuffered_ = bytes; }

 private:
  enum class Mode : std::uint8_t { Blocking, NonBlocking, Socket, Poll };
  long rawWrite(std::string_view text);  // bytes written, 0 when it would block, -1 when gone
  void flushLocked();
  std::string takeReportLocked();

  int fd_;
  std::string name_;
  std::size_t maxBuffered_;
  Mode mode_ = Mode::Blocking;
  bool gone_ = false;
  std::string buffer_;
  std::uint64_t dropped_ = 0;
  std::uint64_t unreported_ = 0;
  mutable std::mutex mutex_;
};

// The process's two channels: stdout buffers up to 1 MiB (l2met report chunks), stderr 256 KiB.
OutputChannel& standardOutput();
OutputChannel& standardError();

}  // namespace dynostatsd
