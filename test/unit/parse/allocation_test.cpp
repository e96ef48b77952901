// The hot path allocates nothing once a MetricSample has grown to the message shapes it sees.
// Counts every operator new in this test binary (the replacement is global, so it only counts).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>
#include <string>

#include "parse/parser.h"

namespace {
thread_local std::size_t gAllocations = 0;
}  // namespace

// The whole non-aligned family is replaced so that every new/delete pair stays matched (ASan).
void* operator new(std::size_t size) {
  ++gAllocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++gAllocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

using namespace dynostatsd;

TEST_CASE("steady-state metric parsing allocates nothing") {
  const std::string datagram =
      "page.views:1|c|#route:home,env:prod,dyno:web.1\n"
      "queue.depth:37|g|@0.5|#queue:default\r\n"
      "api.latency:12.75:13:0x1p4|ms|#a,b,c,d|T1700000000\n"
      "visitors:u:12345|s|#site:main\n"
      "ratio:1_000.5|d|c:ci-abc|card:low\n"
      "broken|c\n"
      "x:1e400|g\n";
  MetricSample sample;
  std::size_t parsed = 0;
  auto parseAll = [&] {
    forEachMessage(datagram, [&](std::string_view message) {
      if (parseMetric(message, sample) == ParseError::None) ++parsed;
    });
  };
  std::size_t probe = gAllocations;
  auto* canary = new std::string(64, 'x');  // the counter does see allocations
  delete canary;
  REQUIRE(gAllocations - probe >= 2);

  parseAll();  // grows the vectors (and the rare-path scratch buffer) once
  std::size_t before = gAllocations;
  for (int i = 0; i < 1000; ++i) parseAll();
  CHECK(gAllocations - before == 0);
  CHECK(parsed == 1001 * 5);
}
