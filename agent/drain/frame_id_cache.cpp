#include "drain/frame_id_cache.h"

namespace dynostatsd::drain {

FrameIdCache::FrameIdCache(std::size_t capacity, std::int64_t windowMillis)
    : capacity_(capacity), windowMillis_(windowMillis) {}

std::uint64_t FrameIdCache::key(std::string_view app, std::string_view frameId) {
  // FNV-1a over app, a separator no app name contains, and the id.
  std::uint64_t hash = 14695981039346656037ULL;
  auto mix = [&hash](std::string_view text) {
    for (char c : text) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ULL;
    }
  };
  mix(app);
  mix(std::string_view("\0", 1));
  mix(frameId);
  return hash;
}

void FrameIdCache::expire(std::int64_t nowMillis) {
  while (!order_.empty() &&
         (order_.size() > capacity_ || nowMillis - order_.front().atMillis > windowMillis_)) {
    ids_.erase(order_.front().key);
    order_.pop_front();
  }
}

bool FrameIdCache::contains(std::string_view app, std::string_view frameId, std::int64_t nowMillis) {
  expire(nowMillis);
  return ids_.count(key(app, frameId)) != 0;
}

void FrameIdCache::remember(std::string_view app, std::string_view frameId, std::int64_t nowMillis) {
  if (capacity_ == 0) return;
  const std::uint64_t k = key(app, frameId);
  if (!ids_.insert(k).second) return;
  order_.push_back({k, nowMillis});
  expire(nowMillis);
}

}  // namespace dynostatsd::drain
