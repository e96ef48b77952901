#pragma once
// SignalWatcher: an RAII owner of one uv_signal_t, watching `signum` from construction until
// close(). onSignal runs on the loop thread (never in a signal handler), once per delivery.
#include <uv.h>

#include <functional>

namespace dynostatsd {

class SignalWatcher {
 public:
  SignalWatcher(uv_loop_t* loop, int signum, std::function<void(int)> onSignal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  void close();
  // Keeps the watcher from holding the loop open (uv_unref).
  void unref();
  bool closed() const { return block_ == nullptr; }

  // The heap block holding the uv handle; freed by the close callback (public for the callbacks).
  struct Block;

 private:
  Block* block_;
};

}  // namespace dynostatsd
