#pragma once
// CgroupLayout: which files describe this dyno, found once at start from /proc/self/cgroup.
// Input: a root directory ("/" in a dyno; a fixture tree in tests). Output: the path of every file
// the DynoSampler reads (empty when this host has none), per controller: cgroup v2 first
// (`/sys/fs/cgroup/cgroup.controllers` exists), then the v1 `memory`, `cpuacct` and `cpu`
// hierarchies (mounted as `cpu,cpuacct` or apart, as on hybrid hosts). Never /proc/meminfo.
//
// Where a group's directory is, for one controller line "4:memory:/dyno":
//   | mount (first that exists)                    | group directory (first that exists)         |
//   |----------------------------------------------|---------------------------------------------|
//   | v2: sys/fs/cgroup                            | <mount>/dyno, else <mount> (cgroup          |
//   | v1: sys/fs/cgroup/<list> then .../<controller> | namespace or a container's bind mount)    |
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace dynostatsd::dyno {

// Every file the sampler may read; each is read at most once per sample. A path is set whenever
// the layout has such a file, whether or not it exists (the sampler reports a missing one once).
enum class CgroupFile : std::uint8_t {
  MemoryUsage,  // v2 memory.current            v1 memory.usage_in_bytes
  MemoryLimit,  // v2 memory.max                v1 memory.limit_in_bytes
  MemoryStat,   // v2 memory.stat               v1 memory.stat
  MemorySwap,   // v2 memory.swap.current       v1 memory.memsw.usage_in_bytes (memory + swap)
  MemoryOom,    // v2 memory.events             v1 memory.oom_control
  CpuUsage,     // v2 cpu.stat                  v1 cpuacct.usage_user
  CpuSystem,    //                              v1 cpuacct.usage_sys
  CpuTicks,     //                              v1 cpuacct.stat (USER_HZ ticks; older kernels)
  CpuThrottle,  // v2 cpu.stat                  v1 cpu.stat
  CpuLimit,     // v2 cpu.max                   v1 cpu.cfs_quota_us
  CpuPeriod,    //                              v1 cpu.cfs_period_us
  Procs,        // cgroup.procs of the memory group (else of the v2 group)
  kCount
};
constexpr std::size_t kCgroupFileCount = static_cast<std::size_t>(CgroupFile::kCount);

enum class CgroupVersion : std::uint8_t { None, V1, V2 };
std::string_view versionName(CgroupVersion version);  // "none", "v1", "v2"

struct CgroupLayout {
  CgroupVersion memory = CgroupVersion::None;
  CgroupVersion cpu = CgroupVersion::None;
  std::string memoryDir, cpuDir, cpuacctDir;  // empty when absent
  std::array<std::string, kCgroupFileCount> files;
  std::string procDir;  // <root>/proc: /proc/<pid>/statm and comm

  const std::string& path(CgroupFile file) const { return files[static_cast<std::size_t>(file)]; }
};

// `root` without a trailing slash is prefixed to every path ("" or "/" = the real machine).
CgroupLayout locateCgroup(std::string_view root);

}  // namespace dynostatsd::dyno
