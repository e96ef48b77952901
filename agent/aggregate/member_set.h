#pragma once
// MemberSet: the distinct members of one set context in one bucket, as their 64-bit hashes.
// Open addressing with linear probing over a flat array of hashes (0 marks an empty slot; the
// caller maps a hash of 0 to 1), at most 3/4 full. Keys only, 8 bytes a slot: a set with 5,000
// members takes 64 KiB, where KeyIndex's 16-byte key+value slots at half load took 256 KiB, and
// the probe of a busy set, the one cache miss on the set path, touches a quarter of the memory.
// No erase: the aggregator clears it after each flush and reuses it (ObjectPool).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dynostatsd {

class MemberSet {
 public:
  enum class Insert : std::uint8_t { Present, Added, Full };

  // Present: already a member. Added: inserted. Full: not a member and no room without grow()
  // (the caller decides whether the grown array fits its memory budget).
  Insert tryInsert(std::uint64_t hash) {
    if (!slots_.empty()) {
      for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
        std::uint64_t& slot = slots_[i];
        if (slot == hash) return Insert::Present;
        if (slot != 0) continue;
        if (insertGrows()) break;
        slot = hash;
        ++size_;
        return Insert::Added;
      }
    }
    return Insert::Full;
  }

  bool contains(std::uint64_t hash) const {
    if (slots_.empty()) return false;
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == hash) return true;
      if (slots_[i] == 0) return false;
    }
  }

  // Asks the CPU to start loading the slot where a probe for `hash` begins.
  void prefetch(std::uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask_]);
  }

  // Doubles the slot array (16 slots the first time) and re-inserts every member.
  void grow() {
    std::vector<std::uint64_t> old(slots_.empty() ? 16 : slots_.size() * 2, 0);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const std::uint64_t hash : old) {
      if (hash == 0) continue;
      std::size_t i = hash & mask_;
      while (slots_[i] != 0) i = (i + 1) & mask_;
      slots_[i] = hash;
    }
  }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }
  // Memory: the slot array now, and while grow() runs (old + new arrays).
  std::size_t bytes() const { return slots_.size() * sizeof(std::uint64_t); }
  bool insertGrows() const { return (size_ + 1) * 4 > slots_.size() * 3; }
  std::size_t grownBytes() const { return (slots_.empty() ? 16 : slots_.size() * 2) * sizeof(std::uint64_t); }
  void clear() {
    if (size_ == 0) return;
    for (auto& slot : slots_) slot = 0;
    size_ = 0;
  }

 private:
  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace dynostatsd
