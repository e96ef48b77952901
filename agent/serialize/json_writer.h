#pragma once
// JsonWriter: appends JSON tokens to a caller-owned std::string. Strings are escaped so that any
// byte sequence (control characters, quotes, invalid UTF-8) becomes valid JSON; numbers are finite
// doubles in their shortest round-trip form or 64-bit integers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dynostatsd::serialize {

// Appends `text` as a quoted JSON string. Invalid UTF-8 is replaced by U+FFFD, one per bad byte.
// At most `maxCodePoints` code points are written (the rest is cut); returns true when cut.
bool appendJsonString(std::string& out, std::string_view text, std::size_t maxCodePoints = SIZE_MAX);

// Appends a finite double in shortest round-trip form ("0.3", "1e+21", "3"). The caller checks
// std::isfinite first: JSON has no NaN or Infinity.
void appendJsonDouble(std::string& out, double value);

void appendJsonInt(std::string& out, std::int64_t value);

}  // namespace dynostatsd::serialize
