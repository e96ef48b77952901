#include "model/memory_budget.h"

#include <catch2/catch.hpp>

using dynostatsd::MemoryBudget;
using Share = MemoryBudget::Share;

TEST_CASE("MemoryBudget: the aggregate share stops at 3/4 of the limit and counts each refusal") {
  MemoryBudget budget(1000);
  CHECK(budget.tryCharge(700));
  CHECK(budget.tryCharge(50));
  CHECK_FALSE(budget.tryCharge(1));  // 750 = 3/4 of 1000
  CHECK(budget.used() == 750);
  CHECK(budget.drops(Share::Aggregate) == 1);
  CHECK(budget.available() == 0);
}

TEST_CASE("MemoryBudget: the queue share may use the reserve, never more than the limit") {
  MemoryBudget budget(1000);
  REQUIRE(budget.tryCharge(750));
  CHECK(budget.tryCharge(250, Share::Queue));
  CHECK_FALSE(budget.tryCharge(1, Share::Queue));
  CHECK(budget.drops(Share::Queue) == 1);
  CHECK(budget.drops() == 1);
  budget.release(250);
  CHECK(budget.available(Share::Queue) == 250);
}

TEST_CASE("MemoryBudget: huge requests never wrap around") {
  MemoryBudget budget(1000);
  CHECK_FALSE(budget.tryCharge(SIZE_MAX));
  CHECK_FALSE(budget.fits(SIZE_MAX - 10, Share::Queue));
  CHECK(budget.used() == 0);
}

TEST_CASE("MemoryBudget: release never goes below zero; charge is unconditional") {
  MemoryBudget budget(100);
  budget.charge(90);  // past the aggregate ceiling of 75: exact accounting, later charges refused
  CHECK(budget.used() == 90);
  CHECK_FALSE(budget.tryCharge(1));
  budget.release(1000);
  CHECK(budget.used() == 0);
}

TEST_CASE("MemoryBudget: takePeak returns the interval's highest use, then restarts") {
  MemoryBudget budget(1000);
  budget.charge(600);
  budget.release(500);
  CHECK(budget.takePeak() == 600);
  CHECK(budget.takePeak() == 100);
}

TEST_CASE("heapBytes: small strings are free, others cost their block") {
  CHECK(dynostatsd::heapBytes(15) == 0);
  CHECK(dynostatsd::heapBytes(100) == 117);
}
