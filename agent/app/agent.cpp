#include "app/agent.h"

#include <malloc.h>
#include <signal.h>

#include <cmath>
#include <cstdio>

#include "app/flush_schedule.h"
#include "dyno/dyno_metrics.h"
#include "model/printf_double.h"
#include "relay/statsd_relay.h"
#include "sink/registry.h"
#include "telemetry/output_channel.h"

namespace dynostatsd {
namespace {

std::string signalName(int signum) {
  switch (signum) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    case SIGALRM: return "SIGALRM";
    default: return std::to_string(signum);
  }
}

// Series per flush slice (~0.4 MB of FlushBatch, one payload each). Measured with bench/harness.py
// scenario 5: peak RSS with 100k contexts 116.8 MB unsliced, 69.5 MB with 10k slices, 62.5 MB with
// 2.5k slices (10k contexts: 27.9 -> 21.1 MB); 1k slices: 10k contexts 19.2 -> 17.1 MB, 100k
// 43.3 -> 40.1 MB, the same flush time (~31 ms for 100k), 2.5x the requests (100 per 100k series).
constexpr std::size_t kFlushSliceItems = 1000;
// How often stdout/stderr buffers held back by a slow reader are retried: often while something
// waits, rarely when idle.
constexpr std::uint64_t kOutputBusyMillis = 10;
constexpr std::uint64_t kOutputIdleMillis = 250;
// Flushes at least this big are followed by malloc_trim(0) (~1 ms).
constexpr std::size_t kTrimAfterItems = 5000;

std::string millisText(double millis) {
  return printfFixed(millis, 1);
}

}  // namespace

Agent::Agent(const LoadedConfig& loaded, std::uint64_t startedAtNanos,
             const std::vector<SourceFactory>& sources)
    : config_(loaded.config),
      warnings_(loaded.warnings),
      logMetricsForced_(loaded.logMetricsForced),
      startedAtNanos_(startedAtNanos),
      budget_(config_.memoryBudgetBytes),
      enricher_(config_.enrich),
      aggregator_(config_.aggregate, clock_, enricher_.staticTags(), &budget_),
      consumer_(aggregator_),
      ingestor_(enricher_, consumer_, clock_, IngestLimits{}, &budget_),
      selfMetrics_(enricher_.staticTags(), enricher_.defaultHost(), config_.aggregate.flushIntervalSeconds),
      source_(!config_.enrich.dyno.empty()       ? config_.enrich.dyno
              : !enricher_.defaultHost().empty() ? enricher_.defaultHost()
                                                 : std::string("dynostatsd")) {
  SinkContext context{
      loop_.get(),       clock_,  config_, enricher_.staticTags(), enricher_.defaultHost(), source_,
      logMetricsForced_, &budget_};
  sinks_ = makeSinks(context);
  // Build only the flush shapes some sink reads.
  SinkNeeds needs;
  for (const auto& sink : sinks_) {
    needs.datadogShapes = needs.datadogShapes || sink->needs().datadogShapes;
    needs.distributions = needs.distributions || sink->needs().distributions;
  }
  aggregator_.setNeeds(needs.datadogShapes, needs.distributions);
  if (config_.dynoMetrics.enabled) {
    dyno_ = std::make_unique<dyno::DynoMetrics>(
        config_.dynoMetrics, dyno::locateCgroup("/"), enricher_.staticTags(), enricher_.defaultHost(),
        config_.enrich.dyno, config_.aggregate.flushIntervalSeconds, uv_hrtime());
  }
  const SourceContext sourceContext{loop_.get(), consumer_, enricher_, clock_, config_};
  for (const auto& make : sources) sources_.push_back(make(sourceContext));
}

Agent::~Agent() = default;

bool Agent::openListeners() {
  ListenerOptions options;
  options.bufferSize = config_.ingest.bufferSize;
  options.soRcvbuf = config_.ingest.soRcvbuf;
  options.socketMode = config_.ingest.socketMode;
  std::string error;
  if (config_.ingest.udpPort != 0) {
    const std::string host = config_.ingest.nonLocalTraffic ? "0.0.0.0" : config_.ingest.bindHost;
    udp_ = DatagramListener::openUdp(loop_.get(), host, config_.ingest.udpPort, options, ingestor_, error);
    if (!udp_) {
      log::write(log::Level::Error, "app", "msg=\"cannot open the UDP listener\" error=" + log::quote(error));
      return false;
    }
  }
  if (!config_.ingest.socketPath.empty()) {
    unix_ = DatagramListener::openUnix(loop_.get(), config_.ingest.socketPath, options, ingestor_, error);
    if (!unix_) {
      log::write(log::Level::Error, "app",
                 "msg=\"cannot open the Unix socket listener\" error=" + log::quote(error));
      if (udp_) udp_->close();
      return false;
    }
  }
  return true;
}

bool Agent::openRelay() {
  if (config_.relay.upstreams.empty()) return true;
  std::string error;
  relay_ = StatsdRelay::open(loop_.get(), config_.relay, config_.enrich.dyno, error);
  if (!relay_) {
    log::write(log::Level::Error, "config",
               "setting=statsd_relay var=DYNOSTATSD_STATSD_RELAY error=" + log::quote(error));
    return false;
  }
  ingestor_.setTee(relay_.get());
  return true;
}

bool Agent::openSources(std::string& readyFields) {
  for (auto& source : sources_) {
    std::string error;
    if (!source->open(readyFields, error)) {
      log::write(log::Level::Error, "app", "msg=\"cannot open a source\" error=" + log::quote(error));
      for (auto& opened : sources_) opened->close();
      if (udp_) udp_->close();
      if (unix_) unix_->close();
      return false;
    }
  }
  return true;
}

int Agent::run() {
  ::signal(SIGPIPE, SIG_IGN);          // a closed stdout must surface as EPIPE, not kill the agent
  standardOutput().makeNonBlocking();  // a stuck reader drops lines instead of stalling the loop
  standardError().makeNonBlocking();
  for (const auto& warning : warnings_) log::write(log::Level::Warn, "config", warning);
  if (!loop_.ok()) return 1;  // uv_loop_init failed (logged): nothing can run
  std::string sourceFields;
  if (!openRelay() || !openListeners() || !openSources(sourceFields)) {
    if (relay_) relay_->close();
    loop_.close();
    return 1;
  }
  for (int signum : {SIGTERM, SIGINT, SIGHUP}) {
    signals_.push_back(std::make_unique<SignalWatcher>(loop_.get(), signum, [this](int s) { onSignal(s); }));
  }
  for (int signum : {SIGUSR1, SIGUSR2, SIGALRM}) {
    signals_.push_back(
        std::make_unique<SignalWatcher>(loop_.get(), signum, [this](int s) { onIgnoredSignal(s); }));
  }
  outputTimer_ = std::make_unique<Timer>(loop_.get(), [this] { onOutputTimer(); });
  outputTimer_->start(kOutputIdleMillis);
  flushTimer_ = std::make_unique<Timer>(loop_.get(), [this] { onFlushTimer(); });
  graceTimer_ = std::make_unique<Timer>(loop_.get(), [this] { onGraceOver(); });
  for (auto& sink : sinks_) sink->start();
  scheduleFlush();

  const double startupMillis = static_cast<double>(uv_hrtime() - startedAtNanos_) / 1e6;
  std::string output;
  std::string targets;
  for (const auto& sink : sinks_) {
    output += (output.empty() ? "" : "+") + std::string(sink->name());
    targets += " " + std::string(sink->name()) + "=" + log::quote(sink->describe());
  }
  if (output.empty()) output = "none";
  output += targets;
  std::string ready = "msg=ready udp=" + (udp_ ? udp_->address() : std::string("off"));
  if (unix_) ready += " socket=" + log::quote(config_.ingest.socketPath);
  ready += sourceFields;
  ready += " flush_interval=" + std::to_string(config_.aggregate.flushIntervalSeconds) + "s output=" + output;
  if (logMetricsForced_) ready += " api_key=none";
  if (relay_) ready += " statsd_relay=" + log::quote(relay_->describe());
  if (udp_) ready += " rcvbuf=" + std::to_string(udp_->effectiveRcvbuf());
  ready += " buffer_size=" + std::to_string(config_.ingest.bufferSize) +
           " version=" DYNOSTATSD_VERSION " startup_ms=" + millisText(startupMillis);
  log::write(log::Level::Info, "app", ready);

  loop_.run();
  int rc = loop_.close();
  if (rc != 0) {
    log::write(log::Level::Error, "app",
               "msg=\"event loop not empty at exit\" error=" + log::quote(uv_strerror(rc)));
  }
  log::write(log::Level::Info, "app", "msg=stopped flushes=" + std::to_string(flushes_));
  // A reader that is merely slow still gets the last lines; a stuck one costs at most this wait.
  standardOutput().drainFor(500);
  standardError().drainFor(500);
  return 0;
}

void Agent::scheduleFlush() {
  // libuv measures timeouts from the time cached at the start of this loop iteration; refresh it so
  // a long flush does not make the next one fire early.
  uv_update_time(loop_.get());
  flushTimer_->start(static_cast<std::uint64_t>(
      millisUntilNextFlush(clock_.nowMillis(), config_.aggregate.flushIntervalSeconds)));
}

void Agent::onFlushTimer() {
  // At most one regular flush per bucket: a timer that fired early (a clock step) only re-arms, so
  // self-metrics are never stamped twice with the same bucket.
  const std::int64_t interval = config_.aggregate.flushIntervalSeconds;
  const std::int64_t bucket = clock_.nowSeconds() / interval;
  if (bucket != lastFlushedBucket_) {
    lastFlushedBucket_ = bucket;
    flush(false);
  }
  scheduleFlush();
}

void Agent::onSignal(int signum) {
  if (phase_ != Phase::Running) {
    log::write(log::Level::Info, "app", "msg=\"already shutting down\" signal=" + signalName(signum));
    return;
  }
  phase_ = Phase::Grace;
  for (auto& source : sources_) source->onShutdown();
  log::write(log::Level::Info, "app",
             "msg=\"shutting down\" signal=" + signalName(signum) +
                 " grace=" + millisText(config_.shutdownGraceSeconds * 1000) + "ms");
  graceTimer_->start(static_cast<std::uint64_t>(std::llround(config_.shutdownGraceSeconds * 1000)));
}

void Agent::onIgnoredSignal(int signum) {
  log::write(log::Level::Info, "app", "msg=\"signal ignored\" signal=" + signalName(signum));
}

void Agent::onOutputTimer() {
  standardOutput().drain();
  standardError().drain();
  const bool pending = standardOutput().buffered() > 0 || standardError().buffered() > 0;
  outputTimer_->start(pending ? kOutputBusyMillis : kOutputIdleMillis);
}

void Agent::onGraceOver() {
  phase_ = Phase::Draining;
  for (auto* listener : {udp_.get(), unix_.get()}) {
    if (listener == nullptr) continue;
    listener->drain();
    listener->close();
  }
  for (auto& source : sources_) source->close();
  if (relay_) relay_->close();  // sends the last lines the listeners just drained
  flushTimer_->close();
  graceTimer_->close();
  outputTimer_->close();
  flush(true);
  // Every sink drains at once, each on its own queue and deadline; the last one done finishes.
  sinksDraining_ = sinks_.size();
  if (sinksDraining_ == 0) {
    finish();
    return;
  }
  for (auto& sink : sinks_) sink->drain([this] { onSinkDrained(); });
}

void Agent::onSinkDrained() {
  if (sinksDraining_ > 0 && --sinksDraining_ == 0) finish();
}

void Agent::finish() {
  if (phase_ == Phase::Stopped) return;
  phase_ = Phase::Stopped;
  for (auto& watcher : signals_) watcher->close();
  for (auto& sink : sinks_) sink->close();
}

void Agent::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  ingestor_.collectSelfMetrics(out);
  for (const auto& source : sources_) source->collectSelfMetrics(out);
  const AggregatorStats& a = aggregator_.stats();
  out.push_back({"contexts.live", {}, static_cast<double>(aggregator_.liveContexts()), false});
  out.push_back({"dropped", {"reason:context_limit"}, static_cast<double>(a.contextLimitDrops), true});
  out.push_back({"dropped", {"reason:set_member_limit"}, static_cast<double>(a.setMemberLimitDrops), true});
  out.push_back({"dropped", {"reason:non_finite_value"}, static_cast<double>(a.nonFiniteValues), true});
  out.push_back({"dropped", {"reason:non_finite_result"}, static_cast<double>(a.nonFiniteResults), true});
  out.push_back({"dropped",
                 {"reason:timestamp_unsupported_type"},
                 static_cast<double>(a.timestampedUnsupported),
                 true});
  out.push_back({"dropped", {"reason:timestamp_too_old"}, static_cast<double>(a.timestampedTooOld), true});
  out.push_back({"dropped", {"reason:timestamp_too_new"}, static_cast<double>(a.timestampedTooNew), true});
  out.push_back(
      {"dropped", {"reason:timestamp_queue_full"}, static_cast<double>(a.timestampedQueueDrops), true});
  out.push_back({"dropped", {"reason:key_collision"}, static_cast<double>(a.keyCollisions), true});
  out.push_back({"samples.invalid_rate", {}, static_cast<double>(a.invalidSampleRate), true});
  out.push_back({"contexts.expired", {}, static_cast<double>(a.contextsExpired), true});
  out.push_back({"histogram.buckets_degraded", {}, static_cast<double>(a.histogramBucketsDegraded), true});
  for (const auto& [listener, transport] : {std::pair{udp_.get(), "udp"}, std::pair{unix_.get(), "unix"}}) {
    if (listener == nullptr) continue;
    out.push_back({"listener.errors",
                   {std::string("transport:") + transport},
                   static_cast<double>(listener->stats().errors),
                   true});
  }
  out.push_back({"flush.duration_ms", {}, lastFlushMillis_, false});
  // The interval's peak (not the post-flush low), and the budget's view of the same interval.
  out.push_back({"memory.rss_bytes", {}, intervalPeakRss_, false});
  out.push_back({"memory.budget_bytes", {}, static_cast<double>(budget_.limit()), false});
  out.push_back({"memory.budget_used_bytes", {}, static_cast<double>(intervalPeakBudget_), false});
  out.push_back({"dropped", {"reason:memory_budget"}, static_cast<double>(budget_.drops()), true});
  std::uint64_t kernelDrops = 0;
  for (const auto* listener : {udp_.get(), unix_.get()}) {
    if (listener != nullptr) kernelDrops += listener->stats().kernelDrops;
  }
  out.push_back({"datagrams.dropped_by_kernel", {}, static_cast<double>(kernelDrops), true});
  out.push_back(
      {"log.dropped_lines", {"fd:stdout"}, static_cast<double>(standardOutput().droppedLines()), true});
  out.push_back(
      {"log.dropped_lines", {"fd:stderr"}, static_cast<double>(standardError().droppedLines()), true});
  for (const auto& sink : sinks_) {
    const std::size_t first = out.size();
    sink->collectSelfMetrics(out);
    const std::string tag = "sink:" + std::string(sink->name());
    for (std::size_t i = first; i < out.size(); ++i) out[i].tags.insert(out[i].tags.begin(), tag);
  }
  if (relay_) relay_->collectSelfMetrics(out);
  if (dyno_) dyno_->collectSelfMetrics(out);
}

void Agent::flush(bool flushAll) {
  const std::uint64_t started = uv_hrtime();
  rssPeak_.note();  // before the flush frees the interval's data
  intervalPeakBudget_ = budget_.takePeak();
  // In slices of at most kFlushSliceItems series, each handed on (serialized, compressed) and
  // freed before the next is built, so a flush of 100k contexts never holds them all at once.
  std::size_t series = 0, sketches = 0, events = 0, checks = 0;
  FlushBatch batch;
  auto emit = [&] {
    for (auto& sink : sinks_) sink->submit(batch);
    series += batch.series.size();
    sketches += batch.sketches.size();
    events += batch.events.size();
    checks += batch.checks.size();
    batch = FlushBatch{};
  };
  while (!aggregator_.flushSome(batch, flushAll, kFlushSliceItems)) emit();
  ingestor_.takeQueued(batch);
  const std::int64_t interval = config_.aggregate.flushIntervalSeconds;
  const std::int64_t now = clock_.nowSeconds();
  // Stamp self-metrics and dyno metrics with the bucket just closed (the open one at shutdown).
  const std::int64_t timestamp = now - now % interval - (flushAll ? 0 : interval);
  if (dyno_) dyno_->collect(timestamp, now, uv_hrtime(), batch);
  if (config_.selfMetrics) {
    std::vector<SelfMetric> figures;
    intervalPeakRss_ = rssPeak_.take();
    collectSelfMetrics(figures);
    selfMetrics_.report(figures, timestamp, batch.series);
  }
  emit();
  const std::int64_t flushTimestamp = clock_.nowSeconds();
  for (auto& sink : sinks_) sink->endFlush(flushTimestamp);
  // A large flush frees many small blocks (tags, series) scattered through the heap; hand the
  // free pages back rather than keep them resident until the next flush.
  if (series + sketches >= kTrimAfterItems) ::malloc_trim(0);
  ++flushes_;
  lastFlushMillis_ = static_cast<double>(uv_hrtime() - started) / 1e6;
  if (log::enabled(log::Level::Debug)) {
    log::write(log::Level::Debug, "app",
               "msg=flushed series=" + std::to_string(series) + " sketches=" + std::to_string(sketches) +
                   " events=" + std::to_string(events) + " checks=" + std::to_string(checks) + " final=" +
                   (flushAll ? "true" : "false") + " duration_ms=" + millisText(lastFlushMillis_));
  }
}

}  // namespace dynostatsd
