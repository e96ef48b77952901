#include "serialize/compression_library.h"

#include <dlfcn.h>

#include "loop/dl_symbol.h"  // header-only: openLibrary(), resolveSymbol(), shared with the loop's dlopen()ed libraries
#include "telemetry/log.h"

namespace dynostatsd::serialize {
namespace {

void logMissing(const char* soname, const std::string& error) {
  log::write(log::Level::Error, "serialize",
             "msg=\"cannot load the compression library, payloads are not sent\" library=" +
                 std::string(soname) + " error=" + log::quote(error) +
                 " fix=\"install it, or set DYNOSTATSD_COMPRESSION=none (Datadog) or "
                 "OTEL_EXPORTER_OTLP_COMPRESSION=none (OTLP)\"");
}

}  // namespace

const ZlibApi* loadZlib() {
  static const ZlibApi* const api = []() -> const ZlibApi* {
    static ZlibApi table{};
    std::string error;
    void* library = openLibrary(kZlibLibrary, error);
    const bool ok = library != nullptr &&
                    resolveSymbol(library, "deflateInit2_", table.deflateInit2_, error) &&
                    resolveSymbol(library, "deflateBound", table.deflateBound, error) &&
                    resolveSymbol(library, "deflate", table.deflate, error) &&
                    resolveSymbol(library, "deflateEnd", table.deflateEnd, error) &&
                    resolveSymbol(library, "inflateInit2_", table.inflateInit2_, error) &&
                    resolveSymbol(library, "inflate", table.inflate, error) &&
                    resolveSymbol(library, "inflateEnd", table.inflateEnd, error);
    if (!ok) logMissing(kZlibLibrary, error);
    return ok ? &table : nullptr;
  }();
  return api;
}

const ZstdApi* loadZstd() {
  static const ZstdApi* const api = []() -> const ZstdApi* {
    static ZstdApi table{};
    std::string error;
    void* library = openLibrary(kZstdLibrary, error);
    const bool ok = library != nullptr &&
                    resolveSymbol(library, "ZSTD_compressBound", table.compressBound, error) &&
                    resolveSymbol(library, "ZSTD_compress", table.compress, error) &&
                    resolveSymbol(library, "ZSTD_decompress", table.decompress, error) &&
                    resolveSymbol(library, "ZSTD_getFrameContentSize", table.getFrameContentSize, error) &&
                    resolveSymbol(library, "ZSTD_isError", table.isError, error);
    if (!ok) logMissing(kZstdLibrary, error);
    return ok ? &table : nullptr;
  }();
  return api;
}

}  // namespace dynostatsd::serialize
