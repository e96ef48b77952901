// libFuzzer target for drain mode's parsers of untrusted input: the HTTP/1.1 request parser (fed
// in pieces whose size the first byte picks, as a connection would deliver them), and the
// Logplex body -> syslog header -> line deriver chain. Besides crashes and sanitizer reports it
// traps on broken invariants: views outside the input, a parser that consumes more than it was
// given, a body over its limit, tags that could carry unbounded values.
#include <cstdint>
#include <string>
#include <string_view>

#include "drain/http_request_parser.h"
#include "drain/line_deriver.h"
#include "drain/logplex_body.h"

using namespace dynostatsd;
using namespace dynostatsd::drain;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

struct CheckingConsumer : MetricConsumer {
  std::string_view body;
  void add(const MetricSample& s, std::int64_t) override {
    require(!s.name.empty() && s.name.size() <= 256);
    require(s.type == MetricType::Set ? s.values.empty() : !s.values.empty());
    require(s.type == MetricType::Set || s.values.size() == 1 || s.type == MetricType::Distribution);
    for (double v : s.values) require(v == v);  // never NaN
    require(!s.tags.empty() && s.tags.front().starts_with("app:"));
    for (std::string_view tag : s.tags) {
      require(tag.size() <= 128);
      for (char c : tag) require(c > 0x20 && c < 0x7F && c != ',' && c != '|');
    }
    require(s.setMember.empty() || inside(s.setMember, body));
  }
};

void fuzzHttp(std::string_view input, std::size_t step) {
  HttpLimits limits;
  limits.maxHeadBytes = 512;
  limits.maxHeaders = 8;
  limits.maxBodyBytes = 1024;
  HttpRequestParser parser(limits);
  std::size_t offset = 0;
  int requests = 0;
  while (offset < input.size() && requests < 16) {
    std::string_view piece = input.substr(offset, std::min(step, input.size() - offset));
    std::size_t used = parser.feed(piece);
    require(used <= piece.size());
    offset += used;
    if (parser.state() == HttpRequestParser::State::Error) {
      require(parser.errorStatus() >= 400 && parser.errorStatus() < 600 && !parser.errorReason().empty());
      return;
    }
    require(parser.body().size() <= limits.maxBodyBytes);
    if (parser.state() == HttpRequestParser::State::Complete) {
      require(parser.headComplete());
      require(!parser.method().empty() && parser.target().starts_with("/"));
      if (parser.contentLength() >= 0)
        require(parser.body().size() == static_cast<std::size_t>(parser.contentLength()));
      parser.reset();
      ++requests;
      continue;
    }
    if (used == 0 && !parser.headComplete()) require(piece.empty());
  }
}

void fuzzBody(std::string_view body) {
  static CheckingConsumer consumer;
  static LineDeriver deriver(consumer, "");
  consumer.body = body;
  deriver.setApp("fuzz-app");
  std::size_t frames = 0, errors = 0, good = 0;
  SyslogMessage message;
  std::size_t seen = forEachFrame(
      body,
      [&](std::string_view frame) {
        ++frames;
        require(inside(frame, body) && !frame.empty());
        if (parseSyslog(frame, message) != FrameError::None) return;
        ++good;
        for (std::string_view part : {message.timestamp, message.hostname, message.appName, message.procid,
                                      message.msgid, message.message}) {
          require(inside(part, frame));
        }
        require(!message.appName.empty() && !message.procid.empty());
        require(message.facility * 8 + message.severity <= 191);
        deriver.derive(message, 1700000000);
      },
      [&](FrameError error) {
        require(error == FrameError::BadLength || error == FrameError::Truncated);
        ++errors;
      });
  deriver.endBatch();
  require(seen == frames + errors);
  require(good <= frames);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  fuzzHttp(input, step);
  fuzzBody(input);
  return 0;
}
