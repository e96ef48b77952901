// explainStream / explainMessage: exact JSON Lines output (the `dynostatsd parse` format).
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "parse/explain.h"
#include "parse/json_text.h"

using namespace dynostatsd;

namespace {

std::string explain(const std::string& input, std::size_t& errors) {
  std::istringstream in(input);
  std::ostringstream out;
  errors = explainStream(in, out);
  return out.str();
}

std::string jsonString(std::string_view text) {
  std::string out;
  appendJsonString(out, text);
  return out;
}

std::string jsonNumber(double value) {
  std::string out;
  appendJsonNumber(out, value);
  return out;
}

}  // namespace

TEST_CASE("explainStream golden output: one JSON object per message") {
  const std::string input =
      "page.views:1|c|#route:home,dyno:web.1\n"
      "latency:0.25:1e3:-2.5|h|@0.5\n"
      "users:a:b|s|T1700000000\n"
      "\n"
      "x:NaN:+Inf:-inf|g|@1e-7\r\n"
      "\r\n"
      "_e{5,8}:Build|done\\nok|p:low|t:success|#v:1\n"
      "_sc|db.up|2|h:db1|m:refused \"x\"\n"
      "bad line\n"
      "n\xff\x01:1|g|#a\tb,\xc3\xa9\n"
      "_scheduler.jobs:1|c";
  const std::string expected =
      R"({"kind":"metric","name":"page.views","type":"c","values":[1],"rate":1,"tags":["route:home","dyno:web.1"]})"
      "\n"
      R"({"kind":"metric","name":"latency","type":"h","values":[0.25,1000,-2.5],"rate":0.5,"tags":[]})"
      "\n"
      R"({"kind":"metric","name":"users","type":"s","value":"a:b","rate":1,"tags":[],"ts":1700000000})"
      "\n"
      R"({"kind":"metric","name":"x","type":"g","values":["NaN","+Inf","-Inf"],"rate":1e-07,"tags":[]})"
      "\n"
      R"({"kind":"event","title":"Build","text":"done\u000aok","ts":0,"host":"","aggregation_key":"",)"
      R"("priority":"low","source_type":"","alert_type":"success","tags":["v:1"]})"
      "\n"
      R"({"kind":"service_check","name":"db.up","status":2,"ts":0,"host":"db1","message":"refused \"x\"","tags":[]})"
      "\n"
      R"({"kind":"error","reason":"no_pipe","input":"bad line"})"
      "\n"
      R"({"kind":"metric","name":"n\ufffd\u0001","type":"g","values":[1],"rate":1,"tags":["a\u0009b","é"]})"
      "\n"
      R"({"kind":"error","reason":"service_check_bad_format","input":"_scheduler.jobs:1|c"})"
      "\n";
  std::size_t errors = 99;
  CHECK(explain(input, errors) == expected);
  CHECK(errors == 2);
}

TEST_CASE("explainStream: an empty input prints nothing and reports no error") {
  std::size_t errors = 99;
  CHECK(explain("", errors).empty());
  CHECK(errors == 0);
  CHECK(explain("\n\r\n\n", errors).empty());
  CHECK(errors == 0);
}

TEST_CASE("explainStream: errors keep the exact input, escaped") {
  std::size_t errors = 0;
  CHECK(explain("a:1|c\rb:2|g\nx:1e400|g\n_e{0,1}:|x\n", errors) ==
        R"({"kind":"error","reason":"bad_metric_type","input":"a:1|c\u000db:2|g"})"
        "\n"
        R"({"kind":"error","reason":"value_out_of_range","input":"x:1e400|g"})"
        "\n"
        R"({"kind":"error","reason":"event_empty_title","input":"_e{0,1}:|x"})"
        "\n");
  CHECK(errors == 3);
}

TEST_CASE("JSON strings stay valid whatever the bytes") {
  CHECK(jsonString("plain") == R"("plain")");
  CHECK(jsonString("q\"b\\s/") == R"("q\"b\\s/")");
  CHECK(jsonString(std::string_view("\0\x1f\x7f", 3)) == R"("\u0000\u001f\u007f")");
  CHECK(jsonString("日本 é 😀") == "\"日本 é 😀\"");
  CHECK(jsonString("\x80") == R"("\ufffd")");                                // stray continuation byte
  CHECK(jsonString("\xc3") == R"("\ufffd")");                                // truncated sequence
  CHECK(jsonString("\xc3(") == R"("\ufffd(")");                              // bad continuation
  CHECK(jsonString("\xc0\xaf") == R"("\ufffd\ufffd")");                      // overlong '/'
  CHECK(jsonString("\xe0\x80\xaf") == R"("\ufffd\ufffd\ufffd")");            // overlong 3-byte form
  CHECK(jsonString("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");            // UTF-16 surrogate
  CHECK(jsonString("\xf4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")");  // above U+10FFFF
  CHECK(jsonString("\xf0\x9f\x98") == R"("\ufffd\ufffd\ufffd")");            // truncated 4-byte form
  CHECK(jsonString("a\xffz") == R"("a\ufffdz")");
}

TEST_CASE("JSON numbers round-trip in shortest form") {
  CHECK(jsonNumber(1) == "1");
  CHECK(jsonNumber(-0.0) == "-0");
  CHECK(jsonNumber(0.1) == "0.1");
  CHECK(jsonNumber(1e21) == "1e+21");
  CHECK(jsonNumber(123456.789) == "123456.789");
  CHECK(jsonNumber(5e-324) == "5e-324");
  CHECK(jsonNumber(1.7976931348623157e308) == "1.7976931348623157e+308");
}
