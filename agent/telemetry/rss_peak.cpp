#include "telemetry/rss_peak.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "telemetry/self_metrics.h"

namespace dynostatsd {
namespace {

// "VmHWM:     12345 kB" from /proc/self/status, in bytes; 0 when missing.
double highWaterMark() {
  int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[4096];
  ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return 0;
  text[n] = '\0';
  const char* at = std::strstr(text, "VmHWM:");
  if (at == nullptr) return 0;
  at += 6;
  while (*at == ' ' || *at == '\t') ++at;
  std::uint64_t kilobytes = 0;
  std::from_chars(at, text + n, kilobytes);  // no strtoull: see self_metrics.cpp residentBytes()
  return static_cast<double>(kilobytes) * 1024;
}

bool resetHighWaterMark() {
  int fd = ::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, "5", 1) == 1;
  ::close(fd);
  return ok;
}

}  // namespace

double currentResidentBytes() {
  return residentBytes();
}

void RssPeak::note() {
  sampled_ = std::max(sampled_, residentBytes());
}

double RssPeak::take() {
  note();
  double peak = sampled_;
  if (resettable_) {
    peak = std::max(peak, highWaterMark());
    resettable_ = resetHighWaterMark();
  }
  sampled_ = 0;
  return peak;
}

}  // namespace dynostatsd
