// parseEvent and parseServiceCheck tables (reference/dogstatsd.md §A.5-A.6), quirks included.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "parse/parser.h"

using namespace dynostatsd;

namespace {

struct EventCase {
  std::string input;
  std::string title;
  std::string text;
  std::int64_t timestamp;
  std::string host;
  std::string aggregationKey;
  std::string priority;
  std::string sourceType;
  std::string alertType;
  std::vector<std::string> tags;
};

const EventCase kEventsMustParse[] = {
    {"_e{5,4}:title|text", "title", "text", 0, "", "", "normal", "", "info", {}},
    {"_e{5,4}:title|text|d:1700000000|h:host1|k:key|p:low|s:src|t:warning|#a,b:c",
     "title",
     "text",
     1700000000,
     "host1",
     "key",
     "low",
     "src",
     "warning",
     {"a", "b:c"}},
    // the byte after the title is skipped unchecked, so a `|` may sit in the title
    {"_e{3,4}:a|b|text", "a|b", "text", 0, "", "", "normal", "", "info", {}},
    // empty text is allowed
    {"_e{5,0}:title|", "title", "", 0, "", "", "normal", "", "info", {}},
    {"_e{1,0}:a||#t", "a", "", 0, "", "", "normal", "", "info", {"t"}},
    // `\n` (two bytes) becomes a line feed in title and text; other backslashes stay
    {"_e{6,10}:a\\nb\\c|line\\nnext", "a\nb\\c", "line\nnext", 0, "", "", "normal", "", "info", {}},
    {"_e{3,3}:\\\\n|\\nn", "\\\n", "\nn", 0, "", "", "normal", "", "info", {}},
    // lengths are bytes, not characters
    {"_e{6,6}:héllo|wörld", "héllo", "wörld", 0, "", "", "normal", "", "info", {}},
    // character lengths give garbage, not an error (the leftover "ld" is an unknown field)
    {"_e{5,5}:héllo|wörld", "héll", "|wör", 0, "", "", "normal", "", "info", {}},
    // whatever follows the text up to the first `|` is itself a field
    {"_e{1,1}:a|bd:7|h:x", "a", "b", 7, "x", "", "normal", "", "info", {}},
    // invalid d:, p:, t: are ignored, the event is kept
    {"_e{1,1}:a|b|d:abc|p:high|t:fatal", "a", "b", 0, "", "", "normal", "", "info", {}},
    {"_e{1,1}:a|b|d:1_000|p:LOW|t:Error", "a", "b", 0, "", "", "normal", "", "info", {}},
    // ... and an invalid value does not undo an earlier valid one
    {"_e{1,1}:a|b|p:low|p:bogus|t:error|t:bad|d:5|d:x", "a", "b", 5, "", "", "low", "", "error", {}},
    // later fields win
    {"_e{1,1}:a|b|p:low|p:normal|h:x|h:y|#a|#b,c|d:1|d:2|k:1|k:2|s:1|s:2|t:success",
     "a",
     "b",
     2,
     "y",
     "2",
     "normal",
     "2",
     "success",
     {"b", "c"}},
    {"_e{1,1}:a|b|#x,,y", "a", "b", 0, "", "", "normal", "", "info", {"x", "", "y"}},
    {"_e{1,1}:a|b|#", "a", "b", 0, "", "", "normal", "", "info", {}},
    {"_e{1,1}:a|b|d:-5", "a", "b", -5, "", "", "normal", "", "info", {}},
    {"_e{1,1}:a|b|h:", "a", "b", 0, "", "", "normal", "", "info", {}},
    // unknown, empty and origin-detection fields are ignored
    {"_e{1,1}:a|b|c:ci-1|e:it-true|card:low|z:foo|x||", "a", "b", 0, "", "", "normal", "", "info", {}},
    // header quirks: signs allowed, the closing brace is not checked
    {"_e{+1,+1}:a|b", "a", "b", 0, "", "", "normal", "", "info", {}},
    {"_e{1,1]:a|b", "a", "b", 0, "", "", "normal", "", "info", {}},
    {"_e{01,001}:a|b", "a", "b", 0, "", "", "normal", "", "info", {}},
    // the title may contain `:` (only the first `:` ends the header)
    {"_e{3,1}:a:b|c", "a:b", "c", 0, "", "", "normal", "", "info", {}},
};

struct Rejected {
  std::string input;
  ParseError reason;
};

const Rejected kEventsMustNotParse[] = {
    {"_e{1,1}", ParseError::EventNoColon},
    {"_e{1,1}a|b", ParseError::EventNoColon},
    {"_e{1}:a", ParseError::EventBadHeader},
    {"_e{}:a|b", ParseError::EventBadHeader},
    {"_e{1;1}:a|b", ParseError::EventBadHeader},
    {"_e{11}}:a|b", ParseError::EventBadHeader},
    {"_e{a,1}:a|b", ParseError::EventBadLength},
    {"_e{-1,1}:a|b", ParseError::EventBadLength},
    {"_e{1,-1}:a|b", ParseError::EventBadLength},
    {"_e{1,x}:a|b", ParseError::EventBadLength},
    {"_e{ 1,1}:a|b", ParseError::EventBadLength},
    {"_e{1,1 }:a|b", ParseError::EventBadLength},
    {"_e{1_0,1}:aaaaaaaaaa|b", ParseError::EventBadLength},
    {"_e{1,1}}:a|b", ParseError::EventBadLength},
    {"_e{99999999999999999999,1}:a|b", ParseError::EventBadLength},
    {"_e{0,1}:|a", ParseError::EventEmptyTitle},
    {"_e{-0,1}:|a", ParseError::EventEmptyTitle},
    {"_e{0,x}:a", ParseError::EventEmptyTitle},  // title length is checked before the text length
    {"_e{5,10}:title|short", ParseError::EventTooShort},
    {"_e{5,0}:title", ParseError::EventTooShort},
    {"_e{10,0}:title", ParseError::EventTooShort},
    {"_e{1,1}:", ParseError::EventTooShort},
    {"_e{1,1}:a|", ParseError::EventTooShort},
    {"_e{9223372036854775807,9223372036854775807}:a|b", ParseError::EventTooShort},
    {"_e{1,9223372036854775807}:a|b", ParseError::EventTooShort},
};

struct ServiceCheckCase {
  std::string input;
  std::string name;
  int status;
  std::int64_t timestamp;
  std::string host;
  std::string message;
  std::vector<std::string> tags;
};

const ServiceCheckCase kChecksMustParse[] = {
    {"_sc|redis.up|0", "redis.up", 0, 0, "", "", {}},
    {"_sc|redis.up|1", "redis.up", 1, 0, "", "", {}},
    {"_sc|redis.up|2", "redis.up", 2, 0, "", "", {}},
    {"_sc|redis.up|3", "redis.up", 3, 0, "", "", {}},
    {"_sc|redis.up|2|d:1700000000|h:db1|#env:prod,role:db|m:connection refused",
     "redis.up",
     2,
     1700000000,
     "db1",
     "connection refused",
     {"env:prod", "role:db"}},
    // m: need not be last; it ends at the next `|`; no `\n` unescaping
    {"_sc|n|1|m:msg|h:h1", "n", 1, 0, "h1", "msg", {}},
    {"_sc|n|0|m:a\\nb", "n", 0, 0, "", "a\\nb", {}},
    {"_sc|n|0|m:", "n", 0, 0, "", "", {}},
    // later fields win; an invalid d: is ignored
    {"_sc|n|0|h:a|h:b|#x|#y,z|m:1|m:2|d:1|d:2", "n", 0, 2, "b", "2", {"y", "z"}},
    {"_sc|n|0|d:5|d:abc|d:", "n", 0, 5, "", "", {}},
    {"_sc|n|0|#a,,b", "n", 0, 0, "", "", {"a", "", "b"}},
    {"_sc|n|0|#", "n", 0, 0, "", "", {}},
    // unknown, empty and origin-detection fields are ignored
    {"_sc|n|0|x:y|c:ci-1|e:x|card:low||", "n", 0, 0, "", "", {}},
    {"_sc|n|3|", "n", 3, 0, "", "", {}},
    // the first four bytes are dropped unchecked
    {"_sc!name|0|", "name", 0, 0, "", "", {}},
    {"_sc|name with spaces:and:colons|0", "name with spaces:and:colons", 0, 0, "", "", {}},
};

const Rejected kChecksMustNotParse[] = {
    {"_sc", ParseError::ServiceCheckBadFormat},
    {"_sc|", ParseError::ServiceCheckBadFormat},
    {"_sc|name", ParseError::ServiceCheckBadFormat},
    {"_sc|name:0", ParseError::ServiceCheckBadFormat},
    {"||", ParseError::ServiceCheckBadFormat},
    {"_sc||0", ParseError::ServiceCheckEmptyName},
    {"_sc|||", ParseError::ServiceCheckEmptyName},
    {"_scX|name|0", ParseError::ServiceCheckEmptyName},  // bytes 0-3 dropped: "|name|0" is left
    {"_sc|n|", ParseError::ServiceCheckBadStatus},
    {"_sc|n||0", ParseError::ServiceCheckBadStatus},
    {"_sc|n|4", ParseError::ServiceCheckBadStatus},
    {"_sc|n|00", ParseError::ServiceCheckBadStatus},
    {"_sc|n| 0", ParseError::ServiceCheckBadStatus},
    {"_sc|n|0 ", ParseError::ServiceCheckBadStatus},
    {"_sc|n|+0", ParseError::ServiceCheckBadStatus},
    {"_sc|n|-1", ParseError::ServiceCheckBadStatus},
    {"_sc|n|OK", ParseError::ServiceCheckBadStatus},
    {"_sc|n|x|0", ParseError::ServiceCheckBadStatus},
};

}  // namespace

TEST_CASE("events must_parse") {
  Event event;
  for (const auto& c : kEventsMustParse) {
    INFO("input " << c.input);
    REQUIRE(reasonName(parseEvent(c.input, event)) == "none");
    CHECK(event.title == c.title);
    CHECK(event.text == c.text);
    CHECK(event.timestamp == c.timestamp);
    CHECK(event.host == c.host);
    CHECK(event.aggregationKey == c.aggregationKey);
    CHECK(event.priority == c.priority);
    CHECK(event.sourceType == c.sourceType);
    CHECK(event.alertType == c.alertType);
    CHECK(event.tags == c.tags);
    CHECK(classify(c.input) == MessageKind::Event);
  }
}

TEST_CASE("events must_not_parse") {
  Event event;
  for (const auto& c : kEventsMustNotParse) {
    INFO("input " << c.input);
    CHECK(reasonName(parseEvent(c.input, event)) == reasonName(c.reason));
  }
}

TEST_CASE("parseEvent resets every field of a reused Event") {
  Event event;
  REQUIRE(parseEvent("_e{1,1}:a|b|d:9|h:h|k:k|p:low|s:s|t:error|#x,y,z", event) == ParseError::None);
  REQUIRE(parseEvent("_e{1,1}:c|d|#q", event) == ParseError::None);
  CHECK(event.title == "c");
  CHECK(event.text == "d");
  CHECK(event.timestamp == 0);
  CHECK(event.host.empty());
  CHECK(event.aggregationKey.empty());
  CHECK(event.priority == "normal");
  CHECK(event.sourceType.empty());
  CHECK(event.alertType == "info");
  CHECK(event.tags == std::vector<std::string>{"q"});
}

TEST_CASE("service checks must_parse") {
  ServiceCheck check;
  for (const auto& c : kChecksMustParse) {
    INFO("input " << c.input);
    REQUIRE(reasonName(parseServiceCheck(c.input, check)) == "none");
    CHECK(check.name == c.name);
    CHECK(check.status == c.status);
    CHECK(check.timestamp == c.timestamp);
    CHECK(check.host == c.host);
    CHECK(check.message == c.message);
    CHECK(check.tags == c.tags);
  }
}

TEST_CASE("service checks must_not_parse") {
  ServiceCheck check;
  for (const auto& c : kChecksMustNotParse) {
    INFO("input " << c.input);
    CHECK(reasonName(parseServiceCheck(c.input, check)) == reasonName(c.reason));
  }
}

TEST_CASE("parseServiceCheck resets every field of a reused ServiceCheck") {
  ServiceCheck check;
  REQUIRE(parseServiceCheck("_sc|a|2|d:9|h:h|m:m|#x", check) == ParseError::None);
  REQUIRE(parseServiceCheck("_sc|b|1", check) == ParseError::None);
  CHECK(check.name == "b");
  CHECK(check.status == 1);
  CHECK(check.timestamp == 0);
  CHECK(check.host.empty());
  CHECK(check.message.empty());
  CHECK(check.tags.empty());
}
