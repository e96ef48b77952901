#pragma once
// Byte search for the metric parser's hot path: the first `|`, or the first `:` or `|`, of a
// message. A DogStatsD line is short (30-120 bytes) and is searched four or five times, so the
// cost of a libc memchr call (its setup and the call itself) outweighed the scan. These are
// inline and, on x86-64, look at 16 bytes per step with SSE2 (part of the x86-64 baseline, so
// no CPU check is needed); other architectures use the plain loop.
//
// Bounds: only bytes inside [floor, end) are ever read. The last partial step re-reads the 16
// bytes ending at `end` when the message is that long (and ignores the bytes before `from`),
// and falls back to the byte loop when it is not.
#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dynostatsd::scan {

#if defined(__SSE2__)
namespace detail {

inline unsigned matchMask(const char* at, __m128i a, __m128i b) {
  const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
  return static_cast<unsigned>(
      _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(chunk, a), _mm_cmpeq_epi8(chunk, b))));
}

}  // namespace detail
#endif

// The first byte in [from, end) equal to `a` or `b`, else `end`. `floor` <= `from` is the start
// of the readable buffer (the message).
inline const char* findEither(const char* floor, const char* from, const char* end, char a, char b) {
  const char* p = from;
#if defined(__SSE2__)
  const __m128i va = _mm_set1_epi8(a);
  const __m128i vb = _mm_set1_epi8(b);
  for (; end - p >= 16; p += 16) {
    if (const unsigned mask = detail::matchMask(p, va, vb); mask != 0) return p + __builtin_ctz(mask);
  }
  if (p == end) return end;
  if (end - floor >= 16) {
    const auto skip = static_cast<unsigned>(16 - (end - p));  // bytes of the window before p
    const unsigned mask = detail::matchMask(end - 16, va, vb) >> skip;
    return mask != 0 ? p + __builtin_ctz(mask) : end;
  }
#else
  (void)floor;
#endif
  for (; p != end; ++p) {
    if (*p == a || *p == b) return p;
  }
  return end;
}

// The first `c` in [from, end), else `end` (see findEither for `floor`).
inline const char* find(const char* floor, const char* from, const char* end, char c) {
  return findEither(floor, from, end, c, c);
}

}  // namespace dynostatsd::scan
