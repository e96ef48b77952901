// CPU per flush of the dyno metrics with 50 processes in the dyno, on this machine's real cgroup
// files (hidden: run `build/test/unit_dyno "[.perf]"`). Not a timed assertion: it prints the
// figure for bench/RESULTS.md and checks the read count (at most one read of each file per flush).
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <vector>

#include "dyno/dyno_metrics.h"

using namespace dynostatsd;
using namespace dynostatsd::dyno;

namespace {

double threadCpuMicros() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

}  // namespace

TEST_CASE("dyno metrics: CPU per flush with 50 processes in the dyno", "[.perf]") {
  std::vector<pid_t> children;
  for (int i = 0; i < 49; ++i) {  // + this process = 50 in the group (plus whatever else is there)
    pid_t pid = ::fork();
    if (pid == 0) {
      ::pause();
      ::_exit(0);
    }
    children.push_back(pid);
  }
  DynoMetricsConfig config;
  DynoMetrics metrics(config, locateCgroup("/"), {"dyno:web.1", "dynotype:web"}, "", "web.1", 10, 0);
  FlushBatch batch;
  metrics.collect(0, 0, 1, batch);  // opens every file once
  const int flushes = 2000;
  double samplerMicros = 0, collectMicros = 0;
  const auto readsBefore = metrics.sampler().reader().reads();
  const auto opensBefore = metrics.sampler().reader().opens();
  for (int i = 0; i < flushes; ++i) {
    batch = FlushBatch{};
    metrics.collect(i, i, 1'000'000'000ULL * (i + 2), batch);
    collectMicros += metrics.lastCollectMicros();
  }
  const double readsPerFlush =
      static_cast<double>(metrics.sampler().reader().reads() - readsBefore) / flushes;
  const double opensPerFlush =
      static_cast<double>(metrics.sampler().reader().opens() - opensBefore) / flushes;
  // The sampler alone (no series built).
  DynoSampler sampler(locateCgroup("/"));
  DynoSnapshot snapshot;
  sampler.sample(0, snapshot);
  const double started = threadCpuMicros();
  for (int i = 0; i < flushes; ++i) sampler.sample(1'000'000'000ULL * (i + 1), snapshot);
  samplerMicros = (threadCpuMicros() - started) / flushes;
  const double processes = snapshot[Figure::Processes].value_or(0);
  // The process table alone (cgroup.procs + statm of each + comm of the largest).
  CgroupLayout layout = locateCgroup("/");
  ProcessTable table(layout.procDir, layout.path(CgroupFile::Procs));
  BoundedReader reader(DynoSampler::kBufferBytes);
  table.sample(reader, snapshot);
  const double tableStarted = threadCpuMicros();
  for (int i = 0; i < flushes; ++i) table.sample(reader, snapshot);
  const double tableMicros = (threadCpuMicros() - tableStarted) / flushes;

  for (pid_t pid : children) ::kill(pid, SIGKILL);
  for (pid_t pid : children) ::waitpid(pid, nullptr, 0);

  std::printf(
      "dyno metrics, %.0f processes in the group: collect %.1f us CPU per flush (sampler alone %.1f us), "
      "of which the process table %.1f us; %.1f file reads and %.2f opens per flush, %zu series\n",
      processes, collectMicros / flushes, samplerMicros, tableMicros, readsPerFlush, opensPerFlush,
      batch.series.size());
  CHECK(processes >= 50);
  CHECK(opensPerFlush == 1);  // every file stays open but cgroup.procs
}
