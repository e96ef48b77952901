#include <catch2/catch.hpp>
#include <cstring>
#include <map>

#include "serialize/protobuf_writer.h"
#include "sink/datadog/serializer.h"
#include "sketch_point.h"

using namespace dynostatsd;
using namespace dynostatsd::serialize;
using namespace dynostatsd::datadog;

namespace {

// A minimal protobuf reader for the test: (field, wire, varint value | bytes).
struct Field {
  std::uint32_t number;
  int wire;
  std::uint64_t varint = 0;
  std::string bytes;
};

std::uint64_t readVarint(std::string_view data, std::size_t& pos) {
  std::uint64_t value = 0;
  for (int shift = 0; pos < data.size(); shift += 7) {
    auto byte = static_cast<unsigned char>(data[pos++]);
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) return value;
  }
  FAIL("truncated varint");
  return 0;
}

std::vector<Field> readFields(std::string_view data) {
  std::vector<Field> out;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::uint64_t key = readVarint(data, pos);
    Field f{static_cast<std::uint32_t>(key >> 3), static_cast<int>(key & 7), 0, {}};
    if (f.wire == 0) {
      f.varint = readVarint(data, pos);
    } else if (f.wire == 1) {
      REQUIRE(pos + 8 <= data.size());
      f.bytes = data.substr(pos, 8);
      pos += 8;
    } else if (f.wire == 2) {
      std::size_t length = readVarint(data, pos);
      REQUIRE(pos + length <= data.size());
      f.bytes = data.substr(pos, length);
      pos += length;
    } else {
      FAIL("unexpected wire type");
    }
    out.push_back(f);
  }
  return out;
}

double asDouble(const std::string& bytes) {
  double value;
  std::memcpy(&value, bytes.data(), 8);
  return value;
}

std::vector<std::uint64_t> packed(const std::string& bytes) {
  std::vector<std::uint64_t> out;
  std::size_t pos = 0;
  while (pos < bytes.size()) out.push_back(readVarint(bytes, pos));
  return out;
}

}  // namespace

TEST_CASE("ProtobufWriter encodes varints, zigzag and doubles like protobuf") {
  std::string out;
  ProtobufWriter writer(out);
  writer.varint(300);
  CHECK(out == "\xAC\x02");
  CHECK(ProtobufWriter::zigzag32(0) == 0);
  CHECK(ProtobufWriter::zigzag32(-1) == 1);
  CHECK(ProtobufWriter::zigzag32(1) == 2);
  CHECK(ProtobufWriter::zigzag32(-2147483647 - 1) == 4294967295u);
  out.clear();
  writer.int64Field(1, -1);
  CHECK(out == std::string("\x08\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 11));
  out.clear();
  writer.doubleField(3, 1.0);
  CHECK(out == std::string("\x19\x00\x00\x00\x00\x00\x00\xF0\x3F", 9));
  out.clear();
  writer.bytesField(1, "lat");
  CHECK(out == "\x0A\x03lat");
}

TEST_CASE("A known sketch encodes to exact SketchPayload bytes and decodes back") {
  SketchSeries sketch;
  sketch.name = "lat";
  sketch.host = "h";
  sketch.tags = {"a:b"};
  SketchPoint point = test::sketchPoint(1700000000, 3, 1, 10, 13);  // avg 13 / 3
  point.keys = {-5, 1338, 1383};
  point.counts = {1, 1, 1};
  sketch.points = {point};
  SketchSeries empty = sketch;
  empty.name = "none";
  empty.points[0].max = std::numeric_limits<double>::quiet_NaN();

  Serializer serializer(SeriesApi::V2, Compression::None);
  std::vector<Payload> out;
  serializer.serializeSketches({sketch, empty}, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].route == routeOf(Endpoint::Sketches));
  CHECK(out[0].items == 1);
  CHECK(serializer.stats().emptySeries == 1);
  CHECK(serializer.stats().nonFinitePoints == 1);

  // Exact bytes of the Dogsketch: ts, cnt, min, max, avg, sum, k (zigzag 9, 2676, 2766), n.
  std::string dog =
      "\x08\x80\xE2\xCF\xAA\x06"  // 1: 1700000000
      "\x10\x03";                 // 2: 3
  auto appendDouble = [&](char key, double v) {
    dog.push_back(key);
    char raw[8];
    std::memcpy(raw, &v, 8);
    dog.append(raw, 8);
  };
  appendDouble('\x19', 1);
  appendDouble('\x21', 10);
  appendDouble('\x29', 13.0 / 3);
  appendDouble('\x31', 13);
  dog += std::string("\x3A\x05\x09\xF4\x14\xCE\x15", 7);  // 7: packed zigzag keys
  dog += std::string("\x42\x03\x01\x01\x01", 5);          // 8: packed counts
  std::string body = std::string(
                         "\x0A\x03lat\x12\x01h\x22\x03"
                         "a:b\x3A") +
                     static_cast<char>(dog.size()) + dog;
  std::string expected = std::string("\x0A") + static_cast<char>(body.size()) + body;
  CHECK(out[0].body == expected);

  // And decode it generically.
  auto top = readFields(out[0].body);
  REQUIRE(top.size() == 1);
  CHECK(top[0].number == 1);
  auto fields = readFields(top[0].bytes);
  REQUIRE(fields.size() == 4);
  CHECK(fields[0].bytes == "lat");
  CHECK(fields[1].bytes == "h");
  CHECK(fields[2].bytes == "a:b");
  auto dogFields = readFields(fields[3].bytes);
  REQUIRE(dogFields.size() == 8);
  CHECK(dogFields[0].varint == 1700000000);
  CHECK(dogFields[1].varint == 3);
  CHECK(asDouble(dogFields[2].bytes) == 1);
  CHECK(asDouble(dogFields[3].bytes) == 10);
  CHECK(asDouble(dogFields[5].bytes) == 13);
  CHECK(packed(dogFields[6].bytes) == std::vector<std::uint64_t>{9, 2676, 2766});
  CHECK(packed(dogFields[7].bytes) == std::vector<std::uint64_t>{1, 1, 1});
}

TEST_CASE("Sketch payloads split into concatenable records") {
  std::vector<SketchSeries> sketches(4);
  for (std::size_t i = 0; i < sketches.size(); ++i) {
    sketches[i].name = "d" + std::to_string(i);
    SketchPoint point = test::sketchPoint(1700000000, 1, 2, 2, 2);
    point.keys = {1383};
    point.counts = {1};
    sketches[i].points = {point};
  }
  Serializer serializer(SeriesApi::V2, Compression::Deflate);
  std::vector<Payload> out;
  serializer.serializeSketches(sketches, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].compression == Compression::Deflate);
  auto halves = serializer.split(out[0]);
  REQUIRE(halves);
  CHECK(halves->first.items == 2);
  CHECK(halves->second.items == 2);
}
