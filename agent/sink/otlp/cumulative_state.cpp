#include "sink/otlp/cumulative_state.h"

#include <algorithm>
#include <functional>

namespace dynostatsd::otlp {

StreamState* CumulativeState::find(std::string_view key, std::uint64_t startNanos, bool histogram) {
  const std::uint64_t hash = std::hash<std::string_view>{}(key);
  if (auto it = streams_.find(hash); it != streams_.end()) return &it->second.state;
  const std::size_t cost = histogram ? kHistogramBytes : kCounterBytes;
  if (bytes_ + cost > maxBytes_) return nullptr;
  bytes_ += cost;
  Entry& entry = streams_[hash];
  entry.state.startNanos = startNanos;
  if (histogram) entry.state.histogram = std::make_unique<ExponentialHistogram>();
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
