// The OTEL_* exporter variables (config/otel_values.h, the `otlp` block of the settings table).
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "config/config_loader.h"
#include "config/otel_values.h"

using namespace dynostatsd;

namespace {

struct Env {
  std::map<std::string, std::string> vars;
  LoadedConfig loaded;
  ConfigError error;
  bool load() {
    ConfigInputs inputs;
    inputs.env = [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
    inputs.defaultConfigFile.clear();
    return loadConfig(inputs, loaded, error);
  }
  const OtlpConfig& otlp() const { return loaded.config.otlp; }
};

}  // namespace

TEST_CASE("OTLP is off by default; the base endpoint gets /v1/metrics; the metrics endpoint is used as is") {
  Env e;
  REQUIRE(e.load());
  CHECK_FALSE(config::otlpEnabled(e.otlp()));

  e.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "https://otlp-gateway-prod-eu-west-2.grafana.net/otlp";
  REQUIRE(e.load());
  CHECK(config::otlpEnabled(e.otlp()));
  CHECK(e.otlp().endpoint == "https://otlp-gateway-prod-eu-west-2.grafana.net/otlp/v1/metrics");
  e.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318/";
  REQUIRE(e.load());
  CHECK(e.otlp().endpoint == "http://collector:4318/v1/metrics");

  e.vars["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = "https://ingest.example.com/custom/path";
  REQUIRE(e.load());
  CHECK(e.otlp().endpoint == "https://ingest.example.com/custom/path");  // wins over the generic one
  e.vars["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = "https://ingest.example.com";
  REQUIRE(e.load());
  CHECK(e.otlp().endpoint == "https://ingest.example.com/");

  e.vars["OTEL_METRICS_EXPORTER"] = "none";
  REQUIRE(e.load());
  CHECK_FALSE(config::otlpEnabled(e.otlp()));
}

TEST_CASE("OTEL_METRICS_EXPORTER=otlp alone uses the spec's default endpoint") {
  Env e;
  e.vars["OTEL_METRICS_EXPORTER"] = "otlp";
  REQUIRE(e.load());
  CHECK(e.otlp().endpoint == "http://localhost:4318/v1/metrics");
  e.vars["OTEL_METRICS_EXPORTER"] = "otlp,console";
  REQUIRE(e.load());
  CHECK(e.loaded.warnings.size() == 1);
}

TEST_CASE("endpoints must be http(s) URLs without credentials") {
  Env e;
  e.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "collector:4318";
  CHECK_FALSE(e.load());
  CHECK(e.error.setting == "otlp_endpoint");
  CHECK(e.error.origin == "OTEL_EXPORTER_OTLP_ENDPOINT");
  e.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "https://user:secretpassword@collector:4318";
  CHECK_FALSE(e.load());
  CHECK(e.error.message.find("credentials") != std::string::npos);
}

TEST_CASE("headers: percent-decoded, metrics-specific replace generic, masked when shown") {
  Env e;
  e.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "https://api.honeycomb.io";
  e.vars["OTEL_EXPORTER_OTLP_HEADERS"] = "Authorization=Basic%20dXNlcjpzZWNyZXQ=, x-extra = a%2Cb ,";
  REQUIRE(e.load());
  REQUIRE(e.otlp().headers.size() == 2);
  CHECK(e.otlp().headers[0].name == "Authorization");
  CHECK(e.otlp().headers[0].value == "Basic dXNlcjpzZWNyZXQ=");
  CHECK(e.otlp().headers[1].name == "x-extra");
  CHECK(e.otlp().headers[1].value == "a,b");
  CHECK(showSetting(e.loaded.config, "otlp_headers") == "Authorization=***,x-extra=***");

  e.vars["OTEL_EXPORTER_OTLP_METRICS_HEADERS"] = "x-honeycomb-team=KEY123,x-honeycomb-dataset=metrics";
  REQUIRE(e.load());
  REQUIRE(e.otlp().headers.size() == 2);
  CHECK(e.otlp().headers[0].name == "x-honeycomb-team");
  CHECK(e.otlp().headers[1].value == "metrics");
}

TEST_CASE("a malformed header fails the whole value, without echoing the secret") {
  Env e;
  e.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "https://api.honeycomb.io";
  for (const std::string bad :
       {"Authorization", "Authorization=Bearer%2", "Bad Name=topsecretvalue1", "x=topsecret%0Avalue"}) {
    e.vars["OTEL_EXPORTER_OTLP_HEADERS"] = bad;
    CHECK_FALSE(e.load());
    CHECK(e.error.setting == "otlp_headers");
    CHECK(e.error.describe().find("topsecret") == std::string::npos);
    CHECK(e.error.describe().find("Bearer") == std::string::npos);
  }
}

TEST_CASE("protocol: http/protobuf only; grpc is an error naming the setting") {
  Env e;
  e.vars["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
  REQUIRE(e.load());
  e.vars["OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"] = "grpc";
  REQUIRE_FALSE(e.load());
  CHECK(e.error.setting == "otlp_metrics_protocol");
  CHECK(e.error.origin == "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL");
  CHECK(e.error.message.find("grpc is not supported") != std::string::npos);
  CHECK(e.error.describe().find("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL") != std::string::npos);
}

TEST_CASE("compression and timeout, metrics-specific first") {
  Env e;
  REQUIRE(e.load());
  CHECK(e.otlp().gzip);
  CHECK(e.otlp().timeoutMillis == 10000);
  e.vars["OTEL_EXPORTER_OTLP_COMPRESSION"] = "none";
  e.vars["OTEL_EXPORTER_OTLP_TIMEOUT"] = "5000";
  REQUIRE(e.load());
  CHECK_FALSE(e.otlp().gzip);
  CHECK(e.otlp().timeoutMillis == 5000);
  e.vars["OTEL_EXPORTER_OTLP_METRICS_COMPRESSION"] = "gzip";
  e.vars["OTEL_EXPORTER_OTLP_METRICS_TIMEOUT"] = "2500";
  REQUIRE(e.load());
  CHECK(e.otlp().gzip);
  CHECK(e.otlp().timeoutMillis == 2500);
  e.vars["OTEL_EXPORTER_OTLP_COMPRESSION"] = "zstd";
  CHECK_FALSE(e.load());
  CHECK(e.error.setting == "otlp_compression");
}

TEST_CASE("temporality: delta by default, cumulative for *.grafana.net unless set") {
  Env e;
  e.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "https://api.honeycomb.io";
  REQUIRE(e.load());
  CHECK(config::effectiveTemporality(e.otlp()) == OtlpTemporality::Delta);
  e.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "https://otlp-gateway-prod-us-east-0.grafana.net:443/otlp";
  REQUIRE(e.load());
  CHECK(config::effectiveTemporality(e.otlp()) == OtlpTemporality::Cumulative);
  CHECK(showSetting(e.loaded.config, "otlp_temporality") == "cumulative (auto: grafana.net)");
  e.vars["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"] = "Delta";
  REQUIRE(e.load());
  CHECK(config::effectiveTemporality(e.otlp()) == OtlpTemporality::Delta);
  e.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "https://notgrafana.net.evil.com";
  e.vars["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"] = "cumulative";
  REQUIRE(e.load());
  CHECK(config::effectiveTemporality(e.otlp()) == OtlpTemporality::Cumulative);
  e.vars.erase("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE");
  REQUIRE(e.load());
  CHECK(config::effectiveTemporality(e.otlp()) == OtlpTemporality::Delta);
  e.vars["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"] = "sometimes";
  CHECK_FALSE(e.load());
}

TEST_CASE("resource attributes: percent-decoded pairs; an error discards the whole value") {
  Env e;
  e.vars["OTEL_RESOURCE_ATTRIBUTES"] = "deployment.environment.name=prod,team=a%3Db%2Cc,note=caf%C3%A9";
  e.vars["OTEL_SERVICE_NAME"] = "checkout";
  e.vars["HEROKU_DYNO_ID"] = "1vac4117";
  REQUIRE(e.load());
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(e.otlp().resourceAttributes ==
        Pairs{{"deployment.environment.name", "prod"}, {"team", "a=b,c"}, {"note", "café"}});
  CHECK(e.otlp().serviceName == "checkout");
  CHECK(e.otlp().dynoId == "1vac4117");
  e.vars["OTEL_RESOURCE_ATTRIBUTES"] = "ok=1,broken";
  CHECK_FALSE(e.load());
  CHECK(e.error.setting == "otlp_resource_attributes");
}

TEST_CASE("with OTLP on and no Datadog key, the l2met lines are not forced on") {
  Env e;
  REQUIRE(e.load());
  CHECK(e.loaded.config.logMetrics);  // nothing configured: the embedded default
  e.vars["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318";
  REQUIRE(e.load());
  CHECK_FALSE(e.loaded.config.logMetrics);
  CHECK_FALSE(e.loaded.logMetricsForced);
  e.vars["DYNOSTATSD_LOG_METRICS"] = "true";
  REQUIRE(e.load());
  CHECK(e.loaded.config.logMetrics);
}
