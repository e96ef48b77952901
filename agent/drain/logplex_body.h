#pragma once
// Logplex body: splits an `application/logplex-1` request body into frames and parses each
// frame's syslog header (heroku.md §5.1, heroku-wave2.md §5.1).
// Input: the body (untrusted bytes): repeated `<decimal length> SP <RFC 5424 message of exactly
// that many bytes>`; the message is `<PRI>1 SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP
// MSGID SP MSG` with no STRUCTURED-DATA (Logplex omits it, MSGID is `-`).
// Output: onFrame(const SyslogMessage&) per well-formed frame, onError(FrameError) per malformed
// one; parsing goes on after a bad frame (by its count when the count is sound, otherwise from the
// next line), so one broken frame never loses the rest of the batch. No I/O, no allocation.
// Ownership: every view points into the body.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dynostatsd::drain {

enum class FrameError : std::uint8_t {
  None = 0,
  BadLength,     // the frame does not start with `<1-7 digits> SP`
  Truncated,     // the count runs past the end of the body
  BadPri,        // no `<0..191>` at the start of the message
  BadVersion,    // the version after PRI is not `1`
  MissingField,  // fewer than the six header fields before MSG
  Count
};

std::string_view frameErrorName(FrameError error);  // "bad_length", "truncated", ...

struct SyslogMessage {
  int facility = 0;
  int severity = 0;
  std::string_view timestamp;  // verbatim, e.g. 2026-07-22T00:06:26.123456+00:00
  std::string_view hostname;   // literally `host` from Logplex
  std::string_view appName;    // `heroku` (platform) or `app` (the app's own output)
  std::string_view procid;     // `router`, `web.1`, `logplex`, `heroku-postgres`, ...
  std::string_view msgid;      // `-` from Logplex
  std::string_view message;    // one trailing LF (and CR) removed
};

// The largest frame length accepted (7 digits): Logplex frames are single log lines (≤ 10 kB).
constexpr std::size_t kMaxFrameBytes = 9999999;

// Parses one message (the bytes a frame counted).
FrameError parseSyslog(std::string_view message, SyslogMessage& out);

// Splits a body into frames: calls onFrame(std::string_view message) for each frame with a sound
// count, onError(FrameError) for each frame without one. Returns the number of frames seen.
template <class OnFrame, class OnError>
std::size_t forEachFrame(std::string_view body, OnFrame&& onFrame, OnError&& onError) {
  std::size_t frames = 0;
  while (!body.empty()) {
    // Tolerate the line breaks some senders put between frames.
    if (body.front() == '\n' || body.front() == '\r') {
      body.remove_prefix(1);
      continue;
    }
    ++frames;
    // "70 <174>1 2012-07-22T00:06:26+00:00 host erlang console - Hi\n"
    //  ^^^ the count: 1-7 digits, then exactly one space
    std::size_t length = 0;
    std::size_t digits = 0;
    while (digits < body.size() && digits < 8 && body[digits] >= '0' && body[digits] <= '9') {
      length = length * 10 + static_cast<std::size_t>(body[digits] - '0');
      ++digits;
    }
    if (digits == 0 || digits > 7 || digits >= body.size() || body[digits] != ' ' || length == 0) {
      onError(FrameError::BadLength);
      // Resynchronise at the next line: Logplex messages end with LF.
      std::size_t lf = body.find('\n');
      body = lf == std::string_view::npos ? std::string_view{} : body.substr(lf + 1);
      continue;
    }
    body.remove_prefix(digits + 1);
    if (length > body.size()) {
      onError(FrameError::Truncated);
      break;
    }
    onFrame(body.substr(0, length));
    body.remove_prefix(length);
  }
  return frames;
}

}  // namespace dynostatsd::drain
