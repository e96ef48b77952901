#include "app/cli.h"

#include <malloc.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

#include "app/agent.h"
#include "app/process_setup.h"
#include "config/config_loader.h"
#include "config/config_values.h"
#include "drain/drain_source.h"
#include "dyno/snapshot_text.h"
#include "enrich/enricher.h"
#include "parse/explain.h"
#include "sink/registry.h"
#include "supervise/supervisor.h"
#include "telemetry/log.h"
#include "telemetry/secrets.h"

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

bool load(const ConfigInputs& inputs, LoadedConfig& loaded) {
  ConfigError error;
  bool ok = false;
  try {
    ok = loadConfig(inputs, loaded, error);
  } catch (const std::exception& e) {  // never an abort: the supervisor must see exit 2
    error.setting = "config_file";
    error.message = std::string("cannot load the configuration: ") + e.what();
  }
  if (!ok) {
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
  for (const auto& upstream : loaded.config.relay.upstreams) out += "statsd_relay=" + upstream + "\n";
  out += "valid=true\n";
  std::cout << secrets::mask(out) << std::flush;
  return 0;
}

int parseCommand(const std::string& file) {
  if (file.empty() || file == "-") {
    return explainStream(std::cin, std::cout) == 0 ? 0 : 1;
  }
  std::error_code ec;
  std::ifstream in;
  if (!std::filesystem::is_directory(file, ec)) in.open(file);
  if (!in.is_open()) {
    log::write(log::Level::Error, "app",
               "msg=\"cannot read the input\" file=" + log::quote(file) +
                   (std::filesystem::is_directory(file, ec) ? " reason=is_a_directory" : ""));
    return 2;
  }
  const int rc = explainStream(in, std::cout) == 0 ? 0 : 1;
  if (in.bad()) {
    log::write(log::Level::Error, "app", "msg=\"read error\" file=" + log::quote(file));
    return 2;
  }
  return rc;
}

// `dynostatsd dyno`: two samples `intervalSeconds` apart (CPU figures are rates), then the text.
int dynoCommand(const std::string& root, double intervalSeconds) {
  dyno::DynoSampler sampler(dyno::locateCgroup(root));
  dyno::DynoSnapshot snapshot;
  auto monotonicNanos = [] {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
  };
  sampler.sample(monotonicNanos(), snapshot);
  std::this_thread::sleep_for(std::chrono::duration<double>(intervalSeconds));
  sampler.sample(monotonicNanos(), snapshot);
  std::cout << dyno::describeSnapshot(sampler, snapshot) << std::flush;
  return 0;
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

// `dynostatsd supervise [--foreground] [--app-dir DIR] [--run-dir DIR] [--agent BIN]`, read before
// CLI11 builds its option objects (a few hundred KB with a settings table per command): the
// supervisor lives as long as the dyno, and its detaching fork keeps every heap and stack page
// touched before it (supervisor heap 164 -> 12 kB). False for anything else, and for what this
// does not know (--help, a typo, a missing value): CLI11 then reads the line and explains.
bool readSuperviseArgs(int argc, char** argv, supervise::SuperviseOptions& options) {
  if (argc < 2 || std::string_view(argv[1]) != "supervise") return false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--foreground") {
      options.foreground = true;
      continue;
    }
    const std::size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    std::string* field = name == "--app-dir"   ? &options.appDir
                         : name == "--run-dir" ? &options.runDir
                         : name == "--agent"   ? &options.agent
                                               : nullptr;
    if (field == nullptr) return false;
    if (equals != std::string_view::npos) {
      field->assign(arg.substr(equals + 1));
    } else if (i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("-")) {
      field->assign(argv[++i]);
    } else {
      return false;
    }
  }
  return true;
}

// `dynostatsd run`: the agent until SIGTERM.
int runAgent(const ConfigInputs& inputs, std::uint64_t startedAtNanos) {
  // Only for `run`: SIG_IGN survives exec, so a command that starts other programs must not set it.
  ignoreFatalSignalsUntilHandled();
  LoadedConfig loaded;
  if (!load(inputs, loaded)) return 2;
  Agent agent(loaded, startedAtNanos);
  return agent.run();
}

}  // namespace

int runCli(int argc, char** argv, std::uint64_t startedAtNanos) {
  if (supervise::SuperviseOptions options; readSuperviseArgs(argc, argv, options)) {
    options.argv0 = argv[0];
    return supervise::runSupervise(std::move(options));
  }
  // `run` alone, as the supervisor starts the agent: no flag to read, so no CLI11 objects either
  // (their code and heap stay out of the agent: RSS -0.1 MB measured).
  if (argc == 2 && std::string_view(argv[1]) == "run") return runAgent(ConfigInputs{}, startedAtNanos);

  // On the heap so `supervise` and `run` can free it (and CLI11's few hundred KB of option objects)
  // before they become the long-lived processes of the dyno.
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

  SettingFlags drainFlags;
  CLI::App* drainMode = app.add_subcommand(
      "drain", "Serve a Logplex HTTPS log drain on $PORT: router, error, runtime and l2met lines -> metrics");
  drainFlags.addTo(*drainMode);

  std::string parseFile;
  CLI::App* parse = app.add_subcommand("parse",
                                       "Explain DogStatsD messages (one per line, from FILE or stdin) as "
                                       "JSON lines; exit 1 if any is invalid");
  parse->add_option("file", parseFile, "input file; - or absent: stdin");

  std::string dynoRoot = "/";
  double dynoInterval = 1;
  CLI::App* dynoCmd = app.add_subcommand(
      "dyno",
      "Print one snapshot of the dyno's memory, CPU and processes (heroku.dyno.*) and where each "
      "figure comes from");
  dynoCmd->add_option("--root", dynoRoot, "directory holding proc/ and sys/fs/cgroup/ (default /)");
  dynoCmd->add_option("--interval", dynoInterval, "seconds between the two samples of the CPU rates")
      ->check(CLI::Range(0.01, 60.0));

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
  if (*dynoCmd) return dynoCommand(dynoRoot, dynoInterval);
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
    if (!load(checkFlags.inputs(), loaded)) return 2;
    return checkConfig(loaded);
  }
  if (*drainMode) {
    LoadedConfig loaded;
    if (!load(drainFlags.inputs(), loaded)) return 2;
    return drainCommand(loaded, startedAtNanos);
  }
  // The flags' values copied out, CLI11's objects are freed before the agent runs for good.
  const ConfigInputs inputs = runFlags.inputs();
  appOwner.reset();
  malloc_trim(0);
  return runAgent(inputs, startedAtNanos);
}

}  // namespace dynostatsd
