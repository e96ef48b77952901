#pragma once
// CurlDriver: runs libcurl's multi interface on the process's libuv loop (no extra thread), the way
// curl's multi-uv example does: curl's socket callback -> one uv_poll_t per socket, curl's timer
// callback -> one uv_timer_t, and after every curl_multi_socket_action the finished transfers
// (CURLMSG_DONE) are handed back through their completion callbacks.
// Input: configured CURL easy handles (owned by the caller, who must keep them alive until the
// completion runs or remove() is called). Output: one completion call per finished transfer.
// Ownership: every uv handle lives in a heap block freed by its close callback; close() is
// idempotent and leaves nothing open on the loop.
#include <curl/curl.h>
#include <uv.h>

#include <cstddef>
#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace dynostatsd {

class CurlDriver {
 public:
  using Completion = std::function<void(CURLcode result)>;

  explicit CurlDriver(uv_loop_t* loop);
  ~CurlDriver();
  CurlDriver(const CurlDriver&) = delete;
  CurlDriver& operator=(const CurlDriver&) = delete;

  // Starts a transfer; `done` runs on the loop once it finished (successfully or not). False when
  // the driver is closed or curl refused the handle (then `done` is never called).
  bool add(CURL* easy, Completion done);
  // Aborts a transfer without calling its completion.
  void remove(CURL* easy);
  std::size_t active() const { return transfers_.size(); }

  // Aborts every transfer (no completions), closes curl's connections and every uv handle.
  void close();
  bool closed() const { return multi_ == nullptr; }

  // Called from the C callbacks; not for other use.
  int onCurlSocket(CURL* easy, curl_socket_t socket, int what, void* socketData);
  int onCurlTimer(long timeoutMillis);
  void onPollEvent(curl_socket_t socket, int status, int events);
  void onTimeout();

  struct PollBlock;
  struct TimerBlock;

 private:
  void drainDone();

  uv_loop_t* loop_;
  CURLM* multi_;
  TimerBlock* timer_;
  std::unordered_map<CURL*, Completion> transfers_;
  std::unordered_set<PollBlock*> polls_;  // open polls, one per socket curl watches
};

}  // namespace dynostatsd
