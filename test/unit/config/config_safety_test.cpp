// Configuration errors that used to crash, inject headers or echo secrets (issue 15, item 7).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "config/config_loader.h"
#include "config/config_values.h"
#include "telemetry/secrets.h"

using namespace dynostatsd;

namespace {

bool loadEnv(const std::map<std::string, std::string>& env, LoadedConfig& loaded, ConfigError& error,
             const std::string& configFile = "") {
  ConfigInputs inputs;
  inputs.env = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  inputs.defaultConfigFile = "";
  inputs.cliConfigFile = configFile;
  return loadConfig(inputs, loaded, error);
}

const std::string kKey = "0123456789abcdef0123456789abcdef";

}  // namespace

TEST_CASE("--config naming a directory is an error, not an exception") {
  LoadedConfig loaded;
  ConfigError error;
  REQUIRE_FALSE(loadEnv({}, loaded, error, "/tmp"));
  CHECK(error.setting == "config_file");
  CHECK(error.message.find("is a directory") != std::string::npos);
}

TEST_CASE("CR/LF in DD_API_KEY and a DD_SITE that is not a host name are configuration errors") {
  const std::pair<std::map<std::string, std::string>, std::string> cases[] = {
      {{{"DD_API_KEY", kKey + "\r\nX-Injected: 1"}}, "api_key"},
      {{{"DD_API_KEY", "abc def ghi"}}, "api_key"},
      {{{"DD_SITE", "datadoghq.com@127.0.0.1"}}, "site"},
      {{{"DD_SITE", "datadoghq.com/evil"}}, "site"},
      {{{"DD_SITE", "datadoghq.com:8080"}}, "site"},
      {{{"DD_DD_URL", "https://api.datadoghq.com\r\nX: 1"}}, "dd_url"},
  };
  for (const auto& [env, setting] : cases) {
    LoadedConfig loaded;
    ConfigError error;
    INFO(setting);
    REQUIRE_FALSE(loadEnv(env, loaded, error));
    CHECK(error.setting == setting);
    CHECK(error.message.find(kKey) == std::string::npos);
  }
  LoadedConfig loaded;
  ConfigError error;
  CHECK(loadEnv({{"DD_SITE", "datadoghq.eu"}, {"DD_API_KEY", kKey + "\n"}}, loaded, error));
  CHECK(loaded.config.forward.apiKey == kKey);  // a trailing newline (copy-paste) is trimmed
}

TEST_CASE("an invalid value is shown truncated, with a pasted key masked") {
  LoadedConfig loaded;
  ConfigError error;
  REQUIRE_FALSE(loadEnv({{"DD_DOGSTATSD_PORT", kKey}}, loaded, error));
  CHECK(error.message == "must be an integer in 0..65535, got ***cdef");
  CHECK(config::showInvalid(std::string(100, '-')).size() < 60);
  CHECK(config::showInvalid("http") == "http");
  CHECK(config::showInvalid("datadoghq.com@127.0.0.1") == "datadoghq.com@127.0.0.1");
}

TEST_CASE("the URL password and the API key are registered as secrets when loaded") {
  LoadedConfig loaded;
  ConfigError error;
  REQUIRE(loadEnv(
      {{"DD_API_KEY", "k3y-registered-abcdef"}, {"DD_DD_URL", "https://u:s3cretpass@intake.example/"}},
      loaded, error));
  CHECK(secrets::mask("x https://u:s3cretpass@intake.example/ k3y-registered-abcdef") ==
        "x https://u:***@intake.example/ ***cdef");
}

TEST_CASE("retry queue size 0 is accepted (retries off), memory budget and socket mode parse") {
  LoadedConfig loaded;
  ConfigError error;
  REQUIRE(loadEnv({{"DD_FORWARDER_RETRY_QUEUE_PAYLOADS_MAX_SIZE", "0"},
                   {"DYNOSTATSD_MEMORY_BUDGET", "128MB"},
                   {"DYNOSTATSD_SOCKET_MODE", "0600"}},
                  loaded, error));
  CHECK(loaded.config.forward.retryQueueBytes == 0);
  CHECK(loaded.config.memoryBudgetBytes == std::size_t{128} << 20);
  CHECK(loaded.config.ingest.socketMode == 0600);
  CHECK(showSetting(loaded.config, "socket_mode") == "0600");
  REQUIRE_FALSE(loadEnv({{"DYNOSTATSD_MEMORY_BUDGET", "1MB"}}, loaded, error));  // below 4 MB
  CHECK(error.setting == "memory_budget");
  REQUIRE_FALSE(loadEnv({{"DYNOSTATSD_SOCKET_MODE", "0999"}}, loaded, error));
  CHECK(error.setting == "socket_mode");
}

TEST_CASE("parseByteSize") {
  std::size_t out = 0;
  std::string error;
  CHECK(config::parseByteSize("67108864", 1, SIZE_MAX / 2, out, error));
  CHECK(out == 67108864);
  CHECK(config::parseByteSize("64MB", 1, SIZE_MAX / 2, out, error));
  CHECK(out == std::size_t{64} << 20);
  CHECK(config::parseByteSize(" 512k ", 1, SIZE_MAX / 2, out, error));
  CHECK(out == 512 * 1024);
  CHECK(config::parseByteSize("2GiB", 1, SIZE_MAX / 2, out, error));
  CHECK(out == std::size_t{2} << 30);
  CHECK_FALSE(config::parseByteSize("64 MB", 1, SIZE_MAX / 2, out, error));
  CHECK_FALSE(config::parseByteSize("-1", 1, SIZE_MAX / 2, out, error));
  CHECK_FALSE(config::parseByteSize("99999999999G", 1, SIZE_MAX / 2, out, error));
  CHECK_FALSE(config::parseByteSize("MB", 1, SIZE_MAX / 2, out, error));
}
