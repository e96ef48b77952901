#pragma once
// Agent: the one place that wires the stages together and owns the process lifecycle.
// Input: a validated Config. Output: flushes every interval to every configured Sink (built by
// sink/registry: Datadog, l2met, ...), until SIGTERM/SIGINT. The Agent talks to sinks only through
// the Sink interface. Data flow: Sources -> IntervalAggregator -> Sinks.
//
// Lifecycle (a state machine driven by signals and timers):
//   Running   sockets bound, `msg=ready` logged, a flush shortly after every bucket boundary.
//   Grace     first SIGTERM/SIGINT/SIGHUP: keep receiving and flushing for shutdownGraceSeconds so the
//             app's last metrics (sent while it drains) are not lost. Further signals are logged
//             and ignored.
//   Draining  read what is still queued in the sockets, close them, flush everything including
//             the open bucket, then let every sink drain its queue (each bounded by its deadline).
//   Stopped   every handle closed; run() returns 0 once uv_loop_close() succeeded.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aggregate/interval_aggregator.h"
#include "app/aggregator_consumer.h"
#include "config/config_loader.h"
#include "enrich/enricher.h"
#include "ingest/ingestor.h"
#include "ingest/source.h"
#include "loop/datagram_listener.h"
#include "loop/event_loop.h"
#include "loop/signal_watcher.h"
#include "loop/timer.h"
#include "model/clock.h"
#include "model/memory_budget.h"
#include "sink/sink.h"
#include "telemetry/rss_peak.h"
#include "telemetry/self_metrics.h"

namespace dynostatsd {

class StatsdRelay;
namespace dyno {
class DynoMetrics;
}

class Agent {
 public:
  // `startedAtNanos`: uv_hrtime() at process start, for the startup_ms figure in the ready line.
  // `sources`: run beside the DogStatsD listeners (which open only when configured), e.g. drain
  // mode's Logplex endpoint; each is built once the aggregator exists.
  Agent(const LoadedConfig& loaded, std::uint64_t startedAtNanos,
        const std::vector<SourceFactory>& sources = {});
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Binds the sockets, runs until shutdown completes. Returns the process exit code: 0 after a
  // clean shutdown, 1 when a socket could not be opened.
  int run();

 private:
  enum class Phase : std::uint8_t { Running, Grace, Draining, Stopped };

  bool openListeners();
  bool openRelay();
  bool openSources(std::string& readyFields);
  void scheduleFlush();
  void onFlushTimer();
  void onSignal(int signum);
  void onIgnoredSignal(int signum);
  void onOutputTimer();
  void onGraceOver();
  void flush(bool flushAll);
  void collectSelfMetrics(std::vector<SelfMetric>& out) const;
  void finish();
  void onSinkDrained();

  Config config_;
  std::vector<std::string> warnings_;
  bool logMetricsForced_;
  std::uint64_t startedAtNanos_;
  SystemClock clock_;
  MemoryBudget budget_;  // before every stage that charges it
  RssPeak rssPeak_;
  double intervalPeakRss_ = 0;
  std::size_t intervalPeakBudget_ = 0;
  EventLoop loop_;  // before every handle owner: destroyed after them
  Enricher enricher_;
  IntervalAggregator aggregator_;
  AggregatorConsumer consumer_;
  Ingestor ingestor_;
  SelfMetricsReporter selfMetrics_;
  std::string source_;  // the dyno, else the host, else "dynostatsd" (l2met's source=)
  std::vector<std::unique_ptr<Sink>> sinks_;
  std::size_t sinksDraining_ = 0;
  std::unique_ptr<StatsdRelay> relay_;       // the ingest tee (DYNOSTATSD_STATSD_RELAY)
  std::unique_ptr<dyno::DynoMetrics> dyno_;  // heroku.dyno.* each flush; null when turned off
  std::vector<std::unique_ptr<Source>> sources_;
  std::unique_ptr<DatagramListener> udp_;
  std::unique_ptr<DatagramListener> unix_;
  std::unique_ptr<Timer> flushTimer_;
  std::unique_ptr<Timer> graceTimer_;
  std::unique_ptr<Timer> outputTimer_;  // drains stdout/stderr buffers held back by a slow reader
  std::vector<std::unique_ptr<SignalWatcher>> signals_;
  Phase phase_ = Phase::Running;
  std::uint64_t flushes_ = 0;
  std::int64_t lastFlushedBucket_ = -1;  // now / interval at the last regular flush
  double lastFlushMillis_ = 0;
};

}  // namespace dynostatsd
