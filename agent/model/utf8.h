#pragma once
// utf8SequenceLength: the one UTF-8 check behind both JSON writers (serialize/json_writer for the
// intake, parse/json_text for `dynostatsd parse`), so both agree on which bytes are valid.
#include <cstddef>
#include <string_view>

namespace dynostatsd {

// Length (2 to 4) of the well-formed UTF-8 sequence that starts with the non-ASCII byte text[i]
// (Unicode Table 3-7), or 0 when it is not one: a stray continuation byte, an overlong form, a
// UTF-16 surrogate, a code point above U+10FFFF, or a sequence cut short by the end of `text`.
inline std::size_t utf8SequenceLength(std::string_view text, std::size_t i) {
  auto byte = [&text](std::size_t at) { return static_cast<unsigned char>(text[at]); };
  unsigned char lead = byte(i);
  std::size_t length = 0;
  unsigned char low = 0x80;  // the range of the second byte; later ones are always 0x80-0xBF
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

}  // namespace dynostatsd
