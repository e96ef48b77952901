#pragma once
// UvHandle<Handle, Callback>: the owning half shared by the one-handle RAII owners (Timer,
// SignalWatcher). It allocates a Block holding the libuv handle and its callback, initializes the
// handle with `init` (checked: a failed init leaves the owner closed) and points handle.data at the
// Block. close() is idempotent; the Block is freed
// only in the close callback, so the owner may be destroyed while the loop still runs and a
// callback may close its own owner.
#include <uv.h>

#include <utility>

#include "loop/uv_check.h"

namespace dynostatsd {

template <class Handle, class Callback>
class UvHandle {
 public:
  // The heap block holding the uv handle; freed by the close callback (public for the callbacks).
  struct Block {
    Handle handle{};
    Callback callback;
  };

  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;

  void close() {
    if (block_ == nullptr) return;
    uv_close(reinterpret_cast<uv_handle_t*>(&block_->handle),
             [](uv_handle_t* handle) { delete static_cast<Block*>(handle->data); });
    block_ = nullptr;
  }
  // Keeps the handle from holding the loop open (uv_unref).
  void unref() {
    if (block_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(&block_->handle));
  }
  bool closed() const { return block_ == nullptr; }

  // The Block behind a handle an owner initialized, for its libuv callbacks.
  static Block& blockOf(Handle* handle) { return *static_cast<Block*>(handle->data); }

 protected:
  using Init = int (*)(uv_loop_t*, Handle*);

  // When `init` fails the owner starts closed (nothing to close; start()/stop() do nothing) and
  // the failure is logged.
  UvHandle(uv_loop_t* loop, Init init, Callback callback, std::string_view initName) : block_(new Block) {
    block_->callback = std::move(callback);
    if (!uvOk(init(loop, &block_->handle), initName)) {
      delete block_;
      block_ = nullptr;
      return;
    }
    block_->handle.data = block_;
  }
  ~UvHandle() { close(); }

  // The live handle; nullptr once closed.
  Handle* handle() { return block_ == nullptr ? nullptr : &block_->handle; }

 private:
  Block* block_;
};

}  // namespace dynostatsd
