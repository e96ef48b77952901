#pragma once
// StatsdRelay: forwards every accepted StatsD line, unchanged, to UDP upstreams sharded by CRC32 of
// the name (RelayBatcher), alongside local aggregation. Not a sink: it sees raw lines at ingest.
// Input: MessageTee::onAccepted from the Ingestor. Output: datagrams of whole lines, sent at most
// 20 ms after the first line of a batch was queued, with non-blocking send(2) on one connected UDP
// socket per upstream. A send that would block or fails drops that datagram (counted, logged at a
// throttled rate); ingest never waits. Memory: one maxDatagram buffer per upstream.
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "ingest/ingestor.h"
#include "loop/timer.h"
#include "model/self_metric.h"
#include "relay/relay_batcher.h"
#include "telemetry/log.h"

namespace dynostatsd {

struct RelayUpstreamStats {
  std::string address;  // as configured, e.g. "10.0.0.5:8125"
  std::uint64_t datagrams = 0, bytes = 0;
  std::uint64_t errors = 0, linesDropped = 0;
};

class StatsdRelay final : public MessageTee {
 public:
  static constexpr std::uint64_t kMaxDelayMillis = 20;

  // Resolves every upstream (a literal or a name; localhost and [v6] literals work) and opens its
  // socket. nullptr with `error` set ("cannot resolve host ...") when one fails.
  static std::unique_ptr<StatsdRelay> open(uv_loop_t* loop, const RelayConfig& config,
                                           const std::string& dyno, std::string& error);
  ~StatsdRelay() override;
  StatsdRelay(const StatsdRelay&) = delete;
  StatsdRelay& operator=(const StatsdRelay&) = delete;

  void onAccepted(std::string_view message, MessageKind kind) override;
  // Sends what is queued now (at shutdown, after the listeners were drained).
  void flush();
  // Flushes, then closes the sockets and the timer. Idempotent.
  void close();

  std::string describe() const;  // the upstreams, comma separated (the prefix may be a secret: never shown)
  const std::vector<RelayUpstreamStats>& upstreamStats() const { return upstreams_; }
  const RelayBatcherStats& batcherStats() const { return batcher_.stats(); }
  void collectSelfMetrics(std::vector<SelfMetric>& out) const;

 private:
  StatsdRelay(uv_loop_t* loop, const RelayConfig& config, std::string dynoTags, std::vector<int> sockets);
  void send(std::size_t upstream, std::string_view datagram);

  RelayConfig config_;
  std::vector<int> sockets_;
  std::vector<RelayUpstreamStats> upstreams_;
  RelayBatcher batcher_;
  std::unique_ptr<Timer> timer_;
  log::Throttle errorLog_{10000};
};

}  // namespace dynostatsd
