#include "supervise/boot_rules.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

using namespace dynostatsd::supervise;

namespace {

BootDecision decide(std::map<std::string, std::string> env) {
  return decideBoot([&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

}  // namespace

TEST_CASE("boot rules: which dynos start the agent") {
  struct Case {
    std::map<std::string, std::string> env;
    bool start;
    std::string type;
    std::string reason;  // substring; empty when started
    bool announce;
  };
  const Case cases[] = {
      {{{"DYNO", "web.1"}}, true, "web", "", false},
      {{{"DYNO", "worker.3"}}, true, "worker", "", false},
      {{{"DYNO", "web-12a34b56d-e78f9"}}, true, "web", "", false},
      {{{"DYNO", "run.4242"}}, false, "run", "one-off dyno", false},
      {{{"DYNO", "run-12a34b56d-e78f9"}}, false, "run", "one-off dyno", false},
      {{{"DYNO", "run-4242"}}, false, "run", "one-off dyno", false},
      {{{"DYNO", "run.1"}, {"DYNOSTATSD_ONE_OFF", "true"}}, true, "run", "", false},
      {{{"DYNO", "run.1"}, {"DYNOSTATSD_ONE_OFF", "Yes"}}, true, "run", "", false},
      {{{"DYNO", "run.1"}, {"DYNOSTATSD_ONE_OFF", "ON"}}, true, "run", "", false},
      {{{"DYNO", "run.1"}, {"DYNOSTATSD_ONE_OFF", "maybe"}}, false, "run", "one-off", false},
      {{{"DYNO", "web.1"}, {"DISABLE_DATADOG_AGENT", "1"}},
       false,
       "web",
       "DISABLE_DATADOG_AGENT is set",
       true},
      {{{"DYNO", "worker.1"}, {"DISABLE_DATADOG_AGENT", "true"}},
       false,
       "worker",
       "DISABLE_DATADOG_AGENT",
       false},
      {{{"DYNO", "web.1"}, {"DYNOSTATSD_DISABLE", "True"}}, false, "web", "DYNOSTATSD_DISABLE is set", true},
      {{{"DYNO", "web.1"}, {"DYNOSTATSD_DISABLE", "typo"}}, false, "web", "DYNOSTATSD_DISABLE", true},
      {{{"DYNO", "web.1"}, {"DYNOSTATSD_DISABLE", "False"}}, true, "web", "", false},
      {{{"DYNO", "web.1"}, {"DYNOSTATSD_DISABLE", "off"}}, true, "web", "", false},
      {{{"DYNO", "web.1"}, {"DYNOSTATSD_DISABLE", ""}}, true, "web", "", false},
      {{{"DYNO", "clock.1"}, {"DYNOSTATSD_DYNO_TYPES", "web,worker"}},
       false,
       "clock",
       "process type clock is not in DYNOSTATSD_DYNO_TYPES=web,worker",
       false},
      {{{"DYNO", "worker.2"}, {"DYNOSTATSD_DYNO_TYPES", "web, worker"}}, true, "worker", "", false},
      {{{"DYNO", "image-resizer-7d9f8b6c5-x2b4q"}, {"DYNOSTATSD_DYNO_TYPES", "image-resizer"}},
       true,
       "image-resizer",
       "",
       false},
      {{{"DYNO", "image-resizer-7d9f8b6c5-x2b4q"}, {"DYNOSTATSD_DYNO_TYPES", "image"}},
       false,
       "image-resizer",
       "process type image-resizer",
       false},
      {{{"DYNO", "web.1"}, {"DYNOSTATSD_DYNO_TYPES", "worker"}, {"DYNOSTATSD_DEBUG", "1"}},
       false,
       "web",
       "process type web is not in DYNOSTATSD_DYNO_TYPES=worker",
       true},
      {{{"DYNO", "worker.1"}, {"DISABLE_DATADOG_AGENT", "1"}, {"DYNOSTATSD_DEBUG", "yes"}},
       false,
       "worker",
       "DISABLE_DATADOG_AGENT",
       true},
      {{{"DYNO", "worker.1"}, {"DISABLE_DATADOG_AGENT", "1"}, {"DYNOSTATSD_DEBUG", "false"}},
       false,
       "worker",
       "DISABLE_DATADOG_AGENT",
       false},
      {{{"DYNOSTATSD_DYNO_TYPES", "web"}}, false, "", "process type unknown", false},
      {{}, true, "", "", false},  // no DYNO (local run): start
  };
  for (const auto& c : cases) {
    std::string label;
    for (const auto& [k, v] : c.env) label += k + "=" + v + " ";
    INFO(label);
    const auto d = decide(c.env);
    CHECK(d.start == c.start);
    CHECK(d.dynoType == c.type);
    if (c.reason.empty()) {
      CHECK(d.reason.empty());
    } else {
      CHECK_THAT(d.reason, Catch::Contains(c.reason));
    }
    CHECK(d.announce == c.announce);
  }
}

TEST_CASE("boot rules: DISABLE_DATADOG_AGENT wins over every other rule") {
  const auto d = decide({{"DYNO", "run.1"}, {"DISABLE_DATADOG_AGENT", "x"}, {"DYNOSTATSD_DISABLE", "true"}});
  CHECK(d.reason == "DISABLE_DATADOG_AGENT is set");
}
