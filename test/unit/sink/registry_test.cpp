#include "sink/registry.h"

#include <uv.h>
#include <catch2/catch.hpp>

#include "model/clock.h"

using namespace dynostatsd;

TEST_CASE("The registry builds the configured sinks, each described without its secrets") {
  Config config;
  CHECK(describeSinks(config).empty());  // no API key, l2met not forced here: nothing on
  config.logMetrics = true;
  auto active = describeSinks(config);
  REQUIRE(active.size() == 1);
  CHECK(active[0].name == "l2met");
  CHECK(active[0].description == "stdout");

  config.forward.apiKey = "0123456789abcdef0123456789abcdef";
  config.forward.ddUrl = "https://user:hunter2@proxy.example:8443/";
  active = describeSinks(config);
  REQUIRE(active.size() == 2);
  CHECK(active[0].name == "datadog");
  CHECK(active[0].description == "https://***@proxy.example:8443");
  for (const auto& sink : active) {
    CHECK(sink.description.find("hunter2") == std::string::npos);
    CHECK(sink.description.find(config.forward.apiKey) == std::string::npos);
  }

  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    ManualClock clock(1700000000000);
    std::vector<std::string> tags{"dyno:web.1"};
    std::string host, source = "web.1";
    SinkContext context{&loop, clock, config, tags, host, source, false};
    auto sinks = makeSinks(context);
    REQUIRE(sinks.size() == 2);
    CHECK(sinks[0]->name() == "datadog");
    CHECK(sinks[0]->needs().datadogShapes);
    CHECK(sinks[0]->describe() == "https://***@proxy.example:8443");
    CHECK(sinks[1]->name() == "l2met");
    for (auto& sink : sinks) sink->close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}
