#include "dyno/bounded_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace dynostatsd::dyno {

std::string_view readStatusName(ReadStatus status) {
  switch (status) {
    case ReadStatus::Ok: return "ok";
    case ReadStatus::Missing: return "missing";
    case ReadStatus::Unreadable: return "unreadable";
    case ReadStatus::TooLarge: return "too_large";
  }
  return "unknown";
}

ReadStatus statusFromErrno(int error) {
  // ESRCH: a /proc/<pid> file of a process that has exited.
  return error == ENOENT || error == ENOTDIR || error == ESRCH ? ReadStatus::Missing : ReadStatus::Unreadable;
}

ReadStatus BoundedReader::readFd(int fd, std::string_view& out) {
  ++reads_;
  std::size_t used = 0;
  ReadStatus status = ReadStatus::Ok;
  // Pseudo-files may return their text in several reads; stop at EOF or when the buffer is full.
  while (true) {
    if (used == buffer_.size()) {
      char probe;
      if (::pread(fd, &probe, 1, static_cast<off_t>(used)) > 0) status = ReadStatus::TooLarge;
      break;
    }
    ssize_t n = ::pread(fd, buffer_.data() + used, buffer_.size() - used, static_cast<off_t>(used));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = statusFromErrno(errno);
      break;
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
    // A short read is the end: seq_file (every cgroup and /proc/<pid> file) fills the buffer until
    // its text ends, and so does a regular file. Saves the second pread that would return 0.
    if (used < buffer_.size()) break;
  }
  out =
      std::string_view(buffer_.data(), status == ReadStatus::Ok || status == ReadStatus::TooLarge ? used : 0);
  return status;
}

ReadStatus BoundedReader::readPath(int dirfd, const char* path, std::string_view& out) {
  out = {};
  ++opens_;
  int fd = ::openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return statusFromErrno(errno);
  ReadStatus status = readFd(fd, out);
  ::close(fd);
  return status;
}

PseudoFile::PseudoFile(PseudoFile&& other) noexcept
    : path_(std::move(other.path_)), dirfd_(other.dirfd_), fd_(std::exchange(other.fd_, -1)) {}

PseudoFile& PseudoFile::operator=(PseudoFile&& other) noexcept {
  if (this != &other) {
    close();
    path_ = std::move(other.path_);
    dirfd_ = other.dirfd_;
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void PseudoFile::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ReadStatus PseudoFile::read(BoundedReader& reader, std::string_view& out) {
  out = {};
  if (fd_ < 0) {
    ++reader.opens_;
    fd_ = ::openat(dirfd_, path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd_ < 0) return statusFromErrno(errno);
  }
  ReadStatus status = reader.readFd(fd_, out);
  if (status != ReadStatus::Ok && status != ReadStatus::TooLarge) close();
  return status;
}

}  // namespace dynostatsd::dyno
