#pragma once
// Payload compression: zlib stream ("deflate"), gzip and zstd, in one call over a whole body.
// Input: the uncompressed payload. Output: a new string the caller owns. The libraries are opened
// on the first call (compression_library.h).
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace dynostatsd::serialize {

// Compresses `data`; Compression::None returns a copy. nullopt when the library reports an error
// (the output buffers are sized with the libraries' own bounds, so only an init or allocation
// failure gets there) or cannot be loaded: the caller must never send an empty body in place of
// the data.
std::optional<std::string> compress(Compression method, std::string_view data);

// Inverse of compress(); nullopt on corrupt input or when the output would exceed `maxBytes`.
// Used to re-split a payload the intake answered 413, and by tests.
std::optional<std::string> decompress(Compression method, std::string_view data, std::size_t maxBytes);

}  // namespace dynostatsd::serialize
