#include "dyno/snapshot_text.h"

#include <cstdio>

#include "telemetry/log.h"

namespace dynostatsd::dyno {
namespace {

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

}  // namespace

std::string describeSnapshot(const DynoSampler& sampler, const DynoSnapshot& snapshot) {
  const CgroupLayout& layout = sampler.layout();
  std::string out = "cgroup memory=" + std::string(versionName(layout.memory));
  if (!layout.memoryDir.empty()) out += " memory_dir=" + log::quote(layout.memoryDir);
  out += " cpu=" + std::string(versionName(layout.cpu));
  if (!layout.cpuDir.empty()) out += " cpu_dir=" + log::quote(layout.cpuDir);
  if (!layout.cpuacctDir.empty() && layout.cpuacctDir != layout.cpuDir) {
    out += " cpuacct_dir=" + log::quote(layout.cpuacctDir);
  }
  out += "\n";
  for (std::size_t i = 0; i < kFigureCount; ++i) {
    const auto figure = static_cast<Figure>(i);
    const FigureInfo& info = figureInfo(figure);
    const auto& value = snapshot[figure];
    out += std::string(info.name) + "=" + (value ? number(*value) : std::string("none"));
    if (value && !info.unit.empty()) out += " unit=" + std::string(info.unit);
    if (figure == Figure::OomKills) out += " note=\"total of the group; sent as the increase per flush\"";
    if (figure == Figure::Processes && snapshot.processesTruncated) out += " truncated=true";
    out += " source=" +
           log::quote(figure == Figure::Processes ? sampler.processSource() : sampler.source(figure)) + "\n";
  }
  for (const auto& process : snapshot.top) {
    out += std::string(kProcessRssName) + "=" + number(static_cast<double>(process.rssBytes)) +
           " process=" + log::quote(process.name) + " pid=" + std::to_string(process.pid) +
           " unit=byte source=" +
           log::quote(sampler.layout().procDir + "/" + std::to_string(process.pid) + "/statm") + "\n";
  }
  return out;
}

}  // namespace dynostatsd::dyno
