// micro: in-process micro-benchmarks of the agent's pipeline stages, without sockets, so each
// stage's cost is measured alone and profiles (perf record -- micro ...) are clean.
// Input: the same lines as loadgen (line_factory.h), prebuilt into datagrams in memory.
// Output: one JSON line per measurement on stdout, with CPU time (CLOCK_PROCESS_CPUTIME_ID) and
// wall time:
//   parse      forEachMessage + parseMetric over every datagram
//   ingest     Ingestor (parse + enrich) into the IntervalAggregator: the full per-line path
//   flush      for N live contexts: IntervalAggregator::flush, then Serializer (v2 JSON +
//              compression), i.e. what one 10 s flush costs before the HTTP request
#include <ctime>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "aggregate/interval_aggregator.h"
#include "app/aggregator_consumer.h"
#include "config/config.h"
#include "enrich/enricher.h"
#include "ingest/ingestor.h"
#include "line_factory.h"
#include "model/clock.h"
#include "parse/parser.h"
#include "sink/datadog/serializer.h"

namespace {

using namespace dynostatsd;
using bench::LineFactory;
using bench::LineSpec;

struct Timer {
  timespec cpu0{}, wall0{};
  Timer() {
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
    clock_gettime(CLOCK_MONOTONIC, &wall0);
  }
  static double since(const timespec& start, clockid_t clock) {
    timespec now{};
    clock_gettime(clock, &now);
    return static_cast<double>(now.tv_sec - start.tv_sec) +
           static_cast<double>(now.tv_nsec - start.tv_nsec) / 1e9;
  }
  double cpu() const { return since(cpu0, CLOCK_PROCESS_CPUTIME_ID); }
  double wall() const { return since(wall0, CLOCK_MONOTONIC); }
};

// The datagrams of a run, back to back, with their boundaries. A long run replays a prebuilt
// window of at most kWindowLines lines (so the benchmark measures the stage, not page faults on
// a huge input buffer); `lines` is what a full pass over forEach delivers.
constexpr std::uint64_t kWindowLines = 200'000;

struct Datagrams {
  std::string bytes;
  std::vector<std::size_t> ends;
  std::uint64_t windowLines = 0;
  std::uint64_t lines = 0;

  template <class F>
  void forEach(F&& f) const {
    for (std::uint64_t done = 0; done < lines; done += windowLines) {
      std::size_t start = 0;
      for (std::size_t end : ends) {
        f(std::string_view(bytes).substr(start, end - start));
        start = end;
      }
    }
  }

  // The same datagrams in batches of up to DatagramListener::kBatch, as one recvmmsg call returns them.
  template <class F>
  void forEachBatch(F&& f) const {
    std::vector<std::string_view> batch;
    forEach([&](std::string_view datagram) {
      batch.push_back(datagram);
      if (batch.size() < DatagramListener::kBatch) return;
      f(batch.data(), batch.size());
      batch.clear();
    });
    if (!batch.empty()) f(batch.data(), batch.size());
  }
};

Datagrams build(const LineFactory& factory, std::uint64_t lines, std::uint64_t perDatagram,
                std::uint64_t windowMax = kWindowLines) {
  Datagrams out;
  std::uint64_t window = std::min(lines, windowMax / perDatagram * perDatagram);
  if (window == 0) window = lines;
  std::string line(factory.maxLineLength() + 1, '\0');
  for (std::uint64_t i = 0; i < window; ++i) {
    if (i % perDatagram != 0) out.bytes += '\n';
    out.bytes.append(line.data(), factory.write(i, line.data()));
    if ((i + 1) % perDatagram == 0 || i + 1 == window) out.ends.push_back(out.bytes.size());
  }
  out.windowLines = window;
  out.lines = (lines + window - 1) / window * window;  // whole passes over the window
  return out;
}

// VmRSS / VmHWM of this process in MiB (0 when unreadable).
double statusMiB(const char* key) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  double kb = 0;
  std::size_t keyLength = std::strlen(key);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, key, keyLength) == 0 && line[keyLength] == ':')
      kb = std::atof(line + keyLength + 1);
  }
  std::fclose(f);
  return kb / 1024;
}

void printRate(const char* stage, const LineSpec& spec, std::uint64_t lines, std::uint64_t perDatagram,
               const Timer& timer, std::uint64_t extra, const char* extraName) {
  double cpu = timer.cpu(), wall = timer.wall();
  std::printf(
      "{\"stage\":\"%s\",\"lines\":%llu,\"per_datagram\":%llu,\"names\":%llu,\"tags\":%d,\"types\":\"%s\","
      "\"cpu_seconds\":%.6f,\"wall_seconds\":%.6f,\"ns_per_line\":%.1f,\"lines_per_cpu_second\":%.0f,\"%s\":%"
      "llu}\n",
      stage, static_cast<unsigned long long>(lines), static_cast<unsigned long long>(perDatagram),
      static_cast<unsigned long long>(spec.names), spec.tags, spec.types.c_str(), cpu, wall,
      cpu * 1e9 / lines, lines / cpu, extraName, static_cast<unsigned long long>(extra));
  std::fflush(stdout);
}

void benchParse(const LineSpec& spec, const Datagrams& datagrams, std::uint64_t perDatagram) {
  MetricSample sample;
  std::uint64_t ok = 0;
  Timer timer;
  datagrams.forEach([&](std::string_view datagram) {
    forEachMessage(datagram,
                   [&](std::string_view message) { ok += parseMetric(message, sample) == ParseError::None; });
  });
  printRate("parse", spec, datagrams.lines, perDatagram, timer, ok, "parsed");
}

EnrichConfig enrichConfig() {
  EnrichConfig config;
  config.dyno = "web.1";
  config.appName = "bench";
  return config;
}

void benchIngest(const LineSpec& spec, const Datagrams& datagrams, std::uint64_t perDatagram) {
  ManualClock clock(1'700'000'000'000);
  Enricher enricher(enrichConfig());
  IntervalAggregator aggregator(AggregateConfig{}, clock, enricher.staticTags());
  AggregatorConsumer consumer(aggregator);
  Ingestor ingestor(enricher, consumer, clock);
  Timer timer;
  datagrams.forEachBatch(
      [&](const std::string_view* batch, std::size_t count) { ingestor.onDatagrams(batch, count); });
  printRate("ingest", spec, datagrams.lines, perDatagram, timer, aggregator.liveContexts(), "live_contexts");
}

void benchFlush(std::uint64_t contexts, int tags, Compression compression, const char* compressionName) {
  LineSpec spec;
  spec.names = contexts;
  spec.tags = tags;
  LineFactory factory(spec);
  Datagrams datagrams = build(factory, contexts, 20, contexts);
  ManualClock clock(1'700'000'000'000);
  Enricher enricher(enrichConfig());
  IntervalAggregator aggregator(AggregateConfig{}, clock, enricher.staticTags());
  AggregatorConsumer consumer(aggregator);
  Ingestor ingestor(enricher, consumer, clock);
  datagrams.forEach([&](std::string_view datagram) { ingestor.onDatagram(datagram); });
  clock.advanceMillis(10'000);
  const double rssIngested = statusMiB("VmRSS");

  FlushBatch batch;
  Timer flushTimer;
  aggregator.flush(batch, false);
  double flushCpu = flushTimer.cpu(), flushWall = flushTimer.wall();
  const double rssBatch = statusMiB("VmRSS");

  datadog::Serializer serializer(SeriesApi::V2, compression);
  std::vector<serialize::Payload> payloads;
  Timer serializeTimer;
  serializer.serialize(batch, payloads);
  double serializeCpu = serializeTimer.cpu(), serializeWall = serializeTimer.wall();
  const double rssPayloads = statusMiB("VmRSS");

  std::size_t compressed = 0, uncompressed = 0;
  for (const auto& payload : payloads) {
    compressed += payload.body.size();
    uncompressed += payload.uncompressedBytes;
  }
  std::printf(
      "{\"stage\":\"flush\",\"contexts\":%llu,\"series\":%zu,\"compression\":\"%s\",\"aggregate_flush_ms\":%."
      "2f,"
      "\"serialize_compress_ms\":%.2f,\"total_ms\":%.2f,\"total_wall_ms\":%.2f,\"payloads\":%zu,"
      "\"uncompressed_bytes\":%zu,\"compressed_bytes\":%zu,\"rss_mib_ingested\":%.1f,\"rss_mib_with_batch\":%"
      ".1f,"
      "\"rss_mib_with_payloads\":%.1f,\"hwm_mib\":%.1f}\n",
      static_cast<unsigned long long>(contexts), batch.series.size(), compressionName, flushCpu * 1e3,
      serializeCpu * 1e3, (flushCpu + serializeCpu) * 1e3, (flushWall + serializeWall) * 1e3, payloads.size(),
      uncompressed, compressed, rssIngested, rssBatch, rssPayloads, statusMiB("VmHWM"));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  LineSpec spec;
  spec.names = 1000;
  spec.tags = 3;
  spec.types = "c,g,ms,h,s,d";
  std::uint64_t lines = 2'000'000, perDatagram = 20;
  std::vector<std::uint64_t> flushContexts{10'000, 100'000};
  std::string only = "parse,ingest,flush";
  CLI::App app{"micro: in-process benchmarks of parse, ingest (parse+enrich+aggregate) and flush"};
  app.add_option("--lines", lines, "lines for parse/ingest")->capture_default_str();
  app.add_option("--per-datagram", perDatagram, "lines per datagram")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--names", spec.names, "distinct names")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  app.add_option("--tags", spec.tags, "tags per line")->check(CLI::Range(0, 64))->capture_default_str();
  app.add_flag("--realistic", spec.realistic,
               "realistic mix: per-name tag values, host: tags, many set members, decimal timers");
  app.add_option("--set-members", spec.setMembers, "with --realistic: distinct members per set")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  app.add_option("--types", spec.types, "type mix")->capture_default_str();
  app.add_option("--flush-contexts", flushContexts, "live contexts for the flush measurement")
      ->capture_default_str();
  app.add_option("--only", only, "comma-separated: parse,ingest,flush")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  LineFactory factory(spec);
  std::string error;
  if (!factory.valid(error)) {
    std::fprintf(stderr, "micro: %s\n", error.c_str());
    return 2;
  }
  log::setLevel(log::Level::Error);
  if (only.find("parse") != std::string::npos || only.find("ingest") != std::string::npos) {
    Datagrams datagrams = build(factory, lines, perDatagram);
    if (only.find("parse") != std::string::npos) benchParse(spec, datagrams, perDatagram);
    if (only.find("ingest") != std::string::npos) benchIngest(spec, datagrams, perDatagram);
  }
  if (only.find("flush") != std::string::npos) {
    for (auto contexts : flushContexts) {
      benchFlush(contexts, 3, Compression::Zstd, "zstd");
      benchFlush(contexts, 3, Compression::Deflate, "deflate");
    }
  }
  return 0;
}
