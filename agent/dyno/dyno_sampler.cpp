#include "dyno/dyno_sampler.h"

#include <unistd.h>

#include <algorithm>

#include "dyno/cgroup_text.h"
#include "telemetry/log.h"

namespace dynostatsd::dyno {
namespace {

std::size_t index(CgroupFile file) {
  return static_cast<std::size_t>(file);
}

// memory.stat keys: v1 prefers the hierarchical total_* (usage_in_bytes includes child groups).
struct StatKeys {
  std::string_view rss, cache, inactiveFile, swap;
};
constexpr StatKeys kV2Keys{"anon", "file", "inactive_file", ""};
constexpr StatKeys kV1Keys{"total_rss", "total_cache", "total_inactive_file", "total_swap"};
constexpr StatKeys kV1FlatKeys{"rss", "cache", "inactive_file", "swap"};

}  // namespace

DynoSampler::DynoSampler(CgroupLayout layout)
    : layout_(std::move(layout)),
      reader_(kBufferBytes),
      processes_(layout_.procDir, layout_.path(CgroupFile::Procs)),
      nanosPerTick_(1e9 / static_cast<double>(::sysconf(_SC_CLK_TCK))) {
  for (std::size_t i = 0; i < kCgroupFileCount; ++i) {
    if (!layout_.files[i].empty()) slots_[i].file = PseudoFile(layout_.files[i]);
  }
  buildSources();
}

void DynoSampler::buildSources() {
  auto file = [this](CgroupFile f) { return layout_.path(f); };
  auto set = [this](Figure f, std::string text) { sources_[static_cast<std::size_t>(f)] = std::move(text); };
  const bool v1 = layout_.memory == CgroupVersion::V1;
  const StatKeys& keys = v1 ? kV1Keys : kV2Keys;
  if (layout_.memory == CgroupVersion::None) {
    const std::string none = "unavailable: no memory cgroup (v2 memory.current, v1 memory controller)";
    for (Figure f : {Figure::MemoryTotal, Figure::MemoryRss, Figure::MemoryCache, Figure::MemorySwap,
                     Figure::MemoryQuota, Figure::MemoryQuotaUsedPct, Figure::OomKills}) {
      set(f, none);
    }
  } else {
    const std::string stat = file(CgroupFile::MemoryStat);
    set(Figure::MemoryTotal,
        file(CgroupFile::MemoryUsage) + " - " + stat + " " + std::string(keys.inactiveFile));
    set(Figure::MemoryRss, stat + " " + std::string(keys.rss));
    set(Figure::MemoryCache, stat + " " + std::string(keys.cache));
    set(Figure::MemorySwap, v1 ? stat + " total_swap, else " + file(CgroupFile::MemorySwap) + " - " +
                                     file(CgroupFile::MemoryUsage)
                               : file(CgroupFile::MemorySwap));
    set(Figure::MemoryQuota,
        file(CgroupFile::MemoryLimit) + (v1 ? " (>= 2^62: unlimited)" : " (max: unlimited)"));
    set(Figure::MemoryQuotaUsedPct, "heroku.dyno.memory.total / heroku.dyno.memory.quota x 100");
    set(Figure::OomKills, file(CgroupFile::MemoryOom) + " oom_kill");
  }
  if (layout_.cpu == CgroupVersion::V2) {
    const std::string stat = file(CgroupFile::CpuUsage);
    set(Figure::CpuUserPct, "delta " + stat + " user_usec / elapsed x 100");
    set(Figure::CpuSystemPct, "delta " + stat + " system_usec / elapsed x 100");
    set(Figure::CpuThrottledPct, "delta " + stat + " nr_throttled / delta nr_periods x 100");
    set(Figure::CpuQuota, file(CgroupFile::CpuLimit) + " $MAX / $PERIOD (max: unlimited)");
  } else if (layout_.cpu == CgroupVersion::V1) {
    const bool ticks = !file(CgroupFile::CpuTicks).empty();
    auto rate = [&](CgroupFile counter, const char* tickKey) {
      if (ticks) return "delta " + file(CgroupFile::CpuTicks) + " " + tickKey + " (USER_HZ) / elapsed x 100";
      if (file(counter).empty()) return std::string("unavailable: no cpuacct controller");
      return "delta " + file(counter) + " / elapsed x 100";
    };
    set(Figure::CpuUserPct, rate(CgroupFile::CpuUsage, "user"));
    set(Figure::CpuSystemPct, rate(CgroupFile::CpuSystem, "system"));
    if (file(CgroupFile::CpuThrottle).empty()) {
      set(Figure::CpuThrottledPct, "unavailable: no cpu controller");
      set(Figure::CpuQuota, "unavailable: no cpu controller");
    } else {
      set(Figure::CpuThrottledPct,
          "delta " + file(CgroupFile::CpuThrottle) + " nr_throttled / delta nr_periods x 100");
      set(Figure::CpuQuota,
          file(CgroupFile::CpuLimit) + " / " + file(CgroupFile::CpuPeriod) + " (-1: unlimited)");
    }
  } else {
    for (Figure f : {Figure::CpuUserPct, Figure::CpuSystemPct, Figure::CpuThrottledPct, Figure::CpuQuota}) {
      set(f, "unavailable: no cpu cgroup (v2 cpu.stat, v1 cpu/cpuacct controllers)");
    }
  }
  set(Figure::Processes, processes_.source());
}

std::optional<std::string_view> DynoSampler::read(CgroupFile file) {
  Slot& slot = slots_[index(file)];
  if (slot.off || slot.file.path().empty()) return std::nullopt;
  std::string_view text;
  ReadStatus status = slot.file.read(reader_, text);
  if (status != ReadStatus::Ok) {
    turnOff(file, readStatusName(status));
    return std::nullopt;
  }
  return text;
}

void DynoSampler::turnOff(CgroupFile file, std::string_view reason) {
  Slot& slot = slots_[index(file)];
  if (slot.off) return;
  slot.off = true;
  slot.file.close();
  log::write(
      log::Level::Warn, "dyno",
      "msg=\"dyno metric off\" file=" + log::quote(slot.file.path()) + " reason=" + std::string(reason));
}

std::optional<double> DynoSampler::key(CgroupFile file, std::string_view text, std::string_view name) {
  if (name.empty()) return std::nullopt;
  std::uint64_t value = 0;
  switch (keyedValue(text, name, value)) {
    case Parsed::Ok: return static_cast<double>(value);
    case Parsed::Malformed: turnOff(file, "malformed"); return std::nullopt;
    default: return std::nullopt;
  }
}

std::optional<double> DynoSampler::count(CgroupFile file) {
  auto text = read(file);
  if (!text) return std::nullopt;
  std::uint64_t value = 0;
  if (parseCount(*text, value) != Parsed::Ok) {
    turnOff(file, "malformed");
    return std::nullopt;
  }
  return static_cast<double>(value);
}

void DynoSampler::sampleMemory(DynoSnapshot& out) {
  if (layout_.memory == CgroupVersion::None) return;
  const bool v1 = layout_.memory == CgroupVersion::V1;
  std::optional<double> usage = count(CgroupFile::MemoryUsage);

  std::optional<double> swap;
  if (auto text = read(CgroupFile::MemoryStat)) {
    // v1 groups without hierarchy totals (rare) have only the flat keys.
    std::uint64_t probe = 0;
    const StatKeys& keys =
        !v1 ? kV2Keys : (keyedValue(*text, "total_rss", probe) != Parsed::Absent ? kV1Keys : kV1FlatKeys);
    out[Figure::MemoryRss] = key(CgroupFile::MemoryStat, *text, keys.rss);
    out[Figure::MemoryCache] = key(CgroupFile::MemoryStat, *text, keys.cache);
    const std::optional<double> inactiveFile = key(CgroupFile::MemoryStat, *text, keys.inactiveFile);
    if (usage && inactiveFile) out[Figure::MemoryTotal] = std::max(0.0, *usage - *inactiveFile);
    swap = key(CgroupFile::MemoryStat, *text, keys.swap);
    if (slots_[index(CgroupFile::MemoryStat)].off) {  // one key was malformed: trust none
      out[Figure::MemoryRss].reset();
      out[Figure::MemoryCache].reset();
      out[Figure::MemoryTotal].reset();
      swap.reset();
    }
  }
  if (!v1) {
    swap = count(CgroupFile::MemorySwap);
  } else if (!swap) {
    // memory.memsw.usage_in_bytes is memory + swap (only with swap accounting).
    if (auto both = count(CgroupFile::MemorySwap); both && usage) swap = *both > *usage ? *both - *usage : 0;
  }
  out[Figure::MemorySwap] = swap;

  if (auto text = read(CgroupFile::MemoryLimit)) {
    std::uint64_t limit = 0;
    switch (parseMemoryLimit(*text, limit)) {
      case Parsed::Ok: out[Figure::MemoryQuota] = static_cast<double>(limit); break;
      case Parsed::Unlimited: break;
      default: turnOff(CgroupFile::MemoryLimit, "malformed");
    }
  }
  if (out[Figure::MemoryTotal] && out[Figure::MemoryQuota] && *out[Figure::MemoryQuota] > 0) {
    out[Figure::MemoryQuotaUsedPct] = *out[Figure::MemoryTotal] / *out[Figure::MemoryQuota] * 100;
  }
  if (auto text = read(CgroupFile::MemoryOom))
    out[Figure::OomKills] = key(CgroupFile::MemoryOom, *text, "oom_kill");
}

void DynoSampler::sampleCpu(std::uint64_t monotonicNanos, DynoSnapshot& out) {
  if (layout_.cpu == CgroupVersion::None) return;
  CpuCounters now;
  now.at = monotonicNanos;
  if (layout_.cpu == CgroupVersion::V2) {
    // cpu.stat: usage_usec user_usec system_usec always; nr_periods nr_throttled throttled_usec
    // with the cpu controller.
    if (auto text = read(CgroupFile::CpuUsage)) {
      now.userNanos = key(CgroupFile::CpuUsage, *text, "user_usec");
      now.systemNanos = key(CgroupFile::CpuUsage, *text, "system_usec");
      now.periods = key(CgroupFile::CpuUsage, *text, "nr_periods");
      now.throttled = key(CgroupFile::CpuUsage, *text, "nr_throttled");
      if (now.userNanos) *now.userNanos *= 1000;
      if (now.systemNanos) *now.systemNanos *= 1000;
    }
    if (auto text = read(CgroupFile::CpuLimit)) {
      double cores = 0;
      switch (parseCpuMax(*text, cores)) {
        case Parsed::Ok: out[Figure::CpuQuota] = cores; break;
        case Parsed::Unlimited: break;
        default: turnOff(CgroupFile::CpuLimit, "malformed");
      }
    }
  } else {
    if (!layout_.path(CgroupFile::CpuTicks).empty()) {
      if (auto text = read(CgroupFile::CpuTicks)) {  // cpuacct.stat: "user 4213\nsystem 1022\n"
        now.userNanos = key(CgroupFile::CpuTicks, *text, "user");
        now.systemNanos = key(CgroupFile::CpuTicks, *text, "system");
        if (now.userNanos) *now.userNanos *= nanosPerTick_;
        if (now.systemNanos) *now.systemNanos *= nanosPerTick_;
      }
    } else {
      now.userNanos = count(CgroupFile::CpuUsage);
      now.systemNanos = count(CgroupFile::CpuSystem);
    }
    if (auto text = read(CgroupFile::CpuThrottle)) {
      now.periods = key(CgroupFile::CpuThrottle, *text, "nr_periods");
      now.throttled = key(CgroupFile::CpuThrottle, *text, "nr_throttled");
    }
    auto quota = read(CgroupFile::CpuLimit);
    std::string quotaText(quota ? *quota : std::string_view());  // the next read reuses the buffer
    if (auto period = quota ? read(CgroupFile::CpuPeriod) : std::nullopt) {
      double cores = 0;
      switch (parseCfsQuota(quotaText, *period, cores)) {
        case Parsed::Ok: out[Figure::CpuQuota] = cores; break;
        case Parsed::Unlimited: break;
        default: turnOff(CgroupFile::CpuLimit, "malformed");
      }
    }
  }

  if (previousCpu_ && now.at > previousCpu_->at) {
    const double elapsed = static_cast<double>(now.at - previousCpu_->at);
    auto rate = [elapsed](const std::optional<double>& a,
                          const std::optional<double>& b) -> std::optional<double> {
      if (!a || !b || *a < *b) return std::nullopt;  // a counter that went back: a new group
      return (*a - *b) / elapsed * 100;
    };
    out[Figure::CpuUserPct] = rate(now.userNanos, previousCpu_->userNanos);
    out[Figure::CpuSystemPct] = rate(now.systemNanos, previousCpu_->systemNanos);
    const auto& was = *previousCpu_;
    if (now.periods && now.throttled && was.periods && was.throttled && *now.periods >= *was.periods &&
        *now.throttled >= *was.throttled) {
      const double periods = *now.periods - *was.periods;
      out[Figure::CpuThrottledPct] = periods > 0 ? (*now.throttled - *was.throttled) / periods * 100 : 0;
    }
  }
  previousCpu_ = now;
}

void DynoSampler::sample(std::uint64_t monotonicNanos, DynoSnapshot& out) {
  out.values.fill(std::nullopt);
  out.top.clear();
  out.processesTruncated = false;
  sampleMemory(out);
  sampleCpu(monotonicNanos, out);
  if (!processesOff_ && !processes_.sample(reader_, out)) {
    processesOff_ = true;
    log::write(log::Level::Warn, "dyno",
               "msg=\"dyno metric off\" file=" + log::quote(layout_.procDir) + " reason=unreadable");
  }
}

}  // namespace dynostatsd::dyno
