#include "serialize/compressor.h"

#include <memory>

#include "serialize/compression_library.h"

namespace dynostatsd::serialize {
namespace {

// zlib level 6 costs ~3x the time of level 1 for ~10% smaller JSON; the flush budget wins.
constexpr int kZlibLevel = 1;
constexpr int kZstdLevel = 1;  // the Datadog Agent's default level
constexpr int kZlibWindowBits = 15;
constexpr int kGzipWindowBits = 15 + 16;

// The worst-case output buffer, allocated without zero-filling: the pages of a large allocation
// that the compressor never writes never become resident, so a 2 MB bound for 15 KB of output
// costs 15 KB of RSS (std::string::resize would touch every page).
struct OutputBuffer {
  explicit OutputBuffer(std::size_t size) : bytes(new char[size]), capacity(size) {}
  std::string take(std::size_t size) const { return std::string(bytes.get(), size); }
  std::unique_ptr<char[]> bytes;
  std::size_t capacity;
};

std::optional<std::string> deflateBody(std::string_view data, int windowBits) {
  const ZlibApi* z = loadZlib();
  if (z == nullptr) return std::nullopt;
  z_stream stream{};
  if (z->deflateInit2_(&stream, kZlibLevel, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                       static_cast<int>(sizeof(z_stream))) != Z_OK)
    return std::nullopt;
  // deflateBound assumes a zlib header; gzip's is 12 bytes longer.
  OutputBuffer out(z->deflateBound(&stream, static_cast<uLong>(data.size())) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.bytes.get());
  stream.avail_out = static_cast<uInt>(out.capacity);
  int rc = z->deflate(&stream, Z_FINISH);
  std::size_t written = stream.total_out;
  z->deflateEnd(&stream);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out.take(written);
}

std::optional<std::string> inflateBody(std::string_view data, int windowBits, std::size_t maxBytes) {
  const ZlibApi* z = loadZlib();
  if (z == nullptr) return std::nullopt;
  z_stream stream{};
  if (z->inflateInit2_(&stream, windowBits, ZLIB_VERSION, static_cast<int>(sizeof(z_stream))) != Z_OK)
    return std::nullopt;
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  char chunk[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    rc = z->inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(chunk, sizeof chunk - stream.avail_out);
    if (out.size() > maxBytes) break;
    if (rc == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) break;  // truncated input
  }
  z->inflateEnd(&stream);
  if (rc != Z_STREAM_END || out.size() > maxBytes) return std::nullopt;
  return out;
}

}  // namespace

std::optional<std::string> compress(Compression method, std::string_view data) {
  switch (method) {
    case Compression::None: return std::string(data);
    case Compression::Deflate: return deflateBody(data, kZlibWindowBits);
    case Compression::Gzip: return deflateBody(data, kGzipWindowBits);
    case Compression::Zstd: {
      const ZstdApi* zstd = loadZstd();
      if (zstd == nullptr) return std::nullopt;
      OutputBuffer out(zstd->compressBound(data.size()));
      std::size_t n = zstd->compress(out.bytes.get(), out.capacity, data.data(), data.size(), kZstdLevel);
      if (zstd->isError(n)) return std::nullopt;
      return out.take(n);
    }
  }
  return std::nullopt;
}

std::optional<std::string> decompress(Compression method, std::string_view data, std::size_t maxBytes) {
  switch (method) {
    case Compression::None:
      if (data.size() > maxBytes) return std::nullopt;
      return std::string(data);
    case Compression::Deflate: return inflateBody(data, kZlibWindowBits, maxBytes);
    case Compression::Gzip: return inflateBody(data, kGzipWindowBits, maxBytes);
    case Compression::Zstd: {
      const ZstdApi* zstd = loadZstd();
      if (zstd == nullptr) return std::nullopt;
      unsigned long long size = zstd->getFrameContentSize(data.data(), data.size());
      if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > maxBytes)
        return std::nullopt;
      std::string out;
      out.resize(size);
      std::size_t n = zstd->decompress(out.data(), out.size(), data.data(), data.size());
      if (zstd->isError(n) || n != size) return std::nullopt;
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace dynostatsd::serialize
