#include "loop/signal_watcher.h"

#include <utility>

namespace dynostatsd {

struct SignalWatcher::Block {
  uv_signal_t handle{};
  std::function<void(int)> onSignal;
};

namespace {

void onSignal(uv_signal_t* handle, int signum) {
  static_cast<SignalWatcher::Block*>(handle->data)->onSignal(signum);
}

}  // namespace

SignalWatcher::SignalWatcher(uv_loop_t* loop, int signum, std::function<void(int)> onSignalFn)
    : block_(new Block) {
  block_->onSignal = std::move(onSignalFn);
  uv_signal_init(loop, &block_->handle);
  block_->handle.data = block_;
  uv_signal_start(&block_->handle, &onSignal, signum);
}

SignalWatcher::~SignalWatcher() {
  close();
}

void SignalWatcher::unref() {
  if (block_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&block_->handle));
}

void SignalWatcher::close() {
  if (block_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&block_->handle),
           [](uv_handle_t* handle) { delete static_cast<Block*>(handle->data); });
  block_ = nullptr;
}

}  // namespace dynostatsd
