// model/printf_double.h writes what printf's %.<p>f and %.<p>g write (std::to_chars with a
// precision is defined that way): checked against snprintf on values the agent formats and on
// random bit patterns.
#include "model/printf_double.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

using namespace dynostatsd;

namespace {

std::string viaSnprintf(const char* format, int precision, double value) {
  char buffer[400];
  std::snprintf(buffer, sizeof buffer, format, precision, value);
  return buffer;
}

}  // namespace

TEST_CASE("printfGeneral and printfFixed write what printf writes") {
  CHECK(printfGeneral(0.5, 10) == "0.5");
  CHECK(printfGeneral(1234567.0, 3) == "1.23e+06");
  CHECK(printfGeneral(10000000000.0, 10) == "1e+10");
  CHECK(printfGeneral(9999999999.0, 10) == "9999999999");
  CHECK(printfGeneral(0.0001, 10) == "0.0001");
  CHECK(printfGeneral(0.00001, 10) == "1e-05");
  CHECK(printfGeneral(-0.0, 10) == "-0");
  CHECK(printfFixed(1.25, 1) == "1.2");  // the exact binary value is a tie: to even
  CHECK(printfFixed(1.35, 1) == "1.4");  // 1.350000000000000088...
  CHECK(printfFixed(0.05, 1) == "0.1");
  CHECK(printfFixed(1e20, 1) == "100000000000000000000.0");
  CHECK(printfFixed(std::numeric_limits<double>::max(), 1).size() == 311);

  const double samples[] = {0,     1,      -1,   0.1,     1.0 / 3, 2.0 / 3,   123.456,   1e-300,
                            1e300, 5e-324, 1e15, 1e16,    1e17,    4.35,      0.125,     2.5,
                            3.5,   -7.25,  1e-5, 65536.5, M_PI,    M_E * 1e9, 299792458, 6.02214076e23};
  for (double value : samples) {
    INFO(value);
    CHECK(printfGeneral(value, 10) == viaSnprintf("%.*g", 10, value));
    CHECK(printfGeneral(value, 15) == viaSnprintf("%.*g", 15, value));
    CHECK(printfFixed(value, 1) == viaSnprintf("%.*f", 1, value));
  }
  std::mt19937_64 random(42);
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t bits = random();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    if (!std::isfinite(value)) continue;
    INFO(bits);
    REQUIRE(printfGeneral(value, 10) == viaSnprintf("%.*g", 10, value));
    if (std::fabs(value) < 1e30) REQUIRE(printfFixed(value, 1) == viaSnprintf("%.*f", 1, value));
  }
}
