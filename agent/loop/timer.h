#pragma once
// Timer: an RAII owner of one uv_timer_t. onFire runs on the loop thread; it may call start(),
// stop() or close() on this Timer. close() is idempotent; the handle's memory is freed in the
// close callback, so destroying the owner while the loop still runs is safe (see UvHandle).
#include <uv.h>

#include <cstdint>
#include <functional>

#include "loop/uv_handle.h"

namespace dynostatsd {

class Timer : public UvHandle<uv_timer_t, std::function<void()>> {
 public:
  Timer(uv_loop_t* loop, std::function<void()> onFire);

  // Fires once after `timeoutMillis`, then every `repeatMillis` when non-zero.
  void start(std::uint64_t timeoutMillis, std::uint64_t repeatMillis = 0);
  void stop();
};

}  // namespace dynostatsd
