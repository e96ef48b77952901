// libFuzzer target for agent/dyno/cgroup_text.cpp: every cgroup/procfs parser on arbitrary bytes.
// Besides crashes and sanitizer reports it traps on broken invariants: views outside the input,
// a limit reported below the "unlimited" bound, non-finite or negative cores, unsafe tag values.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "dyno/cgroup_text.h"

using namespace dynostatsd::dyno;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::uint64_t value = 0;
  parseCount(text, value);
  if (parseMemoryLimit(text, value) == Parsed::Ok) require(value < (std::uint64_t{1} << 62));
  for (std::string_view key : {"anon", "total_inactive_file", "oom_kill", "nr_throttled", "user"}) {
    Parsed parsed = keyedValue(text, key, value);
    require(parsed == Parsed::Ok || parsed == Parsed::Absent || parsed == Parsed::Malformed);
  }
  double cores = -1;
  if (parseCpuMax(text, cores) == Parsed::Ok) require(std::isfinite(cores) && cores >= 0);
  const std::size_t half = size / 2;
  if (parseCfsQuota(text.substr(0, half), text.substr(half), cores) == Parsed::Ok) {
    require(std::isfinite(cores) && cores >= 0);
  }
  parseStatmResident(text, value);
  for (const auto& line : parseProcCgroup(text)) {
    require(inside(line.hierarchy, text) && inside(line.controllers, text) && inside(line.path, text));
    require(!line.hierarchy.empty() && line.path.starts_with('/'));
    hasController(line.controllers, "memory");
  }
  const std::string name = sanitizeProcessName(text);
  require(!name.empty() && name.size() <= 32);
  for (char c : name) {
    require((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '/');
  }
  return 0;
}
