#include "ingest/ingestor.h"

#include <string>

namespace dynostatsd {
namespace {

std::size_t eventBytes(const Event& event) {
  std::size_t n = sizeof(Event) + event.title.size() + event.text.size() + event.host.size() +
                  event.aggregationKey.size() + event.sourceType.size();
  for (const auto& tag : event.tags) n += tag.size() + sizeof(std::string);
  return n;
}

std::size_t checkBytes(const ServiceCheck& check) {
  std::size_t n = sizeof(ServiceCheck) + check.name.size() + check.host.size() + check.message.size();
  for (const auto& tag : check.tags) n += tag.size() + sizeof(std::string);
  return n;
}

}  // namespace

Ingestor::Ingestor(const Enricher& enricher, MetricConsumer& consumer, const Clock& clock,
                   IngestLimits limits, MemoryBudget* budget)
    : enricher_(enricher),
      consumer_(consumer),
      clock_(clock),
      limits_(limits),
      budget_(budget),
      parseErrorLog_(limits.logIntervalMillis),
      truncatedLog_(limits.logIntervalMillis),
      dropLog_(limits.logIntervalMillis) {}

void Ingestor::onDatagram(std::string_view datagram) {
  onDatagrams(&datagram, 1);
}

void Ingestor::onDatagrams(const std::string_view* datagrams, std::size_t count) {
  // One clock reading per batch: its datagrams arrived within the listener's pause (<= 2 ms).
  const std::int64_t now = clock_.nowSeconds();
  for (std::size_t i = 0; i < count; ++i) {
    ++stats_.datagrams;
    stats_.bytes += datagrams[i].size();
    forEachMessage(datagrams[i], [this, now](std::string_view message) { handleMessage(message, now); });
  }
  addPending();  // the batch's views end here
}

void Ingestor::addPending() {
  if (!pending_.waiting) return;
  pending_.waiting = false;
  consumer_.addKnownSpelling(samples_[current_ ^ 1], pending_.found, pending_.nowSeconds);
}

void Ingestor::onTruncated(std::size_t received) {
  ++stats_.truncated;
  if (truncatedLog_.allow(clock_.nowMillis())) {
    std::string fields = "reason=truncated_datagram received=" + std::to_string(received) +
                         " total=" + std::to_string(stats_.truncated) +
                         " hint=\"raise DD_DOGSTATSD_BUFFER_SIZE or send smaller datagrams\"";
    if (auto n = truncatedLog_.takeSuppressed(); n > 0) fields += " suppressed=" + std::to_string(n);
    log::write(log::Level::Warn, "ingest", fields);
  }
}

void Ingestor::handleMessage(std::string_view message, std::int64_t nowSeconds) {
  const MessageKind kind = classify(message);
  ++stats_.messages[static_cast<std::size_t>(kind)];
  switch (kind) {
    case MessageKind::Metric: {
      MetricSample& sample = samples_[current_];
      ParseError error = parseMetric(message, sample, TagSplit::Deferred);
      if (error != ParseError::None) return rejected(kind, error, message);
      if (tee_ != nullptr) tee_->onAccepted(message, kind);
      KnownSpelling found;
      const bool known = consumer_.findKnownSpelling(sample, found);
      addPending();  // the previous line, whose memory was fetched while this one was parsed
      if (known) {
        pending_ = Pending{true, found, nowSeconds};
        current_ ^= 1;
        return;
      }
      splitTags(sample);
      enricher_.enrich(sample);
      consumer_.add(sample, nowSeconds);
      return;
    }
    case MessageKind::Event: {
      Event event;
      ParseError error = parseEvent(message, event);
      if (error != ParseError::None) return rejected(kind, error, message);
      if (tee_ != nullptr) tee_->onAccepted(message, kind);
      enricher_.enrich(event, nowSeconds);
      if (!reserve(eventBytes(event))) {
        ++stats_.eventsDropped;
        return;
      }
      events_.push_back(std::move(event));
      return;
    }
    case MessageKind::ServiceCheck: {
      ServiceCheck check;
      ParseError error = parseServiceCheck(message, check);
      if (error != ParseError::None) return rejected(kind, error, message);
      if (tee_ != nullptr) tee_->onAccepted(message, kind);
      enricher_.enrich(check, nowSeconds);
      if (!reserve(checkBytes(check))) {
        ++stats_.checksDropped;
        return;
      }
      checks_.push_back(std::move(check));
      return;
    }
  }
}

bool Ingestor::reserve(std::size_t bytes) {
  if (queuedBytes_ + bytes <= limits_.maxQueuedBytes && (budget_ == nullptr || budget_->tryCharge(bytes))) {
    queuedBytes_ += bytes;
    return true;
  }
  if (dropLog_.allow(clock_.nowMillis())) {
    const bool budget = queuedBytes_ + bytes <= limits_.maxQueuedBytes;
    std::string fields = std::string(budget ? "reason=memory_budget" : "reason=queue_full") +
                         " queued_bytes=" + std::to_string(queuedBytes_) +
                         " max_bytes=" + std::to_string(limits_.maxQueuedBytes) +
                         " events_dropped=" + std::to_string(stats_.eventsDropped) +
                         " checks_dropped=" + std::to_string(stats_.checksDropped);
    if (auto n = dropLog_.takeSuppressed(); n > 0) fields += " suppressed=" + std::to_string(n);
    log::write(log::Level::Warn, "ingest", fields);
  }
  return false;
}

void Ingestor::rejected(MessageKind kind, ParseError error, std::string_view message) {
  ++stats_.parseErrors[static_cast<std::size_t>(error)];
  if (!parseErrorLog_.allow(clock_.nowMillis())) return;
  std::string fields = "reason=" + std::string(reasonName(error)) + " kind=" + std::string(kindName(kind));
  std::string_view shown = message.substr(0, limits_.logSampleBytes);
  fields += " sample=" + log::quote(shown);
  if (shown.size() < message.size())
    fields += " sample_truncated=true bytes=" + std::to_string(message.size());
  if (auto n = parseErrorLog_.takeSuppressed(); n > 0) fields += " suppressed=" + std::to_string(n);
  log::write(log::Level::Warn, "ingest", fields);
}

void Ingestor::takeQueued(FlushBatch& batch) {
  for (auto& event : events_) batch.events.push_back(std::move(event));
  for (auto& check : checks_) batch.checks.push_back(std::move(check));
  events_.clear();
  checks_.clear();
  if (budget_ != nullptr) budget_->release(queuedBytes_);  // the batch is the flush's, not held
  queuedBytes_ = 0;
}

void Ingestor::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  out.push_back({"datagrams.received", {}, static_cast<double>(stats_.datagrams), true});
  out.push_back({"bytes.received", {}, static_cast<double>(stats_.bytes), true});
  out.push_back({"datagrams.truncated", {}, static_cast<double>(stats_.truncated), true});
  for (MessageKind kind : {MessageKind::Metric, MessageKind::Event, MessageKind::ServiceCheck}) {
    out.push_back({"messages.received",
                   {"message_type:" + std::string(kindName(kind))},
                   static_cast<double>(stats_.messages[static_cast<std::size_t>(kind)]),
                   true});
  }
  for (std::size_t i = 1; i < stats_.parseErrors.size(); ++i) {
    if (stats_.parseErrors[i] == 0) continue;  // a reason appears once it happened
    out.push_back({"parse_errors",
                   {"reason:" + std::string(reasonName(static_cast<ParseError>(i)))},
                   static_cast<double>(stats_.parseErrors[i]),
                   true});
  }
  out.push_back({"dropped", {"reason:event_queue_full"}, static_cast<double>(stats_.eventsDropped), true});
  out.push_back(
      {"dropped", {"reason:service_check_queue_full"}, static_cast<double>(stats_.checksDropped), true});
}

}  // namespace dynostatsd
