#pragma once
// The shortest text that reads back as the same double, exactly as std::to_chars(first, last, double)
// writes it: the fewest significant digits that round-trip, in fixed or scientific notation,
// whichever is shorter (fixed on a tie), as printf writes them in the C locale ("1e+21", "0.5",
// "1e-04", "5443709975465379840"). libstdc++ has floating-point to_chars from g++ 11 (heroku-22's
// compiler); g++ 10 (the bullseye stand-in, and older toolchains) lacks it, so there the same result
// is computed with snprintf/strtod. Finite values only; the callers spell NaN and infinities.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace dynostatsd {

// The snprintf/strtod form, compiled everywhere so tests can compare it with std::to_chars.
// `last - first` must be at least 32 (the longest result is 24 characters).
inline char* shortestDoublePrintf(char* first, char* last, double value) {
  char sci[40];
  int digits = 1;
  for (; digits < 17; ++digits) {  // 17 significant digits always round-trip
    std::snprintf(sci, sizeof sci, "%.*e", digits - 1, value);
    if (std::strtod(sci, nullptr) == value) break;
  }
  std::snprintf(sci, sizeof sci, "%.*e", digits - 1, value);
  const char* e = std::strchr(sci, 'e');
  int exponent = std::atoi(e + 1);
  // The significant digits without sign and point; then the same digits in fixed notation.
  const bool negative = sci[0] == '-';
  char mantissa[20];
  int count = 0;
  for (const char* p = sci + (negative ? 1 : 0); p < e; ++p) {
    if (*p != '.') mantissa[count++] = *p;
  }
  char fixed[40];
  int length = 0;
  if (negative) fixed[length++] = '-';
  if (exponent < 0) {
    int zeros = -exponent - 1;
    if (length + 2 + zeros + count <= static_cast<int>(sizeof fixed)) {
      fixed[length++] = '0';
      fixed[length++] = '.';
      for (int i = 0; i < zeros; ++i) fixed[length++] = '0';
      for (int i = 0; i < count; ++i) fixed[length++] = mantissa[i];
    } else {
      length = static_cast<int>(sizeof fixed) + 1;  // longer than any scientific form
    }
  } else if (exponent >= count - 1) {  // an integer: to_chars writes its exact digits
    if (length + exponent + 1 < static_cast<int>(sizeof fixed)) {
      length = std::snprintf(fixed, sizeof fixed, "%.0f", value);
    } else {
      length = static_cast<int>(sizeof fixed) + 1;
    }
  } else {
    for (int i = 0; i < count; ++i) {
      fixed[length++] = mantissa[i];
      if (i == exponent) fixed[length++] = '.';
    }
  }
  const int sciLength = static_cast<int>(std::strlen(sci));
  const char* best = length <= sciLength ? fixed : sci;
  const int bestLength = length <= sciLength ? length : sciLength;
  if (bestLength > last - first) return first;  // too small a buffer: nothing written
  std::memcpy(first, best, static_cast<std::size_t>(bestLength));
  return first + bestLength;
}

inline char* shortestDouble(char* first, char* last, double value) {
#if defined(__cpp_lib_to_chars)  // floating-point to_chars/from_chars present (libstdc++ 11+)
  return std::to_chars(first, last, value).ptr;
#else
  return shortestDoublePrintf(first, last, value);
#endif
}

}  // namespace dynostatsd
