#pragma once
// SignalWatcher: an RAII owner of one uv_signal_t, watching `signum` from construction until
// close(). onSignal runs on the loop thread (never in a signal handler), once per delivery.
// close() is idempotent; the handle's memory is freed in the close callback (see UvHandle).
#include <uv.h>

#include <functional>

#include "loop/uv_handle.h"

namespace dynostatsd {

class SignalWatcher : public UvHandle<uv_signal_t, std::function<void(int)>> {
 public:
  SignalWatcher(uv_loop_t* loop, int signum, std::function<void(int)> onSignal);
  // False when libuv refused to watch the signal (logged): the caller must not rely on it.
  bool watching() const { return watching_; }

 private:
  bool watching_ = false;
};

}  // namespace dynostatsd
