#pragma once
// KeyIndex: open-addressing hash table from a non-zero 64-bit key (already a good hash) to a
// 32-bit value. Linear probing, power-of-two capacity, load factor <= 1/2, 16 bytes per slot.
// No erase: owners rebuild it (contexts, at flush after expiry) or clear it (set members).
#include <cstdint>
#include <vector>

namespace dynostatsd {

class KeyIndex {
 public:
  static constexpr std::uint32_t kMissing = UINT32_MAX;

  std::uint32_t find(std::uint64_t key) const {
    if (slots_.empty()) return kMissing;
    for (std::size_t i = key & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.key == key) return slot.value;
      if (slot.key == 0) return kMissing;
    }
  }

  // Inserts key -> value unless present; returns the stored value (the old one if present).
  std::uint32_t insert(std::uint64_t key, std::uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    for (std::size_t i = key & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.key == key) return slot.value;
      if (slot.key == 0) {
        slot.key = key;
        slot.value = value;
        ++size_;
        return value;
      }
    }
  }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }
  // Memory: the slot array now, and while the next insert of a new key grows it (old + new arrays).
  std::size_t bytes() const { return slots_.size() * sizeof(Slot); }
  bool insertGrows() const { return (size_ + 1) * 2 > slots_.size(); }
  std::size_t grownBytes() const { return (slots_.empty() ? 16 : slots_.size() * 2) * sizeof(Slot); }
  void clear() {
    if (size_ == 0) return;
    for (auto& slot : slots_) slot = Slot{};
    size_ = 0;
  }
  void release() {
    slots_ = {};
    size_ = 0;
    mask_ = 0;
  }

 private:
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t value = 0;
  };

  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.resize(old.empty() ? 16 : old.size() * 2);
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const auto& slot : old) {
      if (slot.key != 0) insert(slot.key, slot.value);
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::size_t mask_ = 0;
};

}  // namespace dynostatsd
