// The g++ 10 fallback for the shortest double text (model/shortest_double.h) writes exactly what
// std::to_chars writes, checked where both exist (g++ 11 and later).
#include "model/shortest_double.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace dynostatsd;

namespace {

std::string viaPrintf(double value) {
  char buffer[32];
  return std::string(buffer, shortestDoublePrintf(buffer, buffer + sizeof buffer, value));
}

}  // namespace

TEST_CASE("the printf fallback writes the shortest round-trip text in to_chars' notation") {
  CHECK(viaPrintf(0.0) == "0");
  CHECK(viaPrintf(-0.0) == "-0");
  CHECK(viaPrintf(0.5) == "0.5");
  CHECK(viaPrintf(100) == "100");
  CHECK(viaPrintf(1e21) == "1e+21");
  CHECK(viaPrintf(1e-05) == "1e-05");
  CHECK(viaPrintf(0.0001) == "1e-04");  // shorter than 0.0001
  CHECK(viaPrintf(0.001) == "0.001");
  CHECK(viaPrintf(1e15) == "1e+15");
  CHECK(viaPrintf(5443709975465379840.0) == "5443709975465379840");  // integers: exact digits
  CHECK(viaPrintf(-1.5) == "-1.5");
  CHECK(viaPrintf(0.1 + 0.2) == "0.30000000000000004");
  CHECK(viaPrintf(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  CHECK(viaPrintf(std::numeric_limits<double>::denorm_min()) == "5e-324");
  for (double value : {0.1, 2.5e-7, 12345.678, 9007199254740993.0, 1e300, -7e-300}) {
    CHECK(std::strtod(viaPrintf(value).c_str(), nullptr) == value);
  }
}

#if defined(__cpp_lib_to_chars)
TEST_CASE("the printf fallback equals std::to_chars on 200k doubles") {
  std::mt19937_64 random(20261201);
  std::vector<double> values;
  for (int i = 0; i < 100000; ++i) {  // every bit pattern that is finite
    std::uint64_t bits = random();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    if (std::isfinite(value)) values.push_back(value);
  }
  std::uniform_real_distribution<double> metric(-1e7, 1e7);  // what metrics look like
  for (int i = 0; i < 50000; ++i) values.push_back(metric(random));
  for (int i = 0; i < 50000; ++i) values.push_back(std::round(metric(random)) / 100);
  for (int e = -30; e <= 30; ++e) values.push_back(std::pow(10.0, e));
  std::size_t mismatches = 0;
  for (double value : values) {
    char buffer[32];
    std::string expected(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
    if (viaPrintf(value) != expected && mismatches++ < 5) {
      FAIL_CHECK("value " << expected << ": fallback wrote " << viaPrintf(value));
    }
  }
  CHECK(mismatches == 0);
}
#endif
