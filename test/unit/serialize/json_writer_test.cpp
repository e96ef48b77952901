#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

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
