#pragma once
// HttpResponseParser: one HTTP/1.1 response read from a connection's bytes, in bounded memory.
// Input: the bytes as they arrive (feed), then maybe the end of the stream. Output: an
// HttpResponse (status, the first kMaxResponseHeaders headers, the first kMaxResponseBody body
// bytes; the rest is read and dropped) and whether the connection can carry another request.
//
// States: Head (status line and headers, at most kMaxResponseHeadBytes in all, interim 1xx
// answers skipped) -> one of
//   Body        Content-Length bytes                       -> Done
//   Chunk*      Transfer-Encoding: chunked, then trailers  -> Done
//   UntilClose  neither: the body ends when the peer closes -> Done at endOfStream()
// Anything malformed or over a bound -> Failed, with error() saying what (never response bytes).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "forward/http_client.h"

namespace dynostatsd::forward {

inline constexpr std::size_t kMaxResponseHeadBytes = 16 * 1024;  // status line + headers (+ trailers)
inline constexpr std::size_t kMaxChunkLine = 1024;               // "1f4;ext=..." chunk-size lines

class HttpResponseParser {
 public:
  enum class State : std::uint8_t {
    Head,
    Body,
    ChunkSize,
    ChunkData,
    ChunkEnd,
    Trailers,
    UntilClose,
    Done,
    Failed
  };

  // Consumes bytes and returns how many it used: all of them, unless the response ended (Done)
  // or broke (Failed) inside `bytes`.
  std::size_t feed(std::string_view bytes);
  // The peer closed the connection: ends a read-until-close body, else fails.
  void endOfStream();

  State state() const { return state_; }
  bool done() const { return state_ == State::Done; }
  bool failed() const { return state_ == State::Failed; }
  bool started() const { return started_; }  // any byte arrived
  // Done, and the connection may carry the next request (keep-alive, framed body).
  bool reusable() const { return done() && keepAlive_ && !untilClose_; }
  const std::string& error() const { return error_; }
  HttpResponse& response() { return response_; }

 private:
  bool takeLine(std::string_view bytes, std::size_t& at, std::size_t limit);
  void onHeadLine(std::string_view line);
  void onStatusLine(std::string_view line);
  void onHeader(std::string_view line);
  void onHeadEnd();
  void onChunkSize(std::string_view line);
  void keep(std::string_view body);
  void fail(std::string error);

  State state_ = State::Head;
  HttpResponse response_;
  std::string line_;  // the line being read (bounded by the state's limit)
  std::size_t headBytes_ = 0;
  std::uint64_t remaining_ = 0;  // bytes left in the body or the chunk
  bool started_ = false;
  bool statusSeen_ = false;
  bool keepAlive_ = true;
  bool untilClose_ = false;
  bool chunked_ = false;
  bool hasLength_ = false;
  std::uint64_t contentLength_ = 0;
  std::string error_;
};

}  // namespace dynostatsd::forward
