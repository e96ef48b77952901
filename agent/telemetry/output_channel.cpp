#include "telemetry/output_channel.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace dynostatsd {
namespace {

std::uint64_t countLines(std::string_view text) {
  const auto n = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
  return n == 0 ? 1 : n;
}

}  // namespace

OutputChannel::OutputChannel(int fd, std::string_view name, std::size_t maxBuffered)
    : fd_(fd), name_(name), maxBuffered_(maxBuffered) {}

void OutputChannel::makeNonBlocking() {
  std::lock_guard lock(mutex_);
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    gone_ = true;
    return;
  }
  if (S_ISSOCK(info.st_mode)) {
    mode_ = Mode::Socket;
    return;
  }
  if (!S_ISFIFO(info.st_mode) && !S_ISCHR(info.st_mode)) return;  // a file never blocks for long
  const int flags = ::fcntl(fd_, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) != 0) {
    mode_ = Mode::NonBlocking;  // already ours (a second call) or set by whoever started us
    return;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd_);
  const int reopened = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (reopened >= 0 && ::dup2(reopened, fd_) == fd_) {
    mode_ = Mode::NonBlocking;
  } else {
    mode_ = Mode::Poll;  // no /proc, or the pipe has no reader right now: poll before each write
  }
  if (reopened >= 0) ::close(reopened);
}

long OutputChannel::rawWrite(std::string_view text) {
  for (;;) {
    ssize_t n = 0;
    switch (mode_) {
      case Mode::Socket: n = ::send(fd_, text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL); break;
      case Mode::Poll: {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, 0) != 1 || (p.revents & POLLOUT) == 0) {
          if ((p.revents & (POLLERR | POLLNVAL)) != 0) return -1;
          return 0;
        }
        // A write of at most PIPE_BUF bytes into a pipe that polled writable does not block.
        n = ::write(fd_, text.data(), std::min<std::size_t>(text.size(), 4096));
        break;
      }
      default: n = ::write(fd_, text.data(), text.size()); break;
    }
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

void OutputChannel::flushLocked() {
  while (!buffer_.empty() && !gone_) {
    const long n = rawWrite(buffer_);
    if (n < 0) {
      gone_ = true;
      buffer_.clear();
      return;
    }
    if (n == 0) return;
    buffer_.erase(0, static_cast<std::size_t>(n));
  }
  if (buffer_.capacity() > maxBuffered_ && buffer_.empty()) std::string().swap(buffer_);
}

bool OutputChannel::write(std::string_view text) {
  std::string report;
  bool ok = true;
  {
    std::lock_guard lock(mutex_);
    if (gone_) return false;
    flushLocked();
    if (buffer_.empty()) {
      while (!text.empty()) {
        const long n = rawWrite(text);
        if (n < 0) {
          gone_ = true;
          return false;
        }
        if (n == 0) break;
        text.remove_prefix(static_cast<std::size_t>(n));
      }
      // What the fd did not take waits; beyond the bound, whole lines are dropped and counted.
      if (!text.empty() && text.size() <= maxBuffered_) {
        buffer_.append(text);
      } else if (!text.empty()) {
        const std::size_t cut = text.rfind('\n', maxBuffered_ - 1);
        const std::size_t kept = cut == std::string_view::npos ? 0 : cut + 1;
        buffer_.append(text.substr(0, kept));
        text.remove_prefix(kept);
        if (buffer_.empty() || buffer_.back() != '\n') buffer_.push_back('\n');  // ends a torn line
        const std::uint64_t lines = countLines(text);
        dropped_ += lines;
        unreported_ += lines;
        ok = false;
      }
    } else if (buffer_.size() + text.size() > maxBuffered_) {
      // Keep the whole lines that fit, drop (and count) the rest.
      const std::size_t room = maxBuffered_ > buffer_.size() ? maxBuffered_ - buffer_.size() : 0;
      const std::size_t cut = room == 0 ? std::string_view::npos : text.rfind('\n', room - 1);
      if (cut != std::string_view::npos) {
        buffer_.append(text.substr(0, cut + 1));
        text.remove_prefix(cut + 1);
      }
      const std::uint64_t lines = countLines(text);
      dropped_ += lines;
      unreported_ += lines;
      ok = false;
    } else {
      buffer_.append(text);
    }
    if (buffer_.empty()) report = takeReportLocked();
  }
  if (!report.empty()) standardError().write(report);
  return ok;
}

std::string OutputChannel::takeReportLocked() {
  if (unreported_ == 0) return {};
  std::string line = "at=warn stage=log reason=output_blocked fd=" + name_ +
                     " dropped_lines=" + std::to_string(unreported_) +
                     " dropped_total=" + std::to_string(dropped_) +
                     " msg=\"the reader did not keep up; lines were dropped\"\n";
  unreported_ = 0;
  return line;
}

void OutputChannel::drain() {
  std::string report;
  {
    std::lock_guard lock(mutex_);
    flushLocked();
    if (buffer_.empty() && !gone_) report = takeReportLocked();
  }
  if (!report.empty()) standardError().write(report);
}

void OutputChannel::drainFor(int timeoutMillis) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMillis);
  for (;;) {
    drain();
    if (buffered() == 0) return;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd p{fd_, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 50)));
  }
}

std::size_t OutputChannel::buffered() const {
  std::lock_guard lock(mutex_);
  return gone_ ? 0 : buffer_.size();
}

std::uint64_t OutputChannel::droppedLines() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

OutputChannel& standardOutput() {
  static OutputChannel channel(STDOUT_FILENO, "stdout", std::size_t{1} << 20);
  return channel;
}

OutputChannel& standardError() {
  static OutputChannel channel(STDERR_FILENO, "stderr", std::size_t{256} << 10);
  return channel;
}

}  // namespace dynostatsd
