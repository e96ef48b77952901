#pragma once
// Pure parsers for the text of cgroup and procfs files (kernel ABI, cgroup-v2.rst and cgroup-v1
// memory.txt / cpuacct.txt). No I/O: each takes the file's bytes and returns a value or a reason.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dynostatsd::dyno {

enum class Parsed : std::uint8_t { Ok, Unlimited, Absent, Malformed };

// One unsigned decimal, optional trailing whitespace: memory.current, cpuacct.usage_user, ...
//   "536870912\n"
//    ^^^^^^^^^
Parsed parseCount(std::string_view text, std::uint64_t& out);

// A memory limit: v2 memory.max is "max" when unlimited; v1 memory.limit_in_bytes holds a huge
// page-counter maximum (9223372036854771712 on 64-bit) instead. Anything >= 2^62 is "unlimited".
Parsed parseMemoryLimit(std::string_view text, std::uint64_t& out);

// A flat-keyed file (memory.stat, cpu.stat, memory.events, memory.oom_control, cpuacct.stat):
//   "anon 1757184\nfile 2908160\n..."
//    ^^^^ key    ^^^^^^^ value
// Keys are looked up by name (their order may change between kernels). Absent when no line has
// this key; Malformed when its value is not an unsigned number.
Parsed keyedValue(std::string_view text, std::string_view key, std::uint64_t& out);

// v2 cpu.max: "$MAX $PERIOD" ("200000 100000" = 2 cores) or "max 100000" (Unlimited).
Parsed parseCpuMax(std::string_view text, double& cores);
// v1 cpu.cfs_quota_us ("-1" = Unlimited) over cpu.cfs_period_us.
Parsed parseCfsQuota(std::string_view quota, std::string_view period, double& cores);

// /proc/<pid>/statm: "size resident shared text lib data dt" in pages; returns resident.
Parsed parseStatmResident(std::string_view text, std::uint64_t& pages);

// One line of /proc/self/cgroup: "hierarchy-ID:controller-list:cgroup-path", e.g.
//   "4:memory:/dyno"   "2:cpu,cpuacct:/dyno"   "0::/"   (v2: empty controller list)
struct CgroupLine {
  std::string_view hierarchy;
  std::string_view controllers;
  std::string_view path;
};
// Lines that do not have two colons and an absolute path are skipped.
std::vector<CgroupLine> parseProcCgroup(std::string_view text);
// True when `name` is one of the comma-separated `controllers` ("cpu,cpuacct" has "cpu").
bool hasController(std::string_view controllers, std::string_view name);

// A process name usable as the value of a `process:` tag: ASCII letters, digits, `_ - . /` kept
// (upper case lowered), every other byte (blanks, `:`, `,`, `|`, `#`, UTF-8) becomes `_`; at most
// 32 bytes; "unknown" when nothing is left.
std::string sanitizeProcessName(std::string_view comm);

}  // namespace dynostatsd::dyno
