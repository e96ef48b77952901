#include "enrich/enricher.h"

#include <algorithm>

namespace dynostatsd {
namespace {

constexpr std::string_view kHostPrefix = "host:";
constexpr std::string_view kReservedPrefix = "dd.internal.";

bool isLowerAlnum(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

void addUnique(std::vector<std::string>& tags, std::string tag) {
  if (tag.empty()) return;
  if (std::find(tags.begin(), tags.end(), tag) != tags.end()) return;
  tags.push_back(std::move(tag));
}

void addKeyValue(std::vector<std::string>& tags, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  std::string tag;
  tag.reserve(key.size() + 1 + value.size());
  tag.append(key).append(":").append(value);
  addUnique(tags, std::move(tag));
}

}  // namespace

Enricher::Enricher(const EnrichConfig& config) {
  addKeyValue(staticTags_, "dyno", config.dyno);
  addKeyValue(staticTags_, "dynotype", dynoType(config.dyno));
  addKeyValue(staticTags_, "appname", config.appName);
  addKeyValue(staticTags_, "release", config.releaseVersion);
  for (const auto& entry : config.tags) {
    for (auto& tag : splitTags(entry)) addUnique(staticTags_, std::move(tag));
  }
  addKeyValue(staticTags_, "env", config.env);
  addKeyValue(staticTags_, "service", config.service);
  addKeyValue(staticTags_, "version", config.version);

  // Host rule (precedence top to bottom):
  //   DD_HOSTNAME set            -> that name
  //   DD_DYNO_HOST=true          -> <appname>.<dyno> (either part alone when the other is unset)
  //   otherwise                  -> "" : no host, the dyno tags identify the series. A dyno's
  //                                 kernel hostname is a fresh random id on every restart, which
  //                                 would turn every deploy into new (billed) hosts.
  if (!config.hostname.empty()) {
    defaultHost_ = config.hostname;
  } else if (config.dynoHost) {
    defaultHost_ = config.appName;
    if (!defaultHost_.empty() && !config.dyno.empty()) defaultHost_ += '.';
    defaultHost_ += config.dyno;
  }
}

void Enricher::enrich(MetricSample& sample) const {
  bool hostFromTag = false;
  std::size_t kept = 0;
  auto& tags = sample.tags;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const std::string_view tag = tags[i];
    if (tag.empty()) continue;
    if (tag[0] == 'h' && tag.starts_with(kHostPrefix)) {
      sample.host = tag.substr(kHostPrefix.size());
      hostFromTag = true;
      continue;
    }
    if (tag[0] == 'd' && tag.starts_with(kReservedPrefix)) continue;
    tags[kept++] = tag;
  }
  tags.resize(kept);
  if (!hostFromTag) sample.host = defaultHost_;
}

template <typename Message>
void Enricher::enrichMessage(Message& message, std::int64_t nowSeconds) const {
  std::string tagHost;
  bool hostFromTag = false;
  std::vector<std::string> kept;
  kept.reserve(message.tags.size() + staticTags_.size());
  for (auto& tag : message.tags) {
    if (tag.empty()) continue;
    if (tag.starts_with(kHostPrefix)) {
      tagHost = tag.substr(kHostPrefix.size());
      hostFromTag = true;
      continue;
    }
    if (tag.starts_with(kReservedPrefix)) continue;
    kept.push_back(std::move(tag));
  }
  const std::size_t ownCount = kept.size();
  for (const auto& tag : staticTags_) {
    if (std::find(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(ownCount), tag) ==
        kept.begin() + static_cast<std::ptrdiff_t>(ownCount)) {
      kept.push_back(tag);
    }
  }
  message.tags = std::move(kept);
  if (message.host.empty()) message.host = hostFromTag ? tagHost : defaultHost_;
  if (message.timestamp == 0) message.timestamp = nowSeconds;
}

void Enricher::enrich(Event& event, std::int64_t nowSeconds) const {
  enrichMessage(event, nowSeconds);
}

void Enricher::enrich(ServiceCheck& check, std::int64_t nowSeconds) const {
  enrichMessage(check, nowSeconds);
}

std::string Enricher::dynoType(std::string_view dyno) {
  // Cedar: `<type>.<n>` (web.1, worker.3, run.1234, scheduler.2001).
  const auto dot = dyno.find('.');
  if (dot != std::string_view::npos) return std::string(dyno.substr(0, dot));
  // Fir: Kubernetes pod names `<type>-<pod-template-hash>-<pod-suffix>`, e.g.
  //   web-12a34b56d-e78f9        -> web
  //   image-resizer-7d9f8b6c5-x2b4q -> image-resizer
  //       ^type      ^hash     ^suffix (5)
  const auto lastDash = dyno.rfind('-');
  if (lastDash != std::string_view::npos && lastDash > 0) {
    const auto hashDash = dyno.rfind('-', lastDash - 1);
    if (hashDash != std::string_view::npos && hashDash > 0) {
      const auto suffix = dyno.substr(lastDash + 1);
      const auto hash = dyno.substr(hashDash + 1, lastDash - hashDash - 1);
      if (suffix.size() == 5 && hash.size() >= 6 && hash.size() <= 10 && isLowerAlnum(suffix) &&
          isLowerAlnum(hash)) {
        return std::string(dyno.substr(0, hashDash));
      }
    }
  }
  // Fir one-off dynos (`heroku run:detached`) not shaped like a pod of a deployment.
  if (dyno.starts_with("run-")) return "run";
  return std::string(dyno);
}

std::vector<std::string> Enricher::splitTags(std::string_view ddTags) {
  std::vector<std::string> tags;
  std::size_t start = 0;
  const auto isSeparator = [](char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  for (std::size_t i = 0; i <= ddTags.size(); ++i) {
    if (i == ddTags.size() || isSeparator(ddTags[i])) {
      if (i > start) tags.emplace_back(ddTags.substr(start, i - start));
      start = i + 1;
    }
  }
  return tags;
}

}  // namespace dynostatsd
