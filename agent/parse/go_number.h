#pragma once
// Number parsing with the exact acceptance rules of Go's strconv, because the Datadog Agent parses
// values and sample rates with ParseFloat(s, 64) and timestamps/lengths with ParseInt(s, 10, 64)
// (Atoi behaves the same). What that means, byte for byte:
//   float: [+-] digits with an optional '.', optional e[+-]digits; or 0x hex mantissa with a
//          mandatory p[+-]digits exponent; '_' only between digits (or after 0x); "nan" (no
//          sign), "inf"/"infinity" (optional sign), any letter case. No whitespace anywhere.
//          Overflow (1e400) is an error; underflow rounds to a denormal or zero and is fine.
//   int:   [+-] decimal digits only (no '_', no whitespace); outside int64 is an error.
// No allocation in the common case; results are correctly rounded (same value as Go).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dynostatsd {

enum class NumberStatus : std::uint8_t { Ok, Syntax, Range };

NumberStatus parseGoFloat(std::string_view text, double& out);

// The common case of parseGoFloat, inline for the metric parser: "[-]digits[.digits]" with 1 to 15
// digits in all. An integer below 10^15 divided by an exact power of ten is one correctly rounded
// IEEE operation, the same answer Go gives. False (out untouched) for anything else.
inline bool parseSimpleDecimal(std::string_view text, double& out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const char* p = text.data();
  const char* const end = p + text.size();
  const bool negative = p != end && *p == '-';
  if (negative) ++p;
  const auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
  std::uint64_t mantissa = 0;  // wraps past 19 digits, but more than 15 are refused below
  const char* const integerStart = p;
  for (; p != end && isDigit(*p); ++p) mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
  std::ptrdiff_t digits = p - integerStart;
  std::ptrdiff_t fraction = 0;
  if (p != end && *p == '.') {
    const char* const fractionStart = ++p;
    for (; p != end && isDigit(*p); ++p) mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
    fraction = p - fractionStart;
    digits += fraction;
  }
  if (p != end || digits == 0 || digits > 15) return false;
  double value = static_cast<double>(mantissa);
  if (fraction > 0) value /= kPow10[fraction];
  out = negative ? -value : value;
  return true;
}
NumberStatus parseGoInt(std::string_view text, std::int64_t& out);

}  // namespace dynostatsd
