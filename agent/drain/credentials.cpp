#include "drain/credentials.h"

namespace dynostatsd::drain {
namespace {

constexpr std::size_t kMaxAuthorization = 1024;

bool validPair(std::string_view value) {
  std::size_t colon = value.find(':');
  return colon != std::string_view::npos && colon > 0 && colon + 1 < value.size();
}

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string DrainCredentials::envSuffix(std::string_view app) {
  std::string out(app);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == '-') c = '_';
  }
  return out;
}

bool DrainCredentials::load(std::string_view global, const std::vector<std::string_view>& environment,
                            DrainCredentials& out, std::string& error) {
  out = DrainCredentials{};
  if (!global.empty()) {
    if (!validPair(global)) {
      error = "var=" + std::string(kCredentialsEnv) +
              " error=\"not user:pass with a non-empty user and password\"";
      return false;
    }
    out.global_ = global;
  }
  const std::string prefix = std::string(kCredentialsEnv) + "_";
  for (std::string_view entry : environment) {
    if (!entry.starts_with(prefix)) continue;
    std::size_t equals = entry.find('=');
    if (equals == std::string_view::npos) continue;
    std::string_view name = entry.substr(0, equals);
    std::string_view suffix = name.substr(prefix.size());
    std::string_view value = entry.substr(equals + 1);
    if (suffix.empty()) continue;
    if (!validPair(value)) {
      error = "var=" + std::string(name) + " error=\"not user:pass with a non-empty user and password\"";
      return false;
    }
    out.perApp_[std::string(suffix)] = std::string(value);
  }
  if (out.global_.empty() && out.perApp_.empty()) {
    error = "error=\"drain mode needs credentials: set " + std::string(kCredentialsEnv) + "=user:pass or " +
            std::string(kCredentialsEnv) +
            "_<APP>=user:pass (an open endpoint would let anyone write metrics)\"";
    return false;
  }
  return true;
}

bool DrainCredentials::decodeBase64(std::string_view text, std::string& out) {
  out.clear();
  if (text.empty() || text.size() % 4 != 0) return false;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return false;  // data after padding
      v[k] = base64Value(c);
      if (v[k] < 0) return false;
    }
    const unsigned bits = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                          (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    out.push_back(static_cast<char>((bits >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((bits >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(bits & 0xFF));
  }
  return true;
}

bool DrainCredentials::constantTimeEquals(std::string_view a, std::string_view b) {
  std::size_t diff = a.size() ^ b.size();
  for (std::size_t i = 0; i < b.size(); ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff |= static_cast<std::size_t>(x ^ static_cast<unsigned char>(b[i]));
  }
  return diff == 0;
}

bool DrainCredentials::authorize(std::string_view app, const std::string_view* authorization) const {
  if (authorization == nullptr || authorization->size() > kMaxAuthorization) return false;
  std::string_view value = *authorization;
  if (value.size() < 6) return false;
  std::string_view scheme = value.substr(0, 6);
  if (!(scheme == "Basic " || scheme == "basic " || scheme == "BASIC ")) return false;
  value.remove_prefix(6);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  std::string presented;
  if (!decodeBase64(value, presented)) return false;
  // Both comparisons always run, so the time does not tell which credential matched.
  bool ok = false;
  if (!global_.empty()) ok |= constantTimeEquals(presented, global_);
  auto it = perApp_.find(envSuffix(app));
  if (it != perApp_.end()) ok |= constantTimeEquals(presented, it->second);
  return ok;
}

}  // namespace dynostatsd::drain
