#pragma once
// printf's "%.<precision>f" and "%.<precision>g" of a double, through std::to_chars, which the
// standard defines to write exactly that ("as if by printf in the C locale"). The agent formats
// numbers on every flush; glibc's printf brings its format parser and multiple-precision code, two
// 64 KiB fault-around windows of libc that an agent that calls no printf never makes resident.
// g++ 10 (no floating-point to_chars, see shortest_double.h) gets snprintf itself.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>

namespace dynostatsd {

namespace detail {
inline std::string printfDouble(double value, [[maybe_unused]] bool fixed, int precision) {
  char text[400];  // "%.1f" of 1e308 is 310 characters
#if defined(__cpp_lib_to_chars)
  const auto format = fixed ? std::chars_format::fixed : std::chars_format::general;
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value, format, precision);
  if (ec == std::errc{}) return std::string(text, end);
#endif
  const int n = std::snprintf(text, sizeof text, fixed ? "%.*f" : "%.*g", precision, value);
  return std::string(text, n > 0 ? std::min<std::size_t>(static_cast<std::size_t>(n), sizeof text - 1) : 0);
}
}  // namespace detail

// "%.<precision>f": printfFixed(1.25, 1) == "1.2" (round half to even on the exact binary value).
inline std::string printfFixed(double value, int precision) {
  return detail::printfDouble(value, true, precision);
}

// "%.<precision>g": printfGeneral(1234567.0, 3) == "1.23e+06", printfGeneral(0.5, 10) == "0.5".
inline std::string printfGeneral(double value, int precision) {
  return detail::printfDouble(value, false, precision);
}

}  // namespace dynostatsd
