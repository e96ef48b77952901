#pragma once
// HttpRequestParser: a small, strict HTTP/1.1 request parser for the drain endpoint (RFC 9112).
// Input: the bytes of one connection, in any pieces (untrusted). Output: the request head (method,
// target, headers) as soon as it is complete, then the body (Content-Length or chunked), then
// Complete; or an Error with the status to answer (400, 413, 431, 501, 505) and a reason.
// Strict on purpose: CRLF line ends only, no obs-fold, token header names, one Content-Length (or
// several equal ones), never both Content-Length and Transfer-Encoding (request smuggling), only
// `chunked` as a transfer coding. Memory: the head is bounded by maxHeadBytes, the body by
// maxBodyBytes; both are owned here and kept until reset().
// Why not a library: no maintained HTTP parser (llhttp, picohttpparser, http-parser) is a package
// on every Heroku build image (heroku.md §1.6), and bin/compile takes only what the image has.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dynostatsd::drain {

struct HttpLimits {
  std::size_t maxHeadBytes = 16 * 1024;    // request line + headers (+ chunked trailers)
  std::size_t maxHeaders = 64;             // header fields
  std::size_t maxBodyBytes = 1024 * 1024;  // decoded body
};

class HttpRequestParser {
 public:
  enum class State : std::uint8_t { Head, Body, Chunked, Complete, Error };

  explicit HttpRequestParser(HttpLimits limits = {}) : limits_(limits) {}

  // Consumes bytes of `data` and returns how many: all of them unless the request completed (or
  // failed) inside `data`; the rest belongs to the next request (pipelining). headComplete()
  // turns true once, before any body byte is consumed, and feed() returns right then so the caller
  // can refuse the request before its body is read.
  std::size_t feed(std::string_view data);
  // Allocates the declared Content-Length at once (call after admitting the request: the parser
  // itself never allocates more than the bytes it was given).
  void reserveBody();
  // Back to Head for the next request on the same connection (keeps buffer capacity).
  void reset();

  State state() const { return state_; }
  bool headComplete() const { return headComplete_; }
  // Set when the state is Error.
  int errorStatus() const { return errorStatus_; }
  std::string_view errorReason() const { return errorReason_; }

  std::string_view method() const { return method_; }
  std::string_view target() const { return target_; }
  bool keepAlive() const { return keepAlive_; }
  bool expectContinue() const { return expectContinue_; }
  // Declared Content-Length; -1 when chunked or absent (absent = empty body).
  std::int64_t contentLength() const { return contentLength_; }
  // The value of the first header of that name (case-insensitive), or nullptr.
  const std::string_view* header(std::string_view name) const;
  const std::string& body() const { return body_; }
  std::size_t headBytes() const { return head_.size(); }

 private:
  std::size_t feedHead(std::string_view data);
  bool parseHead();
  std::size_t feedChunked(std::string_view data);
  bool fail(int status, std::string_view reason);

  enum class ChunkState : std::uint8_t { Size, Data, DataEnd, Trailers };

  HttpLimits limits_;
  State state_ = State::Head;
  bool headComplete_ = false;
  bool headReported_ = false;
  int errorStatus_ = 0;
  std::string_view errorReason_;
  std::string head_;  // the raw head; the views below point into it
  std::string_view method_;
  std::string_view target_;
  std::vector<std::pair<std::string_view, std::string_view>> headers_;
  bool keepAlive_ = true;
  bool expectContinue_ = false;
  std::int64_t contentLength_ = -1;
  std::string body_;
  ChunkState chunkState_ = ChunkState::Size;
  std::string line_;  // the chunk-size line or trailer line being read
  std::size_t chunkLeft_ = 0;
  std::size_t trailerBytes_ = 0;
};

}  // namespace dynostatsd::drain
