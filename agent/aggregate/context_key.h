#pragma once
// ContextKey: the 64-bit identity of an aggregation context = hash(name, host, sorted
// de-duplicated tag set, type family). Tag order and repeated tags never split a series: every tag
// is hashed on its own, the tag hashes are sorted and de-duplicated, then folded in order.
// Collisions: two different contexts share a key with probability ~ n^2 / 2^65 (about 1e-9 for
// 200k live contexts); like the Datadog Agent's ckey, a collision merges the two series.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace dynostatsd::hashing {

constexpr std::uint64_t kMul0 = 0x9e3779b97f4a7c15ULL;
constexpr std::uint64_t kMul1 = 0xc2b2ae3d27d4eb4fULL;
constexpr std::uint64_t kMul2 = 0x165667b19e3779f9ULL;
constexpr std::uint64_t kMul3 = 0xd6e8feb86659fd93ULL;

__extension__ typedef unsigned __int128 Uint128;

// 64x64 -> 128 multiply folded back to 64 bits: one instruction pair on x86-64 and arm64.
inline std::uint64_t fold(std::uint64_t a, std::uint64_t b) {
  const Uint128 product = static_cast<Uint128>(a) * b;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

inline std::uint64_t load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline std::uint64_t load32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Mixes the bytes of `text` into the state `h` (16 bytes per step, overlapping loads for the
// tail). The caller folds the length in, before (hashBytes, hashPair) or after.
inline std::uint64_t absorb(std::uint64_t h, std::string_view text) {
  const char* p = text.data();
  std::size_t n = text.size();
  while (n > 16) {
    h = fold(load64(p) ^ kMul2 ^ h, load64(p + 8) ^ kMul3);
    p += 16;
    n -= 16;
  }
  std::uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = load64(p);
    b = load64(p + n - 8);
  } else if (n >= 4) {
    a = load32(p);
    b = load32(p + n - 4);
  } else if (n > 0) {
    a = (static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
        (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
        static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1]));
  }
  return fold(a ^ kMul1 ^ h, b ^ kMul0);
}

// A fast non-cryptographic hash of bytes.
inline std::uint64_t hashBytes(std::string_view text, std::uint64_t seed) {
  // The seed is folded with the length before any data is mixed in: a seed that only XORed into
  // the state would let a one-bit seed difference cancel a one-bit data difference.
  const std::uint64_t h = absorb(fold(seed ^ kMul0, text.size() ^ kMul1), text);
  return fold(h ^ kMul3, kMul2 ^ text.size());
}

// The hash of the pair (first, second) in one stream: both lengths go in first, so moving bytes
// from one part to the other changes the input ("ab","c" vs "a","bc").
inline std::uint64_t hashPair(std::string_view first, std::string_view second, std::uint64_t seed) {
  std::uint64_t h = fold(seed ^ kMul0, fold(first.size() ^ kMul1, second.size() ^ kMul2));
  h = absorb(absorb(h, first), second);
  return fold(h ^ kMul3, kMul2 ^ first.size());
}

inline std::uint64_t combine(std::uint64_t h, std::uint64_t value) {
  return fold(h ^ value, kMul1);
}

}  // namespace dynostatsd::hashing

namespace dynostatsd {

// Computes context keys; `scratch` is reused so steady state allocates nothing.
class ContextKeyer {
 public:
  explicit ContextKeyer(std::uint64_t seed) : seed_(seed) {}
  // Per-process random seed: crafted names cannot aim at the same hash-table slots.
  std::uint64_t seed() const { return seed_; }

  template <typename TagRange>
  std::uint64_t key(std::string_view name, std::string_view host, const TagRange& tags, std::uint8_t family) {
    scratch_.clear();
    for (const auto& tag : tags) scratch_.push_back(hashing::hashBytes(tag, seed_ ^ hashing::kMul2));
    return keyFromTagHashes(name, host, family);
  }

  // The key of a context as spelled on the wire: (name, tag section verbatim, family). Two
  // spellings of one context (tags reordered) get two raw keys that lead to the same context.
  std::uint64_t rawKey(std::string_view name, std::string_view rawTags, std::uint8_t family) const {
    const std::uint64_t h = hashing::hashPair(name, rawTags, seed_ ^ hashing::kMul1 ^ family);
    return h == 0 ? 1 : h;
  }

 private:
  std::uint64_t keyFromTagHashes(std::string_view name, std::string_view host, std::uint8_t family) {
    // Insertion sort: samples carry a handful of tags.
    for (std::size_t i = 1; i < scratch_.size(); ++i) {
      const std::uint64_t v = scratch_[i];
      std::size_t j = i;
      while (j > 0 && scratch_[j - 1] > v) {
        scratch_[j] = scratch_[j - 1];
        --j;
      }
      scratch_[j] = v;
    }
    std::uint64_t h = hashing::hashBytes(name, seed_);
    h = hashing::combine(h, hashing::hashBytes(host, seed_ ^ hashing::kMul3));
    h = hashing::combine(h, hashing::fold(family + hashing::kMul1, hashing::kMul2));
    std::uint64_t previous = 0;
    for (std::size_t i = 0; i < scratch_.size(); ++i) {
      if (i > 0 && scratch_[i] == previous) continue;
      previous = scratch_[i];
      h = hashing::combine(h, previous);
    }
    return h == 0 ? 1 : h;  // 0 marks an empty slot in KeyIndex
  }

  std::uint64_t seed_;
  std::vector<std::uint64_t> scratch_;
};

}  // namespace dynostatsd
