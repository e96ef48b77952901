// Parser tables for the cgroup and procfs file formats (cgroup-v2.rst, cgroup-v1 memory.txt).
#include "dyno/cgroup_text.h"

#include <catch2/catch.hpp>

using namespace dynostatsd::dyno;

TEST_CASE("parseCount: one unsigned number") {
  struct Case {
    const char* text;
    Parsed result;
    std::uint64_t value;
  };
  const Case cases[] = {
      {"536870912\n", Parsed::Ok, 536870912},
      {"0\n", Parsed::Ok, 0},
      {"42", Parsed::Ok, 42},
      {"18446744073709551615\n", Parsed::Ok, 18446744073709551615ULL},
      {"18446744073709551616\n", Parsed::Malformed, 0},  // overflow
      {"", Parsed::Malformed, 0},
      {"\n", Parsed::Malformed, 0},
      {"-1\n", Parsed::Malformed, 0},
      {"12abc\n", Parsed::Malformed, 0},
      {"12 34\n", Parsed::Malformed, 0},
      {"max\n", Parsed::Malformed, 0},
      {" 12\n", Parsed::Malformed, 0},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::uint64_t value = 0;
    CHECK(parseCount(c.text, value) == c.result);
    if (c.result == Parsed::Ok) CHECK(value == c.value);
  }
}

TEST_CASE("parseMemoryLimit: v2 max, v1 huge page-counter maxima are unlimited") {
  struct Case {
    const char* text;
    Parsed result;
    std::uint64_t value;
  };
  const Case cases[] = {
      {"536870912\n", Parsed::Ok, 536870912},
      {"1073741824\n", Parsed::Ok, 1073741824},
      {"max\n", Parsed::Unlimited, 0},
      {"9223372036854771712\n", Parsed::Unlimited, 0},  // v1 on 64-bit, 4 KiB pages
      {"9223372036854775807\n", Parsed::Unlimited, 0},  // LONG_MAX on older kernels
      {"4611686018427387904\n", Parsed::Unlimited, 0},  // 2^62
      {"4611686018427387903\n", Parsed::Ok, 4611686018427387903ULL},
      {"maximum\n", Parsed::Malformed, 0},
      {"-1\n", Parsed::Malformed, 0},
      {"", Parsed::Malformed, 0},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::uint64_t value = 0;
    CHECK(parseMemoryLimit(c.text, value) == c.result);
    if (c.result == Parsed::Ok) CHECK(value == c.value);
  }
}

TEST_CASE("keyedValue: looked up by whole key, wherever it is") {
  const char* stat =
      "cache 73400320\nrss 234881024\ninactive_file 52428800\ntotal_inactive_file 60000000\n"
      "swap 0\nbroken 12x\nlast 7";
  struct Case {
    const char* key;
    Parsed result;
    std::uint64_t value;
  };
  const Case cases[] = {
      {"cache", Parsed::Ok, 73400320},
      {"rss", Parsed::Ok, 234881024},
      {"inactive_file", Parsed::Ok, 52428800},  // not the total_ line
      {"total_inactive_file", Parsed::Ok, 60000000},
      {"swap", Parsed::Ok, 0},
      {"last", Parsed::Ok, 7},  // no trailing newline
      {"broken", Parsed::Malformed, 0},
      {"total_rss", Parsed::Absent, 0},
      {"rs", Parsed::Absent, 0},
      {"che", Parsed::Absent, 0},
  };
  for (const auto& c : cases) {
    INFO(c.key);
    std::uint64_t value = 0;
    CHECK(keyedValue(stat, c.key, value) == c.result);
    if (c.result == Parsed::Ok) CHECK(value == c.value);
  }
  std::uint64_t value = 0;
  CHECK(keyedValue("", "rss", value) == Parsed::Absent);
  CHECK(keyedValue("rss\n", "rss", value) == Parsed::Absent);
  CHECK(keyedValue("rss \n", "rss", value) == Parsed::Malformed);
  CHECK(keyedValue("oom_kill -1\n", "oom_kill", value) == Parsed::Malformed);
}

TEST_CASE("parseCpuMax and parseCfsQuota: cores, or unlimited") {
  double cores = 0;
  CHECK(parseCpuMax("200000 100000\n", cores) == Parsed::Ok);
  CHECK(cores == 2);
  CHECK(parseCpuMax("50000 100000\n", cores) == Parsed::Ok);
  CHECK(cores == 0.5);
  CHECK(parseCpuMax("max 100000\n", cores) == Parsed::Unlimited);
  CHECK(parseCpuMax("100000\n", cores) == Parsed::Malformed);  // no period
  CHECK(parseCpuMax("100000 0\n", cores) == Parsed::Malformed);
  CHECK(parseCpuMax("lots 100000\n", cores) == Parsed::Malformed);
  CHECK(parseCpuMax("1 2 3\n", cores) == Parsed::Malformed);
  CHECK(parseCpuMax("", cores) == Parsed::Malformed);

  CHECK(parseCfsQuota("150000\n", "100000\n", cores) == Parsed::Ok);
  CHECK(cores == 1.5);
  CHECK(parseCfsQuota("-1\n", "100000\n", cores) == Parsed::Unlimited);
  CHECK(parseCfsQuota("-2\n", "100000\n", cores) == Parsed::Malformed);
  CHECK(parseCfsQuota("100000\n", "0\n", cores) == Parsed::Malformed);
  CHECK(parseCfsQuota("100000\n", "", cores) == Parsed::Malformed);
}

TEST_CASE("parseStatmResident: the second field, in pages") {
  std::uint64_t pages = 0;
  CHECK(parseStatmResident("90000 51200 1000 500 0 60000 0\n", pages) == Parsed::Ok);
  CHECK(pages == 51200);
  CHECK(parseStatmResident("0 0 0 0 0 0 0\n", pages) == Parsed::Ok);
  CHECK(pages == 0);
  CHECK(parseStatmResident("90000\n", pages) == Parsed::Malformed);
  CHECK(parseStatmResident("not numbers\n", pages) == Parsed::Malformed);
  CHECK(parseStatmResident("", pages) == Parsed::Malformed);
}

TEST_CASE("parseProcCgroup: v1, hybrid and v2 lines") {
  auto lines = parseProcCgroup(
      "12:pids:/dyno\n3:cpu,cpuacct:/dyno\n1:name=systemd:/a:b\n0::/\ngarbage\n7:memory\n9:x:relative\n");
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].hierarchy == "12");
  CHECK(lines[0].controllers == "pids");
  CHECK(lines[0].path == "/dyno");
  CHECK(lines[1].controllers == "cpu,cpuacct");
  CHECK(lines[2].path == "/a:b");  // a path may contain ':'
  CHECK(lines[3].hierarchy == "0");
  CHECK(lines[3].controllers.empty());
  CHECK(lines[3].path == "/");
  CHECK(parseProcCgroup("").empty());

  CHECK(hasController("cpu,cpuacct", "cpu"));
  CHECK(hasController("cpu,cpuacct", "cpuacct"));
  CHECK_FALSE(hasController("cpuacct", "cpu"));
  CHECK_FALSE(hasController("cpuset", "cpu"));
  CHECK_FALSE(hasController("", "cpu"));
}

TEST_CASE("sanitizeProcessName: a safe process: tag value") {
  struct Case {
    const char* comm;
    const char* name;
  };
  const Case cases[] = {
      {"ruby\n", "ruby"},
      {"web: puma 6.4\n", "web__puma_6.4"},
      {"Python3", "python3"},
      {"kworker/0:1", "kworker/0_1"},
      {"a,b|c#d@e", "a_b_c_d_e"},
      {"caf\xc3\xa9", "caf__"},
      {"", "unknown"},
      {"\n", "unknown"},
      {"::", "unknown"},
      {"node-v20_x.js", "node-v20_x.js"},
  };
  for (const auto& c : cases) {
    INFO(c.comm);
    CHECK(sanitizeProcessName(c.comm) == c.name);
  }
  CHECK(sanitizeProcessName(std::string(100, 'a')).size() == 32);
}
