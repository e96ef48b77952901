#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "serialize/compressor.h"
#include "serialize/payload_packer.h"
#include "sink/datadog/serializer.h"

using namespace dynostatsd;
using namespace dynostatsd::serialize;
using namespace dynostatsd::datadog;

namespace {

ItemBuffer numberedItems(std::size_t count, std::size_t width) {
  ItemBuffer items;
  for (std::size_t i = 0; i < count; ++i) {
    std::string item = "{\"i\":" + std::to_string(i) + ",\"pad\":\"";
    item.append(width > item.size() + 2 ? width - item.size() - 2 : 0, 'x');
    item += "\"}";
    items.text += item;
    items.endItem();
  }
  return items;
}

// Reassembles the items of every payload (framing {"series":[ , ]}) to check nothing is lost.
std::vector<std::string> itemsOf(const std::vector<Payload>& payloads) {
  std::vector<std::string> out;
  for (const Payload& p : payloads) {
    auto raw = decompress(p.compression, p.body, 1 << 26);
    REQUIRE(raw);
    REQUIRE(raw->substr(0, 11) == R"({"series":[)");
    REQUIRE(raw->substr(raw->size() - 2) == "]}");
    std::size_t begin = 11;
    for (std::uint32_t end : p.itemEnds) {
      out.push_back(raw->substr(begin, end - begin));
      begin = end + 1;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("Packing splits at the uncompressed limit, every payload strictly below it") {
  ItemBuffer items = numberedItems(100, 100);  // 100 bytes each
  PayloadPacker packer(routeOf(Endpoint::SeriesV2), framingFor(Endpoint::SeriesV2),
                       endpointInfo(Endpoint::SeriesV2).limits, Compression::None);
  // header 11 + footer 2 + n items of 100 + (n-1) commas < 1000  ->  n = 9 (13 + 900 + 8 = 921)
  packer.setLimitsForTest(1 << 20, 1000);
  std::vector<Payload> out;
  CHECK(packer.pack(items, out) == 0);
  REQUIRE(out.size() == 12);  // 11 x 9 + 1
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    CHECK(out[i].items == 9);
    CHECK(out[i].body.size() == 921);
  }
  CHECK(out.back().items == 1);
  auto back = itemsOf(out);
  REQUIRE(back.size() == 100);
  for (std::size_t i = 0; i < 100; ++i) CHECK(back[i] == items.item(i));
}

TEST_CASE("Packing re-splits when the compressed body overflows, and drops only an item too big alone") {
  // Incompressible-ish items: compressed size ~ uncompressed size.
  ItemBuffer items;
  std::uint64_t state = 42;
  for (int i = 0; i < 50; ++i) {
    std::string item = "\"";
    for (int k = 0; k < 200; ++k) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      item.push_back(static_cast<char>('a' + (state >> 59)));
    }
    item.push_back('"');
    items.text += item;
    items.endItem();
  }
  items.text += "\"" + std::string(5000, 'z') + "\"";  // 5002 bytes: over the uncompressed limit alone
  items.endItem();
  PayloadPacker packer(routeOf(Endpoint::SeriesV2), framingFor(Endpoint::SeriesV2),
                       endpointInfo(Endpoint::SeriesV2).limits, Compression::Deflate);
  packer.setLimitsForTest(1500, 5000);
  std::vector<Payload> out;
  CHECK(packer.pack(items, out) == 1);
  std::size_t total = 0;
  for (const Payload& p : out) {
    CHECK(p.body.size() <= 1500);
    CHECK(p.uncompressedBytes < 5000);
    CHECK(p.compression == Compression::Deflate);
    total += p.items;
  }
  CHECK(total == 50);
  auto back = itemsOf(out);
  REQUIRE(back.size() == 50);
  for (std::size_t i = 0; i < 50; ++i) CHECK(back[i] == items.item(i));
}

TEST_CASE("A single item whose compressed form alone is over the limit is dropped") {
  ItemBuffer items;
  std::uint64_t state = 7;
  items.text = "\"";
  for (int k = 0; k < 3000; ++k) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    items.text.push_back(static_cast<char>('a' + (state >> 59)));
  }
  items.text += "\"";
  items.endItem();
  PayloadPacker packer(routeOf(Endpoint::SeriesV2), framingFor(Endpoint::SeriesV2),
                       endpointInfo(Endpoint::SeriesV2).limits, Compression::Zstd);
  packer.setLimitsForTest(1000, 1 << 20);
  std::vector<Payload> out;
  CHECK(packer.pack(items, out) == 1);
  CHECK(out.empty());
}

TEST_CASE("split() cuts a payload into two halves that hold every item once") {
  ItemBuffer items = numberedItems(7, 40);
  for (Compression method : {Compression::Zstd, Compression::Deflate, Compression::Gzip, Compression::None}) {
    PayloadPacker packer(routeOf(Endpoint::SeriesV2), framingFor(Endpoint::SeriesV2),
                         endpointInfo(Endpoint::SeriesV2).limits, method);
    std::vector<Payload> out;
    packer.pack(items, out);
    REQUIRE(out.size() == 1);
    auto halves = packer.split(out[0]);
    REQUIRE(halves);
    CHECK(halves->first.items == 3);
    CHECK(halves->second.items == 4);
    auto back = itemsOf({halves->first, halves->second});
    REQUIRE(back.size() == 7);
    for (std::size_t i = 0; i < 7; ++i) CHECK(back[i] == items.item(i));
    auto quarter = packer.split(halves->first);
    REQUIRE(quarter);
    CHECK(quarter->first.items == 1);
    CHECK_FALSE(packer.split(quarter->first));  // a single item cannot be split
  }
}

TEST_CASE("100k series land in v2 payloads within the documented limits") {
  std::vector<Series> series(100000);
  for (std::size_t i = 0; i < series.size(); ++i) {
    Series& s = series[i];
    s.name = "app.request.latency.p" + std::to_string(i % 100);
    s.type = SeriesType::Gauge;
    s.host = "myapp.web.1";
    s.tags = {"dyno:web.1", "dynotype:web", "appname:myapp", "endpoint:/api/v" + std::to_string(i)};
    s.points = {{1700000000, static_cast<double>(i) * 0.25}};
  }
  Serializer serializer(SeriesApi::V2, Compression::Zstd);
  std::vector<Payload> out;
  serializer.serializeSeries(series, out);
  std::size_t total = 0;
  for (const Payload& p : out) {
    CHECK(p.body.size() <= 512000);
    CHECK(p.uncompressedBytes < 5242880);
    total += p.items;
  }
  CHECK(total == 100000);
  CHECK(serializer.stats().oversizedItems == 0);
}

double threadCpuMillis() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1000 + static_cast<double>(now.tv_nsec) / 1e6;
}

// Not a timed assertion: `unit_serialize "[.perf]"` prints the figure for the README/bench table.
TEST_CASE("Serialize and compress 100k series: timing", "[.perf]") {
  std::vector<Series> series(100000);
  for (std::size_t i = 0; i < series.size(); ++i) {
    Series& s = series[i];
    s.name = "app.request.latency." + std::to_string(i % 500) + ".95percentile";
    s.type = i % 3 == 0 ? SeriesType::Rate : SeriesType::Gauge;
    s.host = "myapp.web.1";
    s.tags = {"dyno:web.1", "dynotype:web", "appname:myapp", "env:production",
              "route:/r" + std::to_string(i)};
    s.points = {{1700000000, static_cast<double>(i) * 0.37}};
  }
  for (Compression method : {Compression::Zstd, Compression::Deflate, Compression::Gzip}) {
    for (SeriesApi api : {SeriesApi::V2, SeriesApi::V1}) {
      Serializer serializer(api, method);
      std::vector<Payload> out;
      serializer.serializeSeries(series, out);  // warm-up (allocations, page faults)
      out.clear();
      auto start = std::chrono::steady_clock::now();
      double cpuStart = threadCpuMillis();
      serializer.serializeSeries(series, out);
      double cpu = threadCpuMillis() - cpuStart;
      auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      std::size_t raw = 0, wire = 0;
      for (const Payload& p : out) {
        raw += p.uncompressedBytes;
        wire += p.body.size();
      }
      std::printf(
          "serialize 100k series api=%s compression=%s: %.1f ms CPU (%.1f ms wall), %zu payloads, %zu -> %zu "
          "bytes\n",
          api == SeriesApi::V2 ? "v2" : "v1",
          std::string(contentEncoding(serializer.seriesEndpoint(),
                                      compressionFor(serializer.seriesEndpoint(), method)))
              .c_str(),
          cpu, ms, out.size(), raw, wire);
    }
  }
}

TEST_CASE("ItemBuffer::dropFront keeps the remaining items intact") {
  ItemBuffer items = numberedItems(5, 20);
  std::string third(items.item(2)), fifth(items.item(4));
  items.dropFront(2);
  REQUIRE(items.count() == 3);
  CHECK(items.item(0) == third);
  CHECK(items.item(2) == fifth);
  items.dropFront(0);
  CHECK(items.count() == 3);
}

TEST_CASE("v1 payloads hold at most 10,000 series and kMaxRawPayloadBytes, packed while writing") {
  std::vector<Series> series(60000);
  for (std::size_t i = 0; i < series.size(); ++i) {
    series[i].name = "app.metric." + std::to_string(i);
    series[i].tags = {"dyno:web.1", "dynotype:web", "route:/some/long/route/" + std::to_string(i)};
    series[i].points = {{1700000000, 1}};
  }
  Serializer serializer(SeriesApi::V1, Compression::Deflate);
  std::vector<Payload> out;
  serializer.serializeSeries(series, out);
  REQUIRE(out.size() >= 2);
  std::size_t total = 0;
  for (const Payload& p : out) {
    CHECK(p.uncompressedBytes < kMaxRawPayloadBytes);
    CHECK(p.body.size() <= 3200000);
    total += p.items;
  }
  CHECK(total == 60000);
  CHECK(out[0].items == 10000);  // full payloads (the Agent's points per payload), not slivers
  auto back = itemsOf(out);
  REQUIRE(back.size() == 60000);
  CHECK(back[59999].find(R"("metric":"app.metric.59999")") != std::string::npos);
}
