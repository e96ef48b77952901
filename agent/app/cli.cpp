#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

extern char** environ;

#include "app/agent.h"
#include "config/config_loader.h"
#include "drain/drain_source.h"
#include "parse/explain.h"
#include "sink/registry.h"
#include "telemetry/log.h"

namespace dynostatsd {
namespace {

// The flags every configuration-reading command accepts: --config plus one per setting.
struct SettingFlags {
  std::string configFile;
  std::map<std::string, std::string> values;
  std::map<std::string, CLI::Option*> options;

  void addTo(CLI::App& command) {
    command.add_option("-c,--config", configFile,
                       "YAML file (default: $DYNOSTATSD_CONFIG, else ./dynostatsd.yml)");
    for (const auto& setting : allSettings()) {
      if (setting.flag.empty()) continue;
      const std::string key(setting.key);
      std::string help = std::string(setting.help) + " [" + std::string(setting.env) + "]";
      options[key] = command.add_option(std::string(setting.flag), values[key], help);
    }
  }

  ConfigInputs inputs() const {
    ConfigInputs in;
    in.cliConfigFile = configFile;
    for (const auto& [key, option] : options) {
      if (option->count() > 0) in.cli[key] = values.at(key);
    }
    return in;
  }
};

bool load(const SettingFlags& flags, LoadedConfig& loaded) {
  ConfigError error;
  if (!loadConfig(flags.inputs(), loaded, error)) {
    log::write(log::Level::Error, "config", "msg=\"invalid configuration\" " + error.describe());
    return false;
  }
  log::Level level = log::Level::Info;
  log::parseLevel(loaded.config.logLevel, level);
  log::setLevel(level);
  return true;
}

int checkConfig(const LoadedConfig& loaded) {
  for (const auto& warning : loaded.warnings) log::write(log::Level::Warn, "config", warning);
  std::string out =
      "config_file=" + log::quote(loaded.configFile.empty() ? "none" : loaded.configFile) + "\n";
  for (const auto& setting : allSettings()) {
    const std::string key(setting.key);
    ConfigSource source = loaded.sources.at(key);
    std::string line = key + "=" + log::quote(showSetting(loaded.config, key));
    if (key == "log_metrics" && loaded.logMetricsForced) {
      line += " source=forced reason=\"no api_key\"";
    } else {
      line += " source=" + std::string(sourceName(source));
    }
    line += " env=" + std::string(setting.env);
    if (!setting.flag.empty()) line += " flag=" + std::string(setting.flag);
    out += line + "\n";
  }
  // The outputs this configuration turns on, where each sends (never a secret).
  for (const ActiveSink& sink : describeSinks(loaded.config))
    out += "sink=" + sink.name + " target=" + log::quote(sink.description) + "\n";
  out += "valid=true\n";
  std::cout << out << std::flush;
  return 0;
}

int parseCommand(const std::string& file) {
  if (file.empty() || file == "-") {
    return explainStream(std::cin, std::cout) == 0 ? 0 : 1;
  }
  std::ifstream in(file);
  if (!in) {
    log::write(log::Level::Error, "app", "msg=\"cannot read the input\" file=" + log::quote(file));
    return 2;
  }
  return explainStream(in, std::cout) == 0 ? 0 : 1;
}

// `dynostatsd drain`: the Logplex drain endpoint on drain_bind_host:$PORT, through the same
// aggregator and sinks as `run`. Refuses to start (exit 2) without credentials.
int drainCommand(LoadedConfig& loaded, std::uint64_t startedAtNanos) {
  std::vector<std::string_view> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry)
    environment.emplace_back(*entry);
  drain::DrainCredentials credentials;
  std::string error;
  if (!drain::DrainCredentials::load(loaded.config.drain.credentials, environment, credentials, error)) {
    log::write(log::Level::Error, "config", "msg=\"invalid drain credentials\" " + error);
    return 2;
  }
  Config& config = loaded.config;
  // A drain dyno receives no DogStatsD, and the series it derives belong to the source apps'
  // dynos (tagged dyno:/app: from the log lines), not to this dyno: its own identity tags would
  // clash with theirs. DD_TAGS, env, service and version still apply.
  config.ingest.udpPort = 0;
  config.ingest.socketPath.clear();
  config.enrich.dyno.clear();
  config.enrich.appName.clear();
  config.enrich.releaseVersion.clear();
  std::vector<SourceFactory> sources{[&credentials](const SourceContext& context) -> std::unique_ptr<Source> {
    return std::make_unique<drain::DrainSource>(context, std::move(credentials));
  }};
  Agent agent(loaded, startedAtNanos, sources);
  return agent.run();
}

}  // namespace

int runCli(int argc, char** argv, std::uint64_t startedAtNanos) {
  CLI::App app{"dynostatsd " DYNOSTATSD_VERSION
               ": a DogStatsD agent for Heroku dynos (aggregates like the Datadog Agent, tags every series "
               "with its dyno)"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", "dynostatsd " DYNOSTATSD_VERSION);

  SettingFlags runFlags;
  CLI::App* run = app.add_subcommand("run", "Receive DogStatsD datagrams, aggregate, flush every interval");
  runFlags.addTo(*run);

  SettingFlags checkFlags;
  CLI::App* check = app.add_subcommand(
      "check-config",
      "Print the effective configuration with the source of each value (exit 2 when invalid)");
  checkFlags.addTo(*check);

  SettingFlags drainFlags;
  CLI::App* drainMode = app.add_subcommand(
      "drain", "Serve a Logplex HTTPS log drain on $PORT: router, error, runtime and l2met lines -> metrics");
  drainFlags.addTo(*drainMode);

  std::string parseFile;
  CLI::App* parse = app.add_subcommand("parse",
                                       "Explain DogStatsD messages (one per line, from FILE or stdin) as "
                                       "JSON lines; exit 1 if any is invalid");
  parse->add_option("file", parseFile, "input file; - or absent: stdin");

  CLI::App* version = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (*version) {
    std::cout << "dynostatsd " DYNOSTATSD_VERSION "\n";
    return 0;
  }
  if (*parse) return parseCommand(parseFile);
  if (*check) {
    LoadedConfig loaded;
    if (!load(checkFlags, loaded)) return 2;
    return checkConfig(loaded);
  }
  if (*drainMode) {
    LoadedConfig loaded;
    if (!load(drainFlags, loaded)) return 2;
    return drainCommand(loaded, startedAtNanos);
  }
  LoadedConfig loaded;
  if (!load(runFlags, loaded)) return 2;
  Agent agent(loaded, startedAtNanos);
  return agent.run();
}

}  // namespace dynostatsd
