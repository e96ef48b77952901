#include "supervise/log_prefixer.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace dynostatsd::supervise {

LogPrefixer::LogPrefixer(LogDescriptor log, std::string prefix) : log_(log), prefix_(std::move(prefix)) {}

std::string LogPrefixer::droppedNote() const {
  return "at=warn stage=supervisor msg=\"log lines dropped\" reason=log_blocked count=" +
         std::to_string(dropped_);
}

void LogPrefixer::queue(std::string_view text) {
  const std::size_t lineBytes = prefix_.size() + text.size() + 1;
  if (dropped_ > 0) {
    const std::string note = droppedNote();
    if (pending_.size() + prefix_.size() + note.size() + 1 + lineBytes > kMaxPendingBytes) {
      ++dropped_;
      ++droppedTotal_;
      return;
    }
    pending_.append(prefix_).append(note).push_back('\n');
    dropped_ = 0;
  }
  if (pending_.size() + lineBytes > kMaxPendingBytes) {
    ++dropped_;
    ++droppedTotal_;
    return;
  }
  pending_.append(prefix_).append(text).push_back('\n');
}

void LogPrefixer::addBytes(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, newline);
    const std::size_t room = kMaxLineBytes - partial_.size();
    if (piece.size() >= room) {
      // Too long for one line: emit what fits, continue with the rest as a new line.
      partial_.append(piece.substr(0, room));
      queue(partial_);
      partial_.clear();
      bytes.remove_prefix(room);
      continue;
    }
    if (newline == std::string_view::npos) {
      partial_.append(piece);
      return;
    }
    if (partial_.empty()) {
      queue(piece);
    } else {
      partial_.append(piece);
      queue(partial_);
      partial_.clear();
    }
    bytes.remove_prefix(newline + 1);
  }
}

void LogPrefixer::addLine(std::string_view line) {
  queue(line.substr(0, kMaxLineBytes));
}

void LogPrefixer::endOfInput() {
  if (partial_.empty()) return;
  queue(partial_);
  partial_.clear();
}

ssize_t LogPrefixer::writeSome() {
  switch (log_.mode) {
    case LogMode::Reopened:
    case LogMode::Shared: return ::write(log_.fd, pending_.data(), pending_.size());
    case LogMode::Socket:
      return ::send(log_.fd, pending_.data(), pending_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    case LogMode::Polled: {
      pollfd p{log_.fd, POLLOUT, 0};
      if (::poll(&p, 1, 0) <= 0 || (p.revents & POLLOUT) == 0) {
        if ((p.revents & (POLLERR | POLLHUP)) != 0) {
          errno = EPIPE;
          return -1;
        }
        errno = EAGAIN;
        return -1;
      }
      return ::write(log_.fd, pending_.data(), std::min<std::size_t>(pending_.size(), PIPE_BUF));
    }
  }
  return -1;
}

bool LogPrefixer::flush() {
  while (!pending_.empty() || dropped_ > 0) {
    if (pending_.empty()) {
      // The log caught up: say what it missed now, not only before the next line (there may be none).
      pending_.append(prefix_).append(droppedNote()).push_back('\n');
      dropped_ = 0;
    }
    if (log_.fd < 0) {
      pending_.clear();
      return false;
    }
    const ssize_t n = writeSome();
    if (n > 0) {
      pending_.erase(0, static_cast<std::size_t>(n));
      // After a stall the buffer may have grown to kMaxPendingBytes: give that memory back.
      if (pending_.empty() && pending_.capacity() > kShrinkAboveBytes) std::string().swap(pending_);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    pending_.clear();  // the log is gone: nothing can be written any more
    return false;
  }
  return true;
}

LogDescriptor openLogDescriptor() {
  LogDescriptor log;
  struct stat st {};
  if (::fstat(STDOUT_FILENO, &st) != 0) return log;
  if (S_ISSOCK(st.st_mode)) {
    log.mode = LogMode::Socket;
  } else if (S_ISREG(st.st_mode)) {
    log.mode = LogMode::Shared;
  } else {
    log.fd = ::open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (log.fd >= 0) {
      log.mode = LogMode::Reopened;
      return log;
    }
    log.mode = LogMode::Polled;
  }
  log.fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  return log;
}

}  // namespace dynostatsd::supervise
