// scan::find / scan::findEither against the obvious byte loop, for every message length up to 80,
// every start offset and every position of the wanted bytes, so the 16-byte steps and the final
// overlapping window are all crossed. The buffer is a heap block of exactly the message's size, so
// a read outside [floor, end) would be an AddressSanitizer error in `make sanitize`.
#include "parse/byte_scan.h"

#include <catch2/catch.hpp>
#include <memory>

namespace dynostatsd {
namespace {

const char* naive(const char* from, const char* end, char a, char b) {
  for (const char* p = from; p != end; ++p) {
    if (*p == a || *p == b) return p;
  }
  return end;
}

}  // namespace

TEST_CASE("byte scan: the first match, never a byte outside the message") {
  std::size_t checked = 0;
  for (std::size_t length = 0; length <= 80; ++length) {
    for (std::size_t hit = 0; hit <= length; ++hit) {             // hit == length: no match at all
      for (std::size_t other = 0; other <= length; other += 7) {  // a second, later or earlier match
        std::unique_ptr<char[]> block(new char[length == 0 ? 1 : length]);
        char* const begin = block.get();
        char* const end = begin + length;
        for (std::size_t i = 0; i < length; ++i) begin[i] = static_cast<char>('a' + i % 23);
        if (hit < length) begin[hit] = '|';
        if (other < length) begin[other] = ':';
        for (std::size_t from = 0; from <= length; ++from) {
          REQUIRE(scan::find(begin, begin + from, end, '|') == naive(begin + from, end, '|', '|'));
          REQUIRE(scan::findEither(begin, begin + from, end, ':', '|') == naive(begin + from, end, ':', '|'));
          ++checked;
        }
      }
    }
  }
  CHECK(checked > 30000);
}

}  // namespace dynostatsd
