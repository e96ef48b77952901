// Every body here is decoded by protoc with the official .proto files (protoc_decode.h).
#include "sink/otlp/otlp_encoder.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "aggregate/ddsketch.h"
#include "protoc_decode.h"
#include "serialize/compressor.h"

using namespace dynostatsd;
using namespace dynostatsd::otlp;
using otlptest::decodeRequest;
using otlptest::TextNode;

namespace {

EncoderOptions plainOptions(OtlpTemporality temporality = OtlpTemporality::Delta) {
  EncoderOptions options;
  options.temporality = temporality;
  options.gzip = false;
  options.scopeVersion = "1.2.3";
  options.resource = {{"cloud.provider", "heroku"}, {"service.name", "myapp"}};
  return options;
}

Series series(std::string name, MetricKind kind, std::vector<std::string> tags, std::vector<Point> points) {
  Series s;
  s.name = std::move(name);
  s.kind = kind;
  s.type = kind == MetricKind::Counter ? SeriesType::Rate : SeriesType::Gauge;
  s.tags = std::move(tags);
  s.points = std::move(points);
  return s;
}

// The single request the batch encodes to, decoded.
TextNode encodeOne(OtlpEncoder& encoder, const FlushBatch& batch) {
  std::vector<serialize::Payload> out;
  encoder.encode(batch, out);
  REQUIRE(out.size() == 1);
  return decodeRequest(out[0].body);
}

const TextNode& metricsOf(const TextNode& request) {
  return request.at("resource_metrics").at("scope_metrics");
}

std::string ns(std::int64_t seconds) {
  return std::to_string(seconds) + "000000000";
}

DistributionSeries distribution(std::vector<WeightedSample> samples,
                                DistributionKind kind = DistributionKind::Histogram) {
  DistributionSeries d;
  d.name = "latency";
  d.kind = kind;
  d.tags = {"route:/a"};
  DistributionPoint p;
  p.timestamp = 1000;
  p.min = samples.front().value;
  p.max = samples.back().value;
  for (const auto& s : samples) {
    p.count += s.weight;
    p.sum += s.value * s.weight;
  }
  p.samples = std::move(samples);
  d.points.push_back(std::move(p));
  return d;
}

// The bucket a magnitude belongs to by the proto's definition, (base^i, base^(i+1)], computed
// independently of bucketIndex(): x = log2(v) * 2^scale in long double; on a boundary (x an
// integer n, up to rounding) the value belongs to the bucket below, n - 1.
long expectedIndex(long double v, int scale) {
  const long double x = std::log2(v) * std::pow(2.0L, scale);
  const long double n = std::round(x);
  if (std::fabs(x - n) < 1e-9L) return static_cast<long>(n) - 1;
  return static_cast<long>(std::floor(x));
}

struct DecodedBuckets {
  long offset = 0;
  std::vector<std::uint64_t> counts;
};

DecodedBuckets bucketsOf(const TextNode& point, const std::string& side) {
  DecodedBuckets out;
  if (!point.has(side)) return out;
  const TextNode& b = point.at(side);
  out.offset = b.has("offset") ? std::stol(b.leaf("offset")) : 0;
  for (const TextNode* c : b.all("bucket_counts")) out.counts.push_back(std::stoull(c->value));
  return out;
}

}  // namespace

TEST_CASE("counter -> monotonic delta Sum of the interval's count, start = bucket, time = bucket end") {
  OtlpEncoder encoder(plainOptions());
  FlushBatch batch;
  batch.series.push_back(series("page.views", MetricKind::Counter, {"env:prod", "dyno:web.1", "canary"},
                                {{1000, 3.5}, {1010, 0}}));
  const TextNode request = encodeOne(encoder, batch);
  const TextNode& scope = metricsOf(request);
  CHECK(scope.at("scope").leaf("name") == "\"dynostatsd\"");
  CHECK(scope.at("scope").leaf("version") == "\"1.2.3\"");
  const TextNode& metric = scope.at("metrics");
  CHECK(metric.leaf("name") == "\"page.views\"");
  const TextNode& sum = metric.at("sum");
  CHECK(sum.leaf("aggregation_temporality") == "AGGREGATION_TEMPORALITY_DELTA");
  CHECK(sum.leaf("is_monotonic") == "true");
  REQUIRE(sum.all("data_points").size() == 2);
  const TextNode& p0 = sum.at("data_points", 0);
  CHECK(p0.leaf("start_time_unix_nano") == ns(1000));
  CHECK(p0.leaf("time_unix_nano") == ns(1010));
  CHECK(p0.number("as_double") == 3.5);
  using KV = std::vector<std::pair<std::string, std::string>>;
  CHECK(p0.attributes() == KV{{"canary", ""}, {"dyno", "web.1"}, {"env", "prod"}});
  const TextNode& p1 = sum.at("data_points", 1);
  CHECK(p1.leaf("start_time_unix_nano") == ns(1010));
  CHECK(p1.leaf("time_unix_nano") == ns(1020));
  CHECK(p1.number("as_double") == 0);  // a zero value is still present (oneof)
  CHECK(encoder.stats().pointsEncoded == 2);
}

TEST_CASE("gauge and set -> Gauge at the bucket end without a start; |T points keep their timestamp") {
  OtlpEncoder encoder(plainOptions());
  FlushBatch batch;
  batch.series.push_back(series("queue.depth", MetricKind::Gauge, {}, {{1000, -7.25}}));
  batch.series.push_back(series("users.unique", MetricKind::Set, {}, {{1000, 42}}));
  Series stamped = series("backfill", MetricKind::Gauge, {}, {{1234, 5}});
  stamped.timestamped = true;
  batch.series.push_back(stamped);
  Series stampedCount = series("backfill.count", MetricKind::Counter, {}, {{1234, 2}});
  stampedCount.timestamped = true;
  batch.series.push_back(stampedCount);
  const TextNode request = encodeOne(encoder, batch);
  const auto metrics = metricsOf(request).all("metrics");
  REQUIRE(metrics.size() == 4);
  const TextNode& gauge = metrics[0]->at("gauge").at("data_points");
  CHECK(gauge.number("as_double") == -7.25);
  CHECK(gauge.leaf("time_unix_nano") == ns(1010));
  CHECK_FALSE(gauge.has("start_time_unix_nano"));
  CHECK(metrics[1]->at("gauge").at("data_points").number("as_double") == 42);
  CHECK(metrics[2]->at("gauge").at("data_points").leaf("time_unix_nano") == ns(1234));
  const TextNode& counted = metrics[3]->at("sum").at("data_points");
  CHECK(counted.leaf("time_unix_nano") == ns(1234));
  CHECK(counted.leaf("start_time_unix_nano") == ns(1224));
  CHECK(counted.number("as_double") == 2);
}

TEST_CASE("repeated tag keys are joined in tag order; the host is the attribute `host`") {
  OtlpEncoder encoder(plainOptions());
  FlushBatch batch;
  Series s = series("x", MetricKind::Gauge, {"env:b", "env:a", "env", "env:b", ":odd", "host:h2", "k:v:w"},
                    {{1000, 1}});
  s.host = "h1";
  batch.series.push_back(s);
  const TextNode request = encodeOne(encoder, batch);
  using KV = std::vector<std::pair<std::string, std::string>>;
  CHECK(metricsOf(request).at("metrics").at("gauge").at("data_points").attributes() ==
        KV{{":odd", ""}, {"env", "b,a"}, {"host", "h2,h1"}, {"k", "v:w"}});
}

TEST_CASE("the resource and scope are the envelope of every request") {
  EncoderOptions options = plainOptions();
  options.resource = {{"cloud.provider", "heroku"}, {"service.name", "my app"}, {"heroku.dyno", "web.1"}};
  OtlpEncoder encoder(options);
  FlushBatch batch;
  batch.series.push_back(series("x", MetricKind::Gauge, {}, {{1000, 1}}));
  const TextNode request = encodeOne(encoder, batch);
  CHECK(request.at("resource_metrics").at("resource").attributes() == options.resource);
  CHECK(request.all("resource_metrics").size() == 1);
}

TEST_CASE("h/ms/d -> delta ExponentialHistogram: exact count/sum/min/max, every sample in its bucket") {
  OtlpEncoder encoder(plainOptions());
  FlushBatch batch;
  std::vector<WeightedSample> samples;
  for (double v : {0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0}) samples.push_back({v, 1});
  batch.distributions.push_back(distribution(samples, DistributionKind::Timer));
  const TextNode request = encodeOne(encoder, batch);
  const TextNode& metric = metricsOf(request).at("metrics");
  CHECK(metric.leaf("unit") == "\"ms\"");
  const TextNode& h = metric.at("exponential_histogram");
  CHECK(h.leaf("aggregation_temporality") == "AGGREGATION_TEMPORALITY_DELTA");
  const TextNode& p = h.at("data_points");
  CHECK(p.leaf("start_time_unix_nano") == ns(1000));
  CHECK(p.leaf("time_unix_nano") == ns(1010));
  CHECK(p.leaf("count") == "7");
  CHECK(p.number("sum") == 13);
  CHECK(p.number("min") == 0);
  CHECK(p.number("max") == 3);
  CHECK(p.leaf("zero_count") == "1");
  const int scale = std::stoi(p.leaf("scale"));
  CHECK(scale == kMaxScale);  // 1..3 fits in 160 buckets at scale 6
  const long double base = std::pow(2.0L, std::pow(2.0L, -scale));
  CHECK((base - 1) / (base + 1) <= 0.01L);  // the promised relative error
  const DecodedBuckets positive = bucketsOf(p, "positive");
  CHECK(positive.counts.size() <= kMaxBuckets);
  std::vector<std::uint64_t> expected(positive.counts.size(), 0);
  for (double v : {1.0, 1.5, 2.0, 2.5, 3.0, 3.0}) {
    const long i = expectedIndex(v, scale) - positive.offset;
    REQUIRE(i >= 0);
    REQUIRE(i < static_cast<long>(expected.size()));
    ++expected[static_cast<std::size_t>(i)];
  }
  CHECK(positive.counts == expected);
  CHECK_FALSE(p.has("negative"));
}

TEST_CASE("a wide range is downscaled to fit 160 buckets; negative values leave `sum` out") {
  OtlpEncoder encoder(plainOptions());
  FlushBatch batch;
  std::vector<WeightedSample> samples;
  for (double v = -5000; v < 0; v *= 0.5) {
    if (v > -0.01) break;
    samples.push_back({v, 1});
  }
  std::sort(samples.begin(), samples.end(), [](auto& a, auto& b) { return a.value < b.value; });
  for (double v = 0.001; v < 1e6; v *= 3) samples.push_back({v, 1});
  batch.distributions.push_back(distribution(samples));
  const TextNode request = encodeOne(encoder, batch);
  const TextNode& p = metricsOf(request).at("metrics").at("exponential_histogram").at("data_points");
  CHECK_FALSE(p.has("sum"));
  CHECK(std::stoull(p.leaf("count")) == samples.size());
  const int scale = std::stoi(p.leaf("scale"));
  CHECK(scale < kMaxScale);
  const DecodedBuckets positive = bucketsOf(p, "positive"), negative = bucketsOf(p, "negative");
  CHECK(positive.counts.size() <= kMaxBuckets);
  CHECK(negative.counts.size() <= kMaxBuckets);
  // Exactly what the SDK's downscaling would keep: one scale higher would need more than 160.
  const long lo = expectedIndex(0.001, scale + 1), hi = expectedIndex(samples.back().value, scale + 1);
  CHECK(hi - lo + 1 > static_cast<long>(kMaxBuckets));
  std::vector<std::uint64_t> expectedPositive(positive.counts.size(), 0),
      expectedNegative(negative.counts.size(), 0);
  for (const auto& s : samples) {
    auto& side = s.value > 0 ? expectedPositive : expectedNegative;
    const long offset = s.value > 0 ? positive.offset : negative.offset;
    const long i = expectedIndex(std::fabs(s.value), scale) - offset;
    REQUIRE(i >= 0);
    REQUIRE(i < static_cast<long>(side.size()));
    ++side[static_cast<std::size_t>(i)];
  }
  CHECK(positive.counts == expectedPositive);
  CHECK(negative.counts == expectedNegative);
}

TEST_CASE("1/rate weights are rounded so the buckets add up to count") {
  OtlpEncoder encoder(plainOptions());
  FlushBatch batch;
  batch.distributions.push_back(distribution({{10, 2.5}, {20, 2.5}, {30, 2.5}}));  // @0.4 three times
  const TextNode request = encodeOne(encoder, batch);
  const TextNode& p = metricsOf(request).at("metrics").at("exponential_histogram").at("data_points");
  CHECK(p.leaf("count") == "8");  // round(7.5)
  CHECK(p.number("sum") == 150);
  std::uint64_t total = 0;
  for (auto c : bucketsOf(p, "positive").counts) total += c;
  CHECK(total == 8);
}

TEST_CASE("a sketch-backed point uses the bins' centres inside the exact min/max") {
  DDSketch sketch;
  for (int i = 1; i <= 1000; ++i) sketch.insert(i * 0.5, 1);
  DistributionSeries d;
  d.name = "big";
  d.kind = DistributionKind::Distribution;
  DistributionPoint point;
  point.timestamp = 1000;
  point.count = sketch.count();
  point.sum = sketch.sum();
  point.min = sketch.min();
  point.max = sketch.max();
  for (const auto& bin : sketch.bins()) {
    point.sketchKeys.push_back(bin.key);
    point.sketchCounts.push_back(bin.count);
  }
  d.points.push_back(point);
  OtlpEncoder encoder(plainOptions());
  FlushBatch batch;
  batch.distributions.push_back(d);
  const TextNode request = encodeOne(encoder, batch);
  const TextNode& p = metricsOf(request).at("metrics").at("exponential_histogram").at("data_points");
  CHECK(p.leaf("count") == "1000");
  CHECK(p.number("sum") == Approx(250250));
  CHECK(p.number("min") == 0.5);
  CHECK(p.number("max") == 500);
  const DecodedBuckets positive = bucketsOf(p, "positive");
  std::uint64_t total = 0;
  for (auto c : positive.counts) total += c;
  CHECK(total == 1000);
  CHECK(positive.counts.size() <= kMaxBuckets);
}

TEST_CASE("cumulative: counters keep a running total from the first start; histograms merge") {
  OtlpEncoder encoder(plainOptions(OtlpTemporality::Cumulative));
  for (int flush = 0; flush < 3; ++flush) {
    FlushBatch batch;
    const std::int64_t t = 1000 + 10 * flush;
    batch.series.push_back(series("hits", MetricKind::Counter, {"a:b"}, {{t, 2.0 + flush}}));
    batch.series.push_back(series("temp", MetricKind::Gauge, {}, {{t, 20.0 + flush}}));
    DistributionSeries d = distribution({{1.0 + flush, 1}, {100, 1}});
    d.points[0].timestamp = t;
    batch.distributions.push_back(d);
    const TextNode request = encodeOne(encoder, batch);
    const auto metrics = metricsOf(request).all("metrics");
    REQUIRE(metrics.size() == 3);
    const TextNode& sum = metrics[0]->at("sum");
    CHECK(sum.leaf("aggregation_temporality") == "AGGREGATION_TEMPORALITY_CUMULATIVE");
    const TextNode& c = sum.at("data_points");
    CHECK(c.leaf("start_time_unix_nano") == ns(1000));
    CHECK(c.leaf("time_unix_nano") == ns(t + 10));
    CHECK(c.number("as_double") == (flush == 0 ? 2 : flush == 1 ? 5 : 9));
    CHECK(metrics[1]->at("gauge").at("data_points").number("as_double") == 20.0 + flush);
    const TextNode& h = metrics[2]->at("exponential_histogram");
    CHECK(h.leaf("aggregation_temporality") == "AGGREGATION_TEMPORALITY_CUMULATIVE");
    const TextNode& hp = h.at("data_points");
    CHECK(hp.leaf("start_time_unix_nano") == ns(1000));
    CHECK(std::stoull(hp.leaf("count")) == 2u * (flush + 1));
    CHECK(hp.number("min") == 1);
    CHECK(hp.number("max") == 100);
    std::uint64_t total = 0;
    for (auto n : bucketsOf(hp, "positive").counts) total += n;
    CHECK(total == 2u * (flush + 1));
    encoder.endFlush(t + 10);
  }
  CHECK(encoder.cumulativeStreams() == 2);
  // Idle past the expiry: forgotten, so the stream restarts with a new start.
  encoder.endFlush(1030 + 331);
  CHECK(encoder.cumulativeStreams() == 0);
  FlushBatch batch;
  batch.series.push_back(series("hits", MetricKind::Counter, {"a:b"}, {{2000, 1}}));
  const TextNode request = encodeOne(encoder, batch);
  const TextNode& c = metricsOf(request).at("metrics").at("sum").at("data_points");
  CHECK(c.leaf("start_time_unix_nano") == ns(2000));
  CHECK(c.number("as_double") == 1);
}

TEST_CASE("cumulative state is bounded in bytes: new streams beyond it are dropped and counted") {
  EncoderOptions options = plainOptions(OtlpTemporality::Cumulative);
  options.cumulativeStateBytes = 4096;
  OtlpEncoder encoder(options);
  FlushBatch batch;
  for (int i = 0; i < 100; ++i)
    batch.series.push_back(series("c" + std::to_string(i), MetricKind::Counter, {}, {{1000, 1}}));
  std::vector<serialize::Payload> out;
  encoder.encode(batch, out);
  CHECK(encoder.cumulativeBytes() <= 4096);
  CHECK(encoder.stats().stateFull > 0);
  CHECK(encoder.stats().stateFull + encoder.stats().pointsEncoded == 100);
  std::size_t points = 0;
  for (const auto& p : out) points += p.items;
  CHECK(points == encoder.stats().pointsEncoded);
}

TEST_CASE("events and service checks have no OTLP form: counted, nothing sent") {
  OtlpEncoder encoder(plainOptions());
  FlushBatch batch;
  batch.events.resize(2);
  batch.checks.resize(3);
  std::vector<serialize::Payload> out;
  encoder.encode(batch, out);
  CHECK(out.empty());
  CHECK(encoder.stats().unsupported == 5);
}

TEST_CASE("requests stay under maxRequestBytes, every one decodes, no point lost") {
  EncoderOptions options = plainOptions();
  options.maxRequestBytes = 4000;
  OtlpEncoder encoder(options);
  FlushBatch batch;
  for (int i = 0; i < 300; ++i)
    batch.series.push_back(series("metric." + std::to_string(i), MetricKind::Gauge,
                                  {"i:" + std::to_string(i)}, {{1000, 1.0 * i}}));
  std::vector<serialize::Payload> out;
  encoder.encode(batch, out);
  REQUIRE(out.size() >= 3);
  std::size_t points = 0, decoded = 0;
  for (const auto& p : out) {
    CHECK(p.body.size() <= 4000);
    points += p.items;
    decoded += metricsOf(decodeRequest(p.body)).all("metrics").size();
  }
  CHECK(points == 300);
  CHECK(decoded == 300);
}

TEST_CASE("split() halves a request by metrics; both halves decode with the same resource") {
  EncoderOptions options = plainOptions();
  options.gzip = true;
  OtlpEncoder encoder(options);
  FlushBatch batch;
  for (int i = 0; i < 11; ++i)
    batch.series.push_back(series("m" + std::to_string(i), MetricKind::Counter, {}, {{1000, 1}, {1010, 2}}));
  std::vector<serialize::Payload> out;
  encoder.encode(batch, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].items == 22);
  auto halves = encoder.split(out[0]);
  REQUIRE(halves);
  CHECK(halves->first.items == 10);
  CHECK(halves->second.items == 12);
  for (const auto* half : {&halves->first, &halves->second}) {
    auto plain = serialize::decompress(Compression::Gzip, half->body, 1 << 20);
    REQUIRE(plain);
    const TextNode request = decodeRequest(*plain);
    CHECK(request.at("resource_metrics").at("resource").attributes() == options.resource);
  }
  CHECK(metricsOf(decodeRequest(*serialize::decompress(Compression::Gzip, halves->second.body, 1 << 20)))
            .at("metrics")
            .leaf("name") == "\"m5\"");
  // A single metric cannot be split.
  auto quarter = encoder.split(halves->first);
  REQUIRE(quarter);
  auto eighth = encoder.split(quarter->first);
  REQUIRE(eighth);
  CHECK_FALSE(encoder.split(eighth->first));
}

TEST_CASE("gzip bodies are real gzip streams (the system's gzip reads them)") {
  EncoderOptions options = plainOptions();
  options.gzip = true;
  OtlpEncoder encoder(options);
  FlushBatch batch;
  batch.series.push_back(series("x", MetricKind::Gauge, {}, {{1000, 1}}));
  std::vector<serialize::Payload> out;
  encoder.encode(batch, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].compression == Compression::Gzip);
  REQUIRE(out[0].body.size() > 2);
  CHECK(static_cast<unsigned char>(out[0].body[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(out[0].body[1]) == 0x8b);
  const std::string plain = otlptest::systemGunzip(out[0].body);
  CHECK(plain.size() == out[0].uncompressedBytes);
  CHECK(metricsOf(decodeRequest(plain)).at("metrics").leaf("name") == "\"x\"");
}

TEST_CASE("cumulative per-stream costs (README: ~100 B a counter, ~2.7 KB a histogram)") {
  CHECK(CumulativeState::kCounterBytes <= 128);
  CHECK(CumulativeState::kHistogramBytes <= 2800);  // 2776 measured
  std::printf("cumulative stream cost: counter %zu B, histogram %zu B\n", CumulativeState::kCounterBytes,
              CumulativeState::kHistogramBytes);
}

TEST_CASE("split() of corrupt or cut bodies returns nothing instead of crashing") {
  OtlpEncoder encoder(plainOptions());
  FlushBatch batch;
  for (int i = 0; i < 4; ++i)
    batch.series.push_back(series("m" + std::to_string(i), MetricKind::Gauge, {}, {{1000, 1}}));
  std::vector<serialize::Payload> out;
  encoder.encode(batch, out);
  REQUIRE(out.size() == 1);
  const std::string valid = out[0].body;
  std::mt19937 random(7);
  for (int i = 0; i < 5000; ++i) {
    serialize::Payload payload;
    payload.body = valid.substr(0, random() % (valid.size() + 1));
    for (int flips = 0; flips < 3 && !payload.body.empty(); ++flips)
      payload.body[random() % payload.body.size()] = static_cast<char>(random());
    auto halves = encoder.split(payload);
    if (halves) CHECK(halves->first.items + halves->second.items <= 4);
    payload.compression = Compression::Gzip;
    CHECK_FALSE(encoder.split(payload));  // not a gzip stream
  }
}
