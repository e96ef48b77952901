#include "sink/otlp/attributes.h"

#include <catch2/catch.hpp>
#include <regex>

using namespace dynostatsd;
using namespace dynostatsd::otlp;

TEST_CASE("the dyno resource: Heroku metadata, then OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME") {
  Config config;
  config.enrich.appName = "myapp";
  config.enrich.dyno = "web.1";
  config.enrich.releaseVersion = "v42";
  config.otlp.dynoId = "1vac4117-c29f-4312-521e-ba4d8638c1ac";
  config.otlp.appId = "9daa2797-e49b-4624-932f-ec3f9688e3da";
  config.otlp.slugCommit = "2c3a0b24069af49b3de35b8e8c26765c1dba9ff0";
  config.otlp.releaseCreatedAt = "2015/04/02 18:00:42";
  Attributes expected = {{"cloud.provider", "heroku"},
                         {"service.name", "myapp"},
                         {"service.instance.id", "1vac4117-c29f-4312-521e-ba4d8638c1ac"},
                         {"service.version", "v42"},
                         {"heroku.app.id", "9daa2797-e49b-4624-932f-ec3f9688e3da"},
                         {"heroku.release.commit", "2c3a0b24069af49b3de35b8e8c26765c1dba9ff0"},
                         {"heroku.release.creation_timestamp", "2015/04/02 18:00:42"},
                         {"heroku.dyno", "web.1"},
                         {"heroku.dyno.type", "web"}};
  CHECK(dynoResource(config, "generated") == expected);

  config.otlp.resourceAttributes = {
      {"deployment.environment.name", "prod"}, {"service.name", "from-attrs"}, {"heroku.dyno", "override"}};
  Attributes resource = dynoResource(config, "generated");
  CHECK(resource[1] == std::pair<std::string, std::string>{"service.name", "from-attrs"});
  CHECK(resource[7] == std::pair<std::string, std::string>{"heroku.dyno", "override"});
  CHECK(resource.back() == std::pair<std::string, std::string>{"deployment.environment.name", "prod"});
  config.otlp.serviceName = "svc";
  CHECK(dynoResource(config, "generated")[1].second == "svc");
}

TEST_CASE("without dyno metadata: unknown_service and the generated instance id") {
  Config config;
  const Attributes resource = dynoResource(config, "abc");
  CHECK(resource == Attributes{{"cloud.provider", "heroku"},
                               {"service.name", "unknown_service:dynostatsd"},
                               {"service.instance.id", "abc"}});
}

TEST_CASE("randomUuid is a version 4 UUID, different each time") {
  const std::string a = randomUuid(), b = randomUuid();
  CHECK(
      std::regex_match(a, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(a != b);
}
