// The hot path allocates nothing once a MetricSample has grown to the message shapes it sees.
// Counts every operator new in this test binary (counting_new.h).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>
#include <string>
#include "counting_new.h"
#include "parse/parser.h"

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
