#include "aggregate/context_key.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "aggregate/context_identity.h"
#include "aggregate/key_index.h"

namespace dynostatsd {
namespace {

using Views = std::vector<std::string_view>;

TEST_CASE("ContextKeyer: tag order and duplicates do not matter; name, host, tags, family do") {
  ContextKeyer keyer(42);
  const auto base = keyer.key("req", "", Views{"a:1", "b:2"}, 0);
  CHECK(keyer.key("req", "", Views{"b:2", "a:1"}, 0) == base);
  CHECK(keyer.key("req", "", Views{"a:1", "b:2", "a:1", "b:2"}, 0) == base);
  CHECK(keyer.key("req", "", Views{"a:1"}, 0) != base);
  CHECK(keyer.key("req", "", Views{"a:1", "b:2", "c:3"}, 0) != base);
  CHECK(keyer.key("req", "h", Views{"a:1", "b:2"}, 0) != base);
  CHECK(keyer.key("req", "", Views{"a:1", "b:2"}, 1) != base);
  CHECK(keyer.key("req2", "", Views{"a:1", "b:2"}, 0) != base);
  // Moving text between name, host and tags changes the key.
  CHECK(keyer.key("ab", "", Views{}, 0) != keyer.key("a", "b", Views{}, 0));
  CHECK(keyer.key("a", "", Views{"b"}, 0) != keyer.key("a", "b", Views{}, 0));
  CHECK(keyer.key("x", "", Views{"a:1,b:2"}, 0) != keyer.key("x", "", Views{"a:1", "b:2"}, 0));
  CHECK(ContextKeyer(43).key("req", "", Views{"a:1", "b:2"}, 0) != base);
}

TEST_CASE("ContextKeyer: near-identical names in neighbouring families never collide, for any seed") {
  // Regression: with the family added to the seed, `u90` as a histogram and `u91` as a
  // distribution shared a key for every other seed (found by fuzzing).
  std::vector<std::string> names;
  for (int i = 0; i < 100; ++i) names.push_back("u" + std::to_string(100 + i).substr(1));
  for (std::uint64_t seed = 0; seed < 64; ++seed) {
    ContextKeyer keyer(seed * 0x100000001ULL);
    std::set<std::uint64_t> keys;
    for (const auto& name : names) {
      for (std::uint8_t family = 0; family < 5; ++family) keys.insert(keyer.key(name, "", Views{}, family));
    }
    INFO(seed);
    CHECK(keys.size() == names.size() * 5);
  }
}

TEST_CASE("hashBytes: seeds that differ in one bit give unrelated hashes") {
  std::set<std::uint64_t> seen;
  for (std::uint64_t seed = 0; seed < 256; ++seed) {
    for (char c = 'a'; c <= 'z'; ++c) seen.insert(hashing::hashBytes(std::string(1, c) + "x", seed));
  }
  CHECK(seen.size() == 256 * 26);
}

TEST_CASE("hashBytes: no collisions over prefixes, lengths 0..64 and single-byte changes") {
  std::set<std::uint64_t> seen;
  std::string text;
  std::size_t count = 0;
  for (int length = 0; length <= 64; ++length) {
    for (int position = 0; position < std::max(1, length); ++position) {
      text.assign(static_cast<std::size_t>(length), 'a');
      if (length > 0) text[static_cast<std::size_t>(position)] = 'b';
      seen.insert(hashing::hashBytes(text, 7));
      ++count;
    }
  }
  CHECK(seen.size() == count);
}

TEST_CASE("KeyIndex: insert, find, growth, clear") {
  KeyIndex index;
  CHECK(index.find(5) == KeyIndex::kMissing);
  for (std::uint32_t i = 1; i <= 1000; ++i) CHECK(index.insert(i * 0x9e3779b97f4a7c15ULL, i) == i);
  CHECK(index.insert(3 * 0x9e3779b97f4a7c15ULL, 99) == 3);  // present: old value kept
  CHECK(index.size() == 1000);
  CHECK(index.capacity() == 2048);
  for (std::uint32_t i = 1; i <= 1000; ++i) CHECK(index.find(i * 0x9e3779b97f4a7c15ULL) == i);
  CHECK(index.find(12345) == KeyIndex::kMissing);
  index.clear();
  CHECK(index.size() == 0);
  CHECK(index.find(0x9e3779b97f4a7c15ULL) == KeyIndex::kMissing);
}

TEST_CASE("ContextIdentity round-trips name, host and tags, including empty and odd bytes") {
  const std::string binary("n\0:x", 4);
  const std::string encoded = ContextIdentity::encode("metric.name", "", Views{"a:1", binary, ""});
  ContextIdentity identity(encoded);
  CHECK(identity.name() == "metric.name");
  CHECK(identity.host().empty());
  Views tags;
  identity.forEachTag([&](std::string_view tag) { tags.push_back(tag); });
  CHECK(tags == Views{"a:1", binary, ""});
}

}  // namespace
}  // namespace dynostatsd
