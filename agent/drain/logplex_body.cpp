#include "drain/logplex_body.h"

namespace dynostatsd::drain {
namespace {

// The next space-delimited field of `rest` (which then starts after the space); false when there
// is no space left or the field is empty.
bool takeField(std::string_view& rest, std::string_view& field) {
  std::size_t space = rest.find(' ');
  if (space == std::string_view::npos || space == 0) return false;
  field = rest.substr(0, space);
  rest.remove_prefix(space + 1);
  return true;
}

}  // namespace

std::string_view frameErrorName(FrameError error) {
  switch (error) {
    case FrameError::None: return "none";
    case FrameError::BadLength: return "bad_length";
    case FrameError::Truncated: return "truncated";
    case FrameError::BadPri: return "bad_pri";
    case FrameError::BadVersion: return "bad_version";
    case FrameError::MissingField: return "missing_field";
    case FrameError::Count: break;
  }
  return "unknown";
}

FrameError parseSyslog(std::string_view message, SyslogMessage& out) {
  out = SyslogMessage{};
  // "<158>1 2026-07-22T00:06:26.123456+00:00 host heroku router - at=info method=GET ..."
  //  ^^^^^ PRI: 1-3 digits, 0..191 (facility * 8 + severity)
  if (message.size() < 3 || message[0] != '<') return FrameError::BadPri;
  int pri = 0;
  std::size_t i = 1;
  while (i < message.size() && i <= 4 && message[i] >= '0' && message[i] <= '9') {
    pri = pri * 10 + (message[i] - '0');
    ++i;
  }
  if (i == 1 || i > 4 || i >= message.size() || message[i] != '>' || pri > 191) return FrameError::BadPri;
  out.facility = pri / 8;
  out.severity = pri % 8;
  message.remove_prefix(i + 1);
  //        ^^ VERSION: `1` then SP
  if (message.size() < 2 || message[0] != '1' || message[1] != ' ') return FrameError::BadVersion;
  message.remove_prefix(2);
  //           TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, each followed by one SP
  if (!takeField(message, out.timestamp) || !takeField(message, out.hostname) ||
      !takeField(message, out.appName) || !takeField(message, out.procid)) {
    return FrameError::MissingField;
  }
  // MSGID may be the last field of a message with an empty MSG.
  if (!takeField(message, out.msgid)) {
    if (message.empty()) return FrameError::MissingField;
    std::size_t end = message.find_first_of("\r\n");
    out.msgid = message.substr(0, end);
    message = {};
  }
  if (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  if (!message.empty() && message.back() == '\r') message.remove_suffix(1);
  out.message = message;
  return FrameError::None;
}

}  // namespace dynostatsd::drain
