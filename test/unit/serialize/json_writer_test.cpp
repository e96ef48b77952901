#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "serialize/json_writer.h"

using namespace dynostatsd::serialize;

namespace {

std::string jsonString(std::string_view text, std::size_t max = SIZE_MAX) {
  std::string out;
  appendJsonString(out, text, max);
  return out;
}

std::string jsonDouble(double value) {
  std::string out;
  appendJsonDouble(out, value);
  return out;
}

}  // namespace

TEST_CASE("JSON strings escape quotes, backslashes and control characters") {
  struct Case {
    std::string_view in, out;
  };
  const Case cases[] = {
      {"page.views", R"("page.views")"},
      {"a\"b", R"("a\"b")"},
      {"a\\b", R"("a\\b")"},
      {"line\nnext\r\t", R"("line\nnext\r\t")"},
      {std::string_view("\x00\x01\x1f\x7f", 4), "\"\\u0000\\u0001\\u001f\x7f\""},
      {"\b\f", R"("\b\f")"},
      {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\""},
      {"", R"("")"},
  };
  for (const Case& c : cases) {
    INFO(c.in);
    CHECK(jsonString(c.in) == c.out);
  }
}

TEST_CASE("Invalid UTF-8 becomes U+FFFD, one per bad byte") {
  const std::string kRep = "\xEF\xBF\xBD";
  CHECK(jsonString("a\xFF"
                   "b") == "\"a" + kRep + "b\"");
  CHECK(jsonString("\xC3") == "\"" + kRep + "\"");                                   // truncated sequence
  CHECK(jsonString("\xC0\xAF") == "\"" + kRep + kRep + "\"");                        // overlong '/'
  CHECK(jsonString("\xED\xA0\x80") == "\"" + kRep + kRep + kRep + "\"");             // surrogate
  CHECK(jsonString("\xF4\x90\x80\x80") == "\"" + kRep + kRep + kRep + kRep + "\"");  // > U+10FFFF
}

TEST_CASE("Strings are cut at a code point limit") {
  CHECK(jsonString("abcdef", 3) == R"("abc")");
  CHECK(jsonString("\xC3\xA9\xC3\xA9\xC3\xA9", 2) == "\"\xC3\xA9\xC3\xA9\"");
  std::string out;
  CHECK(appendJsonString(out, "abc", 3) == false);
  CHECK(appendJsonString(out, "abcd", 3) == true);
}

TEST_CASE("Doubles use the shortest round-trip form") {
  CHECK(jsonDouble(0.3) == "0.3");
  CHECK(jsonDouble(3) == "3");
  CHECK(jsonDouble(-1.5) == "-1.5");
  CHECK(jsonDouble(1e21) == "1e+21");
  CHECK(jsonDouble(1e-7) == "1e-07");
  CHECK(jsonDouble(0.1 + 0.2) == "0.30000000000000004");
  CHECK(jsonDouble(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  std::string out;
  appendJsonInt(out, -9223372036854775807LL - 1);
  CHECK(out == "-9223372036854775808");
}

namespace {

// Decodes a JSON string literal produced by appendJsonString; nullopt when it is not valid JSON
// (raw control character, bad escape, invalid UTF-8, missing quotes).
std::optional<std::string> decodeJsonString(std::string_view json) {
  if (json.size() < 2 || json.front() != '"' || json.back() != '"') return std::nullopt;
  std::string out;
  for (std::size_t i = 1; i + 1 < json.size(); ++i) {
    auto c = static_cast<unsigned char>(json[i]);
    if (c < 0x20 || c == '"') return std::nullopt;
    if (c != '\\') {
      out.push_back(static_cast<char>(c));
      continue;
    }
    if (++i + 1 >= json.size()) return std::nullopt;
    switch (json[i]) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'u': {
        if (i + 4 >= json.size() - 1) return std::nullopt;
        unsigned value = std::stoul(std::string(json.substr(i + 1, 4)), nullptr, 16);
        if (value >= 0x20) return std::nullopt;  // we only escape control characters
        out.push_back(static_cast<char>(value));
        i += 4;
        break;
      }
      default: return std::nullopt;
    }
  }
  return out;
}

// Independent of the writer: Unicode Table 3-7 (well-formed UTF-8 byte sequences).
bool validUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto b = [&](std::size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0x100u; };
    unsigned c = b(i);
    auto in = [](unsigned v, unsigned lo, unsigned hi) { return v >= lo && v <= hi; };
    if (c < 0x80) {
      i += 1;
    } else if (in(c, 0xC2, 0xDF) && in(b(i + 1), 0x80, 0xBF)) {
      i += 2;
    } else if ((c == 0xE0 && in(b(i + 1), 0xA0, 0xBF)) || (in(c, 0xE1, 0xEC) && in(b(i + 1), 0x80, 0xBF)) ||
               (c == 0xED && in(b(i + 1), 0x80, 0x9F)) || (in(c, 0xEE, 0xEF) && in(b(i + 1), 0x80, 0xBF))) {
      if (!in(b(i + 2), 0x80, 0xBF)) return false;
      i += 3;
    } else if ((c == 0xF0 && in(b(i + 1), 0x90, 0xBF)) || (in(c, 0xF1, 0xF3) && in(b(i + 1), 0x80, 0xBF)) ||
               (c == 0xF4 && in(b(i + 1), 0x80, 0x8F))) {
      if (!in(b(i + 2), 0x80, 0xBF) || !in(b(i + 3), 0x80, 0xBF)) return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("Random byte strings always become valid JSON; valid UTF-8 round-trips exactly") {
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::string alphabet[] = {"a",
                                  "\"",
                                  "\\",
                                  "\n",
                                  std::string(1, '\0'),
                                  "\x1f",
                                  "\xC3\xA9",
                                  "\xE2\x82\xAC",
                                  "\xF0\x9F\x98\x80",
                                  "\xFF",
                                  "\xC3",
                                  "\xED\xA0\x80",
                                  "\x80",
                                  " ",
                                  "#",
                                  ":"};
  int roundTrips = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string input;
    std::size_t pieces = next() % 12;
    for (std::size_t k = 0; k < pieces; ++k) input += alphabet[next() % std::size(alphabet)];
    std::string json;
    appendJsonString(json, input);
    auto decoded = decodeJsonString(json);
    INFO(json);
    REQUIRE(decoded);
    REQUIRE(validUtf8(*decoded));
    if (validUtf8(input)) {
      CHECK(*decoded == input);
      ++roundTrips;
    }
  }
  CHECK(roundTrips > 1000);
}
