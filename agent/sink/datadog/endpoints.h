#pragma once
// The Datadog intake paths we post to, with their documented limits, compression and framing.
// Each Endpoint is one delivery route of the Datadog sink (Payload::route == index).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"
#include "serialize/payload.h"
#include "serialize/payload_packer.h"

namespace dynostatsd::datadog {

enum class Endpoint : std::uint8_t { SeriesV2, SeriesV1, Sketches, CheckRun, Events };
inline constexpr std::size_t kEndpointCount = 5;

struct EndpointInfo {
  std::string_view name;  // for logs and self-metric tags: "series_v2", ...
  std::string_view path;  // "/api/v2/series"
  std::string_view contentType;
  serialize::PayloadLimits limits;
  bool acceptsZstd, acceptsGzip, acceptsDeflate;
  std::string_view zstdToken;  // the Content-Encoding spelling of zstd on this endpoint
};

const EndpointInfo& endpointInfo(Endpoint endpoint);

inline std::uint8_t routeOf(Endpoint endpoint) {
  return static_cast<std::uint8_t>(endpoint);
}
inline Endpoint endpointOf(const serialize::Payload& payload) {
  return static_cast<Endpoint>(payload.route);
}

// How items are framed into one body on `endpoint`.
serialize::Framing framingFor(Endpoint endpoint);

// The compression used on `endpoint` when the configuration asks for `wanted`: the wanted one when
// the endpoint documents it, else deflate when it accepts deflate, else none.
//   endpoint     | zstd  | gzip | deflate | none
//   v2 series    | zstd1 | gzip | deflate | -
//   v1 series    | deflate | gzip | deflate | -
//   sketches     | deflate | deflate | deflate | -
//   check_run    | deflate | deflate | deflate | -
//   events       | -     | -    | -       | -     (one small JSON object per request)
Compression compressionFor(Endpoint endpoint, Compression wanted);

// The Content-Encoding header value for `method` on `endpoint` ("" for none).
std::string_view contentEncoding(Endpoint endpoint, Compression method);

}  // namespace dynostatsd::datadog
