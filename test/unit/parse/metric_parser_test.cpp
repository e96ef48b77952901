// parseMetric, forEachMessage and classify: brubeck-style must_parse / must_not_parse tables
// covering reference/dogstatsd.md §A.2-A.3, including every trap listed there.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "parse/parser.h"

using namespace dynostatsd;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct MustParse {
  std::string input;
  std::string name;
  MetricType type;
  std::vector<double> values;  // empty for sets
  std::string setMember;
  double rate;
  std::vector<std::string> tags;
  std::int64_t timestamp;
};

// NaN equals NaN here; -0 differs from +0.
bool sameNumber(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

const MustParse kMustParse[] = {
    // basic types
    {"page.views:1|c", "page.views", MetricType::Counter, {1}, "", 1, {}, 0},
    {"queue.depth:3.5|g", "queue.depth", MetricType::Gauge, {3.5}, "", 1, {}, 0},
    {"render:250|ms", "render", MetricType::Timer, {250}, "", 1, {}, 0},
    {"size:7|h", "size", MetricType::Histogram, {7}, "", 1, {}, 0},
    {"latency:0.5|d", "latency", MetricType::Distribution, {0.5}, "", 1, {}, 0},
    {"users:alice|s", "users", MetricType::Set, {}, "alice", 1, {}, 0},
    {"temp:-5|g", "temp", MetricType::Gauge, {-5}, "", 1, {}, 0},
    {"temp:+5|g", "temp", MetricType::Gauge, {5}, "", 1, {}, 0},
    // sets keep every `:` (no packing for sets), even a lone one
    {"users:a:b:c|s", "users", MetricType::Set, {}, "a:b:c", 1, {}, 0},
    {"users::|s", "users", MetricType::Set, {}, ":", 1, {}, 0},
    {"users:1e400|s", "users", MetricType::Set, {}, "1e400", 1, {}, 0},
    // packing (protocol v1.1); empty segments skipped
    {"x:1:2:3|h", "x", MetricType::Histogram, {1, 2, 3}, "", 1, {}, 0},
    {"x:1::2:|c", "x", MetricType::Counter, {1, 2}, "", 1, {}, 0},
    {"x::1|c", "x", MetricType::Counter, {1}, "", 1, {}, 0},
    {"x:1:2|ms|@0.5|#a", "x", MetricType::Timer, {1, 2}, "", 0.5, {"a"}, 0},
    // sample rate: as sent, no range check, later wins
    {"x:1|c|@0.5", "x", MetricType::Counter, {1}, "", 0.5, {}, 0},
    {"x:1|c|@0", "x", MetricType::Counter, {1}, "", 0, {}, 0},
    {"x:1|c|@2", "x", MetricType::Counter, {1}, "", 2, {}, 0},
    {"x:1|c|@-0.5", "x", MetricType::Counter, {1}, "", -0.5, {}, 0},
    {"x:1|c|@1e-3", "x", MetricType::Counter, {1}, "", 0.001, {}, 0},
    {"x:1|c|@NaN", "x", MetricType::Counter, {1}, "", kNaN, {}, 0},
    {"x:1|c|@0.5|@0.25", "x", MetricType::Counter, {1}, "", 0.25, {}, 0},
    // tags: split on `,`, no trimming, empty entries kept, `#` alone is none, later wins
    {"x:1|c|#a,b:c", "x", MetricType::Counter, {1}, "", 1, {"a", "b:c"}, 0},
    {"x:1|c|#a,,b", "x", MetricType::Counter, {1}, "", 1, {"a", "", "b"}, 0},
    {"x:1|c|#a,", "x", MetricType::Counter, {1}, "", 1, {"a", ""}, 0},
    {"x:1|c|#,", "x", MetricType::Counter, {1}, "", 1, {"", ""}, 0},
    {"x:1|c|#", "x", MetricType::Counter, {1}, "", 1, {}, 0},
    {"x:1|c|#tag one, b", "x", MetricType::Counter, {1}, "", 1, {"tag one", " b"}, 0},
    {"x:1|c|#a,b|#c", "x", MetricType::Counter, {1}, "", 1, {"c"}, 0},
    {"x:1|c|#a|#", "x", MetricType::Counter, {1}, "", 1, {}, 0},
    {"x:1|c|#host:web.1,env:prod", "x", MetricType::Counter, {1}, "", 1, {"host:web.1", "env:prod"}, 0},
    // timestamps (dogstatsd_no_aggregation_pipeline: true), fields in any order
    {"x:1|g|T1700000000", "x", MetricType::Gauge, {1}, "", 1, {}, 1700000000},
    {"x:1|g|#a|T1700000000|@0.5", "x", MetricType::Gauge, {1}, "", 0.5, {"a"}, 1700000000},
    {"x:1|c|T1", "x", MetricType::Counter, {1}, "", 1, {}, 1},
    {"x:1|c|T+5", "x", MetricType::Counter, {1}, "", 1, {}, 5},
    {"x:1|c|T1|T2", "x", MetricType::Counter, {1}, "", 1, {}, 2},
    // empty fields, unknown fields and origin-detection fields are ignored
    {"x:1|c||@0.5", "x", MetricType::Counter, {1}, "", 0.5, {}, 0},
    {"x:1|c|", "x", MetricType::Counter, {1}, "", 1, {}, 0},
    {"x:1|c|||", "x", MetricType::Counter, {1}, "", 1, {}, 0},
    {"x:1|c|m:test|f:foo|t123", "x", MetricType::Counter, {1}, "", 1, {}, 0},
    {"x:1|c|c:ci-abc|e:it-false,cn-web|card:high|#a", "x", MetricType::Counter, {1}, "", 1, {"a"}, 0},
    // names are not validated beyond "no `:`" and "not empty"; `_e:` is a metric
    {"_e:1|c", "_e", MetricType::Counter, {1}, "", 1, {}, 0},
    {"my metric #1 @x:1|c", "my metric #1 @x", MetricType::Counter, {1}, "", 1, {}, 0},
    {"métrique.日本:2|g", "métrique.日本", MetricType::Gauge, {2}, "", 1, {}, 0},
    // Go ParseFloat spellings
    {"x:1e3|g", "x", MetricType::Gauge, {1000}, "", 1, {}, 0},
    {"x:1_000|g", "x", MetricType::Gauge, {1000}, "", 1, {}, 0},
    {"x:0x1p4|g", "x", MetricType::Gauge, {16}, "", 1, {}, 0},
    {"x:.5|g", "x", MetricType::Gauge, {0.5}, "", 1, {}, 0},
    {"x:-0|g", "x", MetricType::Gauge, {-0.0}, "", 1, {}, 0},
    {"x:1e-400|g", "x", MetricType::Gauge, {0}, "", 1, {}, 0},
    {"x:NaN|g", "x", MetricType::Gauge, {kNaN}, "", 1, {}, 0},
    {"x:-Inf|g", "x", MetricType::Gauge, {-kInf}, "", 1, {}, 0},
    {"x:+Infinity:inf|h", "x", MetricType::Histogram, {kInf, kInf}, "", 1, {}, 0},
};

struct MustNotParse {
  std::string input;
  ParseError reason;
};

const MustNotParse kMustNotParse[] = {
    {"", ParseError::NoPipe},
    {"x", ParseError::NoPipe},
    {"x:1", ParseError::NoPipe},
    {"x:1#a@0.5", ParseError::NoPipe},
    {"x|c", ParseError::NoColon},
    {"|c", ParseError::NoColon},
    {"x|c:1", ParseError::NoColon},
    {":1|c", ParseError::EmptyName},
    {"::|c", ParseError::EmptyName},
    {"x:|c", ParseError::EmptyValue},
    {"x:1|", ParseError::BadMetricType},
    {"x:1||c", ParseError::BadMetricType},
    {"x:1|C", ParseError::BadMetricType},
    {"x:1|cc", ParseError::BadMetricType},
    {"x:1| c", ParseError::BadMetricType},
    {"x:1|c ", ParseError::BadMetricType},
    {"x:1|ms2", ParseError::BadMetricType},
    {"x:1|m", ParseError::BadMetricType},
    {"x:1|gauge", ParseError::BadMetricType},
    {"x:1|c\r", ParseError::BadMetricType},
    {"a:1|c\rb:2|g", ParseError::BadMetricType},  // a lone CR is data
    {"x:abc|c|@bad", ParseError::BadValue},       // the value is checked before the fields
    {"x:abc|c", ParseError::BadValue},
    {"x: 1|c", ParseError::BadValue},
    {"x:1 |c", ParseError::BadValue},
    {"x:1,5|c", ParseError::BadValue},
    {"x:1:abc|h", ParseError::BadValue},
    {"x:1: 2|h", ParseError::BadValue},
    {"x:0x1|g", ParseError::BadValue},
    {"x:1__0|g", ParseError::BadValue},
    {"x:+nan|g", ParseError::BadValue},
    {"x:infinit|g", ParseError::BadValue},
    {"x:1e400|g", ParseError::ValueOutOfRange},
    {"x:1:-1e400|h", ParseError::ValueOutOfRange},
    {"x::|c", ParseError::NoValue},
    {"x:::|h", ParseError::NoValue},
    {"x:1|c|@", ParseError::BadSampleRate},
    {"x:1|c|@abc", ParseError::BadSampleRate},
    {"x:1|c|@ 0.5", ParseError::BadSampleRate},
    {"x:1|c|@1e400", ParseError::BadSampleRate},
    {"x:1|c|@0.5|@x", ParseError::BadSampleRate},
    {"x:1|c|T", ParseError::BadTimestamp},
    {"x:1|c|Tabc", ParseError::BadTimestamp},
    {"x:1|c|T1.5", ParseError::BadTimestamp},
    {"x:1|c|T1_000", ParseError::BadTimestamp},
    {"x:1|c|T1e9", ParseError::BadTimestamp},
    {"x:1|c|Text", ParseError::BadTimestamp},
    {"x:1|c|T99999999999999999999", ParseError::BadTimestamp},
    {"x:1|c|Tnope|@bad", ParseError::BadTimestamp},  // first bad field decides
    {"x:1|c|T0", ParseError::TimestampNotPositive},
    {"x:1|c|T-5", ParseError::TimestampNotPositive},
};

}  // namespace

TEST_CASE("must_parse: metric messages and the sample they give") {
  MetricSample sample;
  for (const auto& c : kMustParse) {
    INFO("input " << c.input);
    REQUIRE(reasonName(parseMetric(c.input, sample)) == "none");
    CHECK(sample.name == c.name);
    CHECK(sample.type == c.type);
    REQUIRE(sample.values.size() == c.values.size());
    for (std::size_t i = 0; i < c.values.size(); ++i) CHECK(sameNumber(sample.values[i], c.values[i]));
    CHECK(sample.setMember == c.setMember);
    CHECK(sameNumber(sample.rate, c.rate));
    REQUIRE(sample.tags.size() == c.tags.size());
    for (std::size_t i = 0; i < c.tags.size(); ++i) CHECK(sample.tags[i] == c.tags[i]);
    CHECK(sample.timestamp == c.timestamp);
    CHECK(classify(c.input) == MessageKind::Metric);
  }
}

TEST_CASE("must_not_parse: metric messages and the reason they are rejected") {
  MetricSample sample;
  for (const auto& c : kMustNotParse) {
    INFO("input " << c.input);
    CHECK(reasonName(parseMetric(c.input, sample)) == reasonName(c.reason));
  }
}

TEST_CASE("parseMetric clears the previous sample and reuses its buffers") {
  MetricSample sample;
  REQUIRE(parseMetric("a:1:2:3|h|@0.5|#x,y,z|T1700000000", sample) == ParseError::None);
  const double* values = sample.values.data();
  const std::string_view* tags = sample.tags.data();
  REQUIRE(parseMetric("b:4:5|c|#p,q", sample) == ParseError::None);
  CHECK(sample.values.data() == values);
  CHECK(sample.tags.data() == tags);
  CHECK(sample.name == "b");
  CHECK(sample.rate == 1.0);
  CHECK(sample.timestamp == 0);
  REQUIRE(parseMetric("u:v|s", sample) == ParseError::None);
  CHECK(sample.values.empty());
  CHECK(sample.tags.empty());
  CHECK(sample.setMember == "v");
}

TEST_CASE("the sample points into the message, not into a copy") {
  std::string datagram = "page.views:1|c|#route:home";
  MetricSample sample;
  REQUIRE(parseMetric(datagram, sample) == ParseError::None);
  CHECK(sample.name.data() == datagram.data());
  CHECK(sample.tags[0].data() == datagram.data() + 16);
}

TEST_CASE("classify looks at the prefix only") {
  CHECK(classify("_e{1,1}:a|b") == MessageKind::Event);
  CHECK(classify("_e{") == MessageKind::Event);
  CHECK(classify("_e:1|c") == MessageKind::Metric);
  CHECK(classify("_e") == MessageKind::Metric);
  CHECK(classify("_sc|a|0") == MessageKind::ServiceCheck);
  CHECK(classify("_sc") == MessageKind::ServiceCheck);
  CHECK(classify("_s:1|c") == MessageKind::Metric);
  CHECK(classify("") == MessageKind::Metric);
  CHECK(kindName(MessageKind::ServiceCheck) == "service_check");
}

TEST_CASE("the _scheduler.jobs trap: a metric named _sc... is a broken service check") {
  ServiceCheck check;
  REQUIRE(classify("_scheduler.jobs:1|c") == MessageKind::ServiceCheck);
  CHECK(parseServiceCheck("_scheduler.jobs:1|c", check) == ParseError::ServiceCheckBadFormat);
  CHECK(parseServiceCheck("_scheduler.jobs:1|c|#a", check) == ParseError::ServiceCheckBadStatus);
}

TEST_CASE("forEachMessage splits at LF, drops one trailing CR per piece, skips empty pieces") {
  struct Case {
    std::string datagram;
    std::vector<std::string> messages;
  };
  const Case cases[] = {
      {"", {}},
      {"a:1|c", {"a:1|c"}},
      {"a:1|c\n", {"a:1|c"}},
      {"a:1|c\nb:2|g", {"a:1|c", "b:2|g"}},
      {"a:1|c\nb:2|g\n", {"a:1|c", "b:2|g"}},
      {"\n\n\n", {}},
      {"\na\n\nb\n", {"a", "b"}},
      {"a:1|c\r\nb:2|g\r", {"a:1|c", "b:2|g"}},
      {"a:1|c\r\r\n", {"a:1|c\r"}},
      {"\r\n\r", {}},
      {"a:1|c\rb:2|g", {"a:1|c\rb:2|g"}},
      {"\rx", {"\rx"}},
      {std::string("a\0b\nc", 5), {std::string("a\0b", 3), "c"}},
  };
  for (const auto& c : cases) {
    INFO("datagram " << c.datagram);
    std::vector<std::string> got;
    forEachMessage(c.datagram, [&got](std::string_view message) { got.emplace_back(message); });
    CHECK(got == c.messages);
  }
}

TEST_CASE("a packed datagram: each message parsed on its own, errors do not stop the rest") {
  const std::string datagram = "a:1|c\nbad\r\nb:2|g|#x\n_e:3|c\n\nc:oops|ms\r";
  std::vector<std::string> names;
  std::vector<std::string> reasons;
  MetricSample sample;
  forEachMessage(datagram, [&](std::string_view message) {
    ParseError error = parseMetric(message, sample);
    if (error == ParseError::None) {
      names.emplace_back(sample.name);
    } else {
      reasons.emplace_back(reasonName(error));
    }
  });
  CHECK(names == std::vector<std::string>{"a", "b", "_e"});
  CHECK(reasons == std::vector<std::string>{"no_pipe", "bad_value"});
}

TEST_CASE("every reason has its own name") {
  std::set<std::string_view> names;
  for (int i = 0; i < static_cast<int>(ParseError::Count); ++i) {
    std::string_view name = reasonName(static_cast<ParseError>(i));
    CHECK(name != "unknown");
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos);
    names.insert(name);
  }
  CHECK(names.size() == static_cast<std::size_t>(ParseError::Count));
}
