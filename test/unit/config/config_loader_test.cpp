#include "config/config_loader.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "config/config_values.h"

using namespace dynostatsd;

namespace {

struct Fixture {
  std::map<std::string, std::string> env;
  ConfigInputs inputs;
  std::string dir;

  Fixture() {
    char tmpl[] = "/tmp/dynostatsd-config-XXXXXX";
    dir = ::mkdtemp(tmpl);
    inputs.env = [this](const char* name) -> const char* {
      auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    };
    inputs.defaultConfigFile = dir + "/dynostatsd.yml";  // absent unless a test writes it
  }
  ~Fixture() { std::system(("rm -rf " + dir).c_str()); }

  std::string writeFile(const std::string& name, const std::string& text) {
    std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
};

}  // namespace

TEST_CASE("defaults when nothing is set; no API key forces log metrics") {
  Fixture f;
  LoadedConfig loaded;
  ConfigError error;
  REQUIRE(loadConfig(f.inputs, loaded, error));
  const Config& c = loaded.config;
  CHECK(c.ingest.udpPort == 8125);
  CHECK(c.ingest.bindHost == "127.0.0.1");
  CHECK(c.ingest.bufferSize == 8192);
  CHECK(c.aggregate.flushIntervalSeconds == 10);
  CHECK(c.aggregate.histogramPercentiles == std::vector<int>{95});
  CHECK(c.logMetrics);
  CHECK(loaded.logMetricsForced);
  CHECK(loaded.sources.at("dogstatsd_port") == ConfigSource::Default);
  CHECK(loaded.configFile.empty());
}

TEST_CASE("precedence: cli > env > yaml > default") {
  Fixture f;
  f.inputs.cliConfigFile =
      f.writeFile("a.yml", "dogstatsd_port: 9001\nflush_interval: 3\nsite: datadoghq.eu\n");
  f.env["DD_DOGSTATSD_PORT"] = "9002";
  f.env["DD_SITE"] = "us5.datadoghq.com";
  f.inputs.cli["dogstatsd_port"] = "9003";
  LoadedConfig loaded;
  ConfigError error;
  REQUIRE(loadConfig(f.inputs, loaded, error));
  CHECK(loaded.config.ingest.udpPort == 9003);
  CHECK(loaded.sources.at("dogstatsd_port") == ConfigSource::Cli);
  CHECK(loaded.config.forward.site == "us5.datadoghq.com");
  CHECK(loaded.sources.at("site") == ConfigSource::Env);
  CHECK(loaded.config.aggregate.flushIntervalSeconds == 3);
  CHECK(loaded.sources.at("flush_interval") == ConfigSource::Yaml);
  CHECK(loaded.sources.at("bind_host") == ConfigSource::Default);
}

TEST_CASE("DYNOSTATSD_CONFIG names the file; ./dynostatsd.yml is used when present") {
  Fixture f;
  f.env["DYNOSTATSD_CONFIG"] = f.writeFile("b.yml", "dogstatsd_buffer_size: 1024\n");
  LoadedConfig loaded;
  ConfigError error;
  REQUIRE(loadConfig(f.inputs, loaded, error));
  CHECK(loaded.config.ingest.bufferSize == 1024);

  Fixture g;
  g.writeFile("dynostatsd.yml", "tags: [team:core, tier:1]\n");
  REQUIRE(loadConfig(g.inputs, loaded, error));
  CHECK(loaded.config.enrich.tags == std::vector<std::string>{"team:core", "tier:1"});
  CHECK(loaded.configFile == g.dir + "/dynostatsd.yml");
}

TEST_CASE("Datadog formats for lists, booleans and percentiles") {
  Fixture f;
  f.env["DD_TAGS"] = "env:prod,team:web  tier:1";
  f.env["DD_DOGSTATSD_TAGS"] = "extra:yes";
  f.env["DD_HISTOGRAM_AGGREGATES"] = "max, MEDIAN avg bogus";
  f.env["DD_HISTOGRAM_PERCENTILES"] = "0.95 0.99 1.5 abc 0.5";
  f.env["DD_DOGSTATSD_NON_LOCAL_TRAFFIC"] = "Yes";
  f.env["DD_API_KEY"] = "0123456789abcdef0123456789abcdef";
  f.env["DD_DOGSTATSD_PORT"] = "";  // empty means unset
  LoadedConfig loaded;
  ConfigError error;
  REQUIRE(loadConfig(f.inputs, loaded, error));
  const Config& c = loaded.config;
  CHECK(c.enrich.tags == std::vector<std::string>{"env:prod", "team:web", "tier:1", "extra:yes"});
  CHECK(c.aggregate.histogramAggregates == std::vector<std::string>{"max", "median", "avg"});
  CHECK(c.aggregate.histogramPercentiles == std::vector<int>{95, 99, 50});
  CHECK(loaded.warnings.size() == 3);
  CHECK(c.ingest.nonLocalTraffic);
  CHECK(c.ingest.udpPort == 8125);
  CHECK_FALSE(c.logMetrics);
  CHECK_FALSE(loaded.logMetricsForced);
  CHECK(showSetting(c, "api_key") == "***cdef");
  CHECK(showSetting(c, "histogram_percentiles") == "0.95,0.99,0.50");
}

TEST_CASE("value parsers") {
  using namespace dynostatsd::config;
  bool b = false;
  std::string e;
  for (const char* t : {"true", "TRUE", "1", "yes", " Yes "}) {
    b = false;
    CHECK(parseBool(t, b, e));
    CHECK(b);
  }
  for (const char* t : {"false", "0", "no", "NO"}) {
    b = true;
    CHECK(parseBool(t, b, e));
    CHECK_FALSE(b);
  }
  CHECK_FALSE(parseBool("maybe", b, e));
  std::int64_t n = 0;
  CHECK(parseInt("65535", 1, 65535, n, e));
  CHECK(n == 65535);
  CHECK_FALSE(parseInt("65536", 1, 65535, n, e));
  CHECK(e == "must be an integer in 1..65535");
  CHECK_FALSE(parseInt("12abc", 1, 65535, n, e));
  CHECK_FALSE(parseInt("", 1, 65535, n, e));
  CHECK(splitList(" a,,b  c ,") == std::vector<std::string>{"a", "b", "c"});
  std::vector<std::string> warnings;
  CHECK(parsePercentiles("0.999 0.01 0", warnings) == std::vector<int>{100, 1});
  CHECK(warnings.size() == 1);
}

TEST_CASE("invalid values name the setting and the source") {
  struct Case {
    const char* env;
    const char* value;
    const char* setting;
    const char* message;
  };
  const Case cases[] = {
      {"DD_DOGSTATSD_PORT", "99999", "dogstatsd_port", "must be an integer in 0..65535, got 99999"},
      {"DD_DOGSTATSD_PORT", "http", "dogstatsd_port", "must be an integer in 0..65535, got http"},
      {"DD_DOGSTATSD_BUFFER_SIZE", "0", "dogstatsd_buffer_size", "must be an integer in 1..65535, got 0"},
      {"DD_DOGSTATSD_BUFFER_SIZE", "70000", "dogstatsd_buffer_size",
       "must be an integer in 1..65535, got 70000"},
      {"DYNOSTATSD_COMPRESSION", "lz4", "compression", "must be one of zstd, deflate, gzip, none, got lz4"},
      {"DYNOSTATSD_LOG_METRICS", "sure", "log_metrics",
       "must be a boolean (true/false/1/0/yes/no), got sure"},
      {"DD_LOG_LEVEL", "loud", "log_level", "must be one of debug, info, warn, error, got loud"},
      {"DYNOSTATSD_FLUSH_INTERVAL", "0", "flush_interval", "must be an integer in 1..3600, got 0"},
  };
  for (const auto& c : cases) {
    Fixture f;
    f.env[c.env] = c.value;
    LoadedConfig loaded;
    ConfigError error;
    INFO(c.env << "=" << c.value);
    REQUIRE_FALSE(loadConfig(f.inputs, loaded, error));
    CHECK(error.setting == c.setting);
    CHECK(error.source == ConfigSource::Env);
    CHECK(error.origin == c.env);
    CHECK(error.message == c.message);
  }
}

TEST_CASE("UDP off without a socket is an error; with a socket it is fine") {
  Fixture f;
  f.env["DD_DOGSTATSD_PORT"] = "0";
  LoadedConfig loaded;
  ConfigError error;
  REQUIRE_FALSE(loadConfig(f.inputs, loaded, error));
  CHECK(error.setting == "dogstatsd_port");
  CHECK(error.origin == "DD_DOGSTATSD_PORT");
  f.env["DD_DOGSTATSD_SOCKET"] = "/tmp/dsd.socket";
  REQUIRE(loadConfig(f.inputs, loaded, error));
  CHECK(loaded.config.ingest.udpPort == 0);
}

TEST_CASE("binding beyond loopback needs dogstatsd_non_local_traffic") {
  for (const char* host : {"127.0.0.1", "127.0.0.2", "::1", "localhost"}) {
    Fixture f;
    f.env["DD_BIND_HOST"] = host;
    LoadedConfig loaded;
    ConfigError error;
    CHECK(loadConfig(f.inputs, loaded, error));
  }
  Fixture f;
  f.env["DD_BIND_HOST"] = "0.0.0.0";
  LoadedConfig loaded;
  ConfigError error;
  REQUIRE_FALSE(loadConfig(f.inputs, loaded, error));
  CHECK(error.setting == "bind_host");
  CHECK(error.origin == "DD_BIND_HOST");
  f.env["DD_DOGSTATSD_NON_LOCAL_TRAFFIC"] = "true";
  CHECK(loadConfig(f.inputs, loaded, error));
}

TEST_CASE("an invalid cli value is blamed on the flag") {
  Fixture f;
  f.inputs.cli["dogstatsd_port"] = "-1";
  LoadedConfig loaded;
  ConfigError error;
  REQUIRE_FALSE(loadConfig(f.inputs, loaded, error));
  CHECK(error.describe() ==
        "setting=dogstatsd_port source=cli flag=--port error=\"must be an integer in 0..65535, got -1\"");
}

TEST_CASE("YAML errors: unknown key, bad value, broken syntax, unreadable file") {
  Fixture f;
  LoadedConfig loaded;
  ConfigError error;

  f.inputs.cliConfigFile = f.writeFile("unknown.yml", "dogstatsd_prot: 8125\n");
  REQUIRE_FALSE(loadConfig(f.inputs, loaded, error));
  CHECK(error.setting == "dogstatsd_prot");
  CHECK(error.source == ConfigSource::Yaml);
  CHECK(error.message == "unknown setting");

  f.inputs.cliConfigFile = f.writeFile("bad.yml", "dogstatsd_port: abc\n");
  REQUIRE_FALSE(loadConfig(f.inputs, loaded, error));
  CHECK(error.setting == "dogstatsd_port");
  CHECK(error.source == ConfigSource::Yaml);
  CHECK(error.origin == f.dir + "/bad.yml");

  f.inputs.cliConfigFile = f.writeFile("broken.yml", "dogstatsd_port: [1, 2\n");
  REQUIRE_FALSE(loadConfig(f.inputs, loaded, error));
  CHECK(error.setting == "config_file");
  CHECK(error.source == ConfigSource::Cli);
  CHECK(error.message.rfind("invalid YAML at line", 0) == 0);

  f.inputs.cliConfigFile = f.dir + "/missing.yml";
  REQUIRE_FALSE(loadConfig(f.inputs, loaded, error));
  CHECK(error.setting == "config_file");
  CHECK(error.message == "cannot read the YAML file (" + f.dir + "/missing.yml)");

  f.inputs.cliConfigFile = f.writeFile("nested.yml", "tags: {a: b}\n");
  REQUIRE_FALSE(loadConfig(f.inputs, loaded, error));
  CHECK(error.setting == "tags");
  CHECK(error.message == "must be a scalar or a list of scalars");
}

TEST_CASE("every setting has a key, an env var and help text") {
  for (const auto& s : allSettings()) {
    INFO(s.key);
    CHECK(!s.key.empty());
    CHECK(!s.env.empty());
    CHECK(!s.help.empty());
  }
  CHECK(allSettings().size() >= 30);
}

TEST_CASE("Graphite and relay settings: addresses, URLs and percentiles are checked at load") {
  std::string host, error;
  int port = 0;
  CHECK(config::parseHostPort("10.0.0.5:8125", 0, host, port, error));
  CHECK((host == "10.0.0.5" && port == 8125));
  CHECK(config::parseHostPort("[::1]:9", 0, host, port, error));
  CHECK((host == "::1" && port == 9));
  CHECK(config::parseHostPort("carbon", 2003, host, port, error));
  CHECK((host == "carbon" && port == 2003));
  CHECK_FALSE(config::parseHostPort("carbon", 0, host, port, error));
  CHECK_FALSE(config::parseHostPort("::1:8125", 0, host, port, error));
  CHECK(error == "write an IPv6 address in brackets, e.g. [::1]:8125");
  CHECK_FALSE(config::parseHostPort("h:0", 0, host, port, error));
  CHECK_FALSE(config::parseHostPort("h:", 8125, host, port, error));
  CHECK_FALSE(config::parseHostPort("[::1", 0, host, port, error));

  config::GraphiteEndpoint endpoint;
  CHECK(config::parseGraphiteUrl("tls://graphite.example.com:20030", endpoint, error));
  CHECK((endpoint.tls && endpoint.host == "graphite.example.com" && endpoint.port == 20030));
  CHECK(config::parseGraphiteUrl("tcp://127.0.0.1", endpoint, error));
  CHECK((!endpoint.tls && endpoint.port == 2003));
  CHECK_FALSE(config::parseGraphiteUrl("http://x:2003", endpoint, error));

  std::vector<double> percentiles;
  CHECK(config::parseGraphitePercentiles("90 99.9,-10 90", percentiles, error));
  CHECK(percentiles == std::vector<double>{90, 99.9, -10});
  CHECK_FALSE(config::parseGraphitePercentiles("0", percentiles, error));
  CHECK_FALSE(config::parseGraphitePercentiles("101", percentiles, error));

  Fixture f;
  f.env["DYNOSTATSD_STATSD_RELAY"] = "127.0.0.1:8125, [::1]:8126";
  f.env["DYNOSTATSD_STATSD_RELAY_TAGS"] = "dyno";
  f.env["HOSTEDGRAPHITE_APIKEY"] = "secret-key-1234";
  LoadedConfig loaded;
  ConfigError failure;
  REQUIRE(loadConfig(f.inputs, loaded, failure));
  CHECK(loaded.config.relay.upstreams == std::vector<std::string>{"127.0.0.1:8125", "[::1]:8126"});
  CHECK(loaded.config.relay.dynoTags);
  CHECK(loaded.config.graphite.hostedGraphiteApiKey == "secret-key-1234");
  CHECK(showSetting(loaded.config, "hostedgraphite_apikey").find("secret-key") == std::string::npos);
  f.env["DYNOSTATSD_STATSD_RELAY"] = "127.0.0.1";
  CHECK_FALSE(loadConfig(f.inputs, loaded, failure));
  CHECK(failure.setting == "statsd_relay");
}

TEST_CASE("isTrue and switchOn: the boot switches read booleans through parseBool") {
  using namespace dynostatsd::config;
  struct Case {
    const char* text;
    bool isTrue;
    bool switchOn;
  };
  const Case cases[] = {
      {"true", true, true},   {"True", true, true},    {"TRUE", true, true},    {"yes", true, true},
      {"YES", true, true},    {"on", true, true},      {"On", true, true},      {"1", true, true},
      {" true ", true, true}, {"false", false, false}, {"False", false, false}, {"no", false, false},
      {"off", false, false},  {"OFF", false, false},   {"0", false, false},     {"", false, false},
      {"  ", false, false},   {"maybe", false, true},  {"2", false, true},      {"enabled", false, true},
  };
  for (const auto& c : cases) {
    INFO("[" << c.text << "]");
    CHECK(isTrue(c.text) == c.isTrue);
    CHECK(switchOn(c.text) == c.switchOn);
  }
}
