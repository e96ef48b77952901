// libFuzzer target for everything in agent/parse/: splitting, the three parsers, the Go number
// parsers and the `dynostatsd parse` JSON output. Besides crashes and sanitizer reports it traps
// on broken invariants: views outside the message, impossible samples, invalid JSON text, and
// numbers that disagree with the C library's correctly rounded strtod.
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>

#include "parse/explain.h"
#include "parse/go_number.h"
#include "parse/parser.h"

using namespace dynostatsd;

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// The explain output must be printable JSON text: valid UTF-8, no raw control characters.
void requireCleanJson(std::string_view json) {
  require(json.size() >= 2 && json.front() == '{' && json.back() == '}');
  for (std::size_t i = 0; i < json.size();) {
    auto c = static_cast<unsigned char>(json[i]);
    require(c >= 0x20 && c != 0x7F);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    require(c >= 0xC2 && c <= 0xF4 && i + length <= json.size());
    for (std::size_t k = 1; k < length; ++k)
      require((static_cast<unsigned char>(json[i + k]) & 0xC0) == 0x80);
    i += length;
  }
}

// A value Go accepts (no '_', not a special word) must be exactly what strtod makes of it.
void requireSameAsStrtod(std::string_view text) {
  if (text.size() > 64 || text.find('_') != std::string_view::npos) return;
  double ours = 0;
  if (parseGoFloat(text, ours) != NumberStatus::Ok || std::isnan(ours)) return;
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  double theirs = std::strtod(copy.c_str(), &end);
  require(end == copy.c_str() + copy.size());
  require(std::memcmp(&ours, &theirs, sizeof ours) == 0);
}

void checkMetric(std::string_view message, MetricSample& sample) {
  if (parseMetric(message, sample) != ParseError::None) return;
  require(!sample.name.empty() && sample.name.find(':') == std::string_view::npos);
  require(sample.name.find('|') == std::string_view::npos);
  require(inside(sample.name, message) && inside(sample.setMember, message));
  require((sample.type == MetricType::Set) == sample.values.empty());
  for (std::string_view tag : sample.tags)
    require(inside(tag, message) && tag.find(',') == std::string_view::npos);
  require(sample.timestamp >= 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static MetricSample sample;
  static Event event;
  static ServiceCheck check;
  std::string_view datagram(reinterpret_cast<const char*>(data), size);

  std::size_t messages = 0;
  std::size_t failed = 0;
  forEachMessage(datagram, [&](std::string_view message) {
    ++messages;
    require(!message.empty() && inside(message, datagram));
    require(message.find('\n') == std::string_view::npos);
    checkMetric(message, sample);
    if (parseEvent(message, event) == ParseError::None) {
      require(!event.title.empty());
      require(event.title.size() + event.text.size() <= message.size());
    }
    if (parseServiceCheck(message, check) == ParseError::None) {
      require(!check.name.empty() && check.status >= 0 && check.status <= 3);
    }
    std::string json;
    bool ok = explainMessage(message, json);
    if (!ok) ++failed;
    requireCleanJson(json);
    require(ok == (json.find("{\"kind\":\"error\"") != 0));
    requireSameAsStrtod(message);
    std::int64_t integer = 0;
    parseGoInt(message, integer);
  });

  std::istringstream in{std::string(datagram)};
  std::ostringstream out;
  // explainStream splits lines exactly as forEachMessage splits a datagram.
  require(explainStream(in, out) == failed);
  std::string lines = out.str();
  std::size_t count = 0;
  for (char c : lines) count += c == '\n' ? 1 : 0;
  require(count == messages);
  return 0;
}
