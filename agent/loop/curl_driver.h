#pragma once
// CurlDriver: runs libcurl's multi interface on the process's libuv loop (no extra thread), the way
// curl's multi-uv example does: curl's socket callback -> one uv_poll_t per socket, curl's timer
// callback -> one uv_timer_t, and after every curl_multi_socket_action the finished transfers
// (CURLMSG_DONE) are handed back through their completion callbacks.
// Input: configured CURL easy handles (owned by the caller, who must keep them alive until the
// completion runs or remove() is called). Output: one completion call per finished transfer.
// Ownership: every uv handle lives in a heap block freed by its close callback; close() is
// idempotent and leaves nothing open on the loop.
//
// libcurl is not linked: loadCurl() opens libcurl.so.4 with dlopen() the first time a CurlDriver is
// made, i.e. only when the agent forwards. An agent without an API key then never maps libcurl and
// the TLS, Kerberos, LDAP, SSH and IDN libraries it pulls in (measured: idle RSS 9.4 -> 3.9 MB).
#include <curl/curl.h>
#include <uv.h>

#include <cstddef>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace dynostatsd {

// The libcurl functions the agent calls, with the types curl's own headers declare.
struct CurlApi {
  decltype(&::curl_global_init) globalInit;
  decltype(&::curl_version_info) versionInfo;
  decltype(&::curl_easy_init) easyInit;
  decltype(&::curl_easy_cleanup) easyCleanup;
  decltype(&::curl_easy_setopt) easySetopt;
  decltype(&::curl_easy_getinfo) easyGetinfo;
  decltype(&::curl_easy_strerror) easyStrerror;
  decltype(&::curl_slist_append) slistAppend;
  decltype(&::curl_slist_free_all) slistFreeAll;
  decltype(&::curl_multi_init) multiInit;
  decltype(&::curl_multi_setopt) multiSetopt;
  decltype(&::curl_multi_add_handle) multiAddHandle;
  decltype(&::curl_multi_remove_handle) multiRemoveHandle;
  decltype(&::curl_multi_cleanup) multiCleanup;
  decltype(&::curl_multi_assign) multiAssign;
  decltype(&::curl_multi_socket_action) multiSocketAction;
  decltype(&::curl_multi_info_read) multiInfoRead;
};

// The soname loadCurl() opens.
inline constexpr const char* kCurlLibrary = "libcurl.so.4";

// Loads libcurl once per process (thread-safe; later calls return the same answer) and runs
// curl_global_init. nullptr when the library or one of its functions is missing; then
// curlLoadError() says why (dlerror's text).
const CurlApi* loadCurl();
const std::string& curlLoadError();
// True once loadCurl() succeeded in this process (for tests: nothing loads it behind our back).
bool curlLoaded();

class CurlDriver {
 public:
  using Completion = std::function<void(CURLcode result)>;

  // Loads libcurl (loadCurl); when that fails the driver starts closed and loadError() says why.
  explicit CurlDriver(uv_loop_t* loop);
  // For tests: `api` as loadCurl() would have answered (nullptr + `loadError` = libcurl missing).
  CurlDriver(uv_loop_t* loop, const CurlApi* api, std::string loadError);
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
  // Empty unless libcurl could not be loaded.
  const std::string& loadError() const { return loadError_; }
  // Only when loadError() is empty.
  const CurlApi& api() const { return *api_; }

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
  const CurlApi* api_;
  std::string loadError_;
  CURLM* multi_;
  TimerBlock* timer_;
  std::unordered_map<CURL*, Completion> transfers_;
  std::unordered_set<PollBlock*> polls_;  // open polls, one per socket curl watches
};

}  // namespace dynostatsd
