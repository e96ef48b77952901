#include "dyno/figures.h"

namespace dynostatsd::dyno {

const FigureInfo& figureInfo(Figure figure) {
  static const std::array<FigureInfo, kFigureCount> kTable = {{
      {"heroku.dyno.memory.total", "byte", false},
      {"heroku.dyno.memory.rss", "byte", false},
      {"heroku.dyno.memory.cache", "byte", false},
      {"heroku.dyno.memory.swap", "byte", false},
      {"heroku.dyno.memory.quota", "byte", false},
      {"heroku.dyno.memory.quota_used_pct", "percent", false},
      {"heroku.dyno.cpu.user_pct", "percent", false},
      {"heroku.dyno.cpu.system_pct", "percent", false},
      {"heroku.dyno.cpu.throttled_pct", "percent", false},
      {"heroku.dyno.cpu.quota", "core", false},
      {"heroku.dyno.oom_kills", "", true},
      {"heroku.dyno.processes", "process", false},
  }};
  return kTable[static_cast<std::size_t>(figure)];
}

}  // namespace dynostatsd::dyno
