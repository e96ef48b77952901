#pragma once
// zlib and zstd, opened with dlopen() the first time a payload is compressed or decompressed: only
// HTTP sinks compress, so an agent that only logs never maps either library (nor does the
// supervisor, which runs the same binary). Input: nothing. Output: a function table typed from the
// library's own header, or nullptr once the library is missing (logged once, with the fix).
#include <zlib.h>
#include <zstd.h>

#include <string>

namespace dynostatsd::serialize {

struct ZlibApi {
  decltype(&::deflateInit2_) deflateInit2_;  // what the deflateInit2() macro calls
  decltype(&::deflateBound) deflateBound;
  decltype(&::deflate) deflate;
  decltype(&::deflateEnd) deflateEnd;
  decltype(&::inflateInit2_) inflateInit2_;  // what the inflateInit2() macro calls
  decltype(&::inflate) inflate;
  decltype(&::inflateEnd) inflateEnd;
};

struct ZstdApi {
  decltype(&::ZSTD_compressBound) compressBound;
  decltype(&::ZSTD_compress) compress;
  decltype(&::ZSTD_decompress) decompress;
  decltype(&::ZSTD_getFrameContentSize) getFrameContentSize;
  decltype(&::ZSTD_isError) isError;
};

// The sonames the loaders open (zlib1g and libzstd1 are on every Heroku stack image).
inline constexpr const char* kZlibLibrary = "libz.so.1";
inline constexpr const char* kZstdLibrary = "libzstd.so.1";

// The table, loaded on the first call (thread-safe); nullptr when the library cannot be loaded.
const ZlibApi* loadZlib();
const ZstdApi* loadZstd();

}  // namespace dynostatsd::serialize
