#pragma once
// BoundedReader and PseudoFile: read small pseudo-files (cgroupfs, procfs) into one buffer
// allocated once, so a flush reads every file without allocating. A file that does not fit is
// TooLarge (the bytes that fit are still returned).
//
// A PseudoFile stays open and is re-read with pread(fd, 0): seq_file-backed files (the cgroup
// memory.* and cpu.* files, /proc/<pid>/statm and comm) regenerate their text on a read at offset
// 0. Not cgroup v1's cgroup.procs, which serves a cached pid list to an open file (see
// process_table.cpp): that one is opened anew for every read. Measured on this 2-core VM:
// open+read+close of memory.usage_in_bytes 5.6 us, pread 0.6 us. cgroupfs and procfs build
// their text in memory: a read never waits on a disk, so this is safe on the event loop.
#include <fcntl.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dynostatsd::dyno {

enum class ReadStatus : std::uint8_t { Ok, Missing, Unreadable, TooLarge };

std::string_view readStatusName(ReadStatus status);  // "ok", "missing", "unreadable", "too_large"

class BoundedReader {
 public:
  explicit BoundedReader(std::size_t capacity) : buffer_(capacity) {}

  // `out` views the buffer until the next read.
  ReadStatus readFd(int fd, std::string_view& out);
  // open (relative to `dirfd`: AT_FDCWD or an open directory), read, close.
  ReadStatus readPath(int dirfd, const char* path, std::string_view& out);

  std::size_t capacity() const { return buffer_.size(); }
  std::uint64_t reads() const { return reads_; }  // files read, for the cost figures
  std::uint64_t opens() const { return opens_; }

 private:
  friend class PseudoFile;
  std::vector<char> buffer_;
  std::uint64_t reads_ = 0;
  std::uint64_t opens_ = 0;
};

// Maps an open(2)/read(2) errno to a status.
ReadStatus statusFromErrno(int error);

class PseudoFile {
 public:
  PseudoFile() = default;
  explicit PseudoFile(std::string path, int dirfd = AT_FDCWD) : path_(std::move(path)), dirfd_(dirfd) {}
  ~PseudoFile() { close(); }
  PseudoFile(PseudoFile&& other) noexcept;
  PseudoFile& operator=(PseudoFile&& other) noexcept;
  PseudoFile(const PseudoFile&) = delete;
  PseudoFile& operator=(const PseudoFile&) = delete;

  // Opens on first use; a failed read closes the file, so the next read opens it again.
  ReadStatus read(BoundedReader& reader, std::string_view& out);
  void close();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int dirfd_ = AT_FDCWD;
  int fd_ = -1;
};

}  // namespace dynostatsd::dyno
