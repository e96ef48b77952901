#include "loop/timer.h"

#include <utility>

namespace dynostatsd {

struct Timer::Block {
  uv_timer_t handle{};
  std::function<void()> onFire;
};

namespace {

void onTimer(uv_timer_t* handle) {
  // Copy: the callback may close the timer, which leaves the Block alive until the close callback.
  auto* block = static_cast<Timer::Block*>(handle->data);
  block->onFire();
}

}  // namespace

Timer::Timer(uv_loop_t* loop, std::function<void()> onFire) : block_(new Block) {
  block_->onFire = std::move(onFire);
  uv_timer_init(loop, &block_->handle);
  block_->handle.data = block_;
}

Timer::~Timer() {
  close();
}

void Timer::start(std::uint64_t timeoutMillis, std::uint64_t repeatMillis) {
  if (block_ != nullptr) uv_timer_start(&block_->handle, &onTimer, timeoutMillis, repeatMillis);
}

void Timer::stop() {
  if (block_ != nullptr) uv_timer_stop(&block_->handle);
}

void Timer::unref() {
  if (block_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&block_->handle));
}

void Timer::close() {
  if (block_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&block_->handle),
           [](uv_handle_t* handle) { delete static_cast<Block*>(handle->data); });
  block_ = nullptr;
}

}  // namespace dynostatsd
