#pragma once
// resolveSymbol: dlsym() into a typed function pointer, for the libraries the agent opens on
// demand (libcurl in curl_driver.cpp, libssl in tls_api.cpp). False, with `error` set, when the
// symbol is missing.
#include <dlfcn.h>

#include <string>

namespace dynostatsd {

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
