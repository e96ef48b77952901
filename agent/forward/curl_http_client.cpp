#include "forward/curl_http_client.h"

#include <algorithm>

#include "loop/curl_protocols.h"
#include "telemetry/log.h"

namespace dynostatsd::forward {

struct CurlHttpClient::Transfer {
  const CurlApi* api = nullptr;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  Completion done;
  HttpResponse response;
  char errorBuffer[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (easy != nullptr) api->easyCleanup(easy);
    if (headers != nullptr) api->slistFreeAll(headers);
  }
};

namespace {

std::size_t onResponseBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  std::size_t bytes = size * count;
  std::size_t keep = std::min(bytes, kMaxResponseBody - std::min(kMaxResponseBody, body->size()));
  body->append(data, keep);
  return bytes;  // read (and discard) the rest
}

// Keeps the response's headers (bounded, names lowercased); a new status line (a redirect or an
// interim 1xx answer) starts a new set.
std::size_t onResponseHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  const std::size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    headers->clear();
    return bytes;
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0 || headers->size() >= kMaxResponseHeaders) return bytes;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' '))
    value.remove_suffix(1);
  headers->emplace_back(std::move(name), std::string(value.substr(0, kMaxResponseHeaderValue)));
  return bytes;
}

TransportError classifyCurlError(CURLcode code) {
  switch (code) {
    case CURLE_OK: return TransportError::None;
    case CURLE_OPERATION_TIMEDOUT: return TransportError::Timeout;
    case CURLE_COULDNT_CONNECT: return TransportError::Connect;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return TransportError::Resolve;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR: return TransportError::Tls;
    default: return TransportError::Network;
  }
}

}  // namespace

bool curlResolvesAsynchronously() {
  const CurlApi* api = loadCurl();
  if (api == nullptr) return true;  // nothing resolves at all; CurlHttpClient logs why
  const curl_version_info_data* info = api->versionInfo(CURLVERSION_NOW);
  return info != nullptr && (info->features & CURL_VERSION_ASYNCHDNS) != 0;
}

CurlHttpClient::CurlHttpClient(uv_loop_t* loop) : CurlHttpClient(loop, loadCurl(), curlLoadError()) {}

CurlHttpClient::CurlHttpClient(uv_loop_t* loop, const CurlApi* api, const std::string& loadError)
    : driver_(loop, api, loadError), deferTimer_(loop, [this] { completeFailed(); }) {
  if (!driver_.loadError().empty()) {
    log::write(log::Level::Error, "forward",
               std::string("reason=libcurl_unavailable library=") + kCurlLibrary +
                   " error=" + log::quote(driver_.loadError()) +
                   " msg=\"cannot send to Datadog: every payload fails until libcurl is installed\"");
  }
}

CurlHttpClient::~CurlHttpClient() {
  close();
}

void CurlHttpClient::fail(std::unique_ptr<Transfer> transfer, std::string errorText) {
  // Completions always run later, from the loop: a caller may be iterating its own state when it
  // calls send(), and must not be re-entered.
  transfer->response.status = 0;
  transfer->response.error = TransportError::Network;
  transfer->response.errorText = std::move(errorText);
  failed_.push_back(std::move(transfer));
  deferTimer_.start(0);
}

void CurlHttpClient::completeFailed() {
  std::vector<std::unique_ptr<Transfer>> failed;
  failed.swap(failed_);
  for (auto& transfer : failed) transfer->done(transfer->response);
}

void CurlHttpClient::send(const HttpRequest& request, Completion done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->done = std::move(done);
  if (driver_.closed()) {
    if (deferTimer_.closed()) return;  // close() came first: no completion, as promised
    fail(std::move(transfer),
         driver_.loadError().empty() ? "client closed" : "libcurl unavailable: " + driver_.loadError());
    return;
  }
  const CurlApi& api = driver_.api();
  transfer->api = &api;
  CURL* easy = api.easyInit();
  transfer->easy = easy;
  if (easy == nullptr) {
    fail(std::move(transfer), "curl_easy_init failed");
    return;
  }
  // Only http/https, with the option the loaded libcurl knows; never send unrestricted.
  if (CURLcode refused = curlRestrictProtocols(api, easy); refused != CURLE_OK) {
    transfer->response.error = TransportError::Network;
    transfer->response.errorText =
        std::string("libcurl refused the http,https restriction: ") + api.easyStrerror(refused);
    transfer->done(transfer->response);
    return;
  }
  api.easySetopt(easy, CURLOPT_URL, request.url.c_str());
  api.easySetopt(easy, CURLOPT_NOSIGNAL, 1L);
  api.easySetopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);  // never disabled, whatever the config says
  api.easySetopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  api.easySetopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeoutSeconds) * 1000L);
  api.easySetopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                 std::min(10000L, static_cast<long>(request.timeoutSeconds) * 1000L));
  api.easySetopt(easy, CURLOPT_ERRORBUFFER, transfer->errorBuffer);
  api.easySetopt(easy, CURLOPT_WRITEFUNCTION, &onResponseBody);
  api.easySetopt(easy, CURLOPT_WRITEDATA, &transfer->response.body);
  api.easySetopt(easy, CURLOPT_HEADERFUNCTION, &onResponseHeader);
  api.easySetopt(easy, CURLOPT_HEADERDATA, &transfer->response.headers);
  api.easySetopt(easy, CURLOPT_ACCEPT_ENCODING, nullptr);
  if (request.method == "POST") {
    api.easySetopt(easy, CURLOPT_POST, 1L);
    api.easySetopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    api.easySetopt(easy, CURLOPT_POSTFIELDS, request.body.data());
  } else {
    api.easySetopt(easy, CURLOPT_HTTPGET, 1L);
  }
  for (const auto& [name, value] : request.headers) {
    std::string line = name + ": " + value;
    transfer->headers = api.slistAppend(transfer->headers, line.c_str());
  }
  transfer->headers = api.slistAppend(transfer->headers, "Expect:");  // no 100-continue round trip
  api.easySetopt(easy, CURLOPT_HTTPHEADER, transfer->headers);

  Transfer* raw = transfer.get();
  transfers_.emplace(raw, std::move(transfer));
  bool added = driver_.add(easy, [this, raw](CURLcode result) { finish(raw, static_cast<int>(result)); });
  if (!added) {
    auto it = transfers_.find(raw);
    std::unique_ptr<Transfer> refused = std::move(it->second);
    transfers_.erase(it);
    fail(std::move(refused), "curl_multi_add_handle failed");
  }
}

void CurlHttpClient::finish(Transfer* raw, int result) {
  auto it = transfers_.find(raw);
  if (it == transfers_.end()) return;
  std::unique_ptr<Transfer> transfer = std::move(it->second);
  transfers_.erase(it);
  auto code = static_cast<CURLcode>(result);
  HttpResponse& response = transfer->response;
  if (code == CURLE_OK) {
    transfer->api->easyGetinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &response.status);
  } else {
    response.status = 0;
    response.error = classifyCurlError(code);
    response.errorText =
        transfer->errorBuffer[0] != '\0' ? transfer->errorBuffer : transfer->api->easyStrerror(code);
  }
  transfer->done(response);
}

void CurlHttpClient::close() {
  driver_.close();  // aborts transfers without completions
  deferTimer_.close();
  transfers_.clear();
  failed_.clear();
}

}  // namespace dynostatsd::forward
