#include "app/flush_schedule.h"

#include <catch2/catch.hpp>

using namespace dynostatsd;

TEST_CASE("the next flush is boundary + offset, computed from the wall clock") {
  // 10 s buckets, 200 ms offset: flushes at ...00.200, ...10.200, ...
  CHECK(millisUntilNextFlush(1700000000000, 10, 200) == 200);
  CHECK(millisUntilNextFlush(1700000000199, 10, 200) == 1);
  CHECK(millisUntilNextFlush(1700000000200, 10, 200) == 10000);
  CHECK(millisUntilNextFlush(1700000003000, 10, 200) == 7200);
  CHECK(millisUntilNextFlush(1700000009999, 10, 200) == 201);
  // A late timer (fired at .950 instead of .200) does not shift later flushes.
  CHECK(millisUntilNextFlush(1700000010950, 10, 200) == 9250);
  // 1 s buckets.
  CHECK(millisUntilNextFlush(1700000000500, 1, 200) == 700);
  CHECK(millisUntilNextFlush(1700000000100, 1, 200) == 100);
}

TEST_CASE("the delay is always positive and at most one interval") {
  for (std::int64_t now = 1700000000000; now < 1700000000000 + 25000; now += 37) {
    std::int64_t delay = millisUntilNextFlush(now, 10);
    CHECK(delay > 0);
    CHECK(delay <= 10000);
    CHECK((now + delay) % 10000 == kFlushOffsetMillis);
  }
}
