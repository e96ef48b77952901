#include "dyno/process_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <tuple>

#include "dyno/cgroup_text.h"
#include "telemetry/log.h"

namespace dynostatsd::dyno {
namespace {

bool parsePid(std::string_view text, int& pid) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  return ec == std::errc() && ptr == text.data() + text.size() && pid > 0;
}

// "<pid>/<leaf>" relative to /proc.
std::string procPath(int pid, const char* leaf) {
  return std::to_string(pid) + "/" + leaf;
}

}  // namespace

ProcessTable::ProcessTable(std::string procDir, std::string procsFile, std::size_t maxProcesses)
    : procDir_(std::move(procDir)), maxProcesses_(maxProcesses), pageSize_(::sysconf(_SC_PAGESIZE)) {
  if (!procsFile.empty()) procsFile_ = PseudoFile(std::move(procsFile));
  procFd_ = ::open(procDir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

ProcessTable::~ProcessTable() {
  processes_.clear();
  if (scan_ != nullptr) ::closedir(scan_);
  if (procFd_ >= 0) ::close(procFd_);
}

std::string ProcessTable::source() const {
  const std::string perProcess = " + " + procDir_ + "/<pid>/statm";
  if (!procsFile_.path().empty() && !procsFileFailed_) return procsFile_.path() + perProcess;
  return procDir_ + " (the PID namespace)" + perProcess;
}

bool ProcessTable::listFromProcsFile(BoundedReader& reader, bool& truncated) {
  // Opened anew each time: cgroup v1 serves an open cgroup.procs from a pid list cached for 1 s
  // after its last read (cgroup_pidlist_start), so a file kept open can show departed processes
  // and miss new ones at flush intervals under ~1 s.
  std::string_view text;
  procsFile_.close();
  ReadStatus status = procsFile_.read(reader, text);
  procsFile_.close();
  if (status != ReadStatus::Ok && status != ReadStatus::TooLarge) {
    procsFileFailed_ = true;
    procsFile_.close();
    log::write(log::Level::Warn, "dyno",
               "msg=\"process list falls back to /proc\" file=" + log::quote(procsFile_.path()) +
                   " reason=" + std::string(readStatusName(status)));
    return false;
  }
  truncated = status == ReadStatus::TooLarge;
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    if (eol == std::string_view::npos && truncated) break;  // a cut-off last line
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    int pid = 0;
    if (!parsePid(line, pid)) continue;
    if (pids_.size() == maxProcesses_) {
      truncated = true;
      break;
    }
    pids_.push_back(pid);
  }
  return true;
}

bool ProcessTable::listFromProcDir(bool& truncated) {
  if (scan_ == nullptr) {
    int fd = procFd_ >= 0 ? ::dup(procFd_) : -1;
    scan_ = fd >= 0 ? ::fdopendir(fd) : nullptr;
    if (scan_ == nullptr) {
      if (fd >= 0) ::close(fd);
      return false;
    }
  } else {
    ::rewinddir(scan_);
  }
  while (dirent* entry = ::readdir(scan_)) {
    int pid = 0;
    if (!parsePid(entry->d_name, pid)) continue;
    if (pids_.size() == maxProcesses_) {
      truncated = true;
      break;
    }
    pids_.push_back(pid);
  }
  return true;
}

ReadStatus ProcessTable::readFile(BoundedReader& reader, Process& process, int pid, bool comm,
                                  std::string_view& out) {
  PseudoFile& file = comm ? process.comm : process.statm;
  if (file.path().empty()) file = PseudoFile(procPath(pid, comm ? "comm" : "statm"), procFd_);
  ReadStatus status = file.read(reader, out);
  // An open file of an exited process answers ESRCH even when its pid was reused: open it again.
  if (status == ReadStatus::Missing && process.keepOpen) status = file.read(reader, out);
  if (!process.keepOpen) file.close();
  return status;
}

bool ProcessTable::sample(BoundedReader& reader, DynoSnapshot& out) {
  ++samples_;
  pids_.clear();
  bool truncated = false;
  bool listed = false;
  if (!procsFile_.path().empty() && !procsFileFailed_) listed = listFromProcsFile(reader, truncated);
  if (!listed) {
    pids_.clear();
    truncated = false;
    listed = listFromProcDir(truncated);
  }
  if (!listed) return false;
  if (truncated && !truncationLogged_) {
    truncationLogged_ = true;
    log::write(log::Level::Warn, "dyno",
               "msg=\"more processes than read per flush\" limit=" + std::to_string(maxProcesses_));
  }

  // The kCandidates largest by their last known RSS, kept sorted (largest first) by insertion.
  std::array<std::tuple<std::uint64_t, Process*, int>, kCandidates> top{};
  std::size_t topSize = 0;
  std::size_t alive = 0;
  for (int pid : pids_) {
    auto [it, created] = processes_.try_emplace(pid);
    Process& process = it->second;
    if (created) {
      process.keepOpen = openProcesses_ < kMaxOpenProcesses;
      if (process.keepOpen) ++openProcesses_;
    }
    process.seen = samples_;
    const bool turn = (static_cast<std::uint64_t>(pid) + samples_) % kRefreshEvery == 0;
    if (created || process.candidate || turn) {
      std::string_view text;
      std::uint64_t pages = 0;
      if (readFile(reader, process, pid, false, text) != ReadStatus::Ok ||
          parseStatmResident(text, pages) != Parsed::Ok) {
        process.seen = 0;  // exited between the list and the read (or unreadable): forgotten
        continue;
      }
      process.rssBytes = pages * static_cast<std::uint64_t>(pageSize_);
      if (turn) process.name.clear();  // comm again on its turn: exec() changes it
    }
    ++alive;
    process.candidate = false;
    const std::uint64_t rss = process.rssBytes;
    if (rss == 0 || (topSize == kCandidates && rss <= std::get<0>(top[topSize - 1]))) continue;
    std::size_t at = topSize < kCandidates ? topSize++ : kCandidates - 1;
    while (at > 0 && std::get<0>(top[at - 1]) < rss) {
      top[at] = top[at - 1];
      --at;
    }
    top[at] = {rss, &process, pid};
  }

  // Processes of one name (puma workers, gunicorn workers) share one series: their RSS is summed.
  out.top.clear();
  for (std::size_t i = 0; i < topSize; ++i) {
    auto [rss, process, pid] = top[i];
    process->candidate = true;
    if (process->name.empty()) {
      std::string_view comm;
      process->name = readFile(reader, *process, pid, true, comm) == ReadStatus::Ok
                          ? sanitizeProcessName(comm)
                          : std::string("unknown");
    }
    auto same = std::find_if(out.top.begin(), out.top.end(),
                             [&](const ProcessRss& p) { return p.name == process->name; });
    if (same != out.top.end()) {
      same->rssBytes += rss;
    } else {
      out.top.push_back({pid, process->name, rss});
    }
  }
  std::sort(out.top.begin(), out.top.end(), [](const ProcessRss& a, const ProcessRss& b) {
    return a.rssBytes != b.rssBytes ? a.rssBytes > b.rssBytes : a.name < b.name;
  });
  if (out.top.size() > kTopProcesses) out.top.resize(kTopProcesses);

  std::erase_if(processes_, [this](const auto& entry) {
    if (entry.second.seen == samples_) return false;
    if (entry.second.keepOpen) --openProcesses_;
    return true;
  });
  out[Figure::Processes] = static_cast<double>(alive);
  out.processesTruncated = truncated;
  return true;
}

}  // namespace dynostatsd::dyno
