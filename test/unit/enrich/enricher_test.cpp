#include "enrich/enricher.h"

#include <catch2/catch.hpp>

namespace dynostatsd {
namespace {

using Tags = std::vector<std::string>;
using Views = std::vector<std::string_view>;

EnrichConfig herokuConfig() {
  EnrichConfig config;
  config.dyno = "web.1";
  config.appName = "shop";
  config.releaseVersion = "v42";
  return config;
}

TEST_CASE("dynoType: Cedar, one-off, Fir and odd names") {
  struct Case {
    std::string_view dyno;
    std::string_view type;
  };
  const Case cases[] = {
      {"web.1", "web"},
      {"worker.12", "worker"},
      {"run.1234", "run"},
      {"scheduler.2001", "scheduler"},
      {"release.1", "release"},
      {"web-12a34b56d-e78f9", "web"},
      {"image-resizer-7d9f8b6c5-x2b4q", "image-resizer"},
      {"worker-5c6d7f8b9-abcde", "worker"},
      {"run-12a34b56d-e78f9", "run"},
      {"run-4242", "run"},  // a Fir one-off not shaped like a pod
      {"run-migrations-7d9f8b6c5-x2b4q", "run-migrations"},
      {"web", "web"},
      {"web-1", "web-1"},
      {"web-ABCDEF12-x2b4q", "web-ABCDEF12-x2b4q"},  // upper case: not a pod hash
      {"web-12a34b56d-e78f", "web-12a34b56d-e78f"},  // 4-char suffix: not a pod name
      {"-12a34b56d-e78f9", "-12a34b56d-e78f9"},      // no type before the hash
      {"", ""},
  };
  for (const auto& c : cases) {
    INFO(c.dyno);
    CHECK(Enricher::dynoType(c.dyno) == c.type);
  }
}

TEST_CASE("splitTags: commas, spaces, empties") {
  CHECK(Enricher::splitTags("a:1,b:2 c:3") == Tags{"a:1", "b:2", "c:3"});
  CHECK(Enricher::splitTags("  a:1 ,, b  ") == Tags{"a:1", "b"});
  CHECK(Enricher::splitTags("team:core\tregion:eu") == Tags{"team:core", "region:eu"});
  CHECK(Enricher::splitTags("").empty());
  CHECK(Enricher::splitTags(" , ").empty());
}

TEST_CASE("staticTags: Cedar dyno with release, DD_TAGS, env/service/version, de-duplicated") {
  auto config = herokuConfig();
  config.tags = {"team:core,region:eu", "dyno:web.1", "team:core"};
  config.env = "prod";
  config.service = "";
  config.version = "1.2.3";
  Enricher enricher(config);
  CHECK(enricher.staticTags() == Tags{"dyno:web.1", "dynotype:web", "appname:shop", "release:v42",
                                      "team:core", "region:eu", "env:prod", "version:1.2.3"});
}

TEST_CASE("staticTags: Fir dyno") {
  EnrichConfig config;
  config.dyno = "web-12a34b56d-e78f9";
  Enricher enricher(config);
  CHECK(enricher.staticTags() == Tags{"dyno:web-12a34b56d-e78f9", "dynotype:web"});
}

TEST_CASE("staticTags: no DYNO (local run) adds no dyno tags") {
  EnrichConfig config;
  config.tags = {"local:yes"};
  Enricher enricher(config);
  CHECK(enricher.staticTags() == Tags{"local:yes"});
  CHECK(enricher.defaultHost().empty());
}

TEST_CASE("defaultHost: DD_HOSTNAME beats DD_DYNO_HOST, which gives app.dyno") {
  auto config = herokuConfig();
  CHECK(Enricher(config).defaultHost().empty());
  config.dynoHost = true;
  CHECK(Enricher(config).defaultHost() == "shop.web.1");
  config.hostname = "explicit-host";
  CHECK(Enricher(config).defaultHost() == "explicit-host");
  EnrichConfig noApp;
  noApp.dyno = "web.2";
  noApp.dynoHost = true;
  CHECK(Enricher(noApp).defaultHost() == "web.2");
}

TEST_CASE("metric: host tag, reserved and empty tags removed, order of others kept") {
  auto config = herokuConfig();
  config.dynoHost = true;
  Enricher enricher(config);

  MetricSample sample;
  sample.tags = {"b:2", "", "host:api-7", "dd.internal.entity_id:abc", "a:1", "dd.internal.card:high"};
  enricher.enrich(sample);
  CHECK(sample.tags == Views{"b:2", "a:1"});
  CHECK(sample.host == "api-7");

  MetricSample plain;
  plain.tags = {"hostname:x", "dd.internalish:1"};
  enricher.enrich(plain);
  CHECK(plain.tags == Views{"hostname:x", "dd.internalish:1"});
  CHECK(plain.host == "shop.web.1");

  MetricSample emptyHost;
  emptyHost.tags = {"host:", "x:1"};
  enricher.enrich(emptyHost);
  CHECK(emptyHost.host.empty());
  CHECK(emptyHost.host.data() != nullptr);
  CHECK(emptyHost.tags == Views{"x:1"});

  MetricSample twoHosts;
  twoHosts.tags = {"host:first", "host:second"};
  enricher.enrich(twoHosts);
  CHECK(twoHosts.host == "second");
  CHECK(twoHosts.tags.empty());
}

TEST_CASE("event: host precedence h: field, then host: tag, then default; static tags appended") {
  auto config = herokuConfig();
  config.hostname = "default-host";
  Enricher enricher(config);

  Event withField;
  withField.host = "from-field";
  withField.tags = {"host:from-tag", "dyno:web.1", "", "dd.internal.card:low", "k:v"};
  enricher.enrich(withField, 1700000000);
  CHECK(withField.host == "from-field");
  CHECK(withField.tags == Tags{"dyno:web.1", "k:v", "dynotype:web", "appname:shop", "release:v42"});
  CHECK(withField.timestamp == 1700000000);

  Event withTag;
  withTag.tags = {"host:from-tag"};
  withTag.timestamp = 1600000000;
  enricher.enrich(withTag, 1700000000);
  CHECK(withTag.host == "from-tag");
  CHECK(withTag.timestamp == 1600000000);

  Event bare;
  enricher.enrich(bare, 5);
  CHECK(bare.host == "default-host");
  CHECK(bare.tags == Tags{"dyno:web.1", "dynotype:web", "appname:shop", "release:v42"});
}

TEST_CASE("service check: same host precedence and timestamp default") {
  Enricher enricher(herokuConfig());
  ServiceCheck check;
  check.tags = {"host:db-1", "role:primary"};
  enricher.enrich(check, 1700000123);
  CHECK(check.host == "db-1");
  CHECK(check.timestamp == 1700000123);
  CHECK(check.tags == Tags{"role:primary", "dyno:web.1", "dynotype:web", "appname:shop", "release:v42"});

  ServiceCheck noHost;
  enricher.enrich(noHost, 1);
  CHECK(noHost.host.empty());
}

}  // namespace
}  // namespace dynostatsd
