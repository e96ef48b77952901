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
    : driver_(loop, api, loadError) {
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

void CurlHttpClient::send(const HttpRequest& request, Completion done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->done = std::move(done);
  if (driver_.closed()) {
    transfer->response.error = TransportError::Network;
    transfer->response.errorText =
        driver_.loadError().empty() ? "client closed" : "libcurl unavailable: " + driver_.loadError();
    transfer->done(transfer->response);
    return;
  }
  const CurlApi& api = driver_.api();
  transfer->api = &api;
  CURL* easy = api.easyInit();
  transfer->easy = easy;
  if (easy == nullptr) {
    transfer->response.error = TransportError::Network;
    transfer->response.errorText = "curl_easy_init failed";
    transfer->done(transfer->response);
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
  if (!added) finish(raw, static_cast<int>(CURLE_FAILED_INIT));
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
  transfers_.clear();
}

}  // namespace dynostatsd::forward
