#include "relay/relay_batcher.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace dynostatsd;

namespace {

struct Sent {
  std::vector<std::pair<std::size_t, std::string>> datagrams;
  RelayBatcher::Send sender() {
    return [this](std::size_t upstream, std::string_view d) {
      datagrams.emplace_back(upstream, std::string(d));
    };
  }
};

}  // namespace

TEST_CASE("crc32 is zlib's IEEE CRC-32 (the documented check value)") {
  CHECK(crc32Of("123456789") == 0xCBF43926u);
  CHECK(crc32Of("") == 0u);
  CHECK(shardOf("myapp.heroku.errors.H12:1|c", 7) == crc32Of("myapp.heroku.errors.H12") % 7);
}

TEST_CASE("the shard key is the bytes before the first colon, whatever follows") {
  for (std::size_t n : {2u, 3u, 5u}) {
    const std::size_t expected = crc32Of("api.latency") % n;
    CHECK(shardOf("api.latency:12|ms", n) == expected);
    CHECK(shardOf("api.latency:12|ms|@0.5|#env:prod,region:eu", n) == expected);
    CHECK(shardOf("api.latency:1:2:3|h", n) == expected);
  }
  CHECK(shardOf("anything:1|c", 1) == 0);
}

TEST_CASE("lines are packed per upstream, newline separated, never split, at most maxDatagram") {
  Sent sent;
  RelayBatcher batcher({1, 20, "", ""}, sent.sender());
  CHECK(batcher.add("a:1|c", MessageKind::Metric));            // 5 bytes: was empty -> true
  CHECK_FALSE(batcher.add("b:22|c", MessageKind::Metric));     // 5 + 1 + 6 = 12
  CHECK_FALSE(batcher.add("ccc:333|c", MessageKind::Metric));  // 12 + 1 + 9 = 22 > 20: the first two go
  REQUIRE(sent.datagrams.size() == 1);
  CHECK(sent.datagrams[0].second == "a:1|c\nb:22|c");
  batcher.flush();
  REQUIRE(sent.datagrams.size() == 2);
  CHECK(sent.datagrams[1].second == "ccc:333|c");
  CHECK(batcher.empty());
  batcher.flush();
  CHECK(sent.datagrams.size() == 2);  // nothing empty is ever sent
}

TEST_CASE("a line exactly maxDatagram long fits; a longer one is sent alone, whole") {
  Sent sent;
  RelayBatcher batcher({1, 10, "", ""}, sent.sender());
  batcher.add("x:1|c", MessageKind::Metric);
  batcher.add("abcdef:1|c", MessageKind::Metric);  // 10 bytes: flushes x, then queued alone
  batcher.add("a.very.long.name:1|c", MessageKind::Metric);
  batcher.flush();
  REQUIRE(sent.datagrams.size() == 3);
  CHECK(sent.datagrams[0].second == "x:1|c");
  CHECK(sent.datagrams[1].second == "abcdef:1|c");
  CHECK(sent.datagrams[2].second == "a.very.long.name:1|c");
  CHECK(batcher.stats().oversizeLines == 1);
  CHECK(batcher.stats().lines == 3);
}

TEST_CASE("every line goes to its CRC32 upstream exactly once; events and checks to the first") {
  Sent sent;
  RelayBatcher batcher({3, 1432, "", ""}, sent.sender());
  std::vector<std::string> lines;
  for (int i = 0; i < 300; ++i)
    lines.push_back("metric." + std::to_string(i) + ":" + std::to_string(i) + "|c");
  for (const auto& line : lines) batcher.add(line, MessageKind::Metric);
  batcher.add("_e{1,1}:a|b", MessageKind::Event);
  batcher.add("_sc|db|0", MessageKind::ServiceCheck);
  batcher.flush();
  std::vector<std::pair<std::size_t, std::string>> received;
  for (const auto& [upstream, datagram] : sent.datagrams) {
    CHECK(datagram.size() <= 1432);
    std::size_t start = 0;
    while (start <= datagram.size()) {
      std::size_t lf = datagram.find('\n', start);
      if (lf == std::string::npos) lf = datagram.size();
      received.emplace_back(upstream, datagram.substr(start, lf - start));
      start = lf + 1;
    }
  }
  REQUIRE(received.size() == lines.size() + 2);
  std::size_t metrics = 0;
  for (const auto& [upstream, line] : received) {
    if (line.starts_with("_")) {
      CHECK(upstream == 0);
      continue;
    }
    ++metrics;
    CHECK(upstream == crc32Of(line.substr(0, line.find(':'))) % 3);
    CHECK(std::count(lines.begin(), lines.end(), line) == 1);
  }
  CHECK(metrics == lines.size());
  std::set<std::size_t> used;
  for (const auto& [upstream, line] : received) used.insert(upstream);
  CHECK(used.size() == 3);  // 300 names spread over all three
}

TEST_CASE("the prefix is prepended after sharding; dyno tags merge into the existing |# section") {
  Sent sent;
  RelayBatcher batcher({2, 1432, "KEY", "dyno:web.1,dynotype:web"}, sent.sender());
  const std::string cases[][2] = {
      {"a:1|c", "KEY.a:1|c|#dyno:web.1,dynotype:web"},
      {"b:1|c|#env:prod", "KEY.b:1|c|#env:prod,dyno:web.1,dynotype:web"},
      {"c:1|ms|@0.5|#env:prod|T1700000000", "KEY.c:1|ms|@0.5|#env:prod,dyno:web.1,dynotype:web|T1700000000"},
      {"d:1|g|#", "KEY.d:1|g|#dyno:web.1,dynotype:web"},
      {"e:1|g|#|c:abc", "KEY.e:1|g|#dyno:web.1,dynotype:web|c:abc"},
  };
  for (const auto& [in, out] : cases) {
    sent.datagrams.clear();
    batcher.add(in, MessageKind::Metric);
    batcher.flush();
    REQUIRE(sent.datagrams.size() == 1);
    CHECK(sent.datagrams[0].second == out);
    CHECK(sent.datagrams[0].first == shardOf(in, 2));  // the hash ignores the prefix
  }
  sent.datagrams.clear();
  batcher.add("_sc|db|0|#env:prod", MessageKind::ServiceCheck);
  batcher.flush();
  CHECK(sent.datagrams.at(0).second == "_sc|db|0|#env:prod");  // events and checks pass unchanged
}
