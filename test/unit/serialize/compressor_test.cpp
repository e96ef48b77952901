#include <catch2/catch.hpp>

#include "serialize/compressor.h"

using namespace dynostatsd;
using namespace dynostatsd::serialize;

TEST_CASE("Compression round trip for every method") {
  std::string json;
  for (int i = 0; i < 2000; ++i)
    json += R"({"metric":"m)" + std::to_string(i) + R"(","tags":["dyno:web.1"]},)";
  for (Compression method : {Compression::Zstd, Compression::Deflate, Compression::Gzip, Compression::None}) {
    auto compressed = compress(method, json);
    REQUIRE(compressed);
    std::string packed = *compressed;
    REQUIRE(!packed.empty());
    if (method != Compression::None) CHECK(packed.size() < json.size() / 4);
    auto back = decompress(method, packed, json.size());
    REQUIRE(back);
    CHECK(*back == json);
    CHECK_FALSE(decompress(method, packed, json.size() - 1));  // output bound honoured
  }
  CHECK(static_cast<unsigned char>((*compress(Compression::Gzip, json))[0]) == 0x1f);     // gzip magic
  CHECK(static_cast<unsigned char>((*compress(Compression::Deflate, json))[0]) == 0x78);  // zlib header
  CHECK_FALSE(decompress(Compression::Deflate, "not zlib", 100));
  CHECK_FALSE(decompress(Compression::Zstd, "not zstd", 100));
  std::string truncated = *compress(Compression::Deflate, json);
  truncated.resize(truncated.size() / 2);
  CHECK_FALSE(decompress(Compression::Deflate, truncated, json.size()));
}
