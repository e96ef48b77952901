#pragma once
// ProcessTable: the dyno's processes and the largest of them by resident memory.
// Input: the pids in the dyno's cgroup.procs, else every numeric entry of /proc (the dyno's PID
// namespace); /proc/<pid>/statm of each (one read per process), /proc/<pid>/comm of the largest.
// Output: heroku.dyno.processes and the top list (at most kTopProcesses names, each the sum of the
// processes of that name among the kCandidates largest) in a DynoSnapshot.
// Cost: the statm and comm files of up to kMaxOpenProcesses processes stay open and are re-read
// with pread (no open(2) per flush); processes beyond it are opened per read. Memory: the pid
// list and the open-file map keep their capacity between samples.
#include <dirent.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "dyno/bounded_reader.h"
#include "dyno/figures.h"

namespace dynostatsd::dyno {

class ProcessTable {
 public:
  static constexpr std::size_t kCandidates = 3 * kTopProcesses;
  static constexpr std::size_t kMaxOpenProcesses = 128;  // 2 fds each at most

  // `procsFile` empty: list /proc instead. `maxProcesses` bounds the work of one sample.
  ProcessTable(std::string procDir, std::string procsFile, std::size_t maxProcesses = 4096);
  ~ProcessTable();
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  // Fills out[Processes], out.top and out.processesTruncated; false when no list was readable.
  bool sample(BoundedReader& reader, DynoSnapshot& out);
  // Where the list comes from, for `dynostatsd dyno`.
  std::string source() const;
  std::size_t openProcesses() const { return open_.size(); }

 private:
  struct OpenProcess {
    PseudoFile statm, comm;
    std::uint64_t seen = 0;  // the sample that last listed it
  };
  bool listFromProcsFile(BoundedReader& reader, bool& truncated);
  bool listFromProcDir(bool& truncated);
  // Reads /proc/<pid>/<leaf> through the open file when there is one (reopened once if stale).
  ReadStatus readProcFile(BoundedReader& reader, int pid, bool comm, std::string_view& out);

  std::string procDir_;
  std::size_t maxProcesses_;
  PseudoFile procsFile_;
  int procFd_ = -1;
  DIR* scan_ = nullptr;
  bool procsFileFailed_ = false;
  bool truncationLogged_ = false;
  std::vector<int> pids_;
  std::unordered_map<int, OpenProcess> open_;
  std::uint64_t samples_ = 0;
  long pageSize_;
};

}  // namespace dynostatsd::dyno
