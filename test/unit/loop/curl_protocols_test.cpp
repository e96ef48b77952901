// The http,https restriction with the libcurl that is really loaded: the option is chosen from the
// loaded library's version, and whichever option is used, libcurl then refuses other protocols.
#include "loop/curl_protocols.h"

#include <uv.h>
#include <catch2/catch.hpp>

#include <optional>

#include "loop/curl_driver.h"

using namespace dynostatsd;

namespace {

// Runs one transfer of `url` on a fresh loop, restricted with `option` (none: unrestricted);
// returns curl's result. REQUIREs that the restriction itself was accepted.
CURLcode transfer(const CurlApi& api, const char* url, std::optional<CurlProtocolOption> option) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  CURLcode result = CURLE_FAILED_INIT;
  {
    CurlDriver driver(&loop, &api, "");
    CURL* easy = api.easyInit();
    REQUIRE(easy != nullptr);
    if (option) REQUIRE(curlRestrictProtocols(api, easy, *option) == CURLE_OK);
    api.easySetopt(easy, CURLOPT_URL, url);
    api.easySetopt(easy, CURLOPT_NOSIGNAL, 1L);
    api.easySetopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    bool done = false;
    REQUIRE(driver.add(easy, [&](CURLcode code) {
      result = code;
      done = true;
    }));
    while (!done && uv_run(&loop, UV_RUN_ONCE) != 0) {
    }
    REQUIRE(done);
    driver.close();
    api.easyCleanup(easy);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  REQUIRE(uv_loop_close(&loop) == 0);
  return result;
}

}  // namespace

TEST_CASE("the protocol option follows the libcurl version: bitmask before 7.85, string from 7.85") {
  CHECK(curlProtocolOptionFor(0x074a00) == CurlProtocolOption::Bitmask);  // 7.74.0, bullseye
  CHECK(curlProtocolOptionFor(0x075100) == CurlProtocolOption::Bitmask);  // 7.81.0, heroku-22
  CHECK(curlProtocolOptionFor(0x0754ff) == CurlProtocolOption::Bitmask);
  CHECK(curlProtocolOptionFor(0x075500) == CurlProtocolOption::String);  // 7.85.0
  CHECK(curlProtocolOptionFor(0x075800) == CurlProtocolOption::String);  // 7.88.1, bookworm
  CHECK(curlProtocolOptionFor(0x080e01) == CurlProtocolOption::String);  // 8.14.1, trixie
  CHECK(curlProtocolOptionFor(0) == CurlProtocolOption::Bitmask);        // no version: the safe one
}

TEST_CASE("the loaded libcurl accepts the option chosen for it and then refuses file://") {
  const CurlApi* api = loadCurl();
  REQUIRE(api != nullptr);
  const curl_version_info_data* info = api->versionInfo(CURLVERSION_NOW);
  REQUIRE(info != nullptr);
  CurlProtocolOption chosen = curlProtocolOption(*api);
  INFO("loaded libcurl " << info->version);
  CHECK((chosen == CurlProtocolOption::String) == (info->version_num >= kCurlProtocolsStrSince));

  // Unrestricted, the stack's libcurl reads local files: the restriction is what stops it.
  CHECK(transfer(*api, "file:///dev/null", std::nullopt) == CURLE_OK);
  CHECK(transfer(*api, "file:///dev/null", chosen) == CURLE_UNSUPPORTED_PROTOCOL);
  // http itself stays allowed: a closed port is a connect error, not an unsupported protocol.
  CHECK(transfer(*api, "http://127.0.0.1:1/", chosen) == CURLE_COULDNT_CONNECT);
}

TEST_CASE("the bitmask works on every libcurl; the string form only where the version says so") {
  const CurlApi* api = loadCurl();
  REQUIRE(api != nullptr);
  CHECK(transfer(*api, "file:///dev/null", CurlProtocolOption::Bitmask) == CURLE_UNSUPPORTED_PROTOCOL);
  CURL* easy = api->easyInit();
  REQUIRE(easy != nullptr);
  CURLcode string = curlRestrictProtocols(*api, easy, CurlProtocolOption::String);
  api->easyCleanup(easy);
  if (curlProtocolOption(*api) == CurlProtocolOption::String) {
    CHECK(string == CURLE_OK);
    CHECK(transfer(*api, "file:///dev/null", CurlProtocolOption::String) == CURLE_UNSUPPORTED_PROTOCOL);
  } else {
    CHECK(string == CURLE_UNKNOWN_OPTION);  // what an old libcurl answers: why we must not assume it
  }
}
