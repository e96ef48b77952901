#include "loop/curl_protocols.h"

namespace dynostatsd {
namespace {

// The option numbers as curl.h defines them (CURLOPT(name, type, number) = type + number). Neither
// enumerator can be named portably: CURLOPT_PROTOCOLS_STR is missing from headers before 7.85, and
// CURLOPT_PROTOCOLS is marked deprecated from 7.87 on.
constexpr auto kOptProtocols = static_cast<CURLoption>(CURLOPTTYPE_LONG + 181);
constexpr auto kOptProtocolsStr = static_cast<CURLoption>(CURLOPTTYPE_STRINGPOINT + 318);
#if LIBCURL_VERSION_NUM >= 0x075500
static_assert(kOptProtocolsStr == CURLOPT_PROTOCOLS_STR);
#else
static_assert(kOptProtocols == CURLOPT_PROTOCOLS);
#endif

}  // namespace

CurlProtocolOption curlProtocolOptionFor(unsigned int versionNum) {
  return versionNum >= kCurlProtocolsStrSince ? CurlProtocolOption::String : CurlProtocolOption::Bitmask;
}

CurlProtocolOption curlProtocolOption(const CurlApi& api) {
  const curl_version_info_data* info = api.versionInfo(CURLVERSION_NOW);
  // No answer at all: the bitmask, which every libcurl still accepts.
  return curlProtocolOptionFor(info != nullptr ? info->version_num : 0);
}

CURLcode curlRestrictProtocols(const CurlApi& api, CURL* easy, CurlProtocolOption option) {
  if (option == CurlProtocolOption::String) return api.easySetopt(easy, kOptProtocolsStr, "http,https");
  return api.easySetopt(easy, kOptProtocols, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
}

CURLcode curlRestrictProtocols(const CurlApi& api, CURL* easy) {
  return curlRestrictProtocols(api, easy, curlProtocolOption(api));
}

}  // namespace dynostatsd
