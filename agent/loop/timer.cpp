#include "loop/timer.h"

#include <utility>

namespace dynostatsd {
namespace {

// The callback may close the timer: its Block stays alive until the close callback.
void onTimer(uv_timer_t* handle) {
  Timer::blockOf(handle).callback();
}

}  // namespace

Timer::Timer(uv_loop_t* loop, std::function<void()> onFire)
    : UvHandle(loop, &uv_timer_init, std::move(onFire), "uv_timer_init") {}

void Timer::start(std::uint64_t timeoutMillis, std::uint64_t repeatMillis) {
  if (uv_timer_t* timer = handle())
    uvOk(uv_timer_start(timer, &onTimer, timeoutMillis, repeatMillis), "uv_timer_start");
}

void Timer::stop() {
  if (uv_timer_t* timer = handle()) uvOk(uv_timer_stop(timer), "uv_timer_stop");
}

}  // namespace dynostatsd
