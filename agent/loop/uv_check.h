#pragma once
// uvOk(rc, call): the one place a libuv return code is checked. A failure is logged once per call
// site kind (at=error stage=loop call=<call> error=<uv_strerror>) and reported as false, so the
// caller takes its documented fallback instead of running with a handle libuv did not set up.
#include <uv.h>

#include <string>
#include <string_view>

#include "telemetry/log.h"

namespace dynostatsd {

inline bool uvOk(int rc, std::string_view call) {
  if (rc == 0) return true;
  log::write(log::Level::Error, "loop",
             "msg=\"libuv call failed\" call=" + std::string(call) + " error=" + log::quote(uv_strerror(rc)));
  return false;
}

}  // namespace dynostatsd
