#pragma once
// Payload: one HTTP request body ready for the forwarder, plus what is needed to re-split it when
// the intake answers 413. Endpoint: the intake paths we post to, with their documented limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace dynostatsd::serialize {

enum class Endpoint : std::uint8_t { SeriesV2, SeriesV1, Sketches, CheckRun, Events };
inline constexpr std::size_t kEndpointCount = 5;

struct EndpointInfo {
  std::string_view name;  // for logs and self-metric tags: "series_v2", ...
  std::string_view path;  // "/api/v2/series"
  std::string_view contentType;
  std::size_t maxCompressedBytes;    // a body larger than this is never sent
  std::size_t maxUncompressedBytes;  // nor one that decompresses to this or more
  bool acceptsZstd, acceptsGzip, acceptsDeflate;
  std::string_view zstdToken;  // the Content-Encoding spelling of zstd on this endpoint
};

const EndpointInfo& endpointInfo(Endpoint endpoint);

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

struct Payload {
  Endpoint endpoint = Endpoint::SeriesV2;
  Compression compression = Compression::None;
  std::string body;  // the bytes on the wire
  std::size_t uncompressedBytes = 0;
  std::size_t items = 0;  // series, sketches, checks or events inside
  // Offsets in the uncompressed body just past each item, so a payload answered 413 can be cut in
  // two without re-serializing (items are separated by kSeparator between a header and a footer).
  std::vector<std::uint32_t> itemEnds;

  // Bytes this payload holds in memory (what the retry queue bound counts).
  std::size_t memoryBytes() const { return body.size() + itemEnds.size() * sizeof(std::uint32_t); }
};

}  // namespace dynostatsd::serialize
