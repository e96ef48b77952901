#pragma once
// RelayBatcher: the pure core of the StatsD relay (a tee of raw accepted lines, not a sink).
// Input: accepted messages, verbatim (MessageTee::onAccepted). Output: per upstream, datagrams of
// whole lines separated by `\n`, at most maxDatagram bytes, handed to `send` when the next line
// would not fit or on flush(). Ownership: the datagram passed to `send` is valid only during the call.
//
// Shard (logplex-statsd's rule, reference/outputs.md §3.1): upstream = crc32(name) % upstreams,
// where name is the bytes before the first `:` of the line as received (before the prefix) and
// crc32 is the IEEE CRC-32 (zlib's crc32()). Events and service checks go to upstream 0, unchanged.
// Rewrites, metric lines only: `prefix.` in front; with dyno tags, `,dyno:web.1,dynotype:web`
// appended to the line's `|#` section, or `|#dyno:web.1,dynotype:web` added when it has none.
// A line longer than maxDatagram on its own is sent alone (never split, never dropped here).
// Memory: one buffer of maxDatagram bytes per upstream.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "parse/parser.h"

namespace dynostatsd {

// The IEEE CRC-32 of `bytes`, as zlib's crc32() (crc32("123456789") == 0xCBF43926).
std::uint32_t crc32Of(std::string_view bytes);
// The upstream index of a metric line: crc32 of the bytes before the first `:` mod `upstreams`.
std::size_t shardOf(std::string_view line, std::size_t upstreams);

struct RelayBatcherOptions {
  std::size_t upstreams = 1;
  std::size_t maxDatagram = 1432;
  std::string prefix;    // without the trailing dot; empty = none
  std::string dynoTags;  // "dyno:web.1,dynotype:web"; empty = none
};

struct RelayBatcherStats {
  std::uint64_t lines = 0;          // lines queued
  std::uint64_t oversizeLines = 0;  // lines longer than maxDatagram, sent alone
};

class RelayBatcher {
 public:
  using Send = std::function<void(std::size_t upstream, std::string_view datagram)>;

  RelayBatcher(RelayBatcherOptions options, Send send);

  // Queues one line. Returns true when the batcher was empty before (the caller starts its
  // 20 ms send timer then).
  bool add(std::string_view message, MessageKind kind);
  // Sends every non-empty datagram.
  void flush();
  bool empty() const { return queuedBytes_ == 0; }
  const RelayBatcherStats& stats() const { return stats_; }

 private:
  void append(std::size_t upstream, std::string_view line);
  void sendBuffer(std::size_t upstream);
  std::string_view rewrite(std::string_view message);

  RelayBatcherOptions options_;
  Send send_;
  std::vector<std::string> buffers_;  // one per upstream
  std::string line_;                  // scratch for a rewritten line
  std::size_t queuedBytes_ = 0;
  RelayBatcherStats stats_;
};

}  // namespace dynostatsd
