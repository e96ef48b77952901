#include "dyno/memory_warning.h"

#include <catch2/catch.hpp>

using namespace dynostatsd::dyno;

TEST_CASE("MemoryWarning: fires once per threshold until usage drops below it again") {
  MemoryWarning warning(90);
  struct Step {
    double pct;
    double fired;  // 0: nothing
  };
  const Step steps[] = {
      {50, 0},    {89.9, 0}, {90, 90},    // the warning
      {95, 0},    {99, 0},   {100, 100},  // R14
      {120, 0},   {101, 0},  {99, 0},     // below 100: re-armed at 100, still fired at 90
      {100, 100}, {80, 0},                // below 90: both re-armed
      {91, 90},   {10, 0},   {150, 100},  // both at once: the higher only
      {95, 0},                            // 90 stays fired: the jump to 150 fired it too
      {50, 0},    {92, 90},
  };

  int i = 0;
  for (const auto& step : steps) {
    INFO("step " << i++ << " at " << step.pct);
    auto crossed = warning.update(step.pct);
    if (step.fired == 0) {
      CHECK_FALSE(crossed);
    } else {
      REQUIRE(crossed);
      CHECK(*crossed == step.fired);
    }
  }
}

TEST_CASE("MemoryWarning: a threshold of 100 warns once, at R14") {
  MemoryWarning warning(100);
  CHECK_FALSE(warning.update(99.9));
  auto crossed = warning.update(100);
  REQUIRE(crossed);
  CHECK(*crossed == 100);
  CHECK_FALSE(warning.update(130));
}
