#pragma once
// AggregatorConsumer: the MetricConsumer that hands each sample the Ingestor parsed and enriched
// straight to an IntervalAggregator. The Agent wires its stages with it; bench/micro measures the
// same path with it.
#include <cstdint>

#include "aggregate/interval_aggregator.h"
#include "ingest/ingestor.h"

namespace dynostatsd {

class AggregatorConsumer final : public MetricConsumer {
 public:
  explicit AggregatorConsumer(IntervalAggregator& aggregator) : aggregator_(aggregator) {}
  void add(const MetricSample& sample, std::int64_t nowSeconds) override {
    aggregator_.add(sample, nowSeconds);
  }
  bool findKnownSpelling(const MetricSample& sample, KnownSpelling& found) override {
    return aggregator_.findKnownSpelling(sample, found.slot);
  }
  void addKnownSpelling(const MetricSample& sample, const KnownSpelling& found,
                        std::int64_t nowSeconds) override {
    aggregator_.addKnownSpelling(sample, found.slot, nowSeconds);
  }

 private:
  IntervalAggregator& aggregator_;
};

}  // namespace dynostatsd
