#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "serialize/compressor.h"
#include "sink/datadog/serializer.h"

using namespace dynostatsd;
using namespace dynostatsd::serialize;
using namespace dynostatsd::datadog;

namespace {

Series counterSeries() {
  Series s;
  s.name = "page.views";
  s.type = SeriesType::Rate;
  s.interval = 10;
  s.host = "myapp.web.1";
  s.tags = {"dyno:web.1", "dynotype:web"};
  s.points = {{1700000000, 3}};  // a Rate point carries the count; the wire value is 3 / 10
  return s;
}

std::vector<Payload> serializeSeries(SeriesApi api, const std::vector<Series>& series,
                                     Compression compression = Compression::None) {
  Serializer serializer(api, compression);
  std::vector<Payload> out;
  serializer.serializeSeries(series, out);
  return out;
}

}  // namespace

TEST_CASE("v2 series golden JSON") {
  Series timer = counterSeries();
  timer.name = "request.time.95percentile";
  timer.type = SeriesType::Gauge;
  timer.host = "";
  timer.tags = {"a\"b"};
  timer.unit = "millisecond";
  timer.points = {{1700000010, 12.5}};
  auto payloads = serializeSeries(SeriesApi::V2, {counterSeries(), timer});
  REQUIRE(payloads.size() == 1);
  CHECK(payloads[0].route == routeOf(Endpoint::SeriesV2));
  CHECK(payloads[0].items == 2);
  CHECK(payloads[0].compression == Compression::None);
  CHECK(
      payloads[0].body ==
      R"({"series":[{"metric":"page.views","type":2,"interval":10,"points":[{"timestamp":1700000000,"value":0.3}],)"
      R"("resources":[{"type":"host","name":"myapp.web.1"}],"tags":["dyno:web.1","dynotype:web"]},)"
      R"({"metric":"request.time.95percentile","type":3,"interval":10,"points":[{"timestamp":1700000010,"value":12.5}],)"
      R"("tags":["a\"b"],"unit":"millisecond"}]})");
  CHECK(payloads[0].uncompressedBytes == payloads[0].body.size());
}

TEST_CASE("v1 series golden JSON") {
  Series count = counterSeries();
  count.type = SeriesType::Count;
  count.host = "";
  count.tags = {};
  count.points = {{1700000000, 3}, {1700000010, 4}};
  auto payloads = serializeSeries(SeriesApi::V1, {counterSeries(), count});
  REQUIRE(payloads.size() == 1);
  CHECK(payloads[0].route == routeOf(Endpoint::SeriesV1));
  CHECK(payloads[0].body ==
        R"({"series":[{"metric":"page.views","points":[[1700000000,0.3]],"type":"rate","interval":10,)"
        R"("host":"myapp.web.1","tags":["dyno:web.1","dynotype:web"]},)"
        R"({"metric":"page.views","points":[[1700000000,3],[1700000010,4]],"type":"count","interval":10,)"
        R"("host":"","tags":[]}]})");
}

TEST_CASE("Non-finite points are skipped and counted; a series left empty is not sent") {
  Series mixed = counterSeries();
  mixed.points = {{1, std::nan("")}, {2, 1.5}, {3, std::numeric_limits<double>::infinity()}};
  Series allBad = counterSeries();
  allBad.name = "bad";
  allBad.points = {{1, -std::numeric_limits<double>::infinity()}};
  Serializer serializer(SeriesApi::V2, Compression::None);
  std::vector<Payload> out;
  serializer.serializeSeries({mixed, allBad}, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].items == 1);
  CHECK(out[0].body.find(R"("points":[{"timestamp":2,"value":0.15}])") != std::string::npos);  // 1.5 / 10
  CHECK(serializer.stats().nonFinitePoints == 3);
  CHECK(serializer.stats().emptySeries == 1);
}

TEST_CASE("No series, no payload") {
  CHECK(serializeSeries(SeriesApi::V2, {}).empty());
}

TEST_CASE("Service checks golden JSON") {
  ServiceCheck ok;
  ok.name = "app.ok";
  ok.status = 0;
  ok.host = "h";
  ok.timestamp = 1700000000;
  ok.message = "all \"good\"";
  ok.tags = {"dyno:web.1"};
  ServiceCheck weird;
  weird.name = "app.weird";
  weird.status = 9;
  Serializer serializer(SeriesApi::V2, Compression::None);
  std::vector<Payload> out;
  serializer.serializeChecks({ok, weird}, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].route == routeOf(Endpoint::CheckRun));
  CHECK(out[0].body ==
        R"([{"check":"app.ok","host_name":"h","status":0,"tags":["dyno:web.1"],"timestamp":1700000000,)"
        R"("message":"all \"good\""},{"check":"app.weird","host_name":"","status":3,"tags":[]}])");
}

TEST_CASE("Events: one request each, golden JSON, text and aggregation key cut to the API limits") {
  Event full;
  full.title = "Deploy";
  full.text = "line1\nline2";
  full.timestamp = 1700000000;
  full.host = "h";
  full.aggregationKey = "deploys";
  full.priority = "low";
  full.sourceType = "heroku";
  full.alertType = "success";
  full.tags = {"dyno:web.1"};
  Event minimal;
  minimal.title = "t";
  minimal.text = std::string(4005, 'x');
  minimal.aggregationKey = std::string(101, 'k');
  minimal.priority = "urgent";
  minimal.alertType = "panic";
  Serializer serializer(SeriesApi::V2, Compression::Zstd);
  std::vector<Payload> out;
  serializer.serializeEvents({full, minimal}, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0].route == routeOf(Endpoint::Events));
  CHECK(out[0].compression == Compression::None);  // the events API documents no Content-Encoding
  CHECK(
      out[0].body ==
      R"({"title":"Deploy","text":"line1\nline2","date_happened":1700000000,"host":"h","priority":"low",)"
      R"("alert_type":"success","aggregation_key":"deploys","source_type_name":"heroku","tags":["dyno:web.1"]})");
  CHECK(out[1].body == R"({"title":"t","text":")" + std::string(4000, 'x') +
                           R"(","priority":"normal","alert_type":"info","aggregation_key":")" +
                           std::string(100, 'k') + R"(","tags":[]})");
  CHECK(serializer.stats().truncatedFields == 2);
}

TEST_CASE("Compression is chosen per endpoint") {
  CHECK(compressionFor(Endpoint::SeriesV2, Compression::Zstd) == Compression::Zstd);
  CHECK(contentEncoding(Endpoint::SeriesV2, Compression::Zstd) == "zstd1");
  CHECK(compressionFor(Endpoint::SeriesV1, Compression::Zstd) == Compression::Deflate);
  CHECK(compressionFor(Endpoint::SeriesV1, Compression::Gzip) == Compression::Gzip);
  CHECK(compressionFor(Endpoint::Sketches, Compression::Zstd) == Compression::Deflate);
  CHECK(compressionFor(Endpoint::CheckRun, Compression::Gzip) == Compression::Deflate);
  CHECK(compressionFor(Endpoint::Events, Compression::Deflate) == Compression::None);
  CHECK(compressionFor(Endpoint::SeriesV2, Compression::None) == Compression::None);
  CHECK(contentEncoding(Endpoint::SeriesV1, Compression::Deflate) == "deflate");
  CHECK(contentEncoding(Endpoint::SeriesV2, Compression::Gzip) == "gzip");
  CHECK(contentEncoding(Endpoint::Events, Compression::None) == "");
}
