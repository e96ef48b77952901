#include "telemetry/log.h"

#include <unistd.h>

#include <atomic>
#include <cctype>

#include "model/utf8.h"
#include "telemetry/output_channel.h"
#include "telemetry/secrets.h"

namespace dynostatsd::log {
namespace {

std::atomic<Level> gLevel{Level::Info};

std::string_view levelName(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "info";
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

void setLevel(Level level) {
  gLevel.store(level, std::memory_order_relaxed);
}

bool enabled(Level level) {
  return level >= gLevel.load(std::memory_order_relaxed);
}

bool parseLevel(std::string_view text, Level& out) {
  struct Name {
    std::string_view text;
    Level level;
  };
  static constexpr Name kNames[] = {
      {"debug", Level::Debug},  {"trace", Level::Debug}, {"info", Level::Info},     {"warn", Level::Warn},
      {"warning", Level::Warn}, {"error", Level::Error}, {"critical", Level::Error}};
  for (const auto& name : kNames) {
    if (equalsIgnoreCase(text, name.text)) {
      out = name.level;
      return true;
    }
  }
  return false;
}

void write(Level level, std::string_view stage, std::string_view fields) {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(24 + stage.size() + fields.size());
  line.append("at=").append(levelName(level)).append(" stage=").append(stage);
  if (!fields.empty()) line.append(" ").append(fields);
  line.push_back('\n');
  // Never blocks: a stuck reader costs dropped (and counted) lines, not a stalled loop.
  standardError().write(secrets::mask(line));
}

std::string quote(std::string_view value) {
  bool bare = !value.empty();
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || c == '"' || c == '=' || c == '\\' || u >= 0x7f) {
      bare = false;
      break;
    }
  }
  if (bare) return std::string(value);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      // Well-formed UTF-8 passes as is; any other byte is shown as \xHH (never raw).
      if (std::size_t length = utf8SequenceLength(value, i); length > 0) {
        out.append(value.substr(i, length));
        i += length - 1;
      } else {
        out.append("\\x").push_back(kHex[u >> 4]);
        out.push_back(kHex[u & 15]);
      }
    } else if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (u < ' ' || u == 0x7f) {
      out.append("\\x").push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string maskSecret(std::string_view secret) {
  if (secret.size() <= 12) return "***";
  return "***" + std::string(secret.substr(secret.size() - 4));
}

bool Throttle::allow(std::int64_t nowMillis) {
  if (lastMillis_ != INT64_MIN && nowMillis - lastMillis_ < intervalMillis_) {
    ++suppressed_;
    return false;
  }
  lastMillis_ = nowMillis;
  return true;
}

std::uint64_t Throttle::takeSuppressed() {
  std::uint64_t n = suppressed_;
  suppressed_ = 0;
  return n;
}

}  // namespace dynostatsd::log
