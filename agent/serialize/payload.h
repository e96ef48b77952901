#pragma once
// Payload: one HTTP request body ready for the delivery layer (forward/Delivery), plus what is
// needed to re-split it when the intake answers 413. Vendor-neutral: `route` indexes the routes
// of the sink that built it (Datadog: one per endpoint; OTLP: one). PayloadLimits: the documented
// caps of one intake path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace dynostatsd::serialize {

struct PayloadLimits {
  std::size_t maxCompressedBytes;    // a body larger than this is never sent
  std::size_t maxUncompressedBytes;  // nor one that decompresses to this or more
  std::size_t maxItems = 0;          // items per payload; 0 = no limit (v2 series: 10 000 points)
};

struct Payload {
  std::uint8_t route = 0;  // index into the owning sink's routes
  Compression compression = Compression::None;
  std::string body;  // the bytes on the wire
  std::size_t uncompressedBytes = 0;
  std::size_t items = 0;  // series, sketches, checks or events inside
  // Offsets in the uncompressed body just past each item, so a payload answered 413 can be cut in
  // two without re-serializing (items are separated by a separator between a header and a footer).
  std::vector<std::uint32_t> itemEnds;

  // Bytes this payload holds in memory (what the delivery queue bound counts).
  std::size_t memoryBytes() const { return body.size() + itemEnds.size() * sizeof(std::uint32_t); }
};

}  // namespace dynostatsd::serialize
