#pragma once
// JSON text for `dynostatsd parse` (explain.cpp): strings that are always valid JSON whatever the
// input bytes, and doubles that round-trip.
#include <string>
#include <string_view>

namespace dynostatsd {

// Appends `text` as a JSON string literal: `"` and `\` escaped, control characters (and DEL) as
// \u00XX, valid UTF-8 kept as is, and every byte that does not begin a valid UTF-8 sequence
// (stray continuation, overlong form, surrogate, > U+10FFFF, truncated) replaced by \ufffd.
void appendJsonString(std::string& out, std::string_view text);

// Shortest round-trip form (std::to_chars); NaN and infinities as "NaN", "+Inf", "-Inf".
void appendJsonNumber(std::string& out, double value);

}  // namespace dynostatsd
