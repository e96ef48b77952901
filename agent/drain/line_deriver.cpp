#include "drain/line_deriver.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "drain/logfmt.h"
#include "enrich/enricher.h"

namespace dynostatsd::drain {
namespace {

constexpr std::size_t kMaxTagValue = 100;
constexpr std::size_t kMaxName = 200;

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A bounded, low-cardinality value fit to be a tag value in every sink.
bool tagSafe(std::string_view value) {
  if (value.empty() || value.size() > kMaxTagValue) return false;
  for (char c : value) {
    if (!isAlnum(c) && c != '_' && c != '.' && c != ':' && c != '/' && c != '@' && c != '-') return false;
  }
  return true;
}

// A metric name: starts with a letter, then [A-Za-z0-9_.-], at most kMaxName bytes.
bool nameSafe(std::string_view name) {
  if (name.empty() || name.size() > kMaxName) return false;
  if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'))) return false;
  for (char c : name) {
    if (!isAlnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

bool isStatus(std::string_view status) {
  return status.size() == 3 && status[0] >= '1' && status[0] <= '5' && status[1] >= '0' && status[1] <= '9' &&
         status[2] >= '0' && status[2] <= '9';
}

bool isMethod(std::string_view method) {
  if (method.empty() || method.size() > 10) return false;
  for (char c : method) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// An error code as Heroku writes them: H12, R14, L10 (a letter and 2 digits).
bool isErrorCode(std::string_view code) {
  return code.size() == 3 && (code[0] == 'H' || code[0] == 'R' || code[0] == 'L') && code[1] >= '0' &&
         code[1] <= '9' && code[2] >= '0' && code[2] <= '9';
}

// A procid that names a dyno (web.1, worker.3, run.1234, release.2): not a platform component.
bool isDynoProcid(std::string_view procid) {
  return procid != "router" && procid != "logplex" && procid != "api" && procid != "-";
}

struct RuntimeKey {
  std::string_view key;
  std::string_view metric;
  bool bytes;
};
// log-runtime-metrics keys (heroku.md §5.4) and their series; memory values arrive in MB.
constexpr std::array<RuntimeKey, 8> kRuntimeKeys{{
    {"sample#memory_total", "heroku.dyno.memory.total", true},
    {"sample#memory_rss", "heroku.dyno.memory.rss", true},
    {"sample#memory_cache", "heroku.dyno.memory.cache", true},
    {"sample#memory_swap", "heroku.dyno.memory.swap", true},
    {"sample#memory_quota", "heroku.dyno.memory.quota", true},
    {"sample#load_avg_1m", "heroku.dyno.load_avg.1m", false},
    {"sample#load_avg_5m", "heroku.dyno.load_avg.5m", false},
    {"sample#load_avg_15m", "heroku.dyno.load_avg.15m", false},
}};

}  // namespace

std::string_view lineKindName(LineKind kind) {
  switch (kind) {
    case LineKind::Router: return "router";
    case LineKind::PlatformError: return "platform_error";
    case LineKind::RuntimeMetrics: return "runtime_metrics";
    case LineKind::Addon: return "addon";
    case LineKind::L2met: return "l2met";
    case LineKind::Other: return "other";
    case LineKind::Count: break;
  }
  return "unknown";
}

bool parseNumberWithUnit(std::string_view text, double& value, std::string_view& unit) {
  if (text.empty() || text[0] == '+') return false;
  const char* end = text.data() + text.size();
  // The number: [-]digits[.digits] (no exponent), read with strtod from a bounded copy (g++ 10,
  // heroku-22's stand-in, has no floating-point from_chars; the agent never calls setlocale).
  const char* ptr = text.data();
  if (ptr < end && *ptr == '-') ++ptr;
  const char* digitsStart = ptr;
  while (ptr < end && *ptr >= '0' && *ptr <= '9') ++ptr;
  if (ptr < end && *ptr == '.') {
    ++ptr;
    while (ptr < end && *ptr >= '0' && *ptr <= '9') ++ptr;
  }
  const std::size_t length = static_cast<std::size_t>(ptr - text.data());
  if (ptr == digitsStart || (ptr == digitsStart + 1 && *digitsStart == '.') || length >= 64) return false;
  char number[64];
  std::memcpy(number, text.data(), length);
  number[length] = '\0';
  value = std::strtod(number, nullptr);
  if (!std::isfinite(value)) return false;
  unit = std::string_view(ptr, static_cast<std::size_t>(end - ptr));
  for (char c : unit) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

double bytesFactor(std::string_view unit) {
  if (unit == "kB" || unit == "KB") return 1024.0;
  if (unit == "MB") return 1024.0 * 1024.0;
  if (unit == "GB") return 1024.0 * 1024.0 * 1024.0;
  return 1.0;
}

LineDeriver::LineDeriver(MetricConsumer& consumer, std::string_view host) : consumer_(consumer), host_(host) {
  sample_.values.reserve(1);
  sample_.tags.reserve(16);
}

void LineDeriver::setApp(std::string_view app) {
  appTag_.assign("app:").append(app);
}

void LineDeriver::resetTags() {
  sample_.tags.clear();
  sample_.tags.push_back(appTag_);
  tagUsed_ = 0;
}

void LineDeriver::addTag(std::string_view key, std::string_view value) {
  if (!tagSafe(value)) return;
  const std::size_t size = key.size() + 1 + value.size();
  if (tagUsed_ + size > tagBuffer_.size() || sample_.tags.size() >= 16) return;
  char* out = tagBuffer_.data() + tagUsed_;
  std::memcpy(out, key.data(), key.size());
  out[key.size()] = ':';
  std::memcpy(out + key.size() + 1, value.data(), value.size());
  tagUsed_ += size;
  sample_.tags.emplace_back(out, size);
}

void LineDeriver::emit(std::string_view name, MetricType type, double value, std::string_view member) {
  sample_.name = name;
  sample_.type = type;
  sample_.values.clear();
  if (type != MetricType::Set) sample_.values.push_back(value);
  sample_.setMember = member;
  sample_.rate = 1.0;
  sample_.timestamp = 0;
  sample_.host = host_;
  consumer_.add(sample_, now_);
  ++stats_.samples;
}

// Groups are looked up by a hash of the tag text and checked against the text itself; at most
// kMaxRouterGroups live at once (more are handed on early), and a batch's values are bounded by
// its body.
LineDeriver::RouterGroup& LineDeriver::routerGroup() {
  constexpr std::size_t kMaxRouterGroups = 4096;
  groupKey_.clear();
  for (std::size_t i = 1; i < sample_.tags.size(); ++i) groupKey_.append(sample_.tags[i]).push_back('\n');
  const std::uint64_t hash = std::hash<std::string_view>{}(groupKey_);
  auto it = groupIndex_.find(hash);
  if (it != groupIndex_.end() && groups_[it->second].tags == groupKey_) return groups_[it->second];
  if (groupsUsed_ >= kMaxRouterGroups) endBatch();
  if (groupsUsed_ == groups_.size()) groups_.emplace_back();
  RouterGroup& group = groups_[groupsUsed_];
  group.tags = groupKey_;
  group.requests = 0;
  group.connect.clear();
  group.service.clear();
  group.bytes.clear();
  // A hash collision between two live groups (2^-64 odds) only costs the older one its index
  // entry: both still get handed on at endBatch().
  groupIndex_[hash] = groupsUsed_++;
  return group;
}

void LineDeriver::endBatch() {
  for (std::size_t g = 0; g < groupsUsed_; ++g) {
    RouterGroup& group = groups_[g];
    resetTags();
    std::string_view rest = group.tags;
    while (!rest.empty()) {
      std::size_t end = rest.find('\n');
      sample_.tags.push_back(rest.substr(0, end));
      rest.remove_prefix(end + 1);
    }
    emit("heroku.router.requests", MetricType::Counter, group.requests);
    if (!group.connect.empty()) emitValues("heroku.router.connect", MetricType::Distribution, group.connect);
    if (!group.service.empty()) emitValues("heroku.router.service", MetricType::Distribution, group.service);
    if (!group.bytes.empty()) emitValues("heroku.router.bytes", MetricType::Distribution, group.bytes);
  }
  groupsUsed_ = 0;
  groupIndex_.clear();
  // Bound what an unusual batch leaves behind.
  if (groups_.size() > 256) groups_.resize(256);
  for (auto& group : groups_) {
    if (group.connect.capacity() > 4096) {
      group.connect = {};
      group.service = {};
      group.bytes = {};
    }
  }
}

void LineDeriver::emitValues(std::string_view name, MetricType type, const std::vector<double>& values) {
  sample_.name = name;
  sample_.type = type;
  sample_.values.assign(values.begin(), values.end());
  sample_.setMember = {};
  sample_.rate = 1.0;
  sample_.timestamp = 0;
  sample_.host = host_;
  consumer_.add(sample_, now_);
  ++stats_.samples;
}

void LineDeriver::derive(const SyslogMessage& line, std::int64_t nowSeconds) {
  now_ = nowSeconds;
  LineKind kind = LineKind::Other;
  if (line.appName == "heroku") {
    if (line.procid == "router") {
      router(line.message);
      kind = LineKind::Router;
    } else if (line.message.starts_with("source=") ||
               line.message.find("sample#") != std::string_view::npos) {
      if (runtimeMetrics(line.message, line.procid)) kind = LineKind::RuntimeMetrics;
    } else {
      const std::uint64_t before = stats_.samples;
      platform(line);
      if (stats_.samples != before) kind = LineKind::PlatformError;
    }
  } else if (line.appName == "app") {
    if (line.procid == "heroku-postgres") {
      addon(line.message, "heroku.postgres.", "database");
      kind = LineKind::Addon;
    } else if (line.procid == "heroku-redis") {
      addon(line.message, "heroku.redis.", "source");
      kind = LineKind::Addon;
    } else if (line.message.find('#') != std::string_view::npos) {
      const std::uint64_t before = stats_.samples;
      l2met(line.message);
      if (stats_.samples != before) kind = LineKind::L2met;
    }
  }
  ++stats_.lines[static_cast<std::size_t>(kind)];
}

// at=info method=GET path="/" host=shop.herokuapp.com request_id=8601b555 fwd="1.2.3.4" dyno=web.1
// connect=1ms service=18ms status=200 bytes=13 protocol=https
// at=error code=H12 desc="Request timeout" method=GET path="/" ... dyno=web.1 connect=0ms
// service=30000ms status=503 bytes=0 protocol=https
void LineDeriver::router(std::string_view message) {
  std::string_view at, code, method, dyno, connect, service, status, bytes, protocol;
  forEachPair(message, [&](std::string_view key, std::string_view value) {
    switch (key.size()) {
      case 2:
        if (key == "at") at = value;
        break;
      case 4:
        if (key == "code") code = value;
        if (key == "dyno") dyno = value;
        break;
      case 5:
        if (key == "bytes") bytes = value;
        break;
      case 6:
        if (key == "method") method = value;
        if (key == "status") status = value;
        break;
      case 7:
        if (key == "connect") connect = value;
        if (key == "service") service = value;
        break;
      case 8:
        if (key == "protocol") protocol = value;
        break;
      default: break;
    }
  });

  resetTags();
  if (isStatus(status)) {
    addTag("status", status);
    const char statusClass[3] = {status[0], 'x', 'x'};
    addTag("status_class", std::string_view(statusClass, 3));
  }
  if (isMethod(method)) addTag("method", method);
  addTag("dyno", dyno);
  addTag("dynotype", Enricher::dynoType(dyno));
  addTag("protocol", protocol);
  RouterGroup& group = routerGroup();
  group.requests += 1;

  double value = 0;
  std::string_view unit;
  auto distribution = [&](std::string_view text, std::vector<double>& values, std::string_view expectedUnit) {
    if (text.empty()) return;  // error lines leave these empty
    if (!parseNumberWithUnit(text, value, unit) || (!unit.empty() && unit != expectedUnit) || value < 0) {
      ++stats_.invalidValues;
      return;
    }
    values.push_back(value);
  };
  distribution(connect, group.connect, "ms");
  distribution(service, group.service, "ms");
  distribution(bytes, group.bytes, "");

  if (at == "error" && isErrorCode(code)) {
    resetTags();
    addTag("code", code);
    addTag("dyno", dyno);
    addTag("dynotype", Enricher::dynoType(dyno));
    emit("heroku.router.errors", MetricType::Counter, 1);
  }
}

// heroku[web.1]: Error R14 (Memory quota exceeded)
// heroku[logplex]: Error L10 (output buffer overflow): 42 messages dropped since 2026-07-22T00:06:26+00:00.
// heroku[web.1]: at=error code=H10 desc="App crashed" ...
void LineDeriver::platform(const SyslogMessage& line) {
  std::string_view message = line.message;
  std::string_view code;
  if (message.starts_with("Error ") && isErrorCode(message.substr(6, 3)) &&
      (message.size() == 9 || message[9] == ' ')) {
    code = message.substr(6, 3);
  } else if (message.starts_with("at=error")) {
    forEachPair(message, [&](std::string_view key, std::string_view value) {
      if (key == "code" && isErrorCode(value)) code = value;
    });
  }
  if (code.empty()) return;
  resetTags();
  addTag("code", code);
  if (isDynoProcid(line.procid)) {
    addTag("dyno", line.procid);
    addTag("dynotype", Enricher::dynoType(line.procid));
  }
  emit("heroku.errors", MetricType::Counter, 1);

  if (code == "L10") {
    // "...): <N> messages dropped since <time>."
    std::size_t at = message.find("): ");
    if (at == std::string_view::npos) return;
    std::string_view rest = message.substr(at + 3);
    std::uint64_t dropped = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), dropped);
    std::string_view after(ptr, static_cast<std::size_t>(rest.data() + rest.size() - ptr));
    if (ec != std::errc{} || !after.starts_with(" messages dropped")) return;
    resetTags();
    emit("heroku.logplex.dropped", MetricType::Counter, static_cast<double>(dropped));
  }
}

// source=web.1 dyno=heroku.2808254.d97d0ea7 sample#load_avg_1m=2.46 sample#load_avg_5m=1.06 ...
// source=web.1 dyno=heroku.2808254.d97d0ea7 sample#memory_total=21.00MB sample#memory_rss=21.22MB ...
bool LineDeriver::runtimeMetrics(std::string_view message, std::string_view procid) {
  std::string_view source;
  bool any = false;
  forEachPair(message, [&](std::string_view key, std::string_view value) {
    if (key == "source") source = value;
    if (key.starts_with("sample#")) any = true;
  });
  if (!any) return false;
  std::string_view dyno = tagSafe(source) ? source : procid;
  resetTags();
  addTag("dyno", dyno);
  addTag("dynotype", Enricher::dynoType(dyno));
  forEachPair(message, [&](std::string_view key, std::string_view value) {
    for (const auto& entry : kRuntimeKeys) {
      if (key != entry.key) continue;
      double number = 0;
      std::string_view unit;
      if (!parseNumberWithUnit(value, number, unit)) {
        ++stats_.invalidValues;
        return;
      }
      emit(entry.metric, MetricType::Gauge, entry.bytes ? number * bytesFactor(unit) : number);
      return;
    }
  });
  return true;
}

// source=HEROKU_POSTGRESQL_RED addon=postgresql-curly-12345 sample#current_transaction=1873
// sample#db_size=8823287bytes sample#tables=12 sample#active-connections=4 ... sample#memory-free=15632kB
void LineDeriver::addon(std::string_view message, std::string_view prefix, std::string_view sourceTag) {
  std::string_view source, addonName;
  forEachPair(message, [&](std::string_view key, std::string_view value) {
    if (key == "source") source = value;
    if (key == "addon") addonName = value;
  });
  resetTags();
  addTag("addon", addonName);
  addTag(sourceTag, source);
  std::memcpy(nameBuffer_.data(), prefix.data(), prefix.size());
  forEachPair(message, [&](std::string_view key, std::string_view value) {
    if (!key.starts_with("sample#")) return;
    std::string_view field = key.substr(7);
    if (!nameSafe(field) || prefix.size() + field.size() > nameBuffer_.size()) {
      ++stats_.invalidNames;
      return;
    }
    double number = 0;
    std::string_view unit;
    if (!parseNumberWithUnit(value, number, unit)) {
      ++stats_.invalidValues;
      return;
    }
    // `active-connections` -> heroku.postgres.active_connections (a `-` is not valid in most
    // backends' metric names).
    char* out = nameBuffer_.data() + prefix.size();
    for (std::size_t i = 0; i < field.size(); ++i) out[i] = field[i] == '-' ? '_' : field[i];
    emit(std::string_view(nameBuffer_.data(), prefix.size() + field.size()), MetricType::Gauge,
         number * bytesFactor(unit));
  });
}

// source=checkout count#orders.placed=2 measure#db.query=12.5ms sample#queue.depth=7 unique#user=42
void LineDeriver::l2met(std::string_view message) {
  std::string_view source;
  forEachPair(message, [&](std::string_view key, std::string_view value) {
    if (key == "source") source = value;
  });
  resetTags();
  addTag("source", source);
  forEachPair(message, [&](std::string_view key, std::string_view value) {
    std::size_t hash = key.find('#');
    if (hash == std::string_view::npos) return;
    std::string_view type = key.substr(0, hash);
    std::string_view name = key.substr(hash + 1);
    MetricType metricType;
    if (type == "count") {
      metricType = MetricType::Counter;
    } else if (type == "measure") {
      metricType = MetricType::Distribution;
    } else if (type == "sample") {
      metricType = MetricType::Gauge;
    } else if (type == "unique") {
      metricType = MetricType::Set;
    } else {
      return;
    }
    if (!nameSafe(name)) {
      ++stats_.invalidNames;
      return;
    }
    if (metricType == MetricType::Set) {
      if (value.empty() || value.size() > kMaxTagValue) {
        ++stats_.invalidValues;
        return;
      }
      emit(name, metricType, 0, value);
      return;
    }
    double number = 1;  // a bare `count#name` counts one
    std::string_view unit;
    if (!(value.empty() && metricType == MetricType::Counter) && !parseNumberWithUnit(value, number, unit)) {
      ++stats_.invalidValues;
      return;
    }
    emit(name, metricType, number);
  });
}

void LineDeriver::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  for (std::size_t i = 0; i < stats_.lines.size(); ++i) {
    out.push_back({"drain.lines",
                   {"kind:" + std::string(lineKindName(static_cast<LineKind>(i)))},
                   static_cast<double>(stats_.lines[i]),
                   true});
  }
  out.push_back({"drain.samples", {}, static_cast<double>(stats_.samples), true});
  out.push_back({"drain.invalid", {"reason:value"}, static_cast<double>(stats_.invalidValues), true});
  out.push_back({"drain.invalid", {"reason:name"}, static_cast<double>(stats_.invalidNames), true});
}

}  // namespace dynostatsd::drain
