#include "telemetry/secrets.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "telemetry/log.h"

namespace dynostatsd::secrets {
namespace {

// Longest first, so a secret that contains another is masked whole. Guarded by a mutex: written
// at start (and by other components' config), read by every log line; lines are rare.
struct Registry {
  std::mutex mutex;
  std::vector<std::string> values;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

void add(std::string_view secret) {
  if (secret.size() < kMinLength) return;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (std::find(r.values.begin(), r.values.end(), secret) != r.values.end()) return;
  r.values.emplace_back(secret);
  std::stable_sort(r.values.begin(), r.values.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string mask(std::string_view text) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::string out(text);
  for (const auto& secret : r.values) {
    std::size_t at = out.find(secret);
    if (at == std::string::npos) continue;
    const std::string shown = log::maskSecret(secret);
    while (at != std::string::npos) {
      out.replace(at, secret.size(), shown);
      at = out.find(secret, at + shown.size());
    }
  }
  return out;
}

void addUrlCredentials(std::string_view url) {
  const std::size_t scheme = url.find("://");
  const std::size_t hostStart = scheme == std::string_view::npos ? 0 : scheme + 3;
  const std::size_t hostEnd = std::min(url.find_first_of("/?#", hostStart), url.size());
  const std::size_t at = url.rfind('@', hostEnd);
  if (at == std::string_view::npos || at < hostStart) return;
  const std::string_view userinfo = url.substr(hostStart, at - hostStart);
  const std::size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) {
    add(userinfo);  // a token used as the user name
    return;
  }
  add(userinfo.substr(colon + 1));
}

void clearForTest() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.values.clear();
}

}  // namespace dynostatsd::secrets
