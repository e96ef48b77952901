#pragma once
// Secrets: the one registry of configured secret values (the API key, the password of DD_DD_URL,
// OTLP header values, drain credentials...) and the one masking function applied to everything
// the agent prints: every log line (log::write), every stdout line (check-config, the l2met
// report) and every error message built from outside input (intake replies). Whoever loads a
// secret calls secrets::add(value) before anything can print it.
#include <string>
#include <string_view>

namespace dynostatsd::secrets {

// Registers a secret. Values shorter than kMinLength are ignored (masking "a" would mangle every
// line); duplicates are ignored.
inline constexpr std::size_t kMinLength = 4;
void add(std::string_view secret);
// Replaces every occurrence of every registered secret in `text` with log::maskSecret(secret)
// ("***" + at most the last 4 characters). Fast path: returns `text` unchanged when none occurs.
std::string mask(std::string_view text);
// The password (and the user name, when there is a password) of a URL's userinfo, registered as
// secrets: https://user:pass@host/ -> "pass".
void addUrlCredentials(std::string_view url);
void clearForTest();

}  // namespace dynostatsd::secrets
