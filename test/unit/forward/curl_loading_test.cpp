// libcurl is opened with dlopen() (loop/curl_driver.h): the loaded table, and a client whose
// libcurl could not be loaded (every request fails with the reason, nothing left on the loop).
#include <uv.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "forward/curl_http_client.h"
#include "loop/curl_driver.h"

using namespace dynostatsd;
using namespace dynostatsd::forward;

TEST_CASE("loadCurl resolves every libcurl function once") {
  const CurlApi* api = loadCurl();
  REQUIRE(api != nullptr);
  CHECK(curlLoadError().empty());
  CHECK(curlLoaded());
  CHECK(loadCurl() == api);
  CHECK(std::string(api->easyStrerror(CURLE_COULDNT_CONNECT)) == "Couldn't connect to server");
  const curl_version_info_data* info = api->versionInfo(CURLVERSION_NOW);
  REQUIRE(info != nullptr);
  CHECK((info->version_num >> 16) >= 7U);  // libcurl.so.4: curl 7.x or 8.x
  CURL* easy = api->easyInit();
  REQUIRE(easy != nullptr);
  CHECK(api->easySetopt(easy, CURLOPT_URL, "http://127.0.0.1:1/") == CURLE_OK);
  CHECK(api->easySetopt(easy, static_cast<CURLoption>(99999), 1L) == CURLE_UNKNOWN_OPTION);
  long status = -1;
  CHECK(api->easyGetinfo(easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK);
  CHECK(status == 0);
  api->easyCleanup(easy);
}

TEST_CASE(
    "without libcurl every request fails with the load error, later, from the loop; the loop ends empty") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  const std::string why = "libcurl.so.4: cannot open shared object file: No such file or directory";
  {
    CurlHttpClient client(&loop, nullptr, why);
    CHECK(client.closed());
    std::vector<HttpResponse> answers;
    HttpRequest request;
    request.method = "POST";
    request.url = "http://127.0.0.1:1/api/v2/series";
    request.body = "{}";
    client.send(request, [&](const HttpResponse& response) { answers.push_back(response); });
    client.send(request, [&](const HttpResponse& response) { answers.push_back(response); });
    CHECK(answers.empty());  // never called back from inside send()
    CHECK(client.inFlight() == 2);
    uv_run(&loop, UV_RUN_NOWAIT);
    REQUIRE(answers.size() == 2);
    for (const HttpResponse& response : answers) {
      CHECK(response.status == 0);
      CHECK(response.error == TransportError::Network);
      CHECK(response.errorText == "libcurl unavailable: " + why);
    }
    CHECK(client.inFlight() == 0);
    client.send(request, [&](const HttpResponse& response) { answers.push_back(response); });
    client.close();  // before the deferred completion: it never runs
    CHECK(client.closed());
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK(answers.size() == 2);
  }
  CHECK(uv_run(&loop, UV_RUN_NOWAIT) == 0);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("a driver without libcurl opens no handle and refuses transfers") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    CurlDriver driver(&loop, nullptr, "");
    CHECK(driver.closed());
    CHECK(driver.loadError() == "libcurl not loaded");
    CHECK_FALSE(driver.add(nullptr, [](CURLcode) { FAIL("no completion without libcurl"); }));
    CHECK(driver.active() == 0);
    driver.close();
  }
  CHECK(uv_loop_alive(&loop) == 0);
  CHECK(uv_loop_close(&loop) == 0);
}
