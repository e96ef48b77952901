#include "app/flush_schedule.h"

namespace dynostatsd {

std::int64_t millisUntilNextFlush(std::int64_t nowMillis, int intervalSeconds, std::int64_t offsetMillis) {
  const std::int64_t interval = static_cast<std::int64_t>(intervalSeconds) * 1000;
  // The flush instants are k * interval + offset; pick the first one strictly after now.
  const std::int64_t shifted = nowMillis - offsetMillis;
  std::int64_t base = shifted - (shifted % interval + interval) % interval;  // floor to a multiple
  std::int64_t next = base + interval + offsetMillis;
  return next - nowMillis;
}

}  // namespace dynostatsd
