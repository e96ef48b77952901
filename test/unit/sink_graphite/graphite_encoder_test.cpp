#include "sink/graphite/graphite_encoder.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <sstream>
#include <string>

#include "aggregate/ddsketch.h"
#include "sink/graphite/timer_stats.h"

using namespace dynostatsd;
using namespace dynostatsd::graphite;

namespace {

Series series(std::string name, MetricKind kind, SeriesType type, double value,
              std::vector<std::string> tags = {}) {
  Series s;
  s.name = std::move(name);
  s.kind = kind;
  s.type = type;
  s.interval = 10;
  s.tags = std::move(tags);
  s.points = {{1700000000, value}};
  return s;
}

DistributionSeries timer(std::string name, std::vector<double> values, double rate = 1) {
  DistributionSeries d;
  d.name = std::move(name);
  d.kind = DistributionKind::Timer;
  DistributionPoint p;
  p.timestamp = 1700000000;
  std::sort(values.begin(), values.end());
  for (double v : values) {
    p.samples.push_back({v, 1 / rate});
    p.count += 1 / rate;
    p.sum += v;
  }
  p.min = values.front();
  p.max = values.back();
  d.points.push_back(p);
  return d;
}

// path -> value of every line (each must be `path value timestamp`).
std::map<std::string, double> parse(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string path, value, ts;
  while (in >> path >> value >> ts) {
    CHECK(ts == "1700000000");
    CHECK(out.count(path) == 0);
    out[path] = std::stod(value);
  }
  return out;
}

}  // namespace

TEST_CASE("counters, gauges and sets get Etsy's legacyNamespace=false names") {
  GraphiteEncoder encoder({});
  FlushBatch batch;
  // A counter point holds the interval's count (Σ value/rate): 37 in 10 s -> 3.7/s.
  batch.series.push_back(series("page.views", MetricKind::Counter, SeriesType::Rate, 37));
  batch.series.push_back(series("jobs.done", MetricKind::Counter, SeriesType::Count, 5));
  batch.series.push_back(series("queue.depth", MetricKind::Gauge, SeriesType::Gauge, -7.25));
  batch.series.push_back(series("users", MetricKind::Set, SeriesType::Gauge, 3));
  batch.series.push_back(
      series("lat.avg", MetricKind::HistogramStatistic, SeriesType::Gauge, 1));  // Datadog only
  std::string out;
  CHECK(encoder.encode(batch, out) == 6);
  auto lines = parse(out);
  CHECK(lines == std::map<std::string, double>{{"stats.counters.page.views.count", 37},
                                               {"stats.counters.page.views.rate", 3.7},
                                               {"stats.counters.jobs.done.count", 5},
                                               {"stats.counters.jobs.done.rate", 0.5},
                                               {"stats.gauges.queue.depth", -7.25},
                                               {"stats.sets.users.count", 3}});
  CHECK(out.find("stats.counters.page.views.count 37 1700000000\n") != std::string::npos);
}

TEST_CASE("an idle zero-filled counter is written as 0, not left out") {
  GraphiteEncoder encoder({});
  FlushBatch batch;
  batch.series.push_back(series("idle", MetricKind::Counter, SeriesType::Rate, 0));
  std::string out;
  encoder.encode(batch, out);
  CHECK(out == "stats.counters.idle.count 0 1700000000\nstats.counters.idle.rate 0 1700000000\n");
}

TEST_CASE("names are sanitised as Etsy's sanitizeKeyName") {
  CHECK(sanitizeName("a b\t\tc") == "a_b_c");
  CHECK(sanitizeName("api/v1/users") == "api-v1-users");
  CHECK(sanitizeName("weird*name?[x]{y}#%") == "weirdnamexy");
  CHECK(sanitizeName("ok.Name-1_x") == "ok.Name-1_x");
  CHECK(sanitizeName("caf\xC3\xA9") == "caf");
}

TEST_CASE("tags become Graphite 1.1 tags, sorted by key, with invalid characters replaced") {
  CHECK(tagSuffix({"dyno:web.1", "dynotype:web", "env:prod"}, "") == ";dyno=web.1;dynotype=web;env=prod");
  CHECK(tagSuffix({"zeta:1", "alpha:2"}, "") == ";alpha=2;zeta=1");
  CHECK(tagSuffix({"canary"}, "") == ";canary=true");
  CHECK(tagSuffix({"empty:"}, "") == ";empty=true");
  CHECK(tagSuffix({"path:a b;c", "t:~x"}, "") == ";path=a_b_c;t=_x");
  CHECK(tagSuffix({"url:http://x/y?z=1"}, "") == ";url=http://x/y?z=1");  // `:` and `=` are fine in values
  CHECK(tagSuffix({"a=b:1", "c!^d:2"}, "") == ";a_b=1;c__d=2");
  CHECK(tagSuffix({"env:b", "env:a"}, "") == ";env=a");  // one value per key
  CHECK(tagSuffix({"env:prod"}, "my.host") == ";env=prod;host=my.host");
  CHECK(tagSuffix({}, "") == "");

  GraphiteEncoder encoder({});
  FlushBatch batch;
  batch.series.push_back(
      series("q", MetricKind::Gauge, SeriesType::Gauge, 1, {"env:prod", "dyno:web.1", "dynotype:web"}));
  std::string out;
  encoder.encode(batch, out);
  CHECK(out == "stats.gauges.q;dyno=web.1;dynotype=web;env=prod 1 1700000000\n");
}

TEST_CASE("path mode puts only the dyno right after the prefix; the key and prefix lead") {
  EncoderOptions options;
  options.tags = GraphiteTags::Path;
  options.dyno = "web.1";
  GraphiteEncoder path(options);
  FlushBatch batch;
  batch.series.push_back(
      series("page.views", MetricKind::Counter, SeriesType::Rate, 10, {"env:prod", "dyno:web.1"}));
  std::string out;
  path.encode(batch, out);
  CHECK(out ==
        "stats.web_1.counters.page.views.count 10 1700000000\nstats.web_1.counters.page.views.rate 1 "
        "1700000000\n");

  EncoderOptions hosted;
  hosted.apiKeyPrefix = "0123-abcd";
  hosted.prefix = "";
  GraphiteEncoder key(hosted);
  out.clear();
  batch.series[0].tags = {};
  key.encode(batch, out);
  CHECK(out.starts_with("0123-abcd.counters.page.views.count 10 1700000000\n"));
  hosted.prefix = "myapp";
  GraphiteEncoder both(hosted);
  CHECK(both.pathPrefix() == "0123-abcd.myapp.");
}

TEST_CASE("timers: Etsy's statistics from the exact samples") {
  EncoderOptions options;
  options.percentiles = {90, 50, 99.9, -10};
  GraphiteEncoder encoder(options);
  FlushBatch batch;
  // 10 samples 1..10 at rate 0.5: count = 20 (sample-rate corrected), the rest over the raw values.
  batch.distributions.push_back(timer("api.latency", {3, 1, 2, 4, 5, 6, 7, 8, 9, 10}, 0.5));
  std::string out;
  encoder.encode(batch, out);
  auto l = parse(out);
  const std::string p = "stats.timers.api.latency.";
  CHECK(l[p + "count"] == 20);
  CHECK(l[p + "count_ps"] == 2);
  CHECK(l[p + "lower"] == 1);
  CHECK(l[p + "upper"] == 10);
  CHECK(l[p + "sum"] == 55);
  CHECK(l[p + "sum_squares"] == 385);
  CHECK(l[p + "mean"] == 5.5);
  CHECK(l[p + "median"] == 5.5);
  CHECK(l[p + "std"] == Approx(std::sqrt(8.25)).epsilon(1e-12));  // population: sum (v-5.5)^2 / 10
  // 90: the lowest round(0.9 * 10) = 9 samples
  CHECK(l[p + "count_90"] == 9);
  CHECK(l[p + "upper_90"] == 9);
  CHECK(l[p + "sum_90"] == 45);
  CHECK(l[p + "mean_90"] == 5);
  CHECK(l[p + "sum_squares_90"] == 285);
  CHECK(l[p + "count_50"] == 5);
  CHECK(l[p + "upper_50"] == 5);
  // 99.9 -> 99_9: round(9.99) = 10 samples
  CHECK(l[p + "count_99_9"] == 10);
  CHECK(l[p + "upper_99_9"] == 10);
  // -10: the top round(1) = 1 sample, named lower_top10
  CHECK(l[p + "count_top10"] == 1);
  CHECK(l[p + "lower_top10"] == 10);
  CHECK(l[p + "mean_top10"] == 10);
  CHECK(l.size() == 9 + 4 * 5);
}

TEST_CASE("timers: a single sample, an odd count, and a percentile that rounds to no sample") {
  EncoderOptions options;
  options.percentiles = {90, 10};
  GraphiteEncoder encoder(options);
  FlushBatch batch;
  batch.distributions.push_back(timer("one", {42}));
  batch.distributions.push_back(timer("three", {1, 2, 10}));
  std::string out;
  encoder.encode(batch, out);
  auto l = parse(out);
  CHECK(l["stats.timers.one.count_90"] == 1);
  CHECK(l["stats.timers.one.upper_90"] == 42);
  CHECK(l["stats.timers.one.mean_90"] == 42);
  CHECK(l["stats.timers.one.std"] == 0);
  CHECK(l["stats.timers.one.median"] == 42);
  CHECK(l["stats.timers.three.median"] == 2);
  CHECK(l["stats.timers.three.count_90"] == 3);        // round(2.7)
  CHECK(l.count("stats.timers.three.count_10") == 0);  // round(0.3) = 0: Etsy leaves it out
  CHECK(l["stats.timers.three.mean"] == Approx(13.0 / 3));
}

TEST_CASE("timers from the sketch: exact count/sum/min/max, the rest within the sketch error") {
  DistributionSeries d;
  d.name = "big";
  DistributionPoint p;
  p.timestamp = 1700000000;
  DDSketch sketch;
  double sum = 0, squares = 0;
  for (int v = 1; v <= 5000; ++v) {
    sketch.insert(v, 1);
    sum += v;
    squares += double(v) * v;
  }
  for (const auto& bin : sketch.bins()) {
    p.sketchKeys.push_back(bin.key);
    p.sketchCounts.push_back(bin.count);
  }
  p.count = 5000;
  p.sum = sum;
  p.min = 1;
  p.max = 5000;
  d.points.push_back(p);
  const TimerStats s = timerStats(p, {90});
  CHECK(s.count == 5000);
  CHECK(s.sum == sum);
  CHECK(s.lower == 1);
  CHECK(s.upper == 5000);
  CHECK(s.mean == 2500.5);
  CHECK(s.median == Approx(2500.5).epsilon(0.008));
  CHECK(s.percentiles[0].count == 4500);
  CHECK(s.percentiles[0].bound == Approx(4500).epsilon(0.008));
  CHECK(s.percentiles[0].sum == Approx(4500.0 * 4501 / 2).epsilon(0.008));
  CHECK(s.sumSquares == Approx(squares).epsilon(0.016));
  CHECK(s.std == Approx(std::sqrt(squares / 5000 - 2500.5 * 2500.5)).epsilon(0.016));
}

TEST_CASE("events and service checks are counted as unsupported; NaN is never written") {
  GraphiteEncoder encoder({});
  FlushBatch batch;
  batch.events.resize(2);
  batch.checks.resize(1);
  batch.series.push_back(series("bad", MetricKind::Gauge, SeriesType::Gauge, std::nan("")));
  std::string out;
  CHECK(encoder.encode(batch, out) == 0);
  CHECK(out.empty());
  CHECK(encoder.stats().eventsUnsupported == 2);
  CHECK(encoder.stats().checksUnsupported == 1);
  CHECK(encoder.stats().nonFinite == 1);
}

TEST_CASE("percentile labels follow Etsy's number-to-text") {
  CHECK(percentileLabel(90) == "90");
  CHECK(percentileLabel(99.9) == "99_9");
  CHECK(percentileLabel(99.99) == "99_99");
  CHECK(percentileLabel(-10) == "top10");
  CHECK(percentileLabel(0.5) == "0_5");
}
