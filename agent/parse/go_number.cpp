#include "parse/go_number.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace dynostatsd {
namespace {

// Go's strconv `lower`: folds ASCII letters only where the callers compare against letters.
constexpr char lower(char c) {
  return static_cast<char>(c | 0x20);
}
constexpr bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool isHexLetter(char c) {
  return lower(c) >= 'a' && lower(c) <= 'f';
}

bool equalsIgnoreCase(std::string_view text, std::string_view lowerWord) {
  if (text.size() != lowerWord.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lowerWord[i]) return false;
  }
  return true;
}

// "nan" (unsigned), "[+-]inf", "[+-]infinity", any case, and nothing else after them.
bool parseSpecial(std::string_view text, double& out) {
  bool negative = false;
  bool signed_ = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    signed_ = true;
    text.remove_prefix(1);
  }
  if (equalsIgnoreCase(text, "inf") || equalsIgnoreCase(text, "infinity")) {
    out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (!signed_ && equalsIgnoreCase(text, "nan")) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  return false;
}

// Go's underscoreOK: '_' must sit between two digits, or between the 0x prefix and a digit.
bool underscoresOk(std::string_view text) {
  char saw = '^';  // '^' start, '0' digit or prefix, '_' underscore, '!' anything else
  std::size_t i = 0;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  bool hex = false;
  if (text.size() >= 2 && text[0] == '0' &&
      (lower(text[1]) == 'b' || lower(text[1]) == 'o' || lower(text[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = lower(text[1]) == 'x';
  }
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (isDigit(c) || (hex && isHexLetter(c))) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

struct FloatShape {
  bool hex = false;
  bool underscores = false;
};

// The syntax check of Go's readFloat, requiring the whole text to be consumed (ParseFloat).
bool scanFloat(std::string_view s, FloatShape& shape) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  if (s[0] == '+' || s[0] == '-') ++i;
  if (i + 2 < n && s[i] == '0' && lower(s[i + 1]) == 'x') {
    shape.hex = true;
    i += 2;
  }
  bool sawDot = false;
  bool sawDigits = false;
  for (; i < n; ++i) {
    char c = s[i];
    if (c == '_') {
      shape.underscores = true;
    } else if (c == '.') {
      if (sawDot) break;
      sawDot = true;
    } else if (isDigit(c) || (shape.hex && isHexLetter(c))) {
      sawDigits = true;
    } else {
      break;
    }
  }
  if (!sawDigits) return false;
  if (i < n && lower(s[i]) == (shape.hex ? 'p' : 'e')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= n || !isDigit(s[i])) return false;
    for (; i < n && (isDigit(s[i]) || s[i] == '_'); ++i) {
      if (s[i] == '_') shape.underscores = true;
    }
  } else if (shape.hex) {
    return false;  // a hex mantissa needs its p exponent
  }
  if (i != n) return false;
  return !shape.underscores || underscoresOk(s);
}

// Correctly rounded conversion of text already validated by scanFloat, '_' removed; strtod
// (C locale, the agent never calls setlocale) handles hex and tells overflow from underflow.
NumberStatus convertSlow(std::string_view s, double& out) {
  thread_local std::string scratch;
  scratch.clear();
  for (char c : s) {
    if (c != '_') scratch.push_back(c);
  }
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(scratch.c_str(), &end);
  if (end != scratch.c_str() + scratch.size()) return NumberStatus::Syntax;
  if (errno == ERANGE && std::isinf(value)) return NumberStatus::Range;
  out = value;
  return NumberStatus::Ok;
}

}  // namespace

NumberStatus parseGoFloat(std::string_view text, double& out) {
  if (text.empty()) return NumberStatus::Syntax;
  if (parseSimpleDecimal(text, out)) return NumberStatus::Ok;
  if (parseSpecial(text, out)) return NumberStatus::Ok;
  FloatShape shape;
  if (!scanFloat(text, shape)) return NumberStatus::Syntax;
  if (shape.hex || shape.underscores) return convertSlow(text, out);
#if defined(__cpp_lib_to_chars)  // floating-point from_chars: libstdc++ 11+, not g++ 10
  std::string_view digits = text[0] == '+' ? text.substr(1) : text;
  double value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return convertSlow(text, out);
  out = value;
  return NumberStatus::Ok;
#else
  return convertSlow(text, out);
#endif
}

NumberStatus parseGoInt(std::string_view text, std::int64_t& out) {
  if (text.empty()) return NumberStatus::Syntax;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    text.remove_prefix(1);
    if (text.empty()) return NumberStatus::Syntax;
  }
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;  // |INT64_MIN|
  std::uint64_t magnitude = 0;
  for (char c : text) {
    if (!isDigit(c)) return NumberStatus::Syntax;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (magnitude > (kLimit - digit) / 10) return NumberStatus::Range;
    magnitude = magnitude * 10 + digit;
  }
  if (negative) {
    out = magnitude == kLimit ? std::numeric_limits<std::int64_t>::min()
                              : -static_cast<std::int64_t>(magnitude);
  } else {
    if (magnitude == kLimit) return NumberStatus::Range;
    out = static_cast<std::int64_t>(magnitude);
  }
  return NumberStatus::Ok;
}

}  // namespace dynostatsd
