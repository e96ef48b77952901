#include "drain/logplex_body.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace dynostatsd::drain;

namespace {

// One frame in Logplex's wire form: the count covers the message and its trailing LF.
std::string frame(const std::string& message) {
  return std::to_string(message.size() + 1) + " " + message + "\n";
}

struct Split {
  std::vector<std::string> frames;
  std::vector<FrameError> errors;
};

Split split(std::string_view body) {
  Split out;
  forEachFrame(
      body, [&](std::string_view f) { out.frames.emplace_back(f); },
      [&](FrameError e) { out.errors.push_back(e); });
  return out;
}

}  // namespace

TEST_CASE("the README example body splits into its frames, LF inside the count") {
  std::string body;
  for (int i = 0; i < 3; ++i)
    body += "70 <174>1 2012-07-22T00:06:26+00:00 host erlang console - Hi from erlang\n";
  Split s = split(body);
  REQUIRE(s.frames.size() == 3);
  CHECK(s.errors.empty());
  CHECK(s.frames[0] == "<174>1 2012-07-22T00:06:26+00:00 host erlang console - Hi from erlang\n");
}

TEST_CASE("malformed frames are reported by reason and the rest of the batch is kept") {
  const std::string good =
      frame("<158>1 2026-07-22T00:06:26.123456+00:00 host heroku router - at=info status=200");
  SECTION("a bad count resynchronises at the next line") {
    Split s = split(good + "xx <158>1 broken line\n" + good);
    CHECK(s.frames.size() == 2);
    REQUIRE(s.errors.size() == 1);
    CHECK(s.errors[0] == FrameError::BadLength);
  }
  SECTION("a count of zero, no space, or 8 digits is a bad length") {
    for (std::string bad : {"0 x\n", "12\n", "12345678 x\n", " 5 abcd\n"}) {
      Split s = split(bad + good);
      CHECK(s.frames.size() == 1);
      REQUIRE(s.errors.size() == 1);
      CHECK(s.errors[0] == FrameError::BadLength);
    }
  }
  SECTION("a count past the end is truncated and ends the batch") {
    Split s = split(good + "500 <158>1 short");
    CHECK(s.frames.size() == 1);
    REQUIRE(s.errors.size() == 1);
    CHECK(s.errors[0] == FrameError::Truncated);
  }
}

TEST_CASE("syslog headers parse into their fields") {
  SyslogMessage m;
  REQUIRE(parseSyslog("<158>1 2026-07-22T00:06:26.123456+00:00 host heroku router - at=info method=GET\n",
                      m) == FrameError::None);
  CHECK(m.facility == 19);
  CHECK(m.severity == 6);
  CHECK(m.timestamp == "2026-07-22T00:06:26.123456+00:00");
  CHECK(m.hostname == "host");
  CHECK(m.appName == "heroku");
  CHECK(m.procid == "router");
  CHECK(m.msgid == "-");
  CHECK(m.message == "at=info method=GET");

  REQUIRE(parseSyslog("<190>1 2026-07-22T00:06:26+00:00 host app web.1 - count#x=1\r\n", m) ==
          FrameError::None);
  CHECK(m.appName == "app");
  CHECK(m.procid == "web.1");
  CHECK(m.message == "count#x=1");
  REQUIRE(parseSyslog("<190>1 2026-07-22T00:06:26+00:00 host app web.1 -\n", m) == FrameError::None);
  CHECK(m.msgid == "-");
  CHECK(m.message.empty());
}

TEST_CASE("syslog header errors have their own reasons") {
  struct Case {
    const char* message;
    FrameError error;
  };
  const Case cases[] = {
      {"158>1 2026 host heroku router - x", FrameError::BadPri},
      {"<>1 2026 host heroku router - x", FrameError::BadPri},
      {"<192>1 2026 host heroku router - x", FrameError::BadPri},
      {"<1580>1 2026 host heroku router - x", FrameError::BadPri},
      {"<158>2 2026 host heroku router - x", FrameError::BadVersion},
      {"<158>1", FrameError::BadVersion},
      {"<158>1 2026 host heroku", FrameError::MissingField},
      {"<158>1 2026 host heroku router", FrameError::MissingField},
      {"<158>1 2026  heroku router - x", FrameError::MissingField},
  };
  for (const auto& c : cases) {
    SyslogMessage m;
    INFO(c.message);
    CHECK(parseSyslog(c.message, m) == c.error);
  }
}
