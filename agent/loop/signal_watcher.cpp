#include "loop/signal_watcher.h"

#include <utility>

namespace dynostatsd {
namespace {

void onSignal(uv_signal_t* handle, int signum) {
  SignalWatcher::blockOf(handle).callback(signum);
}

}  // namespace

SignalWatcher::SignalWatcher(uv_loop_t* loop, int signum, std::function<void(int)> onSignalFn)
    : UvHandle(loop, &uv_signal_init, std::move(onSignalFn), "uv_signal_init") {
  uv_signal_t* signal = handle();
  if (signal == nullptr) return;
  watching_ = uvOk(uv_signal_start(signal, &onSignal, signum), "uv_signal_start");
}

}  // namespace dynostatsd
