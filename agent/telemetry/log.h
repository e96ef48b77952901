#pragma once
// Logging: logfmt lines on stderr, e.g. `at=warn stage=forward reason=http_429 retry_in=4s`.
// Every stage logs through here; nothing else writes to stderr. Every line passes secrets::mask()
// (any registered secret becomes "***" + its last 4 characters) and goes to the non-blocking
// stderr OutputChannel (a stuck reader drops lines, counted, instead of blocking the loop).
#include <cstdint>
#include <string>
#include <string_view>

namespace dynostatsd::log {

enum class Level : std::uint8_t { Debug, Info, Warn, Error };

void setLevel(Level level);
bool enabled(Level level);
// Parses "debug|info|warn|warning|error" (case-insensitive); false when unknown.
bool parseLevel(std::string_view text, Level& out);

// Writes `at=<level> stage=<stage> <fields>\n` to stderr (whole, or dropped and counted).
void write(Level level, std::string_view stage, std::string_view fields);

// A logfmt value: bare when it is safe, otherwise double-quoted with `"` and `\` escaped and
// control characters and bytes that are not well-formed UTF-8 shown as \n, \t or \xHH.
std::string quote(std::string_view value);

// "***" plus the last 4 characters when the secret is longer than 12, else "***".
std::string maskSecret(std::string_view secret);

// Throttles a hot-path log line: allow() is true at most once per `intervalMillis`; suppressed()
// returns (and resets) how many calls were refused since the last allowed one.
class Throttle {
 public:
  explicit Throttle(std::int64_t intervalMillis = 10000) : intervalMillis_(intervalMillis) {}
  bool allow(std::int64_t nowMillis);
  std::uint64_t takeSuppressed();

 private:
  std::int64_t intervalMillis_;
  std::int64_t lastMillis_ = INT64_MIN;
  std::uint64_t suppressed_ = 0;
};

}  // namespace dynostatsd::log
