#include "drain/http_request_parser.h"

#include <algorithm>

namespace dynostatsd::drain {
namespace {

constexpr std::size_t kMaxChunkLine = 1024;
constexpr std::size_t kKeptBodyCapacity = 256 * 1024;

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// RFC 9110 tchar.
bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
  }
}

bool isToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), isTokenChar);
}

// field-value: VCHAR, obs-text, SP, HTAB.
bool isFieldValue(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7F);
  });
}

std::string_view trimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A comma-separated header list contains `item` (case-insensitive), e.g. Connection: keep-alive, close.
bool listContains(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    if (equalsIgnoreCase(trimOws(list.substr(0, comma)), item)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void HttpRequestParser::reserveBody() {
  if (contentLength_ > 0) body_.reserve(static_cast<std::size_t>(contentLength_));
}

void HttpRequestParser::reset() {
  state_ = State::Head;
  headComplete_ = false;
  headReported_ = false;
  errorStatus_ = 0;
  errorReason_ = {};
  head_.clear();
  method_ = target_ = {};
  headers_.clear();
  keepAlive_ = true;
  expectContinue_ = false;
  contentLength_ = -1;
  // An idle keep-alive connection keeps at most kKeptBodyCapacity of its last body's buffer.
  if (body_.capacity() > kKeptBodyCapacity) {
    std::string().swap(body_);
  } else {
    body_.clear();
  }
  chunkState_ = ChunkState::Size;
  line_.clear();
  chunkLeft_ = 0;
  trailerBytes_ = 0;
}

bool HttpRequestParser::fail(int status, std::string_view reason) {
  state_ = State::Error;
  errorStatus_ = status;
  errorReason_ = reason;
  return false;
}

const std::string_view* HttpRequestParser::header(std::string_view name) const {
  for (const auto& [key, value] : headers_) {
    if (equalsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

std::size_t HttpRequestParser::feed(std::string_view data) {
  std::size_t used = 0;
  while (used < data.size()) {
    switch (state_) {
      case State::Head:
        used += feedHead(data.substr(used));
        if (headComplete_ && !headReported_) {
          headReported_ = true;
          return used;
        }
        break;
      case State::Body: {
        const std::size_t want = static_cast<std::size_t>(contentLength_) - body_.size();
        const std::size_t take = std::min(want, data.size() - used);
        body_.append(data.substr(used, take));
        used += take;
        if (body_.size() == static_cast<std::size_t>(contentLength_)) state_ = State::Complete;
        break;
      }
      case State::Chunked: used += feedChunked(data.substr(used)); break;
      case State::Complete:
      case State::Error: return used;
    }
  }
  return used;
}

std::size_t HttpRequestParser::feedHead(std::string_view data) {
  std::size_t skipped = 0;
  // A client may send CRLF between keep-alive requests (RFC 9112 §2.2): ignore it.
  if (head_.empty()) {
    while (skipped < data.size() && (data[skipped] == '\r' || data[skipped] == '\n')) ++skipped;
    data.remove_prefix(skipped);
  }
  const std::size_t old = head_.size();
  const std::size_t room = limits_.maxHeadBytes + 4 > old ? limits_.maxHeadBytes + 4 - old : 0;
  head_.append(data.substr(0, std::min(data.size(), room)));
  const std::size_t from = old >= 3 ? old - 3 : 0;
  const std::size_t end = head_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    if (head_.size() > limits_.maxHeadBytes) fail(431, "head_too_large");
    return skipped + (head_.size() - old);
  }
  head_.resize(end + 4);
  const std::size_t consumed = skipped + (head_.size() - old);
  if (head_.size() > limits_.maxHeadBytes + 4) {
    fail(431, "head_too_large");
    return consumed;
  }
  if (parseHead()) headComplete_ = true;
  return consumed;
}

// POST /logs/shop HTTP/1.1\r\n
// Host: drain.herokuapp.com\r\n
// Content-Length: 730\r\n
// \r\n
bool HttpRequestParser::parseHead() {
  std::string_view rest(head_);
  rest.remove_suffix(2);  // the empty line's CRLF; every line below ends with CRLF
  std::size_t lineEnd = rest.find("\r\n");
  std::string_view requestLine = rest.substr(0, lineEnd);
  rest.remove_prefix(lineEnd + 2);
  if (requestLine.find_first_of("\r\n") != std::string_view::npos) return fail(400, "bare_cr_or_lf");

  const std::size_t sp1 = requestLine.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : requestLine.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(400, "bad_request_line");
  method_ = requestLine.substr(0, sp1);
  target_ = requestLine.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = requestLine.substr(sp2 + 1);
  if (!isToken(method_) || method_.size() > 16) return fail(400, "bad_method");
  if (target_.empty() || target_[0] != '/' ||
      !std::all_of(target_.begin(), target_.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return fail(400, "bad_target");
  }
  if (version == "HTTP/1.0") {
    keepAlive_ = false;
  } else if (version != "HTTP/1.1") {
    return fail(version.starts_with("HTTP/") ? 505 : 400, "bad_version");
  }

  bool chunked = false;
  bool transferEncoding = false;
  while (!rest.empty()) {
    lineEnd = rest.find("\r\n");
    std::string_view line = rest.substr(0, lineEnd);
    rest.remove_prefix(lineEnd + 2);
    if (line.find_first_of("\r\n") != std::string_view::npos) return fail(400, "bare_cr_or_lf");
    if (line.empty()) return fail(400, "bad_header");
    if (line.front() == ' ' || line.front() == '\t') return fail(400, "obs_fold");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(400, "bad_header");
    std::string_view name = line.substr(0, colon);
    std::string_view value = trimOws(line.substr(colon + 1));
    if (!isToken(name)) return fail(400, "bad_header_name");
    if (!isFieldValue(value)) return fail(400, "bad_header_value");
    if (headers_.size() >= limits_.maxHeaders) return fail(431, "too_many_headers");
    headers_.emplace_back(name, value);

    if (equalsIgnoreCase(name, "content-length")) {
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return fail(400, "bad_content_length");
      }
      std::int64_t length = 0;
      for (char c : value) length = length * 10 + (c - '0');
      if (contentLength_ >= 0 && contentLength_ != length) return fail(400, "conflicting_content_length");
      contentLength_ = length;
    } else if (equalsIgnoreCase(name, "transfer-encoding")) {
      if (transferEncoding || !equalsIgnoreCase(value, "chunked"))
        return fail(501, "unsupported_transfer_encoding");
      transferEncoding = chunked = true;
    } else if (equalsIgnoreCase(name, "connection")) {
      if (listContains(value, "close")) keepAlive_ = false;
      if (listContains(value, "keep-alive")) keepAlive_ = true;
    } else if (equalsIgnoreCase(name, "expect")) {
      if (!equalsIgnoreCase(value, "100-continue")) return fail(417, "bad_expect");
      expectContinue_ = true;
    }
  }
  if (chunked && contentLength_ >= 0) return fail(400, "content_length_and_chunked");
  if (contentLength_ > static_cast<std::int64_t>(limits_.maxBodyBytes)) return fail(413, "body_too_large");
  if (chunked) {
    state_ = State::Chunked;
  } else if (contentLength_ > 0) {
    state_ = State::Body;
  } else {
    state_ = State::Complete;
  }
  return true;
}

// 1a;name=value\r\n <26 bytes> \r\n ... 0\r\n <trailer fields> \r\n
std::size_t HttpRequestParser::feedChunked(std::string_view data) {
  std::size_t used = 0;
  // Reads up to and including LF into line_; true once a whole CRLF-terminated line is there
  // (without its CRLF).
  auto readLine = [&](std::size_t limit, int status, std::string_view reason) -> int {
    std::size_t lf = data.find('\n', used);
    std::size_t take = (lf == std::string_view::npos ? data.size() : lf + 1) - used;
    if (line_.size() + take > limit) {
      fail(status, reason);
      return -1;
    }
    line_.append(data.substr(used, take));
    used += take;
    if (lf == std::string_view::npos) return 0;
    if (line_.size() < 2 || line_[line_.size() - 2] != '\r') {
      fail(400, "bare_lf");
      return -1;
    }
    line_.resize(line_.size() - 2);
    if (line_.find_first_of("\r\n") != std::string::npos) {
      fail(400, "bare_cr_or_lf");
      return -1;
    }
    return 1;
  };

  while (used < data.size() && state_ == State::Chunked) {
    switch (chunkState_) {
      case ChunkState::Size: {
        int got = readLine(kMaxChunkLine, 400, "chunk_line_too_long");
        if (got <= 0) return used;
        std::size_t digits = 0;
        std::size_t size = 0;
        for (char c : line_) {
          int v = (c >= '0' && c <= '9')   ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                           : -1;
          if (v < 0) break;
          if (++digits > 8) {
            fail(400, "bad_chunk_size");
            return used;
          }
          size = size * 16 + static_cast<std::size_t>(v);
        }
        std::string_view ext = std::string_view(line_).substr(digits);
        if (digits == 0 ||
            (!ext.empty() && ext.front() != ';' && ext.front() != ' ' && ext.front() != '\t') ||
            !isFieldValue(ext)) {
          fail(400, "bad_chunk_size");
          return used;
        }
        line_.clear();
        if (size == 0) {
          chunkState_ = ChunkState::Trailers;
          break;
        }
        if (body_.size() + size > limits_.maxBodyBytes) {
          fail(413, "body_too_large");
          return used;
        }
        chunkLeft_ = size;
        chunkState_ = ChunkState::Data;
        break;
      }
      case ChunkState::Data: {
        const std::size_t take = std::min(chunkLeft_, data.size() - used);
        body_.append(data.substr(used, take));
        used += take;
        chunkLeft_ -= take;
        if (chunkLeft_ == 0) chunkState_ = ChunkState::DataEnd;
        break;
      }
      case ChunkState::DataEnd: {
        int got = readLine(2, 400, "bad_chunk_end");
        if (got <= 0) return used;
        if (!line_.empty()) {
          fail(400, "bad_chunk_end");
          return used;
        }
        chunkState_ = ChunkState::Size;
        break;
      }
      case ChunkState::Trailers: {
        const std::size_t budget = limits_.maxHeadBytes > head_.size() + trailerBytes_
                                       ? limits_.maxHeadBytes - head_.size() - trailerBytes_
                                       : 0;
        int got = readLine(budget, 431, "head_too_large");
        if (got <= 0) return used;
        if (line_.empty()) {
          state_ = State::Complete;
          return used;
        }
        // Trailer fields are read and discarded: nothing here depends on them.
        if (line_.find(':') == std::string::npos ||
            !isToken(std::string_view(line_).substr(0, line_.find(':')))) {
          fail(400, "bad_trailer");
          return used;
        }
        trailerBytes_ += line_.size() + 2;
        line_.clear();
        break;
      }
    }
  }
  return used;
}

}  // namespace dynostatsd::drain
