// DynoSampler over fixture trees with the kernel's real file layouts (test/fixtures/cgroup/).
#include "dyno/dyno_sampler.h"

#include <filesystem>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "fixture_tree.h"

using namespace dynostatsd::dyno;
using dyno_test::fixture;

namespace {

constexpr double kMiB = 1024 * 1024;
const double kPage = static_cast<double>(::sysconf(_SC_PAGESIZE));

double value(const DynoSnapshot& s, Figure f) {
  INFO(figureInfo(f).name);
  REQUIRE(s[f].has_value());
  return *s[f];
}

}  // namespace

TEST_CASE("locateCgroup: v2, nested v2, hybrid v1, v1 without namespace, none") {
  CgroupLayout v2 = locateCgroup(fixture("v2"));
  CHECK(v2.memory == CgroupVersion::V2);
  CHECK(v2.cpu == CgroupVersion::V2);
  CHECK(v2.path(CgroupFile::MemoryUsage) == fixture("v2") + "/sys/fs/cgroup/memory.current");
  CHECK(v2.path(CgroupFile::Procs) == fixture("v2") + "/sys/fs/cgroup/cgroup.procs");
  CHECK(v2.path(CgroupFile::CpuSystem).empty());

  CgroupLayout nested = locateCgroup(fixture("v2-nested") + "/");
  CHECK(nested.memoryDir == fixture("v2-nested") + "/sys/fs/cgroup/system.slice/dyno.service");

  CgroupLayout v1 = locateCgroup(fixture("v1"));
  CHECK(v1.memory == CgroupVersion::V1);  // hybrid: the unified mount has no memory files here
  CHECK(v1.cpu == CgroupVersion::V1);
  CHECK(v1.memoryDir == fixture("v1") + "/sys/fs/cgroup/memory/dyno");
  CHECK(v1.cpuDir == fixture("v1") + "/sys/fs/cgroup/cpu,cpuacct/dyno");
  CHECK(v1.cpuacctDir == v1.cpuDir);
  CHECK(v1.path(CgroupFile::CpuUsage) == v1.cpuDir + "/cpuacct.usage_user");
  CHECK(v1.path(CgroupFile::CpuTicks).empty());

  CgroupLayout plain = locateCgroup(fixture("v1-unlimited"));
  CHECK(plain.memoryDir == fixture("v1-unlimited") + "/sys/fs/cgroup/memory");  // /docker/... is not there
  CHECK(plain.cpuDir == fixture("v1-unlimited") + "/sys/fs/cgroup/cpu");
  CHECK(plain.cpuacctDir == fixture("v1-unlimited") + "/sys/fs/cgroup/cpuacct");
  CHECK(plain.path(CgroupFile::CpuTicks) == plain.cpuacctDir + "/cpuacct.stat");

  CgroupLayout none = locateCgroup(fixture("none"));
  CHECK(none.memory == CgroupVersion::None);
  CHECK(none.cpu == CgroupVersion::None);
  for (const auto& path : none.files) CHECK(path.empty());
}

TEST_CASE("v2: every figure from memory.*, cpu.* and the processes of cgroup.procs") {
  dyno_test::StderrCapture log;
  DynoSampler sampler(locateCgroup(fixture("v2")));
  DynoSnapshot s;
  sampler.sample(1'000'000'000, s);
  CHECK(value(s, Figure::MemoryTotal) == 216 * kMiB);  // 256 MiB - inactive_file 40 MiB
  CHECK(value(s, Figure::MemoryRss) == 192 * kMiB);    // anon
  CHECK(value(s, Figure::MemoryCache) == 60 * kMiB);   // file
  CHECK(value(s, Figure::MemorySwap) == 1 * kMiB);
  CHECK(value(s, Figure::MemoryQuota) == 512 * kMiB);
  CHECK(value(s, Figure::MemoryQuotaUsedPct) == Approx(42.1875));
  CHECK(value(s, Figure::CpuQuota) == 2);
  CHECK(value(s, Figure::OomKills) == 2);
  CHECK(value(s, Figure::Processes) == 4);  // pid 99 is in /proc but not in the group
  CHECK_FALSE(s[Figure::CpuUserPct]);       // a rate needs two samples
  REQUIRE(s.top.size() == 3);
  CHECK(s.top[0].name == "ruby");  // two ruby processes, one series
  CHECK(s.top[0].rssBytes == (51200 + 25600) * kPage);
  CHECK(s.top[1].name == "dynostatsd");
  CHECK(s.top[2].name == "bash");
  log.restore();
  CHECK(log.text().empty());
}

TEST_CASE("v2: CPU percentages of one core and throttling between two samples") {
  dyno_test::TreeCopy tree("v2");
  DynoSampler sampler(locateCgroup(tree.root()));
  DynoSnapshot s;
  sampler.sample(1'000'000'000, s);
  // 10 s later: +5 s user (50 % of a core), +1.5 s system, 100 periods of which 25 throttled.
  tree.write("sys/fs/cgroup/cpu.stat",
             "usage_usec 15500000\nuser_usec 11000000\nsystem_usec 4500000\nnr_periods 1100\n"
             "nr_throttled 75\nthrottled_usec 900000\nnr_bursts 0\nburst_usec 0\n");
  sampler.sample(11'000'000'000, s);
  CHECK(value(s, Figure::CpuUserPct) == Approx(50));
  CHECK(value(s, Figure::CpuSystemPct) == Approx(15));
  CHECK(value(s, Figure::CpuThrottledPct) == Approx(25));
  // Counters that went back (a new group): no rate rather than a negative one.
  tree.write("sys/fs/cgroup/cpu.stat",
             "usage_usec 1\nuser_usec 1\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\n");
  sampler.sample(21'000'000'000, s);
  CHECK_FALSE(s[Figure::CpuUserPct]);
  CHECK_FALSE(s[Figure::CpuThrottledPct]);
}

TEST_CASE("v1 hybrid: memory/ and cpu,cpuacct/ of the agent's own group") {
  dyno_test::TreeCopy tree("v1");
  DynoSampler sampler(locateCgroup(tree.root()));
  DynoSnapshot s;
  sampler.sample(0, s);
  CHECK(value(s, Figure::MemoryTotal) == 250 * kMiB);  // 300 MiB - total_inactive_file 50 MiB
  CHECK(value(s, Figure::MemoryRss) == 224 * kMiB);    // total_rss
  CHECK(value(s, Figure::MemoryCache) == 70 * kMiB);   // total_cache
  CHECK(value(s, Figure::MemorySwap) == 4 * kMiB);     // total_swap
  CHECK(value(s, Figure::MemoryQuota) == 512 * kMiB);
  CHECK(value(s, Figure::MemoryQuotaUsedPct) == Approx(250.0 / 512 * 100));
  CHECK(value(s, Figure::CpuQuota) == 1);
  CHECK(value(s, Figure::OomKills) == 1);
  CHECK(value(s, Figure::Processes) == 2);
  REQUIRE(s.top.size() == 2);
  CHECK(s.top[0].name == "web__puma_6.4");
  CHECK(s.top[0].rssBytes == 40000 * kPage);
  CHECK(s.top[1].name == "node");

  tree.write("sys/fs/cgroup/cpu,cpuacct/dyno/cpuacct.usage_user", "9000000000\n");  // +2 s
  tree.write("sys/fs/cgroup/cpu,cpuacct/dyno/cpuacct.usage_sys", "2500000000\n");   // +0.5 s
  tree.write("sys/fs/cgroup/cpu,cpuacct/dyno/cpu.stat",
             "nr_periods 300\nnr_throttled 60\nthrottled_time 1\n");
  sampler.sample(4'000'000'000, s);
  CHECK(value(s, Figure::CpuUserPct) == Approx(50));
  CHECK(value(s, Figure::CpuSystemPct) == Approx(12.5));
  CHECK(value(s, Figure::CpuThrottledPct) == Approx(50));
}

TEST_CASE("v1 without limits: huge limit and cfs_quota_us -1 are absent, cpuacct.stat ticks, /proc scan") {
  dyno_test::StderrCapture log;
  dyno_test::TreeCopy tree("v1-unlimited");
  DynoSampler sampler(locateCgroup(tree.root()));
  DynoSnapshot s;
  sampler.sample(0, s);
  CHECK(value(s, Figure::MemoryTotal) == 90 * kMiB);
  CHECK_FALSE(s[Figure::MemoryQuota]);  // unlimited: no quota, never the host's RAM
  CHECK_FALSE(s[Figure::MemoryQuotaUsedPct]);
  CHECK_FALSE(s[Figure::MemorySwap]);  // no swap accounting
  CHECK_FALSE(s[Figure::CpuQuota]);
  CHECK_FALSE(s[Figure::OomKills]);         // an older kernel without oom_kill
  CHECK(value(s, Figure::Processes) == 2);  // no cgroup.procs here: every process of /proc
  REQUIRE(s.top.size() == 2);
  CHECK(s.top[0].name == "python3");
  const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  tree.write("sys/fs/cgroup/cpuacct/cpuacct.stat",
             "user " + std::to_string(4213 + static_cast<int>(hz)) + "\nsystem 1022\n");  // +1 s of user time
  sampler.sample(2'000'000'000, s);
  CHECK(value(s, Figure::CpuUserPct) == Approx(50));
  CHECK(value(s, Figure::CpuSystemPct) == 0);
  CHECK(value(s, Figure::CpuThrottledPct) == 0);  // no periods: nothing throttled
  log.restore();
  // memory.memsw.usage_in_bytes and cgroup.procs are missing: each logged once, sampled twice.
  INFO(log.text());
  CHECK(log.count("memory.memsw.usage_in_bytes\" reason=missing") +
            log.count("memory.memsw.usage_in_bytes reason=missing") ==
        1);
  CHECK(log.count("msg=\"process list falls back to /proc\"") == 1);
  CHECK(log.count("\n") == 2);
}

TEST_CASE("garbage: each malformed file turns its figures off with one line, the rest goes on") {
  dyno_test::StderrCapture log;
  DynoSampler sampler(locateCgroup(fixture("v2-garbage")));
  DynoSnapshot s;
  sampler.sample(0, s);
  sampler.sample(1'000'000'000, s);
  sampler.sample(2'000'000'000, s);
  log.restore();
  const std::string text = log.text();
  INFO(text);
  for (Figure f :
       {Figure::MemoryTotal, Figure::MemoryRss, Figure::MemoryCache, Figure::MemorySwap, Figure::MemoryQuota,
        Figure::MemoryQuotaUsedPct, Figure::OomKills, Figure::CpuUserPct, Figure::CpuQuota}) {
    INFO(figureInfo(f).name);
    CHECK_FALSE(s[f]);
  }
  CHECK(value(s, Figure::Processes) == 0);  // pid 3's statm is garbage: not counted
  for (const char* file : {"memory.current", "memory.max", "memory.stat", "memory.swap.current",
                           "memory.events", "cpu.stat", "cpu.max"}) {
    INFO(file);
    CHECK(log.count(std::string(file) + "\" reason=malformed") +
              log.count(std::string(file) + " reason=malformed") ==
          1);
  }
}

TEST_CASE("a file that disappears is logged once and stays off; others keep reporting") {
  dyno_test::StderrCapture log;
  dyno_test::TreeCopy tree("v2");
  DynoSampler sampler(locateCgroup(tree.root()));
  DynoSnapshot s;
  sampler.sample(0, s);
  CHECK(s[Figure::OomKills]);
  tree.remove("sys/fs/cgroup/memory.events");
  // The file is held open: its old inode keeps answering until the sampler reopens it, which it
  // does after a failed read only. Removing it and making the open one fail needs a new sampler.
  DynoSampler fresh(locateCgroup(tree.root()));
  fresh.sample(0, s);
  fresh.sample(1, s);
  CHECK_FALSE(s[Figure::OomKills]);
  CHECK(s[Figure::MemoryTotal]);
  log.restore();
  CHECK(log.count("memory.events") == 1);
  CHECK(log.count("reason=missing") == 1);
}

TEST_CASE("no cgroup at all: no memory or CPU figure, processes from /proc, sources say why") {
  DynoSampler sampler(locateCgroup(fixture("none")));
  DynoSnapshot s;
  sampler.sample(0, s);
  for (std::size_t i = 0; i < kFigureCount; ++i) {
    if (static_cast<Figure>(i) != Figure::Processes) CHECK_FALSE(s.values[i]);
  }
  CHECK(value(s, Figure::Processes) == 1);
  CHECK(sampler.source(Figure::MemoryQuota).starts_with("unavailable"));
  CHECK(sampler.source(Figure::CpuUserPct).starts_with("unavailable"));
}

TEST_CASE("each file is read at most once per sample") {
  dyno_test::TreeCopy tree("v1");
  DynoSampler sampler(locateCgroup(tree.root()));
  DynoSnapshot s;
  sampler.sample(0, s);
  const auto before = sampler.reader().reads();
  sampler.sample(1, s);
  // v1: usage, stat, limit, oom_control, usage_user, usage_sys, cpu.stat, quota, period (9, swap
  // from memory.stat) + cgroup.procs + 2 x statm (both are candidates; comm was read once, at the
  // first sample).
  CHECK(sampler.reader().reads() - before == 9 + 1 + 2);
  // Every file opened once, in the first sample, but cgroup.procs, opened each time.
  CHECK(sampler.reader().opens() == 9 + 1 + 2 + 2 + 1);
}

TEST_CASE("process table: the largest are read every flush, the others in turn, new ones at once") {
  dyno_test::TreeCopy tree("none");
  tree.remove("proc/1/statm");
  std::string procs;
  for (int pid = 100; pid < 130; ++pid) {  // 30 processes of 1..30 pages: 15 candidates
    const std::string dir = "proc/" + std::to_string(pid);
    std::filesystem::create_directories(tree.root() + "/" + dir);
    tree.write(dir + "/statm", "100 " + std::to_string(pid - 99) + " 0 0 0 0 0\n");
    tree.write(dir + "/comm", "worker" + std::to_string(pid) + "\n");
    procs += std::to_string(pid) + "\n";
  }
  tree.write("procs", procs);
  ProcessTable table(tree.root() + "/proc", tree.root() + "/procs");
  BoundedReader reader(4096);
  DynoSnapshot s;
  table.sample(reader, s);
  CHECK(*s[Figure::Processes] == 30);
  REQUIRE(s.top.size() == 5);
  CHECK(s.top[0].name == "worker129");

  // The smallest process grows past every other: seen within kRefreshEvery samples, not later.
  tree.write("proc/100/statm", "100 1000 0 0 0 0 0\n");
  int samplesUntilSeen = 0;
  for (int i = 1; i <= static_cast<int>(ProcessTable::kRefreshEvery) && samplesUntilSeen == 0; ++i) {
    table.sample(reader, s);
    if (s.top[0].name == "worker100") samplesUntilSeen = i;
  }
  CHECK(samplesUntilSeen >= 1);
  CHECK(samplesUntilSeen <= static_cast<int>(ProcessTable::kRefreshEvery));
  CHECK(s.top[0].rssBytes == 1000 * kPage);

  // A candidate's RSS is current at every sample.
  tree.write("proc/129/statm", "100 2000 0 0 0 0 0\n");
  table.sample(reader, s);
  CHECK(s.top[0].name == "worker129");
  CHECK(s.top[0].rssBytes == 2000 * kPage);

  // A new process is read at once; one that left the list is forgotten.
  std::filesystem::create_directories(tree.root() + "/proc/200");
  tree.write("proc/200/statm", "100 5000 0 0 0 0 0\n");
  tree.write("proc/200/comm", "big\n");
  tree.write("procs", procs + "200\n");
  table.sample(reader, s);
  CHECK(s.top[0].name == "big");
  CHECK(*s[Figure::Processes] == 31);
  tree.write("procs", "200\n129\n");
  table.sample(reader, s);
  CHECK(*s[Figure::Processes] == 2);
  CHECK(table.trackedProcesses() == 2);
  CHECK(s.top.size() == 2);
}
