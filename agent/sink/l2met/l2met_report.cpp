#include "sink/l2met/l2met_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

#include "model/printf_double.h"
#include "model/utf8.h"
#include "telemetry/log.h"
#include "telemetry/output_channel.h"
#include "telemetry/secrets.h"

namespace dynostatsd {
namespace {

// An l2met key must not contain blanks, `=`, `"` or `#`; other bytes pass.
// Blanks, `=`, `"`, `#` and control bytes become `_`; bytes that are not well-formed UTF-8 are
// shown as \xHH (a datagram's raw bytes never reach the log stream).
std::string metricKey(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      if (std::size_t length = utf8SequenceLength(name, i); length > 0) {
        out.append(name.substr(i, length));
        i += length - 1;
      } else {
        out.append("\\x").push_back(kHex[u >> 4]);
        out.push_back(kHex[u & 15]);
      }
    } else {
      out.push_back(u <= ' ' || c == '=' || c == '"' || c == '#' || u == 0x7f ? '_' : c);
    }
  }
  return out;
}

std::string number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
  return printfGeneral(value, 10);
}

struct GroupKey {
  // Own lines, in this order: the app's series, the dyno's heroku.dyno.* series, dynostatsd.* self-metrics.
  enum Section : std::uint8_t { App, Dyno, Self } section = App;
  std::int64_t timestamp = 0;
  std::string host;
  std::string tags;
  bool operator<(const GroupKey& o) const {
    return std::tie(section, timestamp, host, tags) < std::tie(o.section, o.timestamp, o.host, o.tags);
  }
};

using Groups = std::map<GroupKey, std::vector<std::string>>;

std::string_view statusName(int status) {
  switch (status) {
    case 0: return "ok";
    case 1: return "warning";
    case 2: return "critical";
    default: return "unknown";
  }
}

// Appends `entries` after `prefix`, starting a new line whenever one would pass the limit.
void emitLines(const std::string& prefix, const std::vector<std::string>& entries, std::string& out) {
  std::string line = prefix;
  bool empty = true;
  for (const auto& entry : entries) {
    if (!empty && line.size() + 1 + entry.size() > L2metReport::kMaxLineBytes) {
      out += line;
      out.push_back('\n');
      line = prefix;
      empty = true;
    }
    line.push_back(' ');
    line += entry;
    empty = false;
  }
  if (!empty) {
    out += line;
    out.push_back('\n');
  }
}

// Self-metrics share one line per bucket: tag values join the key (dynostatsd.parse_errors.no_pipe)
// and zero counts are left out, so an idle agent prints one short line per flush.
void formatSelfMetric(const Series& series, const std::vector<std::string>& staticTags, Groups& groups) {
  std::string name = series.name;
  for (const auto& tag : series.tags) {
    if (std::find(staticTags.begin(), staticTags.end(), tag) != staticTags.end()) continue;
    std::size_t colon = tag.find(':');
    name += "." + tag.substr(colon == std::string::npos ? 0 : colon + 1);
  }
  name = metricKey(name);
  for (const auto& point : series.points) {
    if (series.type != SeriesType::Gauge && point.value == 0) continue;
    GroupKey key;
    key.section = GroupKey::Self;
    key.timestamp = point.timestamp;
    groups[key].push_back((series.type == SeriesType::Gauge ? "sample#" : "count#") + name + "=" +
                          number(point.value));
  }
}

std::string clipped(std::string_view text, std::size_t max) {
  return log::quote(text.substr(0, max));
}

}  // namespace

L2metReport::L2metReport(std::string source, std::vector<std::string> staticTags, std::string defaultHost,
                         Writer writer)
    : source_(std::move(source)),
      staticTags_(std::move(staticTags)),
      defaultHost_(std::move(defaultHost)),
      writer_(writer ? std::move(writer) : Writer(&writeStdout)) {}

std::string L2metReport::format(const FlushBatch& batch) const {
  auto keyFor = [this](std::string_view name, std::int64_t timestamp, const std::string& host,
                       const std::vector<std::string>& tags) {
    GroupKey key;
    key.section = name.starts_with("dynostatsd.")    ? GroupKey::Self
                  : name.starts_with("heroku.dyno.") ? GroupKey::Dyno
                                                     : GroupKey::App;
    key.timestamp = timestamp;
    key.host = host == defaultHost_ ? std::string() : host;
    for (const auto& tag : tags) {
      if (std::find(staticTags_.begin(), staticTags_.end(), tag) != staticTags_.end()) continue;
      if (!key.tags.empty()) key.tags.push_back(',');
      key.tags += tag;
    }
    return key;
  };

  Groups groups;
  for (const auto& series : batch.series) {
    if (series.name.starts_with("dynostatsd.")) {
      formatSelfMetric(series, staticTags_, groups);
      continue;
    }
    const std::string name = metricKey(series.name);
    for (const auto& point : series.points) {
      std::string entry;
      switch (series.type) {
        case SeriesType::Rate:
          entry = "count#" + name + "=" + number(point.value);  // a Rate point carries the count
          break;
        case SeriesType::Count: entry = "count#" + name + "=" + number(point.value); break;
        case SeriesType::Gauge: entry = "sample#" + name + "=" + number(point.value); break;
      }
      groups[keyFor(series.name, point.timestamp, series.host, series.tags)].push_back(std::move(entry));
    }
  }
  for (const auto& sketch : batch.sketches) {
    const std::string name = metricKey(sketch.name);
    for (const auto& point : sketch.points) {
      auto& entries = groups[keyFor(sketch.name, point.timestamp, sketch.host, sketch.tags)];
      entries.push_back("count#" + name + ".count=" + number(static_cast<double>(point.count)));
      entries.push_back("sample#" + name + ".avg=" + number(point.avg));
      entries.push_back("sample#" + name + ".min=" + number(point.min));
      entries.push_back("sample#" + name + ".max=" + number(point.max));
    }
  }

  std::string out;
  const std::string source = "source=" + log::quote(source_);
  for (auto& [key, entries] : groups) {
    std::stable_sort(entries.begin(), entries.end(), [](const std::string& a, const std::string& b) {
      return a.substr(a.find('#') + 1) < b.substr(b.find('#') + 1);
    });
    std::string prefix = source;
    if (!key.host.empty()) prefix += " host=" + log::quote(key.host);
    if (!key.tags.empty()) prefix += " tags=" + clipped(key.tags, 400);
    emitLines(prefix, entries, out);
  }

  auto tagText = [this](const std::vector<std::string>& tags) {
    std::string text;
    for (const auto& tag : tags) {
      if (std::find(staticTags_.begin(), staticTags_.end(), tag) != staticTags_.end()) continue;
      if (!text.empty()) text.push_back(',');
      text += tag;
    }
    return text;
  };
  for (const auto& event : batch.events) {
    std::string line = source + " event title=" + clipped(event.title, 200) +
                       " text=" + clipped(event.text, 400) + " alert_type=" + log::quote(event.alertType) +
                       " priority=" + log::quote(event.priority);
    if (!event.host.empty() && event.host != defaultHost_) line += " host=" + clipped(event.host, 100);
    if (auto tags = tagText(event.tags); !tags.empty()) line += " tags=" + clipped(tags, 200);
    out += line;
    out.push_back('\n');
  }
  for (const auto& check : batch.checks) {
    std::string line =
        source + " check=" + clipped(check.name, 200) + " status=" + std::string(statusName(check.status));
    if (!check.message.empty()) line += " message=" + clipped(check.message, 400);
    if (!check.host.empty() && check.host != defaultHost_) line += " host=" + clipped(check.host, 100);
    if (auto tags = tagText(check.tags); !tags.empty()) line += " tags=" + clipped(tags, 200);
    out += line;
    out.push_back('\n');
  }
  return out;
}

std::size_t L2metReport::write(const FlushBatch& batch) {
  const std::string text = format(batch);
  if (text.empty()) return 0;
  if (!writer_(text)) {
    ++writeErrors_;
    return 0;
  }
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

bool writeStdout(std::string_view text) {
  return standardOutput().write(secrets::mask(text));
}

}  // namespace dynostatsd
