#include "config/config_loader.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "config/config_values.h"
#include "config/otel_values.h"
#include "config/settings_table.h"
#include "telemetry/log.h"

namespace dynostatsd {
namespace {

using config::findSetting;
using config::Setting;
using config::settingsTable;

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
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error.message = "is a directory, not a YAML file";
    return false;
  }
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
  } catch (const std::exception& e) {  // an I/O failure while reading
    error.message = std::string("cannot read the YAML file: ") + e.what();
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

// Where a value of `source` came from, for an error message.
std::string originOf(ConfigSource source, std::string_view env, std::string_view flag,
                     const std::string& file) {
  switch (source) {
    case ConfigSource::Env: return std::string(env);
    case ConfigSource::Cli: return std::string(flag);
    default: return file;
  }
}

// An open StatsD port on a shared host lets anyone inject metrics: anything but loopback must be
// asked for explicitly.
bool isLoopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
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
      error.message =
          message + ", got " + (setting.info.secret ? log::maskSecret(value) : config::showInvalid(value));
      return false;
    }
  }
  for (const auto& [key, value] : inputs.cli) {
    if (findSetting(key) == nullptr) {
      error = {key, ConfigSource::Cli, "--" + key, "unknown setting"};
      return false;
    }
  }
  if (!out.config.ingest.nonLocalTraffic && !isLoopback(out.config.ingest.bindHost)) {
    error.setting = "bind_host";
    error.source = out.sources["bind_host"];
    error.origin = originOf(error.source, "DD_BIND_HOST", "--bind-host", out.configFile);
    error.message =
        "a non-loopback address needs dogstatsd_non_local_traffic=true (DD_DOGSTATSD_NON_LOCAL_TRAFFIC), "
        "got " +
        out.config.ingest.bindHost;
    return false;
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
  if (out.config.shutdownGraceSeconds + out.config.forward.shutdownDeadlineSeconds > 28) {
    out.warnings.push_back(
        "setting=shutdown_grace reason=\"shutdown_grace + shutdown_deadline exceed 28 s; Heroku "
        "sends SIGKILL 30 s after SIGTERM\"");
  }
  // The embedded default: l2met lines only when no other output is configured (Datadog, OTLP, Graphite).
  const bool graphite = !out.config.graphite.url.empty() || !out.config.graphite.hostedGraphiteApiKey.empty();
  if (out.config.forward.apiKey.empty() && !config::otlpEnabled(out.config.otlp) && !graphite &&
      !out.config.logMetrics) {
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
