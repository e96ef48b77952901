#include "app/cli.h"

#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "app/agent.h"
#include "config/config_loader.h"
#include "config/config_values.h"
#include "enrich/enricher.h"
#include "parse/explain.h"
#include "supervise/supervisor.h"
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

}  // namespace

int runCli(int argc, char** argv, std::uint64_t startedAtNanos) {
  // On the heap so `supervise` can free it (and CLI11's few hundred KB of option objects) before
  // it becomes the long-lived process beside the agent.
  auto appOwner = std::make_unique<CLI::App>(
      "dynostatsd " DYNOSTATSD_VERSION
      ": a DogStatsD agent for Heroku dynos (aggregates like the Datadog Agent, tags every series "
      "with its dyno)");
  CLI::App& app = *appOwner;
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

  std::string parseFile;
  CLI::App* parse = app.add_subcommand("parse",
                                       "Explain DogStatsD messages (one per line, from FILE or stdin) as "
                                       "JSON lines; exit 1 if any is invalid");
  parse->add_option("file", parseFile, "input file; - or absent: stdin");

  CLI::App* version = app.add_subcommand("version", "Print the version");

  supervise::SuperviseOptions superviseOptions;
  superviseOptions.argv0 = argc > 0 ? argv[0] : "dynostatsd";
  CLI::App* superviseCommand = app.add_subcommand(
      "supervise",
      "Dyno boot: apply the boot rules (one-off dynos, DYNOSTATSD_DISABLE, DYNOSTATSD_DYNO_TYPES), then "
      "detach and keep `dynostatsd run` running with prefixed log lines until SIGTERM");
  superviseCommand->add_flag("--foreground", superviseOptions.foreground,
                             "do not detach: run in the caller's session until the agent stops");
  superviseCommand->add_option("--app-dir", superviseOptions.appDir,
                               "the app (prerun hooks, cwd) [default: $HOME]");
  superviseCommand->add_option(
      "--run-dir", superviseOptions.runDir,
      "lock and pid files [default: $DYNOSTATSD_RUN_DIR, else APP_DIR/.dynostatsd/run]");
  superviseCommand->add_option("--agent", superviseOptions.agent,
                               "the agent binary [default: $DYNOSTATSD_AGENT, else this binary]");

  std::string dynoName;
  CLI::App* dynoType =
      app.add_subcommand("dyno-type", "Print the process type of a dyno name (default: $DYNO)");
  dynoType->add_option("name", dynoName, "web.1, run.4242, web-12a34b56d-e78f9 ...");

  std::string boolText;
  CLI::App* isTrue = app.add_subcommand(
      "is-true",
      "Exit 0 when VALUE is a true boolean (true/yes/on/1, any case), else 1: the agent's own rule");
  isTrue->add_option("value", boolText, "the text to read")->required();

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
  if (*dynoType) {
    const char* dyno = std::getenv("DYNO");
    if (dynoType->count("name") == 0 && dyno != nullptr) dynoName = dyno;
    std::cout << Enricher::dynoType(dynoName) << "\n";
    return 0;
  }
  if (*isTrue) return config::isTrue(boolText) ? 0 : 1;
  if (*superviseCommand) {
    appOwner.reset();
    malloc_trim(0);
    return supervise::runSupervise(std::move(superviseOptions));
  }
  if (*check) {
    LoadedConfig loaded;
    if (!load(checkFlags, loaded)) return 2;
    return checkConfig(loaded);
  }
  LoadedConfig loaded;
  if (!load(runFlags, loaded)) return 2;
  Agent agent(loaded, startedAtNanos);
  return agent.run();
}

}  // namespace dynostatsd
