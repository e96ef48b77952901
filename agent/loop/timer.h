#pragma once
// Timer: an RAII owner of one uv_timer_t. onFire runs on the loop thread; it may call start(),
// stop() or close() on this Timer. close() is idempotent; the handle's memory is freed in the
// close callback, so destroying the owner while the loop still runs is safe.
#include <uv.h>

#include <cstdint>
#include <functional>

namespace dynostatsd {

class Timer {
 public:
  Timer(uv_loop_t* loop, std::function<void()> onFire);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Fires once after `timeoutMillis`, then every `repeatMillis` when non-zero.
  void start(std::uint64_t timeoutMillis, std::uint64_t repeatMillis = 0);
  void stop();
  void close();
  // Keeps the timer from holding the loop open (uv_unref).
  void unref();
  bool closed() const { return block_ == nullptr; }

  // The heap block holding the uv handle; freed by the close callback (public for the callbacks).
  struct Block;

 private:
  Block* block_;
};

}  // namespace dynostatsd
