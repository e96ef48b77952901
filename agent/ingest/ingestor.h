#pragma once
// Ingestor: the hot path from a received datagram to the aggregator.
// Input: a batch of datagrams (DatagramSink::onDatagrams) or one (onDatagram), the bytes valid
// only during the call; the clock is read once per call.
// Output: each metric message parsed, enriched and handed to the MetricConsumer before the next
// message; events and service checks parsed, enriched and queued (bounded by bytes) until the
// next flush takes them. Every rejected message is counted per ParseError reason and logged at a
// throttled rate with a truncated, quoted sample of the input.
// Ownership: the MetricSample passed to the consumer points into the datagram; the consumer must
// copy what it keeps. Queued events own their strings.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "enrich/enricher.h"
#include "loop/datagram_listener.h"
#include "model/clock.h"
#include "model/event.h"
#include "model/memory_budget.h"
#include "model/metric_sample.h"
#include "model/self_metric.h"
#include "model/series.h"
#include "parse/parser.h"
#include "telemetry/log.h"

namespace dynostatsd {

// Where parsed metric samples go (the IntervalAggregator, behind an adapter in app/).
// What a consumer's findKnownSpelling found, handed back unchanged to its addKnownSpelling.
struct KnownSpelling {
  std::uint32_t slot = 0;
};

class MetricConsumer {
 public:
  virtual ~MetricConsumer() = default;
  // `nowSeconds`: the wall clock read once per batch of datagrams. `sample` is enriched, its tags split.
  virtual void add(const MetricSample& sample, std::int64_t nowSeconds) = 0;
  // The fast path, tried first for every parsed metric, in two steps so the consumer can start
  // fetching the memory the sample will touch while the ingestor parses the next line:
  //  1. findKnownSpelling: `sample` is parsed but neither split (parseMetric's TagSplit::Deferred:
  //     `tags` empty, `rawTags` set) nor enriched. True when the consumer already knows its
  //     context in this exact wire spelling, with `found` filled; false and nothing done
  //     otherwise, and the caller splits, enriches and calls add(). Changes nothing.
  //  2. addKnownSpelling: adds that sample, with `found` unchanged. The ingestor calls it after
  //     step 1 of the NEXT line at the latest, always before any add(): samples are added in
  //     arrival order, and nothing but addKnownSpelling runs between the two steps.
  virtual bool findKnownSpelling(const MetricSample& sample, KnownSpelling& found) {
    (void)sample;
    (void)found;
    return false;
  }
  virtual void addKnownSpelling(const MetricSample& sample, const KnownSpelling& found,
                                std::int64_t nowSeconds) {
    (void)sample;
    (void)found;
    (void)nowSeconds;
  }
};

// Sees every accepted message verbatim, before it is enriched (the StatsD relay: agent/relay/).
// `message` is valid only during the call.
class MessageTee {
 public:
  virtual ~MessageTee() = default;
  virtual void onAccepted(std::string_view message, MessageKind kind) = 0;
};

struct IngestLimits {
  std::size_t maxQueuedBytes = 1024 * 1024;  // events + service checks waiting for the next flush
  std::size_t logSampleBytes = 120;          // how much of a bad message a log line shows
  std::int64_t logIntervalMillis = 10000;    // at most one parse-error line per interval
};

struct IngestStats {
  std::uint64_t datagrams = 0;
  std::uint64_t bytes = 0;
  std::uint64_t truncated = 0;
  std::array<std::uint64_t, 3> messages{};  // by MessageKind, parsed or not
  std::array<std::uint64_t, static_cast<std::size_t>(ParseError::Count)> parseErrors{};
  std::uint64_t eventsDropped = 0;  // queue full
  std::uint64_t checksDropped = 0;  // queue full
};

class Ingestor final : public DatagramSink {
 public:
  // `budget`: queued events and checks are also charged to it (null: only maxQueuedBytes).
  Ingestor(const Enricher& enricher, MetricConsumer& consumer, const Clock& clock, IngestLimits limits = {},
           MemoryBudget* budget = nullptr);

  void onDatagram(std::string_view datagram) override;
  // The known-spelling pipeline (see MetricConsumer) runs across the batch's datagrams.
  void onDatagrams(const std::string_view* datagrams, std::size_t count) override;
  void onTruncated(std::size_t received) override;

  // Moves the queued events and service checks into `batch` (empties the queue).
  void takeQueued(FlushBatch& batch);

  // Optional; must outlive the Ingestor (or be reset to nullptr first).
  void setTee(MessageTee* tee) { tee_ = tee; }

  const IngestStats& stats() const { return stats_; }
  // Running totals as dynostatsd.* self-metrics (names without the prefix).
  void collectSelfMetrics(std::vector<SelfMetric>& out) const;

 private:
  void handleMessage(std::string_view message, std::int64_t nowSeconds);
  void rejected(MessageKind kind, ParseError error, std::string_view message);
  bool reserve(std::size_t bytes);

  const Enricher& enricher_;
  MetricConsumer& consumer_;
  MessageTee* tee_ = nullptr;
  const Clock& clock_;
  IngestLimits limits_;
  IngestStats stats_;
  // Two samples, reused (steady-state parsing allocates nothing): while one waits for its
  // addKnownSpelling (pending_), the next line is parsed into the other.
  MetricSample samples_[2];
  std::size_t current_ = 0;
  struct Pending {
    bool waiting = false;
    KnownSpelling found;
    std::int64_t nowSeconds = 0;
  } pending_;
  void addPending();
  std::vector<Event> events_;
  std::vector<ServiceCheck> checks_;
  std::size_t queuedBytes_ = 0;
  MemoryBudget* budget_;
  log::Throttle parseErrorLog_;
  log::Throttle truncatedLog_;
  log::Throttle dropLog_;
};

}  // namespace dynostatsd
