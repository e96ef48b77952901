#pragma once
// openLibrary / resolveSymbol: dlopen() and dlsym() into a typed function pointer, for the
// libraries the agent opens on demand (libcurl in curl_driver.cpp, libssl in tls_api.cpp, zlib
// and zstd in serialize/compression_library.cpp). Each fails with `error` set to dlerror()'s text.
#include <dlfcn.h>

#include <string>

namespace dynostatsd {

// RTLD_NOW | RTLD_LOCAL; nullptr when the library cannot be loaded. Never closed by the callers:
// the function tables they hand out stay valid for the life of the process.
inline void* openLibrary(const char* soname, std::string& error) {
  void* library = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* text = ::dlerror();
    error = text != nullptr ? text : std::string("cannot load ") + soname;
  }
  return library;
}

template <typename Function>
bool resolveSymbol(void* library, const char* name, Function& out, std::string& error) {
  void* symbol = ::dlsym(library, name);
  if (symbol == nullptr) {
    const char* text = ::dlerror();
    error = text != nullptr ? text : std::string(name) + ": not found";
    return false;
  }
  out = reinterpret_cast<Function>(symbol);
  return true;
}

}  // namespace dynostatsd
