// Go strconv semantics: every accepted/rejected spelling the Agent's ParseFloat/ParseInt has.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "parse/go_number.h"

using dynostatsd::NumberStatus;
using dynostatsd::parseGoFloat;
using dynostatsd::parseGoInt;

namespace {

struct FloatCase {
  const char* input;
  double expected;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

bool sameBits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

}  // namespace

TEST_CASE("parseGoFloat accepts what Go's ParseFloat accepts, with the same value") {
  const FloatCase cases[] = {
      {"0", 0.0},
      {"-0", -0.0},
      {"+0", 0.0},
      {"1", 1.0},
      {"42", 42.0},
      {"-3", -3.0},
      {"+5", 5.0},
      {"0.5", 0.5},
      {".5", 0.5},
      {"-.5", -0.5},
      {"5.", 5.0},
      {"007", 7.0},
      {"123.456", 123.456},
      {"0.1", 0.1},
      {"1e3", 1000.0},
      {"1E3", 1000.0},
      {"1e+3", 1000.0},
      {"2.5e-3", 0.0025},
      {"1.e2", 100.0},
      {"123456789012345678901234567890", 123456789012345678901234567890.0},
      {"0.30000000000000004", 0.30000000000000004},
      {"1.7976931348623157e308", 1.7976931348623157e308},
      {"4.9e-324", 4.9e-324},
      {"1e-400", 0.0},
      {"-1e-400", -0.0},
      {"0e99999", 0.0},
      {"1e-99999999999999999999", 0.0},
      {"0x1p-1075", 0.0},
      {"0x1.8p-1075", 4.9406564584124654e-324},
      {"2.4703282292062328e-324", 4.9406564584124654e-324},
      {"1.7976931348623158e308", 1.7976931348623157e308},
      {"1.11111111111111111111111111111111111111111111", 1.1111111111111112},
      {"1_000", 1000.0},
      {"1_0.2_5", 10.25},
      {"1e1_0", 1e10},
      {"0x1p0", 1.0},
      {"0x1p-2", 0.25},
      {"0X1P+4", 16.0},
      {"0x1.8p1", 3.0},
      {"0x.8p1", 1.0},
      {"-0x10p0", -16.0},
      {"0x_1p0", 1.0},
      {"0xAbp0", 171.0},
      {"inf", kInf},
      {"Inf", kInf},
      {"+inf", kInf},
      {"-Inf", -kInf},
      {"INFINITY", kInf},
      {"-infinity", -kInf},
      {"+Infinity", kInf},
  };
  for (const auto& c : cases) {
    INFO("input " << c.input);
    double value = 12345;
    REQUIRE(parseGoFloat(c.input, value) == NumberStatus::Ok);
    CHECK(sameBits(value, c.expected));
  }
  for (const char* nan : {"nan", "NaN", "NAN", "nAn"}) {
    double value = 0;
    REQUIRE(parseGoFloat(nan, value) == NumberStatus::Ok);
    CHECK(std::isnan(value));
  }
}

TEST_CASE("parseGoFloat rejects what Go's ParseFloat rejects") {
  const char* syntax[] = {"",      " 1",   "1 ",    "\t1",  "1\n",   "+",    "-",    ".",     "e5",
                          "1e",    "1e+",  "1e_1",  "1_",   "_1",    "1__0", "1_.5", "1._5",  "1.2.3",
                          "1,5",   "0x",   "0x1",   "0xp1", "0x1e3", "0x1p", "1p3",  "abc",   "+nan",
                          "-NaN",  "nanx", "infin", "infx", "in",    "++1",  "--1",  "1-",    "1e5.5",
                          "0b101", "0o17", "１",    "1f",   "0x1g",  "1e1_", "1_e1", "0x1p_1"};
  for (const char* input : syntax) {
    INFO("input '" << input << "'");
    double value = 7;
    CHECK(parseGoFloat(input, value) == NumberStatus::Syntax);
    CHECK(value == 7);
  }
  for (const char* input : {"1e400", "-1e400", "1.7976931348623159e308", "0x1p1024", "1_0e400",
                            "1e99999999999999999999", "0x1p99999999999", "0x1.fffffffffffff8p1023"}) {
    INFO("input " << input);
    double value = 7;
    CHECK(parseGoFloat(input, value) == NumberStatus::Range);
    CHECK(value == 7);
  }
}

TEST_CASE("parseGoInt is Go's ParseInt(s, 10, 64)") {
  const std::pair<const char*, std::int64_t> ok[] = {
      {"0", 0},
      {"-0", 0},
      {"+7", 7},
      {"1700000000", 1700000000},
      {"007", 7},
      {"9223372036854775807", std::numeric_limits<std::int64_t>::max()},
      {"-9223372036854775808", std::numeric_limits<std::int64_t>::min()},
  };
  for (const auto& [input, expected] : ok) {
    INFO("input " << input);
    std::int64_t value = 99;
    REQUIRE(parseGoInt(input, value) == NumberStatus::Ok);
    CHECK(value == expected);
  }
  for (const char* input : {"", "+", "-", " 1", "1 ", "1_000", "1.0", "1e3", "0x10", "abc"}) {
    INFO("input '" << input << "'");
    std::int64_t value = 99;
    CHECK(parseGoInt(input, value) == NumberStatus::Syntax);
    CHECK(value == 99);
  }
  for (const char* input : {"9223372036854775808", "-9223372036854775809", "99999999999999999999"}) {
    std::int64_t value = 99;
    CHECK(parseGoInt(input, value) == NumberStatus::Range);
  }
}
