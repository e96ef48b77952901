#include "forward/http_response_parser.h"

#include <algorithm>

namespace dynostatsd::forward {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool containsToken(std::string_view value, std::string_view token) {
  std::string lowered(value);
  for (char& c : lowered) c = lower(c);
  return lowered.find(token) != std::string::npos;
}

}  // namespace

void HttpResponseParser::fail(std::string error) {
  state_ = State::Failed;
  error_ = std::move(error);
}

// Appends bytes[at..] up to and including the next '\n' to line_; true when the line is whole
// (line_ then holds it without "\r\n"). Fails when the line, its '\n' included, passes `limit`.
bool HttpResponseParser::takeLine(std::string_view bytes, std::size_t& at, std::size_t limit) {
  const std::size_t newline = bytes.find('\n', at);
  const std::size_t end = newline == std::string_view::npos ? bytes.size() : newline;
  if (line_.size() + (end - at) + (newline == std::string_view::npos ? 0 : 1) > limit) {
    fail(state_ == State::ChunkSize || state_ == State::ChunkEnd
             ? "bad response: chunk-size line over " + std::to_string(limit) + " bytes"
             : "bad response: header block over " + std::to_string(kMaxResponseHeadBytes) + " bytes");
    return false;
  }
  line_.append(bytes.substr(at, end - at));
  at = newline == std::string_view::npos ? bytes.size() : newline + 1;
  if (newline == std::string_view::npos) return false;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

std::size_t HttpResponseParser::feed(std::string_view bytes) {
  if (!bytes.empty()) started_ = true;
  std::size_t at = 0;
  while (at < bytes.size() && state_ != State::Done && state_ != State::Failed) {
    switch (state_) {
      case State::Head:
      case State::Trailers: {
        // The budget left for this line: what the lines before it did not use.
        const std::size_t before = at;
        const std::size_t used = headBytes_ - line_.size();
        const bool whole = takeLine(bytes, at, kMaxResponseHeadBytes - std::min(used, kMaxResponseHeadBytes));
        headBytes_ += at - before;
        if (!whole) break;
        std::string line = std::move(line_);
        line_.clear();
        if (state_ == State::Head) {
          onHeadLine(line);
        } else if (line.empty()) {
          state_ = State::Done;  // trailers are read and dropped
        }
        break;
      }
      case State::ChunkSize:
      case State::ChunkEnd: {
        if (!takeLine(bytes, at, kMaxChunkLine)) break;
        std::string line = std::move(line_);
        line_.clear();
        if (state_ == State::ChunkSize) {
          onChunkSize(line);
        } else if (!line.empty()) {
          fail("bad response: no CRLF after a chunk");
        } else {
          state_ = State::ChunkSize;
        }
        break;
      }
      case State::Body:
      case State::ChunkData: {
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size() - at));
        keep(bytes.substr(at, take));
        at += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = state_ == State::Body ? State::Done : State::ChunkEnd;
        break;
      }
      case State::UntilClose:
        keep(bytes.substr(at));
        at = bytes.size();
        break;
      case State::Done:
      case State::Failed: break;
    }
  }
  return at;
}

void HttpResponseParser::endOfStream() {
  if (state_ == State::UntilClose) {
    state_ = State::Done;
  } else if (state_ != State::Done && state_ != State::Failed) {
    fail(started_ ? "connection closed by the server in the middle of the response"
                  : "connection closed by the server before any response");
  }
}

void HttpResponseParser::keep(std::string_view body) {
  std::string& kept = response_.body;
  kept.append(body.substr(0, kMaxResponseBody - std::min(kMaxResponseBody, kept.size())));
}

void HttpResponseParser::onHeadLine(std::string_view line) {
  if (!statusSeen_) return onStatusLine(line);
  if (line.empty()) return onHeadEnd();
  onHeader(line);
}

//   HTTP/1.1 202 Accepted
//   ^^^^^^^^ ^^^ the reason phrase is ignored
void HttpResponseParser::onStatusLine(std::string_view line) {
  const bool shaped =
      line.size() >= 12 && line.starts_with("HTTP/1.") && line[8] == ' ' &&
      std::all_of(line.begin() + 9, line.begin() + 12, [](char c) { return c >= '0' && c <= '9'; }) &&
      (line.size() == 12 || line[12] == ' ');
  if (!shaped) return fail("bad response: not an HTTP/1.x status line");
  statusSeen_ = true;
  response_.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  response_.headers.clear();
  keepAlive_ = line[7] != '0';  // HTTP/1.0 closes unless it says keep-alive
  chunked_ = hasLength_ = untilClose_ = false;
}

void HttpResponseParser::onHeader(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') return;  // an obsolete folded line: dropped
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return fail("bad response: a header line without a name");
  std::string name(line.substr(0, colon));
  for (char& c : name) c = lower(c);
  const std::string_view value = trim(line.substr(colon + 1));
  if (name == "content-length") {
    std::uint64_t length = 0;
    const bool digits = !value.empty() && value.size() <= 18 &&
                        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    for (char c : value) length = length * 10 + static_cast<std::uint64_t>(c - '0');
    if (!digits || (hasLength_ && length != contentLength_))
      return fail("bad response: invalid Content-Length");
    hasLength_ = true;
    contentLength_ = length;
  } else if (name == "transfer-encoding") {
    chunked_ = containsToken(value, "chunked");
    untilClose_ = !chunked_;  // another coding alone: the body runs to the end of the stream
  } else if (name == "connection") {
    if (containsToken(value, "close")) keepAlive_ = false;
    if (containsToken(value, "keep-alive")) keepAlive_ = true;
  }
  if (response_.headers.size() < kMaxResponseHeaders) {
    response_.headers.emplace_back(std::move(name), std::string(value.substr(0, kMaxResponseHeaderValue)));
  }
}

void HttpResponseParser::onHeadEnd() {
  const long status = response_.status;
  if (status >= 100 && status < 200 && status != 101) {
    statusSeen_ = false;  // an interim answer (100 Continue, 103 Early Hints): the real one follows
    return;
  }
  if (status == 101) {
    keepAlive_ = false;  // never asked for: the connection is no longer HTTP
    state_ = State::Done;
  } else if (status == 204 || status == 304) {
    state_ = State::Done;
  } else if (chunked_) {
    state_ = State::ChunkSize;
  } else if (hasLength_ && !untilClose_) {
    remaining_ = contentLength_;
    state_ = remaining_ == 0 ? State::Done : State::Body;
  } else {
    untilClose_ = true;
    state_ = State::UntilClose;
  }
}

//   1f4;name=value
//   ^^^ hex size; extensions ignored; 0 = the last chunk, trailers follow
void HttpResponseParser::onChunkSize(std::string_view line) {
  line = trim(line.substr(0, line.find(';')));
  std::uint64_t size = 0;
  if (line.empty() || line.size() > 15) return fail("bad response: invalid chunk size");
  for (char c : line) {
    const char l = lower(c);
    int digit = l >= '0' && l <= '9' ? l - '0' : l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
    if (digit < 0) return fail("bad response: invalid chunk size");
    size = size * 16 + static_cast<std::uint64_t>(digit);
  }
  if (size == 0) {
    state_ = State::Trailers;
    return;
  }
  remaining_ = size;
  state_ = State::ChunkData;
}

}  // namespace dynostatsd::forward
