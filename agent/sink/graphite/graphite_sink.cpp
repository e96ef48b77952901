#include "sink/graphite/graphite_sink.h"

#include <algorithm>

namespace dynostatsd::graphite {
namespace {

config::GraphiteEndpoint endpointOf(const GraphiteConfig& config) {
  config::GraphiteEndpoint endpoint;
  std::string error;
  if (!config.url.empty() && config::parseGraphiteUrl(config.url, endpoint, error)) return endpoint;
  endpoint.tls = true;
  endpoint.host = kHostedGraphiteHost;
  endpoint.port = kHostedGraphiteTlsPort;
  return endpoint;
}

EncoderOptions encoderOptions(const Config& config) {
  EncoderOptions options;
  options.apiKeyPrefix = config.graphite.hostedGraphiteApiKey;
  options.prefix = config.graphite.prefix;
  options.tags = config.graphite.tags;
  options.dyno = config.enrich.dyno;
  options.percentiles = config.graphite.percentiles;
  options.intervalSeconds = config.aggregate.flushIntervalSeconds;
  return options;
}

std::uint64_t linesIn(const std::string& chunk) {
  return static_cast<std::uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
}

std::string endpointText(const config::GraphiteEndpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  return std::string(endpoint.tls ? "tls://" : "tcp://") + (v6 ? "[" + endpoint.host + "]" : endpoint.host) +
         ":" + std::to_string(endpoint.port);
}

std::int64_t nowMillis() {
  return static_cast<std::int64_t>(uv_hrtime() / 1000000);
}

}  // namespace

bool enabled(const Config& config) {
  return !config.graphite.url.empty() || !config.graphite.hostedGraphiteApiKey.empty();
}

GraphiteSink::GraphiteSink(uv_loop_t* loop, const Config& config)
    : loop_(loop),
      endpoint_(endpointOf(config.graphite)),
      encoder_(encoderOptions(config)),
      bufferBytes_(config.graphite.bufferBytes),
      shutdownDeadlineSeconds_(config.forward.shutdownDeadlineSeconds),
      resend_(config.graphite.hostedGraphiteApiKey.empty()),
      random_(uv_hrtime()),
      backoff_(0.25, 30, [this] { return std::uniform_real_distribution<double>(0, 1)(random_); }) {}

GraphiteSink::~GraphiteSink() {
  close();
}

std::optional<std::string> describeConfig(const Config& config) {
  if (!enabled(config)) return std::nullopt;
  return endpointText(endpointOf(config.graphite));
}

std::unique_ptr<Sink> makeSink(const SinkContext& context) {
  if (!enabled(context.config)) return nullptr;
  return std::make_unique<GraphiteSink>(context.loop, context.config);
}

std::string GraphiteSink::describe() const {
  return endpointText(endpoint_);
}

void GraphiteSink::start() {
  reconnectTimer_ = std::make_unique<Timer>(loop_, [this] { connect(); });
  deadlineTimer_ = std::make_unique<Timer>(loop_, [this] {
    if (draining_) {
      finishDrain();
    } else {
      completeDrain();  // the clean close took longer than kCloseMillis
    }
  });
  connect();
}

void GraphiteSink::connect() {
  if (closed_ || client_) return;
  client_ = std::make_unique<StreamClient>(
      loop_, endpoint_.host, endpoint_.port, endpoint_.tls, kConnectTimeoutMillis,
      StreamClientCallbacks{[this] { onOpen(); },
                            [this](StreamCause, const std::string& reason) { onClosed(reason); },
                            [this] { pump(); },
                            {}});
}

void GraphiteSink::onOpen() {
  connected_ = true;
  ++stats_.connects;
  backoff_.onSuccess();
  log::write(log::Level::Info, "graphite", "msg=connected endpoint=" + log::quote(describe()));
  pump();
}

void GraphiteSink::onClosed(const std::string& reason) {
  // Whatever was still in flight in the broken connection is gone (no receipt in carbon's protocol).
  if (resend_) {
    // Carbon may have taken these lines without storing them (it stops storing before it closes
    // its connections at a restart): send them again first. Whisper keeps one value per
    // timestamp, so a repeat is harmless.
    for (auto it = retained_.rbegin(); it != retained_.rend(); ++it) {
      stats_.linesResent += linesIn(it->second);
      chunkBytes_ += it->second.size();
      chunks_.push_front(std::move(it->second));
    }
    retained_.clear();
    retainedBytes_ = 0;
  } else {
    stats_.bytesLostInFlight += client_ ? client_->inFlightBytes() : 0;
  }
  connected_ = false;
  ++stats_.connectionErrors;
  backoff_.onError();
  const double wait = backoff_.delaySeconds();
  if (errorLog_.allow(nowMillis())) {
    std::string fields = "reason=" + log::quote(reason) + " endpoint=" + log::quote(describe()) +
                         " retry_in=" + std::to_string(static_cast<int>(wait * 1000)) + "ms";
    if (auto n = errorLog_.takeSuppressed(); n > 0) fields += " suppressed=" + std::to_string(n);
    log::write(log::Level::Warn, "graphite", fields);
  }
  // Destroying the client inside its own callback is safe: its Block outlives the callback.
  client_.reset();
  if (!closed_ && reconnectTimer_) reconnectTimer_->start(static_cast<std::uint64_t>(wait * 1000));
}

std::size_t GraphiteSink::queuedBytes() const {
  const std::size_t inFlight = client_ ? client_->inFlightBytes() : 0;
  return chunkBytes_ + open_.size() + std::max(retainedBytes_, inFlight);
}

void GraphiteSink::submit(const FlushBatch& slice) {
  encoder_.encode(slice, open_);
  if (open_.size() >= kChunkBytes) {
    sealChunk();
    pump();  // hand it to the kernel while the flush goes on, so a big flush queues less
  }
}

void GraphiteSink::endFlush(std::int64_t) {
  sealChunk();
  pump();
}

void GraphiteSink::sealChunk() {
  if (open_.empty()) return;
  // Split at line ends into chunks of about kChunkBytes, so the bound drops little at a time.
  std::string_view rest = open_;
  while (!rest.empty()) {
    std::size_t cut = rest.size();
    if (cut > kChunkBytes) {
      cut = rest.rfind('\n', kChunkBytes);
      cut = cut == std::string_view::npos ? rest.find('\n') : cut;
      cut = cut == std::string_view::npos ? rest.size() : cut + 1;
    }
    chunks_.emplace_back(rest.substr(0, cut));
    chunkBytes_ += cut;
    rest.remove_prefix(cut);
  }
  open_.clear();
  // The bound covers the queue and what is in flight; the oldest queued lines go first.
  trimRetained(true);
  while (queuedBytes() > bufferBytes_ && !chunks_.empty()) {
    stats_.linesDropped += linesIn(chunks_.front());
    chunkBytes_ -= chunks_.front().size();
    chunks_.pop_front();
  }
}

// Forgets written chunks older than kResendMillis; with `forBound`, also the oldest ones while the
// queue is over its bound (a retained chunk was most likely delivered: it goes before queued ones).
void GraphiteSink::trimRetained(bool forBound) {
  const auto now = static_cast<std::int64_t>(uv_now(loop_));
  while (!retained_.empty() && (now - retained_.front().first > static_cast<std::int64_t>(kResendMillis) ||
                                (forBound && queuedBytes() > bufferBytes_))) {
    retainedBytes_ -= retained_.front().second.size();
    retained_.pop_front();
  }
}

void GraphiteSink::pump() {
  while (connected_ && client_ && !chunks_.empty() &&
         (draining_ || client_->inFlightBytes() < kMaxInFlightBytes)) {
    std::string chunk = std::move(chunks_.front());
    chunks_.pop_front();
    chunkBytes_ -= chunk.size();
    if (!client_->write(chunk)) {  // the connection just failed (onClosed ran): keep the chunk
      chunkBytes_ += chunk.size();
      chunks_.push_front(std::move(chunk));
      return;
    }
    stats_.bytesWritten += chunk.size();
    if (resend_) {
      retainedBytes_ += chunk.size();
      retained_.emplace_back(static_cast<std::int64_t>(uv_now(loop_)), std::move(chunk));
    }
  }
  trimRetained(false);
  if (draining_ && chunks_.empty() && client_ && client_->inFlightBytes() == 0) finishDrain();
}

void GraphiteSink::drain(std::function<void()> done) {
  draining_ = true;
  drainDone_ = std::move(done);
  sealChunk();
  if (deadlineTimer_) deadlineTimer_->start(static_cast<std::uint64_t>(shutdownDeadlineSeconds_) * 1000);
  if (chunks_.empty() && (!client_ || client_->inFlightBytes() == 0)) return finishDrain();
  if (!client_ && reconnectTimer_) {  // down: one more attempt now rather than after the backoff
    reconnectTimer_->stop();
    connect();
  }
  pump();
}

// The queue is empty (or the deadline passed): count what is left, then close cleanly.
void GraphiteSink::finishDrain() {
  if (!draining_) return;
  draining_ = false;
  for (const auto& chunk : chunks_) stats_.linesUnsentAtExit += linesIn(chunk);
  if (stats_.linesUnsentAtExit > 0) {
    log::write(log::Level::Warn, "graphite",
               "reason=shutdown_deadline lines_unsent=" + std::to_string(stats_.linesUnsentAtExit) +
                   " endpoint=" + log::quote(describe()));
  }
  chunks_.clear();
  chunkBytes_ = 0;
  retained_.clear();
  retainedBytes_ = 0;
  if (client_ && connected_) {
    // TLS close_notify + FIN once the kernel took every byte; bounded by kCloseMillis.
    if (deadlineTimer_) deadlineTimer_->start(kCloseMillis);
    client_->finish([this] { completeDrain(); });
    return;
  }
  completeDrain();
}

void GraphiteSink::completeDrain() {
  if (!drainDone_) return;
  if (deadlineTimer_) deadlineTimer_->stop();
  if (const std::size_t stuck = client_ ? client_->inFlightBytes() : 0; stuck > 0) {
    // Carbon stopped reading: what the kernel did not take by the deadline is lost.
    stats_.bytesLostInFlight += stuck;
    log::write(log::Level::Warn, "graphite",
               "reason=shutdown_deadline bytes_unsent=" + std::to_string(stuck) +
                   " endpoint=" + log::quote(describe()));
  }
  if (client_) client_->close();
  client_.reset();
  connected_ = false;
  auto done = std::move(drainDone_);
  drainDone_ = nullptr;
  done();
}

void GraphiteSink::close() {
  if (closed_) return;
  closed_ = true;
  if (client_) client_->close();
  client_.reset();
  if (reconnectTimer_) reconnectTimer_->close();
  if (deadlineTimer_) deadlineTimer_->close();
}

void GraphiteSink::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  const EncoderStats& e = encoder_.stats();
  out.push_back({"sink.lines", {}, static_cast<double>(e.lines), true});
  out.push_back({"sink.bytes_sent", {}, static_cast<double>(stats_.bytesWritten), true});
  out.push_back({"sink.queue_bytes", {}, static_cast<double>(queuedBytes()), false});
  out.push_back({"sink.connection_errors", {}, static_cast<double>(stats_.connectionErrors), true});
  out.push_back({"sink.dropped", {"reason:buffer_full"}, static_cast<double>(stats_.linesDropped), true});
  out.push_back({"sink.dropped", {"reason:non_finite_value"}, static_cast<double>(e.nonFinite), true});
  out.push_back({"sink.dropped",
                 {"reason:unsupported_by_sink", "message_type:event"},
                 static_cast<double>(e.eventsUnsupported),
                 true});
  out.push_back({"sink.dropped",
                 {"reason:unsupported_by_sink", "message_type:service_check"},
                 static_cast<double>(e.checksUnsupported),
                 true});
  out.push_back({"sink.bytes_lost_in_flight", {}, static_cast<double>(stats_.bytesLostInFlight), true});
  out.push_back({"sink.lines_resent", {}, static_cast<double>(stats_.linesResent), true});
}

}  // namespace dynostatsd::graphite
