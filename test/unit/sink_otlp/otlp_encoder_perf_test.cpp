// Not a timed assertion: `unit_sink_otlp "[.perf]"` prints the figure for bench/RESULTS.md, beside
// `unit_serialize "[.perf]"` (Datadog) on the same 100k series.
#include <time.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>

#include "sink/otlp/otlp_encoder.h"

using namespace dynostatsd;
using namespace dynostatsd::otlp;

namespace {

double threadCpuMillis() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1000 + static_cast<double>(now.tv_nsec) / 1e6;
}

}  // namespace

TEST_CASE("Encode and compress 100k series as OTLP: timing", "[.perf]") {
  // The same series as the Datadog figure (test/unit/serialize/payload_packer_test.cpp).
  std::vector<Series> all(100000);
  for (std::size_t i = 0; i < all.size(); ++i) {
    Series& s = all[i];
    s.name = "app.request.latency." + std::to_string(i % 500) + ".95percentile";
    s.type = i % 3 == 0 ? SeriesType::Rate : SeriesType::Gauge;
    s.kind = i % 3 == 0 ? MetricKind::Counter : MetricKind::Gauge;
    s.host = "myapp.web.1";
    s.tags = {"dyno:web.1", "dynotype:web", "appname:myapp", "env:production",
              "route:/r" + std::to_string(i)};
    s.points = {{1700000000, static_cast<double>(i) * 0.37}};
  }
  // The agent hands sinks slices of 1000 series (app/agent.cpp kFlushSliceItems).
  std::vector<FlushBatch> slices(all.size() / 1000);
  for (std::size_t i = 0; i < all.size(); ++i) slices[i / 1000].series.push_back(all[i]);
  for (OtlpTemporality temporality : {OtlpTemporality::Delta, OtlpTemporality::Cumulative}) {
    for (bool gzip : {true, false}) {
      EncoderOptions options;
      options.temporality = temporality;
      options.gzip = gzip;
      options.cumulativeStateBytes = 64 << 20;
      options.resource = {{"cloud.provider", "heroku"},
                          {"service.name", "myapp"},
                          {"service.instance.id", "1vac4117-c29f-4312-521e-ba4d8638c1ac"}};
      OtlpEncoder encoder(options);
      std::vector<serialize::Payload> out;
      for (const auto& slice : slices) encoder.encode(slice, out);  // warm-up (and cumulative state)
      out.clear();
      const auto start = std::chrono::steady_clock::now();
      const double cpuStart = threadCpuMillis();
      for (const auto& slice : slices) encoder.encode(slice, out);
      const double cpu = threadCpuMillis() - cpuStart;
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      std::size_t raw = 0, wire = 0, points = 0;
      for (const auto& p : out) {
        raw += p.uncompressedBytes;
        wire += p.body.size();
        points += p.items;
      }
      CHECK(points == all.size());
      std::printf(
          "otlp encode 100k series temporality=%s compression=%s: %.1f ms CPU (%.1f ms wall), %zu payloads, "
          "%zu -> %zu bytes, cumulative state %zu bytes\n",
          temporality == OtlpTemporality::Delta ? "delta" : "cumulative", gzip ? "gzip" : "none", cpu, ms,
          out.size(), raw, wire, encoder.cumulativeBytes());
    }
  }
}
