#pragma once
// Helpers for the fixture trees in test/fixtures/cgroup/<name>/ (a root with proc/ and sys/fs/cgroup/).
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace dyno_test {

inline std::string fixture(const std::string& name) {
  return std::string(DYNOSTATSD_SOURCE_DIR) + "/test/fixtures/cgroup/" + name;
}

// A writable copy of a fixture tree, removed at the end of the test.
class TreeCopy {
 public:
  explicit TreeCopy(const std::string& name) {
    char pattern[] = "/tmp/dyno-fixture-XXXXXX";
    root_ = ::mkdtemp(pattern);
    std::filesystem::copy(fixture(name), root_, std::filesystem::copy_options::recursive);
  }
  ~TreeCopy() { std::filesystem::remove_all(root_); }
  const std::string& root() const { return root_; }
  void write(const std::string& relative, const std::string& text) const {
    std::ofstream(root_ + "/" + relative, std::ios::trunc) << text;
  }
  void remove(const std::string& relative) const { std::filesystem::remove(root_ + "/" + relative); }

 private:
  std::string root_;
};

// Collects what is written to stderr (the agent's log) while it lives.
class StderrCapture {
 public:
  StderrCapture() {
    char pattern[] = "/tmp/dyno-stderr-XXXXXX";
    fd_ = ::mkstemp(pattern);
    path_ = pattern;
    saved_ = ::dup(2);
    ::dup2(fd_, 2);
  }
  ~StderrCapture() {
    restore();
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  std::string text() const {
    std::ifstream in(path_);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }
  int count(const std::string& needle) const {
    const std::string all = text();
    int n = 0;
    for (std::size_t at = all.find(needle); at != std::string::npos; at = all.find(needle, at + 1)) ++n;
    return n;
  }
  void restore() {
    if (saved_ >= 0) {
      ::dup2(saved_, 2);
      ::close(saved_);
      saved_ = -1;
    }
  }

 private:
  int fd_ = -1;
  int saved_ = -1;
  std::string path_;
};

}  // namespace dyno_test
