#pragma once
// DrainCredentials: who may POST to /logs/<app> (HTTP Basic, RFC 7617).
// Input: DYNOSTATSD_DRAIN_CREDENTIALS (`user:pass`, valid for every app) and any number of
// DYNOSTATSD_DRAIN_CREDENTIALS_<APP> (`user:pass` for one app; <APP> is the app name upper-cased
// with `-` -> `_`). Output: authorize() — true when the Authorization header carries the app's
// own credentials or the global ones. Comparisons take time independent of where the bytes
// differ. Nothing here ever writes a credential anywhere (errors name the variable only).
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dynostatsd::drain {

constexpr std::string_view kCredentialsEnv = "DYNOSTATSD_DRAIN_CREDENTIALS";

class DrainCredentials {
 public:
  // `global`: the value of DYNOSTATSD_DRAIN_CREDENTIALS (empty when unset); `environment`:
  // `NAME=value` entries (environ). False with `error` set when a value is not `user:pass` with
  // both parts non-empty, or when no credentials are configured at all.
  static bool load(std::string_view global, const std::vector<std::string_view>& environment,
                   DrainCredentials& out, std::string& error);

  bool authorize(std::string_view app, const std::string_view* authorization) const;
  std::size_t perAppCount() const { return perApp_.size(); }
  bool hasGlobal() const { return !global_.empty(); }

  // `my-app` -> MY_APP, the suffix of its variable.
  static std::string envSuffix(std::string_view app);
  // Strict RFC 4648 base64 (padding required); false on any other byte.
  static bool decodeBase64(std::string_view text, std::string& out);
  // True when a == b, in time that depends only on b's length.
  static bool constantTimeEquals(std::string_view a, std::string_view b);

 private:
  std::string global_;
  std::map<std::string, std::string, std::less<>> perApp_;  // env suffix -> user:pass
};

}  // namespace dynostatsd::drain
