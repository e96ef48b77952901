#include "sink/otlp/cumulative_state.h"

#include <algorithm>

namespace dynostatsd::otlp {

StreamState* CumulativeState::find(std::string_view key, std::uint64_t startNanos, bool histogram) {
  lookup_.assign(key);
  if (auto it = streams_.find(lookup_); it != streams_.end()) return &it->second.state;
  const std::size_t cost = key.size() + sizeof(Entry) + kEntryOverhead + (histogram ? kHistogramBytes : 0);
  if (bytes_ + cost > maxBytes_) return nullptr;
  bytes_ += cost;
  Entry& entry = streams_.emplace(lookup_, Entry{}).first->second;
  entry.state.startNanos = startNanos;
  entry.bytes = cost;
  return &entry.state;
}

void CumulativeState::expire(std::int64_t nowSeconds) {
  const auto cutoff =
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, nowSeconds - expiry_)) * 1000000000ULL;
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (it->second.state.lastTimeNanos < cutoff) {
      bytes_ -= it->second.bytes;
      it = streams_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace dynostatsd::otlp
