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
#include <cstdint>
#include <string_view>

namespace dynostatsd {

enum class NumberStatus : std::uint8_t { Ok, Syntax, Range };

NumberStatus parseGoFloat(std::string_view text, double& out);
NumberStatus parseGoInt(std::string_view text, std::int64_t& out);

}  // namespace dynostatsd
