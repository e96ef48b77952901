#include "dyno/cgroup_layout.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "dyno/bounded_reader.h"
#include "dyno/cgroup_text.h"

namespace dynostatsd::dyno {
namespace {

bool isDir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The group's directory under a mount: the path from /proc/self/cgroup when it exists there, else
// the mount itself (a cgroup namespace or a bind mount shows the dyno's own group at the mount).
std::string groupDir(const std::string& mount, std::string_view path) {
  if (path.size() > 1) {
    std::string joined = mount + std::string(path);
    while (joined.size() > mount.size() && joined.back() == '/') joined.pop_back();
    if (isDir(joined)) return joined;
  }
  return mount;
}

// The v1 group directory of `controller`, or "" when no hierarchy has it.
std::string v1Dir(const std::string& cgroupRoot, const std::vector<CgroupLine>& lines,
                  std::string_view controller) {
  for (const auto& line : lines) {
    if (!hasController(line.controllers, controller)) continue;
    for (const std::string& mount :
         {cgroupRoot + "/" + std::string(line.controllers), cgroupRoot + "/" + std::string(controller)}) {
      if (isDir(mount)) return groupDir(mount, line.path);
    }
  }
  return {};
}

}  // namespace

std::string_view versionName(CgroupVersion version) {
  switch (version) {
    case CgroupVersion::None: return "none";
    case CgroupVersion::V1: return "v1";
    case CgroupVersion::V2: return "v2";
  }
  return "none";
}

CgroupLayout locateCgroup(std::string_view root) {
  std::string base(root);
  while (!base.empty() && base.back() == '/') base.pop_back();
  CgroupLayout layout;
  layout.procDir = base + "/proc";
  const std::string cgroupRoot = base + "/sys/fs/cgroup";

  BoundedReader reader(4096);
  std::string_view text;
  std::vector<CgroupLine> lines;
  if (reader.readPath(AT_FDCWD, (layout.procDir + "/self/cgroup").c_str(), text) == ReadStatus::Ok) {
    lines = parseProcCgroup(text);
  }
  auto set = [&layout](CgroupFile file, std::string path) {
    layout.files[static_cast<std::size_t>(file)] = std::move(path);
  };

  std::string v2;
  if (exists(cgroupRoot + "/cgroup.controllers")) {
    std::string_view path = "/";
    for (const auto& line : lines) {
      if (line.hierarchy == "0" && line.controllers.empty()) path = line.path;
    }
    v2 = groupDir(cgroupRoot, path);
  }

  if (!v2.empty() && exists(v2 + "/memory.current")) {
    layout.memory = CgroupVersion::V2;
    layout.memoryDir = v2;
    set(CgroupFile::MemoryUsage, v2 + "/memory.current");
    set(CgroupFile::MemoryLimit, v2 + "/memory.max");
    set(CgroupFile::MemoryStat, v2 + "/memory.stat");
    set(CgroupFile::MemorySwap, v2 + "/memory.swap.current");
    set(CgroupFile::MemoryOom, v2 + "/memory.events");
  } else if (std::string dir = v1Dir(cgroupRoot, lines, "memory"); !dir.empty()) {
    layout.memory = CgroupVersion::V1;
    layout.memoryDir = dir;
    set(CgroupFile::MemoryUsage, dir + "/memory.usage_in_bytes");
    set(CgroupFile::MemoryLimit, dir + "/memory.limit_in_bytes");
    set(CgroupFile::MemoryStat, dir + "/memory.stat");
    set(CgroupFile::MemorySwap, dir + "/memory.memsw.usage_in_bytes");
    set(CgroupFile::MemoryOom, dir + "/memory.oom_control");
  }

  if (!v2.empty() && exists(v2 + "/cpu.stat")) {
    layout.cpu = CgroupVersion::V2;
    layout.cpuDir = layout.cpuacctDir = v2;
    set(CgroupFile::CpuUsage, v2 + "/cpu.stat");
    set(CgroupFile::CpuThrottle, v2 + "/cpu.stat");
    set(CgroupFile::CpuLimit, v2 + "/cpu.max");
  } else {
    layout.cpuacctDir = v1Dir(cgroupRoot, lines, "cpuacct");
    layout.cpuDir = v1Dir(cgroupRoot, lines, "cpu");
    if (!layout.cpuacctDir.empty() || !layout.cpuDir.empty()) layout.cpu = CgroupVersion::V1;
    if (!layout.cpuacctDir.empty()) {
      const std::string& dir = layout.cpuacctDir;
      if (exists(dir + "/cpuacct.usage_user") && exists(dir + "/cpuacct.usage_sys")) {
        set(CgroupFile::CpuUsage, dir + "/cpuacct.usage_user");
        set(CgroupFile::CpuSystem, dir + "/cpuacct.usage_sys");
      } else {
        set(CgroupFile::CpuTicks, dir + "/cpuacct.stat");
      }
    }
    if (!layout.cpuDir.empty()) {
      set(CgroupFile::CpuThrottle, layout.cpuDir + "/cpu.stat");
      set(CgroupFile::CpuLimit, layout.cpuDir + "/cpu.cfs_quota_us");
      set(CgroupFile::CpuPeriod, layout.cpuDir + "/cpu.cfs_period_us");
    }
  }

  if (!layout.memoryDir.empty()) {
    set(CgroupFile::Procs, layout.memoryDir + "/cgroup.procs");
  } else if (!v2.empty()) {
    set(CgroupFile::Procs, v2 + "/cgroup.procs");
  }
  return layout;
}

}  // namespace dynostatsd::dyno
