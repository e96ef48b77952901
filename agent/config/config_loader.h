#pragma once
// ConfigLoader: builds the effective Config from four sources, highest first:
//
//   | source        | example                          |
//   |---------------|----------------------------------|
//   | command line  | dynostatsd run --port 8126       |
//   | environment   | DD_DOGSTATSD_PORT=8126           |
//   | YAML file     | dogstatsd_port: 8126             |
//   | default       | config.h                         |
//
// Input: an environment lookup, the command-line values (by setting key) and the YAML file named by
// --config, DYNOSTATSD_CONFIG or ./dynostatsd.yml. Output: a Config plus, for every setting, where
// its value came from. Invalid input yields a ConfigError naming the setting and its source.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace dynostatsd {

enum class ConfigSource : std::uint8_t { Default, Yaml, Env, Cli };

std::string_view sourceName(ConfigSource source);

// One setting: its YAML key, environment variable and command-line flag (empty when none).
struct SettingInfo {
  std::string_view key;
  std::string_view env;
  std::string_view flag;
  std::string_view help;
  bool secret = false;
};

// Every setting, in documentation order.
const std::vector<SettingInfo>& allSettings();

struct ConfigError {
  std::string setting;  // YAML key, or "config_file"
  ConfigSource source = ConfigSource::Default;
  std::string origin;  // "DD_DOGSTATSD_PORT", "--port", "/app/dynostatsd.yml"
  std::string message;
  // One logfmt line: `setting=dogstatsd_port source=env var=DD_DOGSTATSD_PORT error="..."`.
  std::string describe() const;
};

struct LoadedConfig {
  Config config;
  std::map<std::string, ConfigSource, std::less<>> sources;  // setting key -> winning source
  std::vector<std::string> warnings;                         // logfmt fields, one per warning
  std::string configFile;                                    // the YAML file read; empty when none
  bool logMetricsForced = false;                             // no API key: logMetrics forced on
};

struct ConfigInputs {
  // Returns the variable's value or nullptr when unset. Defaults to ::getenv.
  std::function<const char*(const char*)> env;
  std::map<std::string, std::string, std::less<>> cli;  // setting key -> value, from flags
  std::string cliConfigFile;                            // --config
  std::string defaultConfigFile = "dynostatsd.yml";     // looked up when nothing else names a file
};

// Returns false and fills `error` on the first invalid value.
bool loadConfig(const ConfigInputs& inputs, LoadedConfig& out, ConfigError& error);

// The effective value of a setting as text (secrets masked), e.g. "8125" or "max,median".
std::string showSetting(const Config& config, std::string_view key);

}  // namespace dynostatsd
