#pragma once
// FrameIdCache: the Logplex-Frame-Id values of batches already counted, so that a retry of the
// same batch (Logplex keeps the id across retries, heroku-wave2.md §5.1) is answered 2xx without
// being counted twice. Keys are a 64-bit hash of app + frame id (a false "duplicate" needs a
// 64-bit collision among the ids in the window). Memory: at most `capacity` ids (~48 bytes
// each); an id is forgotten after `windowMillis` or when the capacity is reached, oldest first.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_set>

namespace dynostatsd::drain {

class FrameIdCache {
 public:
  FrameIdCache(std::size_t capacity, std::int64_t windowMillis);

  bool contains(std::string_view app, std::string_view frameId, std::int64_t nowMillis);
  void remember(std::string_view app, std::string_view frameId, std::int64_t nowMillis);
  std::size_t size() const { return ids_.size(); }

 private:
  static std::uint64_t key(std::string_view app, std::string_view frameId);
  void expire(std::int64_t nowMillis);

  struct Entry {
    std::uint64_t key;
    std::int64_t atMillis;
  };
  std::size_t capacity_;
  std::int64_t windowMillis_;
  std::deque<Entry> order_;
  std::unordered_set<std::uint64_t> ids_;
};

}  // namespace dynostatsd::drain
