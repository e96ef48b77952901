#pragma once
// GraphiteSink: the carbon plaintext output (DYNOSTATSD_GRAPHITE_URL, or HOSTEDGRAPHITE_APIKEY
// alone for the Hosted Graphite add-on). Encodes each flush with GraphiteEncoder and writes it over
// one long-lived TCP or TLS connection (loop/stream_client.h).
// Input: FlushBatch slices (submit) and endFlush. Output: `path value timestamp\n` lines.
// Queue: unsent lines wait in chunks of ~64 KiB, bounded by DYNOSTATSD_GRAPHITE_BUFFER bytes
// (default 8 MiB) including what is in flight to the kernel; beyond it the oldest chunks are
// dropped and their lines counted. At most 256 KiB are handed to the socket at a time, so the
// rest stays droppable. TCP gives no receipt, and carbon stops storing before it closes its
// connections at a restart, so the chunks written in the last kResendMillis before a connection
// broke are sent again after the reconnect (whisper keeps one value per timestamp: a repeat is
// harmless). Not for Hosted Graphite, which adds repeated points up: there they may be lost.
// Everything still queued is sent after the reconnect.
// Connection: reconnects after a failure with forward::Backoff (base 0.5 s, max 30 s, jittered);
// never blocks the loop (resolution runs in libuv's thread pool). Shutdown: drain() sends the
// queue, then the TLS close_notify and a FIN, within the shutdown deadline.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "config/config.h"
#include "config/config_values.h"
#include "forward/backoff.h"
#include "loop/stream_client.h"
#include "loop/timer.h"
#include "sink/graphite/graphite_encoder.h"
#include "sink/registry.h"
#include "sink/sink.h"
#include "telemetry/log.h"

namespace dynostatsd::graphite {

inline constexpr const char* kHostedGraphiteHost = "carbon.hostedgraphite.com";
inline constexpr int kHostedGraphiteTlsPort = 20030;

// Whether the config turns the sink on: a URL, or the Hosted Graphite key alone.
bool enabled(const Config& config);
// The registry's two entry points (sink/registry.cpp): where it sends (nullopt = off), and the sink.
std::optional<std::string> describeConfig(const Config& config);
std::unique_ptr<Sink> makeSink(const SinkContext& context);

struct SinkStats {
  std::uint64_t bytesWritten = 0;       // handed to the socket
  std::uint64_t linesDropped = 0;       // buffer full: oldest dropped
  std::uint64_t bytesLostInFlight = 0;  // written to a connection that then broke (no resend)
  std::uint64_t linesResent = 0;        // written in the kResendMillis before a break, sent again
  std::uint64_t connects = 0;
  std::uint64_t connectionErrors = 0;
  std::uint64_t linesUnsentAtExit = 0;  // still queued when the shutdown deadline passed
};

class GraphiteSink final : public Sink {
 public:
  static constexpr std::size_t kChunkBytes = 64 * 1024;
  static constexpr std::size_t kMaxInFlightBytes = 256 * 1024;
  static constexpr std::uint64_t kConnectTimeoutMillis = 10000;
  static constexpr std::uint64_t kCloseMillis = 2000;   // close_notify + FIN at shutdown, at most
  static constexpr std::uint64_t kResendMillis = 3000;  // written this recently: resent after a break

  GraphiteSink(uv_loop_t* loop, const Config& config);
  ~GraphiteSink() override;

  std::string_view name() const override { return "graphite"; }
  SinkNeeds needs() const override { return {false, true}; }
  std::string describe() const override;  // "tls://carbon.hostedgraphite.com:20030"
  void start() override;
  void submit(const FlushBatch& slice) override;
  void endFlush(std::int64_t flushTimestamp) override;
  void drain(std::function<void()> done) override;
  void close() override;
  void collectSelfMetrics(std::vector<SelfMetric>& out) const override;

  const SinkStats& stats() const { return stats_; }
  const EncoderStats& encoderStats() const { return encoder_.stats(); }
  // Sealed chunks + the open chunk + bytes in flight to the kernel: what the bound covers.
  std::size_t queuedBytes() const;

 private:
  void connect();
  void onOpen();
  void onClosed(const std::string& reason);
  void pump();
  void trimRetained(bool forBound);
  void sealChunk();
  void finishDrain();
  void completeDrain();

  uv_loop_t* loop_;
  config::GraphiteEndpoint endpoint_;
  GraphiteEncoder encoder_;
  std::size_t bufferBytes_;
  int shutdownDeadlineSeconds_;
  std::mt19937_64 random_;
  forward::Backoff backoff_;
  std::unique_ptr<StreamClient> client_;
  std::unique_ptr<Timer> reconnectTimer_;
  std::unique_ptr<Timer> deadlineTimer_;
  std::string open_;                // the chunk being filled by submit()
  std::deque<std::string> chunks_;  // sealed, oldest first
  std::size_t chunkBytes_ = 0;      // bytes in chunks_
  bool resend_;                     // off for Hosted Graphite, which adds repeated points up
  std::deque<std::pair<std::int64_t, std::string>> retained_;  // written chunks, by uv_now() ms
  std::size_t retainedBytes_ = 0;
  bool connected_ = false;
  bool draining_ = false;
  bool closed_ = false;
  std::function<void()> drainDone_;
  SinkStats stats_;
  log::Throttle errorLog_{30000};
};

}  // namespace dynostatsd::graphite
