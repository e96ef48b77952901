// MemberSet against std::unordered_set: the same answers for inserts and lookups over growth,
// clustered hashes (many equal low bits, one long probe run) and clear-and-reuse.
#include "aggregate/member_set.h"

#include <catch2/catch.hpp>
#include <random>
#include <unordered_set>

namespace dynostatsd {
namespace {

// Inserts with grow-on-Full, as the aggregator does; returns whether `hash` was new.
bool add(MemberSet& set, std::uint64_t hash) {
  MemberSet::Insert result = set.tryInsert(hash);
  if (result == MemberSet::Insert::Full) {
    set.grow();
    result = set.tryInsert(hash);
    REQUIRE(result != MemberSet::Insert::Full);
  }
  return result == MemberSet::Insert::Added;
}

TEST_CASE("MemberSet: the same members as std::unordered_set, at most 3/4 full") {
  std::mt19937_64 random(7);
  MemberSet set;
  CHECK(!set.contains(1));
  CHECK(set.tryInsert(1) == MemberSet::Insert::Full);  // no slots before the first grow()
  for (int round = 0; round < 3; ++round) {
    std::unordered_set<std::uint64_t> reference;
    for (int i = 0; i < 20000; ++i) {
      // Half random, half clustered: equal low 16 bits collide in every table size used here.
      std::uint64_t hash = (i % 2 == 0) ? random() : ((random() % 300) << 16 | 0xbeef);
      if (hash == 0) hash = 1;
      const bool isNew = reference.insert(hash).second;
      REQUIRE(add(set, hash) == isNew);
      REQUIRE(set.contains(hash));
      REQUIRE(set.size() == reference.size());
      REQUIRE(set.size() * 4 <= set.capacity() * 3);
    }
    for (int i = 0; i < 1000; ++i) {
      const std::uint64_t probe = random() | 1;
      REQUIRE(set.contains(probe) == (reference.count(probe) == 1));
    }
    CHECK(set.bytes() == set.capacity() * sizeof(std::uint64_t));
    const std::size_t capacity = set.capacity();
    set.clear();  // reuse keeps the slots
    CHECK(set.size() == 0);
    CHECK(set.capacity() == capacity);
    for (const std::uint64_t hash : reference) REQUIRE(!set.contains(hash));
  }
}

}  // namespace
}  // namespace dynostatsd
