// graphite_flush: what one flush costs the Graphite sink for N live contexts (bench/RESULTS.md).
// Input: N contexts of the mixed type set (c,g,ms,h,s,d; 3 tags), 3 samples each, ingested
// through the real Ingestor into an IntervalAggregator that builds only the neutral shapes
// (Series + distributions, as with the Graphite sink alone). Output: one JSON line per N with the
// CPU time of the aggregator flush (in 1000-item slices, as the Agent does) and of the carbon
// line encoding (GraphiteEncoder, tagged mode, percentile 90), and the bytes produced.
#include <ctime>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "aggregate/interval_aggregator.h"
#include "app/aggregator_consumer.h"
#include "enrich/enricher.h"
#include "ingest/ingestor.h"
#include "line_factory.h"
#include "model/clock.h"
#include "sink/graphite/graphite_encoder.h"

namespace {

using namespace dynostatsd;

double cpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

void run(std::uint64_t contexts) {
  bench::LineSpec spec;
  spec.names = contexts;
  spec.tags = 3;
  spec.types = "c,g,ms,h,s,d";
  bench::LineFactory factory(spec);
  ManualClock clock(1'700'000'000'000);
  EnrichConfig enrich;
  enrich.dyno = "web.1";
  enrich.appName = "bench";
  Enricher enricher(enrich);
  IntervalAggregator aggregator(AggregateConfig{}, clock, enricher.staticTags());
  aggregator.setNeeds(false, true);
  AggregatorConsumer consumer(aggregator);
  Ingestor ingestor(enricher, consumer, clock);
  std::vector<char> line(factory.maxLineLength() + 1);
  for (std::uint64_t i = 0; i < 3 * contexts; ++i) {
    const std::size_t n = factory.write(i, line.data());
    ingestor.onDatagram(std::string_view(line.data(), n));
  }
  clock.advanceMillis(10'000);

  graphite::GraphiteEncoder encoder({});
  std::string out;
  double aggregateCpu = 0, encodeCpu = 0;
  std::size_t lines = 0, bytes = 0;
  FlushBatch batch;
  for (bool done = false; !done;) {
    double t0 = cpuSeconds();
    done = aggregator.flushSome(batch, false, 1000);
    double t1 = cpuSeconds();
    lines += encoder.encode(batch, out);
    encodeCpu += cpuSeconds() - t1;
    aggregateCpu += t1 - t0;
    bytes += out.size();
    out.clear();  // the sink seals each slice's lines into its queue
    batch = FlushBatch{};
  }
  std::printf(
      "{\"contexts\":%llu,\"lines\":%zu,\"bytes\":%zu,\"aggregate_flush_ms\":%.1f,\"graphite_encode_ms\":%."
      "1f,"
      "\"total_ms\":%.1f}\n",
      static_cast<unsigned long long>(contexts), lines, bytes, aggregateCpu * 1e3, encodeCpu * 1e3,
      (aggregateCpu + encodeCpu) * 1e3);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::uint64_t> contexts{10'000, 100'000};
  CLI::App app{"graphite_flush: aggregator flush + Graphite encoding for N live contexts"};
  app.add_option("--contexts", contexts, "live contexts per measurement")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  for (auto n : contexts) run(n);
  return 0;
}
