#include "loop/event_loop.h"

#include <string>

#include "loop/uv_check.h"
#include "telemetry/log.h"

namespace dynostatsd {

EventLoop::EventLoop() {
  // uv_loop_init fails only when the kernel refuses an epoll fd or an eventfd (fd or memory limit).
  ok_ = uvOk(uv_loop_init(&loop_), "uv_loop_init");
  if (!ok_) closed_ = true;  // nothing to close
}

EventLoop::~EventLoop() {
  if (closed_) return;
  if (close() != 0) {
    // Last resort so the process can end: close what an owner forgot (no callback, so its
    // memory is not freed; the warning names the leak).
    uv_walk(
        &loop_,
        [](uv_handle_t* handle, void*) {
          if (!uv_is_closing(handle)) {
            log::write(
                log::Level::Warn, "loop",
                "msg=\"handle left open at exit\" type=" + std::string(uv_handle_type_name(handle->type)));
            uv_close(handle, nullptr);
          }
        },
        nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
    closed_ = true;
  }
}

void EventLoop::run() {
  if (ok_) uv_run(&loop_, UV_RUN_DEFAULT);  // returns non-zero only after stop(): nothing to check
}

int EventLoop::close() {
  if (closed_) return 0;
  // Close callbacks run in the next loop iteration; NOWAIT runs them without blocking on I/O.
  uv_run(&loop_, UV_RUN_NOWAIT);
  int rc = uv_loop_close(&loop_);
  if (rc == 0) closed_ = true;
  return rc;
}

}  // namespace dynostatsd
