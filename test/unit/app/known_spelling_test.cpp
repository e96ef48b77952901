// The ingest fast path (MetricConsumer::addKnownSpelling: a context already seen in the same wire
// spelling skips tag splitting, enrichment and keying) must aggregate exactly what the full path
// does. The same datagrams go through two agents' ingest stages, one with the fast path and one
// whose consumer refuses it, and both flushes must be identical, series by series.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "aggregate/interval_aggregator.h"
#include "app/aggregator_consumer.h"
#include "enrich/enricher.h"
#include "ingest/ingestor.h"

namespace dynostatsd {
namespace {

constexpr std::int64_t kT0 = 1700000000;

// Only add(): the default addKnownSpelling refuses every sample, so all take the full path.
class FullPathConsumer final : public MetricConsumer {
 public:
  explicit FullPathConsumer(IntervalAggregator& aggregator) : aggregator_(aggregator) {}
  void add(const MetricSample& sample, std::int64_t nowSeconds) override {
    aggregator_.add(sample, nowSeconds);
  }

 private:
  IntervalAggregator& aggregator_;
};

EnrichConfig dyno() {
  EnrichConfig config;
  config.dyno = "web.1";
  config.appName = "shop";
  config.hostname = "default-host";
  return config;
}

// One ingest pipeline; `fast` picks the consumer.
struct Pipeline {
  explicit Pipeline(bool fast)
      : clock(kT0 * 1000),
        enricher(dyno()),
        aggregator(AggregateConfig{}, clock, enricher.staticTags()),
        fastConsumer(aggregator),
        fullConsumer(aggregator),
        ingestor(enricher, fast ? static_cast<MetricConsumer&>(fastConsumer) : fullConsumer, clock) {
    aggregator.setNeeds(true, true);
  }
  ManualClock clock;
  Enricher enricher;
  IntervalAggregator aggregator;
  AggregatorConsumer fastConsumer;
  FullPathConsumer fullConsumer;
  Ingestor ingestor;
};

// Everything a flush produced, one text line per point, sorted: comparable across pipelines.
std::vector<std::string> describe(const FlushBatch& batch) {
  std::vector<std::string> out;
  auto tags = [](const std::vector<std::string>& list) {
    std::string joined;
    for (const auto& tag : list) joined += tag + ",";
    return joined;
  };
  for (const auto& s : batch.series) {
    for (const auto& p : s.points) {
      std::ostringstream line;
      line.precision(17);
      line << "series " << s.name << " host=" << s.host << " tags=" << tags(s.tags)
           << " type=" << static_cast<int>(s.type) << " t=" << p.timestamp << " v=" << p.value;
      out.push_back(line.str());
    }
  }
  for (const auto& s : batch.sketches) {
    for (const auto& p : s.points) {
      std::ostringstream line;
      line.precision(17);
      line << "sketch " << s.name << " host=" << s.host << " tags=" << tags(s.tags) << " n=" << p.count
           << " sum=" << p.sum << " keys=" << p.keys.size();
      out.push_back(line.str());
    }
  }
  for (const auto& s : batch.distributions) {
    for (const auto& p : s.points) {
      std::ostringstream line;
      line.precision(17);
      line << "dist " << s.name << " host=" << s.host << " tags=" << tags(s.tags) << " n=" << p.count
           << " sum=" << p.sum << " min=" << p.min << " max=" << p.max << " samples=" << p.samples.size();
      out.push_back(line.str());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("known-spelling fast path: the same aggregates as the full path") {
  // Spellings that exercise what the fast path skips: host tags (the last one wins), reserved
  // dd.internal tags, empty tags, reordered and repeated tags, rates (valid and not), packed
  // values, non-finite values, set members, |T points, and a name reused under other types.
  const std::vector<std::string> lines = {
      "req:1|c|#route:/a,status:200",
      "req:2|c|@0.5|#status:200,route:/a",
      "req:1|c|#route:/a,status:200,host:i-1",
      "req:3|c|#host:i-1,route:/a,status:200,host:i-2",
      "req:1|c|#route:/a,,status:200,dd.internal.x:1",
      "req:1|c|#route:/a,status:200,route:/a",
      "req:4|c|@7|#route:/b",
      "req:5|c|@nan",
      "req:1|c|#",
      "req:9|g|#route:/a,status:200",
      "lat:1.5:2.25::3|ms|#route:/a",
      "lat:inf:4|ms|#route:/a",
      "lat:0.125|h|@0.25|#route:/a,host:",
      "size:12.5|d|#route:/a,host:i-3",
      "size:-3|d|#route:/a,host:i-3",
      "users:u1|s|#route:/a",
      "users:u1:x|s|#route:/a",
      "users:u2|s|#route:/a,host:i-1",
      "old:5|c|T1699999990|#route:/a",
      "old:6|g|#route:/a|T1699999990",
  };
  Pipeline fast(true), full(false), batched(true);
  for (int round = 0; round < 5; ++round) {  // rounds 2.. find every spelling in the cache
    std::vector<std::string> datagrams;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string datagram = lines[i];
      if (i + 1 < lines.size() && (i + round) % 3 == 0) datagram += "\n" + lines[++i];  // packed, too
      fast.ingestor.onDatagram(datagram);
      full.ingestor.onDatagram(datagram);
      datagrams.push_back(datagram);
    }
    // The listener's batches: the fast path's pending line carries across datagrams.
    std::vector<std::string_view> views(datagrams.begin(), datagrams.end());
    for (std::size_t at = 0; at < views.size(); at += 7)
      batched.ingestor.onDatagrams(views.data() + at, std::min<std::size_t>(7, views.size() - at));
  }
  // Gauges keep the last value: a known spelling waiting for its add must land before the next
  // line of the same context, whether that one is known too or a new spelling (the full path).
  for (const char* datagram :
       {"level:1|g|#a:1,b:2\nlevel:2|g|#a:1,b:2", "level:3|g|#a:1,b:2\nlevel:4|g|#b:2,a:1",
        "level:5|g|#b:2,a:1\nlevel:6|g|#b:2,a:1,a:1\n_e{1,1}:t|x\nlevel:7|g|#a:1,b:2",
        "level:8|g|#a:1,b:2\nlevel:9|g|#a:1,b:2,b:2"}) {
    fast.ingestor.onDatagram(datagram);
    full.ingestor.onDatagram(datagram);
    batched.ingestor.onDatagram(datagram);
  }
  for (Pipeline* p : {&fast, &full, &batched}) p->clock.setSeconds(kT0 + 20);
  FlushBatch a, b, c;
  fast.aggregator.flush(a, true);
  full.aggregator.flush(b, true);
  batched.aggregator.flush(c, true);
  const auto got = describe(a);
  const auto want = describe(b);
  CHECK(got.size() > 20);
  CHECK(got == want);
  CHECK(describe(c) == want);
  CHECK(batched.aggregator.stats().samplesAccepted == full.aggregator.stats().samplesAccepted);
  CHECK(std::count_if(got.begin(), got.end(), [](const std::string& line) {
          return line.rfind("series level ", 0) == 0 && line.find(" v=9") != std::string::npos;
        }) == 1);
  CHECK(fast.aggregator.stats().samplesAccepted == full.aggregator.stats().samplesAccepted);
  CHECK(fast.aggregator.stats().invalidSampleRate == full.aggregator.stats().invalidSampleRate);
  CHECK(fast.aggregator.stats().nonFiniteValues == full.aggregator.stats().nonFiniteValues);
  CHECK(fast.aggregator.liveContexts() == full.aggregator.liveContexts());
}

}  // namespace
}  // namespace dynostatsd
