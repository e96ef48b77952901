#pragma once
// EventLoop: owns the process's one uv_loop_t. Every libuv handle lives in loop/ (DatagramListener,
// Timer, SignalWatcher, curl_*), each an RAII owner whose memory is freed in its close callback.
// close() runs the loop until every close callback has fired and returns uv_loop_close()'s result
// (0 when no handle was left open).
#include <uv.h>

namespace dynostatsd {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  uv_loop_t* get() { return &loop_; }
  // False when uv_loop_init failed (logged): nothing may be opened on get() then.
  bool ok() const { return ok_; }
  // Runs until no active handle is left (or stop() is called).
  void run();
  void stop() { uv_stop(&loop_); }
  // Lets pending close callbacks run, then closes the loop. Idempotent; returns 0 on success or
  // UV_EBUSY when a handle is still open (then it is reported, not leaked silently).
  int close();

 private:
  uv_loop_t loop_{};
  bool closed_ = false;
  bool ok_ = false;
};

}  // namespace dynostatsd
