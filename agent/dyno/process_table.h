#pragma once
// ProcessTable: the dyno's processes and the largest of them by resident memory.
// Input: the pids in the dyno's cgroup.procs, else every numeric entry of /proc (the dyno's PID
// namespace); /proc/<pid>/statm (resident pages) and /proc/<pid>/comm (name).
// Output: heroku.dyno.processes (the pids listed) and the top list: at most kTopProcesses names,
// each the summed RSS of the processes of that name among the kCandidates largest.
//
// Cost: statm costs ~1.6 us per process here (the kernel sums per-CPU RSS counters), so a flush
// does not read every process. It reads statm of the kCandidates largest, of every new process,
// and of the others in turn, each at least once every kRefreshEvery flushes (pid + flush number
// mod kRefreshEvery). A process that grows is therefore in the top list within kRefreshEvery
// flushes; the dyno's own memory figures (cgroup files) are exact every flush. comm is read when a
// process first becomes a candidate and again on its refresh turn. Each file at most once per flush.
// The files of the first kMaxOpenProcesses processes stay open (re-read with pread, no open(2)).
// Memory: one entry (~150 B) per process, at most maxProcesses.
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
  static constexpr std::uint64_t kRefreshEvery = 6;      // one minute at the default 10 s flush

  // `procsFile` empty: list /proc instead. `maxProcesses` bounds the work and memory of a sample.
  ProcessTable(std::string procDir, std::string procsFile, std::size_t maxProcesses = 1024);
  ~ProcessTable();
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  // Fills out[Processes], out.top and out.processesTruncated; false when no list was readable.
  bool sample(BoundedReader& reader, DynoSnapshot& out);
  // Where the list comes from, for `dynostatsd dyno`.
  std::string source() const;
  std::size_t trackedProcesses() const { return processes_.size(); }

 private:
  struct Process {
    PseudoFile statm, comm;
    bool keepOpen = false;
    bool candidate = false;  // among the kCandidates largest at the previous sample
    std::uint64_t seen = 0;  // the sample that last listed it
    std::uint64_t rssBytes = 0;
    std::string name;  // sanitised comm; empty until read
  };
  bool listFromProcsFile(BoundedReader& reader, bool& truncated);
  bool listFromProcDir(bool& truncated);
  ReadStatus readFile(BoundedReader& reader, Process& process, int pid, bool comm, std::string_view& out);

  std::string procDir_;
  std::size_t maxProcesses_;
  PseudoFile procsFile_;
  int procFd_ = -1;
  DIR* scan_ = nullptr;
  bool procsFileFailed_ = false;
  bool truncationLogged_ = false;
  std::vector<int> pids_;
  std::unordered_map<int, Process> processes_;
  std::size_t openProcesses_ = 0;
  std::uint64_t samples_ = 0;
  long pageSize_;
};

}  // namespace dynostatsd::dyno
