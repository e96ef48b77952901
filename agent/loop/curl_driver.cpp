#include "loop/curl_driver.h"

#include "loop/dl_symbol.h"
#include "loop/uv_check.h"

#include <dlfcn.h>
#include <stdlib.h>

#include <atomic>
#include <utility>
#include <vector>

namespace dynostatsd {
namespace {

std::atomic<bool> curlLoadedFlag{false};

struct CurlLoad {
  CurlApi api{};
  bool ok = false;
  std::string error;
};

CurlLoad openCurl() {
  CurlLoad load;
  // libcurl uses OpenSSL; GnuTLS comes in only through libraries for protocols we never enable
  // (RTMP, LDAP), and otherwise initialises itself at load time (idle RSS +0.9 MB measured).
  ::setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0);
  // Never closed: libcurl and its TLS library keep process-wide state once initialised.
  void* library = openLibrary(kCurlLibrary, load.error);
  if (library == nullptr) {
    return load;
  }
  CurlApi& a = load.api;
  std::string& e = load.error;
  load.ok = resolveSymbol(library, "curl_global_init", a.globalInit, e) &&
            resolveSymbol(library, "curl_version_info", a.versionInfo, e) &&
            resolveSymbol(library, "curl_easy_init", a.easyInit, e) &&
            resolveSymbol(library, "curl_easy_cleanup", a.easyCleanup, e) &&
            resolveSymbol(library, "curl_easy_setopt", a.easySetopt, e) &&
            resolveSymbol(library, "curl_easy_getinfo", a.easyGetinfo, e) &&
            resolveSymbol(library, "curl_easy_strerror", a.easyStrerror, e) &&
            resolveSymbol(library, "curl_slist_append", a.slistAppend, e) &&
            resolveSymbol(library, "curl_slist_free_all", a.slistFreeAll, e) &&
            resolveSymbol(library, "curl_multi_init", a.multiInit, e) &&
            resolveSymbol(library, "curl_multi_setopt", a.multiSetopt, e) &&
            resolveSymbol(library, "curl_multi_add_handle", a.multiAddHandle, e) &&
            resolveSymbol(library, "curl_multi_remove_handle", a.multiRemoveHandle, e) &&
            resolveSymbol(library, "curl_multi_cleanup", a.multiCleanup, e) &&
            resolveSymbol(library, "curl_multi_assign", a.multiAssign, e) &&
            resolveSymbol(library, "curl_multi_socket_action", a.multiSocketAction, e) &&
            resolveSymbol(library, "curl_multi_info_read", a.multiInfoRead, e);
  if (load.ok && a.globalInit(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    load.ok = false;
    load.error = "curl_global_init failed";
  }
  return load;
}

const CurlLoad& curlLoad() {
  static const CurlLoad load = [] {
    CurlLoad result = openCurl();
    curlLoadedFlag.store(result.ok);
    return result;
  }();
  return load;
}

}  // namespace

const CurlApi* loadCurl() {
  const CurlLoad& load = curlLoad();
  return load.ok ? &load.api : nullptr;
}

const std::string& curlLoadError() {
  return curlLoad().error;
}

bool curlLoaded() {
  return curlLoadedFlag.load();
}

struct CurlDriver::PollBlock {
  uv_poll_t handle{};
  curl_socket_t socket = CURL_SOCKET_BAD;
  CurlDriver* driver = nullptr;  // cleared when the poll is closing
};

struct CurlDriver::TimerBlock {
  uv_timer_t handle{};
  CurlDriver* driver = nullptr;
};

namespace {

void closePoll(CurlDriver::PollBlock* block) {
  block->driver = nullptr;
  uv_poll_stop(&block->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&block->handle),
           [](uv_handle_t* handle) { delete static_cast<CurlDriver::PollBlock*>(handle->data); });
}

int onCurlSocketThunk(CURL* easy, curl_socket_t socket, int what, void* user, void* socketData) {
  return static_cast<CurlDriver*>(user)->onCurlSocket(easy, socket, what, socketData);
}

int onCurlTimerThunk(CURLM*, long timeoutMillis, void* user) {
  return static_cast<CurlDriver*>(user)->onCurlTimer(timeoutMillis);
}

void onPoll(uv_poll_t* handle, int status, int events) {
  auto* block = static_cast<CurlDriver::PollBlock*>(handle->data);
  if (block->driver != nullptr) block->driver->onPollEvent(block->socket, status, events);
}

void onTimer(uv_timer_t* handle) {
  auto* block = static_cast<CurlDriver::TimerBlock*>(handle->data);
  if (block->driver != nullptr) block->driver->onTimeout();
}

}  // namespace

CurlDriver::CurlDriver(uv_loop_t* loop) : CurlDriver(loop, loadCurl(), curlLoadError()) {}

CurlDriver::CurlDriver(uv_loop_t* loop, const CurlApi* api, std::string loadError)
    : loop_(loop), api_(api), loadError_(std::move(loadError)), multi_(nullptr), timer_(nullptr) {
  if (api_ == nullptr) {  // closed from the start; no uv handle opened
    if (loadError_.empty()) loadError_ = "libcurl not loaded";
    return;
  }
  multi_ = api_->multiInit();
  if (multi_ == nullptr) {
    loadError_ = "curl_multi_init failed";
    return;
  }
  timer_ = new TimerBlock;
  if (!uvOk(uv_timer_init(loop_, &timer_->handle), "uv_timer_init")) {
    delete timer_;
    timer_ = nullptr;
    api_->multiCleanup(multi_);
    multi_ = nullptr;
    loadError_ = "uv_timer_init failed";
    return;
  }
  timer_->handle.data = timer_;
  timer_->driver = this;
  api_->multiSetopt(multi_, CURLMOPT_SOCKETFUNCTION, &onCurlSocketThunk);
  api_->multiSetopt(multi_, CURLMOPT_SOCKETDATA, this);
  api_->multiSetopt(multi_, CURLMOPT_TIMERFUNCTION, &onCurlTimerThunk);
  api_->multiSetopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlDriver::~CurlDriver() {
  close();
}

bool CurlDriver::add(CURL* easy, Completion done) {
  if (multi_ == nullptr) return false;
  if (api_->multiAddHandle(multi_, easy) != CURLM_OK) return false;
  transfers_[easy] = std::move(done);
  return true;
}

void CurlDriver::remove(CURL* easy) {
  if (multi_ == nullptr || transfers_.erase(easy) == 0) return;
  api_->multiRemoveHandle(multi_, easy);
}

void CurlDriver::close() {
  if (multi_ == nullptr) return;
  CURLM* multi = multi_;
  multi_ = nullptr;
  for (auto& [easy, done] : transfers_) api_->multiRemoveHandle(multi, easy);
  transfers_.clear();
  // Cleanup closes cached connections; their socket callbacks (CURL_POLL_REMOVE) close the polls.
  api_->multiCleanup(multi);
  for (PollBlock* block : polls_) closePoll(block);  // any curl did not report
  polls_.clear();
  timer_->driver = nullptr;
  uv_timer_stop(&timer_->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_->handle),
           [](uv_handle_t* handle) { delete static_cast<TimerBlock*>(handle->data); });
  timer_ = nullptr;
}

int CurlDriver::onCurlSocket(CURL*, curl_socket_t socket, int what, void* socketData) {
  auto* block = static_cast<PollBlock*>(socketData);
  if (what == CURL_POLL_REMOVE) {
    if (block != nullptr && polls_.erase(block) != 0) {
      if (multi_ != nullptr) api_->multiAssign(multi_, socket, nullptr);
      closePoll(block);
    }
    return 0;
  }
  if (multi_ == nullptr) return 0;  // closing
  if (block == nullptr) {
    block = new PollBlock;
    block->socket = socket;
    block->driver = this;
    if (uv_poll_init_socket(loop_, &block->handle, socket) != 0) {
      delete block;
      return -1;  // curl fails the transfer
    }
    block->handle.data = block;
    polls_.insert(block);
    api_->multiAssign(multi_, socket, block);
  }
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= UV_WRITABLE;
  if (!uvOk(uv_poll_start(&block->handle, events, &onPoll), "uv_poll_start")) return -1;  // curl fails it
  return 0;
}

int CurlDriver::onCurlTimer(long timeoutMillis) {
  if (timer_ == nullptr) return 0;
  if (timeoutMillis < 0) {
    uv_timer_stop(&timer_->handle);
  } else {
    // Even 0 goes through the loop: calling socket_action from inside this callback is not allowed.
    if (!uvOk(uv_timer_start(&timer_->handle, &onTimer, static_cast<std::uint64_t>(timeoutMillis), 0),
              "uv_timer_start"))
      return -1;  // curl then fails the transfers that wait on it
  }
  return 0;
}

void CurlDriver::onPollEvent(curl_socket_t socket, int status, int events) {
  if (multi_ == nullptr) return;
  int flags = 0;
  if (status < 0) {
    flags = CURL_CSELECT_ERR;
  } else {
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
  }
  int running = 0;
  api_->multiSocketAction(multi_, socket, flags, &running);
  drainDone();
}

void CurlDriver::onTimeout() {
  if (multi_ == nullptr) return;
  int running = 0;
  api_->multiSocketAction(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  drainDone();
}

void CurlDriver::drainDone() {
  // Collect first: a completion may add new transfers or close the driver.
  std::vector<std::pair<CURL*, CURLcode>> finished;
  int pending = 0;
  while (multi_ != nullptr) {
    CURLMsg* message = api_->multiInfoRead(multi_, &pending);
    if (message == nullptr) break;
    if (message->msg == CURLMSG_DONE) finished.emplace_back(message->easy_handle, message->data.result);
  }
  for (auto [easy, result] : finished) {
    if (multi_ == nullptr) return;
    auto it = transfers_.find(easy);
    if (it == transfers_.end()) continue;
    Completion done = std::move(it->second);
    transfers_.erase(it);
    api_->multiRemoveHandle(multi_, easy);
    done(result);
  }
}

}  // namespace dynostatsd
