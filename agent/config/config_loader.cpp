#include "config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/config_values.h"
#include "telemetry/log.h"

namespace dynostatsd {
namespace {

using config::parseBool;
using config::parseDouble;
using config::parseInt;

// Applies a textual value to the config; returns false with `error` set when it is invalid.
using ApplyFn = bool (*)(Config&, std::string_view, std::string& error, std::vector<std::string>& warnings);
using ShowFn = std::string (*)(const Config&);

struct Setting {
  SettingInfo info;
  ApplyFn apply;
  ShowFn show;
};

std::string joinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(',');
    out += item;
  }
  return out;
}

std::string showNumber(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string showBool(bool value) {
  return value ? "true" : "false";
}

template <typename Int>
bool applyInt(std::string_view text, std::int64_t min, std::int64_t max, Int& field, std::string& error) {
  std::int64_t value = 0;
  if (!parseInt(text, min, max, value, error)) return false;
  field = static_cast<Int>(value);
  return true;
}

bool applyBool(std::string_view text, bool& field, std::string& error) {
  return parseBool(text, field, error);
}

#define DYNO_APPLY [](Config & c, std::string_view v, std::string & e, std::vector<std::string> & w) -> bool
#define DYNO_SHOW [](const Config& c) -> std::string

// The settings table. Order: documentation order; `tags` must precede `dogstatsd_tags`, which
// appends to it.
const std::vector<Setting>& settingsTable() {
  static const std::vector<Setting> kTable = {
      // --- ingest
      {{"bind_host", "DD_BIND_HOST", "--bind-host", "address the UDP listener binds (loopback by default)"},
       DYNO_APPLY{(void)w;
  c.ingest.bindHost = config::trim(v);
  if (c.ingest.bindHost.empty()) e = "must not be empty";
  return !c.ingest.bindHost.empty();
}
, DYNO_SHOW {
  return c.ingest.bindHost;
}
}  // namespace
, {{"dogstatsd_port", "DD_DOGSTATSD_PORT", "--port", "UDP port; 0 disables UDP"}, DYNO_APPLY{(void)w;
return applyInt(v, 0, 65535, c.ingest.udpPort, e);
}  // namespace dynostatsd
, DYNO_SHOW {
  return std::to_string(c.ingest.udpPort);
}
}
, {{"dogstatsd_non_local_traffic", "DD_DOGSTATSD_NON_LOCAL_TRAFFIC", "--non-local-traffic",
    "listen on all interfaces (0.0.0.0) instead of bind_host"},
   DYNO_APPLY{(void)w;
return applyBool(v, c.ingest.nonLocalTraffic, e);
}
, DYNO_SHOW {
  return showBool(c.ingest.nonLocalTraffic);
}
}
, {{"dogstatsd_socket", "DD_DOGSTATSD_SOCKET", "--socket", "Unix datagram socket path; empty = off"},
   DYNO_APPLY{(void)w;
c.ingest.socketPath = config::trim(v);
if (c.ingest.socketPath.size() > 107) {
  e = "must be at most 107 bytes (sun_path)";
  return false;
}
return true;
}
, DYNO_SHOW {
  return c.ingest.socketPath;
}
}
, {{"dogstatsd_so_rcvbuf", "DD_DOGSTATSD_SO_RCVBUF", "--so-rcvbuf",
    "socket receive buffer bytes; 0 = OS default"},
   DYNO_APPLY{(void)w;
return applyInt(v, 0, 1 << 30, c.ingest.soRcvbuf, e);
}
, DYNO_SHOW {
  return std::to_string(c.ingest.soRcvbuf);
}
}
, {{"dogstatsd_buffer_size", "DD_DOGSTATSD_BUFFER_SIZE", "--buffer-size",
    "largest datagram read in bytes; larger ones are counted as truncated"},
   DYNO_APPLY{(void)w;
return applyInt(v, 1, 65535, c.ingest.bufferSize, e);
}
, DYNO_SHOW {
  return std::to_string(c.ingest.bufferSize);
}
}
,
    // --- enrich
    {{"dyno", "DYNO", "--dyno", "dyno name (web.1); tags dyno: and dynotype:"}, DYNO_APPLY{(void)w, (void)e;
c.enrich.dyno = config::trim(v);
return true;
}
, DYNO_SHOW {
  return c.enrich.dyno;
}
}
, {{"app_name", "HEROKU_APP_NAME", "--app-name", "Heroku app name; tags appname:"},
   DYNO_APPLY{(void)w, (void)e;
c.enrich.appName = config::trim(v);
return true;
}
, DYNO_SHOW {
  return c.enrich.appName;
}
}
, {{"release_version", "HEROKU_RELEASE_VERSION", "", "Heroku release (v42); tags release:"},
   DYNO_APPLY{(void)w, (void)e;
c.enrich.releaseVersion = config::trim(v);
return true;
}
, DYNO_SHOW {
  return c.enrich.releaseVersion;
}
}
, {{"tags", "DD_TAGS", "--tags", "extra tags on every series, comma or space separated"},
   DYNO_APPLY{(void)w, (void)e;
c.enrich.tags = config::splitList(v);
return true;
}
, DYNO_SHOW {
  return joinList(c.enrich.tags);
}
}
, {{"dogstatsd_tags", "DD_DOGSTATSD_TAGS", "", "more tags, appended to tags"}, DYNO_APPLY{(void)w, (void)e;
for (auto& tag : config::splitList(v)) c.enrich.tags.push_back(std::move(tag));
return true;
}
, DYNO_SHOW {
  (void)c;
  return "(appended to tags)";
}
}
, {{"env", "DD_ENV", "--env", "adds the tag env:<value>"}, DYNO_APPLY{(void)w, (void)e;
c.enrich.env = config::trim(v);
return true;
}
, DYNO_SHOW {
  return c.enrich.env;
}
}
, {{"service", "DD_SERVICE", "--service", "adds the tag service:<value>"}, DYNO_APPLY{(void)w, (void)e;
c.enrich.service = config::trim(v);
return true;
}
, DYNO_SHOW {
  return c.enrich.service;
}
}
, {{"version", "DD_VERSION", "--version-tag", "adds the tag version:<value>"}, DYNO_APPLY{(void)w, (void)e;
c.enrich.version = config::trim(v);
return true;
}
, DYNO_SHOW {
  return c.enrich.version;
}
}
, {{"hostname", "DD_HOSTNAME", "--hostname", "host of every series; default: the dyno's hostname"},
   DYNO_APPLY{(void)w, (void)e;
c.enrich.hostname = config::trim(v);
return true;
}
, DYNO_SHOW {
  return c.enrich.hostname;
}
}
, {{"dyno_host", "DD_DYNO_HOST", "--dyno-host", "host = <appname>.<dyno> (like the Datadog buildpack)"},
   DYNO_APPLY{(void)w;
return applyBool(v, c.enrich.dynoHost, e);
}
, DYNO_SHOW {
  return showBool(c.enrich.dynoHost);
}
}
,
    // --- aggregate
    {{"flush_interval", "DYNOSTATSD_FLUSH_INTERVAL", "--flush-interval",
      "bucket width and flush period, seconds"},
     DYNO_APPLY{(void)w;
return applyInt(v, 1, 3600, c.aggregate.flushIntervalSeconds, e);
}
, DYNO_SHOW {
  return std::to_string(c.aggregate.flushIntervalSeconds);
}
}
, {{"histogram_aggregates", "DD_HISTOGRAM_AGGREGATES", "--histogram-aggregates",
    "histogram statistics: max median avg count min sum"},
   DYNO_APPLY{(void)e;
c.aggregate.histogramAggregates = config::parseAggregates(v, w);
return true;
}
, DYNO_SHOW {
  return joinList(c.aggregate.histogramAggregates);
}
}
, {{"histogram_percentiles", "DD_HISTOGRAM_PERCENTILES", "--histogram-percentiles",
    "histogram percentiles as fractions, e.g. \"0.95 0.99\""},
   DYNO_APPLY{(void)e;
c.aggregate.histogramPercentiles = config::parsePercentiles(v, w);
return true;
}
, DYNO_SHOW {
  std::string out;
  for (int p : c.aggregate.histogramPercentiles) {
    if (!out.empty()) out.push_back(',');
    out += p == 100 ? std::string("1.00") : (p < 10 ? "0.0" : "0.") + std::to_string(p);
  }
  return out;
}
}
, {{"dogstatsd_expiry_seconds", "DD_DOGSTATSD_EXPIRY_SECONDS", "",
    "idle counters are sent as 0 for this long, seconds"},
   DYNO_APPLY{(void)w;
return applyInt(v, 0, 86400, c.aggregate.counterExpirySeconds, e);
}
, DYNO_SHOW {
  return std::to_string(c.aggregate.counterExpirySeconds);
}
}
, {{"dogstatsd_context_expiry_seconds", "DD_DOGSTATSD_CONTEXT_EXPIRY_SECONDS", "",
    "idle contexts are forgotten after this long, seconds"},
   DYNO_APPLY{(void)w;
return applyInt(v, 0, 86400, c.aggregate.contextExpirySeconds, e);
}
, DYNO_SHOW {
  return std::to_string(c.aggregate.contextExpirySeconds);
}
}
, {{"max_contexts", "DYNOSTATSD_MAX_CONTEXTS", "--max-contexts",
    "live contexts bound; samples of new contexts beyond it are dropped and counted"},
   DYNO_APPLY{(void)w;
return applyInt(v, 1, 100000000, c.aggregate.maxContexts, e);
}
, DYNO_SHOW {
  return std::to_string(c.aggregate.maxContexts);
}
}
,
    // --- forward
    {{"api_key", "DD_API_KEY", "", "Datadog API key; empty = print metrics to the log only", true},
     DYNO_APPLY{(void)w, (void)e;
c.forward.apiKey = config::trim(v);
return true;
}
, DYNO_SHOW {
  return c.forward.apiKey.empty() ? "" : log::maskSecret(c.forward.apiKey);
}
}
, {{"site", "DD_SITE", "--site", "Datadog site; the API is https://api.<site>"}, DYNO_APPLY{(void)w;
c.forward.site = config::trim(v);
if (c.forward.site.empty() || c.forward.site.find_first_of("/: ") != std::string::npos) {
  e = "must be a host name such as datadoghq.eu";
  return false;
}
return true;
}
, DYNO_SHOW {
  return c.forward.site;
}
}
, {{"dd_url", "DD_DD_URL", "--dd-url", "API base URL, overrides site (http:// or https://)"},
   DYNO_APPLY{(void)w;
c.forward.ddUrl = config::trim(v);
if (!c.forward.ddUrl.empty() && c.forward.ddUrl.rfind("https://", 0) != 0 &&
    c.forward.ddUrl.rfind("http://", 0) != 0) {
  e = "must start with https:// or http://";
  return false;
}
return true;
}
, DYNO_SHOW {
  return c.forward.ddUrl;
}
}
, {{"series_api", "DYNOSTATSD_SERIES_API", "--series-api", "v2 (/api/v2/series) or v1 (/api/v1/series)"},
   DYNO_APPLY{(void)w;
std::string value = config::trim(v);
if (value == "v2") {
  c.forward.seriesApi = SeriesApi::V2;
} else if (value == "v1") {
  c.forward.seriesApi = SeriesApi::V1;
} else {
  e = "must be v1 or v2";
  return false;
}
return true;
}
, DYNO_SHOW {
  return c.forward.seriesApi == SeriesApi::V2 ? "v2" : "v1";
}
}
, {{"compression", "DYNOSTATSD_COMPRESSION", "--compression", "payload compression: zstd deflate gzip none"},
   DYNO_APPLY{(void)w;
std::string value = config::trim(v);
if (value == "zstd") {
  c.forward.compression = Compression::Zstd;
} else if (value == "deflate" || value == "zlib") {
  c.forward.compression = Compression::Deflate;
} else if (value == "gzip") {
  c.forward.compression = Compression::Gzip;
} else if (value == "none") {
  c.forward.compression = Compression::None;
} else {
  e = "must be one of zstd, deflate, gzip, none";
  return false;
}
return true;
}
, DYNO_SHOW {
  switch (c.forward.compression) {
    case Compression::Zstd: return "zstd";
    case Compression::Deflate: return "deflate";
    case Compression::Gzip: return "gzip";
    case Compression::None: return "none";
  }
  return "?";
}
}
, {{"forwarder_retry_queue_payloads_max_size", "DD_FORWARDER_RETRY_QUEUE_PAYLOADS_MAX_SIZE", "",
    "retry queue bound in bytes; the oldest payloads are dropped beyond it"},
   DYNO_APPLY{(void)w;
return applyInt(v, 0, std::int64_t{1} << 32, c.forward.retryQueueBytes, e);
}
, DYNO_SHOW {
  return std::to_string(c.forward.retryQueueBytes);
}
}
, {{"forwarder_timeout", "DD_FORWARDER_TIMEOUT", "", "HTTP request timeout, seconds"}, DYNO_APPLY{(void)w;
return applyInt(v, 1, 600, c.forward.requestTimeoutSeconds, e);
}
, DYNO_SHOW {
  return std::to_string(c.forward.requestTimeoutSeconds);
}
}
, {{"forwarder_backoff_base", "DD_FORWARDER_BACKOFF_BASE", "", "retry backoff base, seconds"},
   DYNO_APPLY{(void)w;
return parseDouble(v, 0.001, 3600, c.forward.backoffBaseSeconds, e);
}
, DYNO_SHOW {
  return showNumber(c.forward.backoffBaseSeconds);
}
}
, {{"forwarder_backoff_max", "DD_FORWARDER_BACKOFF_MAX", "", "retry backoff ceiling, seconds"},
   DYNO_APPLY{(void)w;
return parseDouble(v, 0.001, 86400, c.forward.backoffMaxSeconds, e);
}
, DYNO_SHOW {
  return showNumber(c.forward.backoffMaxSeconds);
}
}
, {{"shutdown_deadline", "DYNOSTATSD_SHUTDOWN_DEADLINE", "--shutdown-deadline",
    "at exit, keep sending queued payloads at most this long, seconds"},
   DYNO_APPLY{(void)w;
return applyInt(v, 0, 25, c.forward.shutdownDeadlineSeconds, e);
}
, DYNO_SHOW {
  return std::to_string(c.forward.shutdownDeadlineSeconds);
}
}
, {{"validate_api_key", "DYNOSTATSD_VALIDATE_API_KEY", "--validate-api-key",
    "check the API key once at start (/api/v1/validate)"},
   DYNO_APPLY{(void)w;
return applyBool(v, c.forward.validateApiKey, e);
}
, DYNO_SHOW {
  return showBool(c.forward.validateApiKey);
}
}
,
    // --- agent
    {{"log_metrics", "DYNOSTATSD_LOG_METRICS", "--log-metrics",
      "print every flush to stdout in l2met form (forced on without an API key)"},
     DYNO_APPLY{(void)w;
return applyBool(v, c.logMetrics, e);
}
, DYNO_SHOW {
  return showBool(c.logMetrics);
}
}
, {{"self_metrics", "DYNOSTATSD_SELF_METRICS", "--self-metrics",
    "send dynostatsd.* self-metrics every flush"},
   DYNO_APPLY{(void)w;
return applyBool(v, c.selfMetrics, e);
}
, DYNO_SHOW {
  return showBool(c.selfMetrics);
}
}
, {{"shutdown_grace", "DYNOSTATSD_SHUTDOWN_GRACE", "--shutdown-grace",
    "after SIGTERM keep receiving this long before the final flush, seconds"},
   DYNO_APPLY{(void)w;
return parseDouble(v, 0, 20, c.shutdownGraceSeconds, e);
}
, DYNO_SHOW {
  return showNumber(c.shutdownGraceSeconds);
}
}
, {{"log_level", "DD_LOG_LEVEL", "--log-level", "debug, info, warn or error"}, DYNO_APPLY{(void)w;
std::string value = config::trim(v);
log::Level level;
if (!log::parseLevel(value, level)) {
  e = "must be one of debug, info, warn, error";
  return false;
}
c.logLevel = value;
return true;
}
, DYNO_SHOW {
  return c.logLevel;
}
}
,
}
;
return kTable;
}

#undef DYNO_APPLY
#undef DYNO_SHOW

const Setting* findSetting(std::string_view key) {
  for (const auto& setting : settingsTable()) {
    if (setting.info.key == key) return &setting;
  }
  return nullptr;
}

// YAML values arrive as text: scalars verbatim, sequences of scalars joined with commas.
bool yamlToText(const YAML::Node& node, std::string& out) {
  if (node.IsScalar()) {
    out = node.Scalar();
    return true;
  }
  if (node.IsSequence()) {
    out.clear();
    for (const auto& item : node) {
      if (!item.IsScalar()) return false;
      if (!out.empty()) out.push_back(',');
      out += item.Scalar();
    }
    return true;
  }
  return false;
}

bool loadYaml(const std::string& path, std::map<std::string, std::string, std::less<>>& values,
              ConfigError& error) {
  error.setting = "config_file";
  error.source = ConfigSource::Yaml;
  error.origin = path;
  std::ifstream file(path);
  if (!file) {
    error.message = "cannot read the YAML file";
    return false;
  }
  YAML::Node root;
  try {
    root = YAML::Load(file);
  } catch (const YAML::Exception& e) {
    error.message = "invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return false;
  }
  if (root.IsNull()) return true;
  if (!root.IsMap()) {
    error.message = "the YAML file must be a mapping of setting: value";
    return false;
  }
  for (const auto& entry : root) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string("?");
    if (findSetting(key) == nullptr) {
      error.setting = key;
      error.message = "unknown setting";
      return false;
    }
    if (entry.second.IsNull()) continue;
    std::string text;
    if (!yamlToText(entry.second, text)) {
      error.setting = key;
      error.message = "must be a scalar or a list of scalars";
      return false;
    }
    values[key] = std::move(text);
  }
  return true;
}

}  // namespace

std::string_view sourceName(ConfigSource source) {
  switch (source) {
    case ConfigSource::Default: return "default";
    case ConfigSource::Yaml: return "yaml";
    case ConfigSource::Env: return "env";
    case ConfigSource::Cli: return "cli";
  }
  return "?";
}

const std::vector<SettingInfo>& allSettings() {
  static const std::vector<SettingInfo> kInfos = [] {
    std::vector<SettingInfo> infos;
    for (const auto& setting : settingsTable()) infos.push_back(setting.info);
    return infos;
  }();
  return kInfos;
}

std::string ConfigError::describe() const {
  std::string out = "setting=" + log::quote(setting) + " source=" + std::string(sourceName(source));
  if (!origin.empty()) {
    out += source == ConfigSource::Env ? " var=" : source == ConfigSource::Cli ? " flag=" : " file=";
    out += log::quote(origin);
  }
  out += " error=" + log::quote(message);
  return out;
}

bool loadConfig(const ConfigInputs& inputs, LoadedConfig& out, ConfigError& error) {
  auto env = inputs.env ? inputs.env : [](const char* name) -> const char* { return std::getenv(name); };
  out = LoadedConfig{};

  // Which YAML file: --config > DYNOSTATSD_CONFIG > ./dynostatsd.yml when it exists.
  std::string file = inputs.cliConfigFile;
  ConfigSource configSource = ConfigSource::Cli;
  if (file.empty()) {
    if (const char* fromEnv = env("DYNOSTATSD_CONFIG"); fromEnv != nullptr) {
      file = fromEnv;
      if (!file.empty()) configSource = ConfigSource::Env;
    }
  }
  if (file.empty() && !inputs.defaultConfigFile.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(inputs.defaultConfigFile, ec)) {
      file = inputs.defaultConfigFile;
      configSource = ConfigSource::Default;
    }
  }
  std::map<std::string, std::string, std::less<>> yaml;
  if (!file.empty()) {
    if (!loadYaml(file, yaml, error)) {
      if (error.setting == "config_file") {
        error.source = configSource;  // the file itself is bad: blame whoever named it
        error.origin = configSource == ConfigSource::Env   ? "DYNOSTATSD_CONFIG"
                       : configSource == ConfigSource::Cli ? "--config"
                                                           : file;
        error.message += " (" + file + ")";
      }
      return false;
    }
    out.configFile = file;
  }
  out.config.configFile = file;

  for (const auto& setting : settingsTable()) {
    const std::string key(setting.info.key);
    std::string value;
    ConfigSource source = ConfigSource::Default;
    std::string origin;
    if (auto it = inputs.cli.find(key); it != inputs.cli.end()) {
      value = it->second;
      source = ConfigSource::Cli;
      origin = setting.info.flag;
    } else if (const char* fromEnv = env(std::string(setting.info.env).c_str());
               fromEnv != nullptr && *fromEnv != '\0') {
      value = fromEnv;
      source = ConfigSource::Env;
      origin = setting.info.env;
    } else if (auto y = yaml.find(key); y != yaml.end()) {
      value = y->second;
      source = ConfigSource::Yaml;
      origin = file;
    }
    out.sources[key] = source;
    if (source == ConfigSource::Default) continue;
    std::string message;
    if (!setting.apply(out.config, value, message, out.warnings)) {
      error.setting = key;
      error.source = source;
      error.origin = origin;
      error.message = message + ", got " + (setting.info.secret ? log::maskSecret(value) : value);
      return false;
    }
  }
  for (const auto& [key, value] : inputs.cli) {
    if (findSetting(key) == nullptr) {
      error = {key, ConfigSource::Cli, "--" + key, "unknown setting"};
      return false;
    }
  }
  if (out.config.ingest.udpPort == 0 && out.config.ingest.socketPath.empty()) {
    error.setting = "dogstatsd_port";
    error.source = out.sources["dogstatsd_port"];
    error.origin = error.source == ConfigSource::Env   ? "DD_DOGSTATSD_PORT"
                   : error.source == ConfigSource::Cli ? "--port"
                                                       : out.configFile;
    error.message = "0 disables UDP, and dogstatsd_socket is empty: nothing would receive metrics";
    return false;
  }
  if (out.config.forward.apiKey.empty() && !out.config.logMetrics) {
    out.config.logMetrics = true;
    out.logMetricsForced = true;
  }
  return true;
}

std::string showSetting(const Config& config, std::string_view key) {
  const Setting* setting = findSetting(key);
  return setting == nullptr ? std::string() : setting->show(config);
}

}  // namespace dynostatsd
