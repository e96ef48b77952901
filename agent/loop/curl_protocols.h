#pragma once
// Restricting a transfer to http and https with whichever libcurl dlopen() found at run time.
// libcurl 7.85 added CURLOPT_PROTOCOLS_STR ("http,https") and deprecated the CURLPROTO_* bitmask
// of CURLOPT_PROTOCOLS, which every version still honours; heroku-22 ships 7.81, which knows only
// the bitmask (and answers CURLE_UNKNOWN_OPTION to the string form). The choice is made from the
// LOADED library's curl_version_info(), not from the headers we compiled against, and both option
// numbers are spelled out here so the agent compiles against any libcurl headers (7.74 and newer).
#include <curl/curl.h>

#include "loop/curl_driver.h"

namespace dynostatsd {

enum class CurlProtocolOption {
  Bitmask,  // CURLOPT_PROTOCOLS = CURLPROTO_HTTP | CURLPROTO_HTTPS (libcurl < 7.85)
  String,   // CURLOPT_PROTOCOLS_STR = "http,https" (libcurl >= 7.85)
};

// The first libcurl version with CURLOPT_PROTOCOLS_STR, as curl_version_info()->version_num.
inline constexpr unsigned int kCurlProtocolsStrSince = 0x075500;  // 7.85.0

// Which option a libcurl of this version_num (0xXXYYZZ) takes.
CurlProtocolOption curlProtocolOptionFor(unsigned int versionNum);

// The option the loaded library takes (from api.versionInfo).
CurlProtocolOption curlProtocolOption(const CurlApi& api);

// Sets the http,https restriction on `easy` with `option`; libcurl's answer (CURLE_OK when applied).
CURLcode curlRestrictProtocols(const CurlApi& api, CURL* easy, CurlProtocolOption option);
// The same with the option the loaded library takes.
CURLcode curlRestrictProtocols(const CurlApi& api, CURL* easy);

}  // namespace dynostatsd
