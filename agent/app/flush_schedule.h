#pragma once
// When the next flush runs: shortly after the next bucket boundary, computed from the wall clock
// every time so the schedule never drifts (a late timer does not push later flushes back).
//
//   bucket:   |----------- interval -----------|----------- interval -----------|
//   flush:                                      ^ boundary + offset
#include <cstdint>

namespace dynostatsd {

// Default delay after a boundary: late enough that the bucket is closed on every clock reading,
// early enough that data reaches the intake promptly.
inline constexpr std::int64_t kFlushOffsetMillis = 200;

// Milliseconds from `nowMillis` until `offsetMillis` past the next multiple of the interval
// (always > 0; when `nowMillis` is exactly at boundary + offset the next one is a full interval away).
std::int64_t millisUntilNextFlush(std::int64_t nowMillis, int intervalSeconds,
                                  std::int64_t offsetMillis = kFlushOffsetMillis);

}  // namespace dynostatsd
