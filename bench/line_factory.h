#pragma once
// LineFactory: the benchmark's DogStatsD lines, shared by loadgen and the in-process micro
// benchmark. Every line is a pure function of its index, so runs repeat byte for byte and the
// expected counter sums are exact:
//   index i -> name   n = i % names                      "<prefix><n>"
//              round  r = i / names
//              type   types[n % types.size()]            (a name always keeps one type)
//              tags   tag<k>:value<r % tagValues>, k < tags
//              value  counters 1 + r % 5, gauges i % 1000, samples (i % 1000) / 10, sets "u<r % 100>"
// The realistic mix (`realistic`) is what production traffic looks like instead: each name carries
// its own tag values (`route:/api/r<n % 97>`, `status:<200|201|404|500 by n>`, and on every tenth
// name a `host:i-<n % 7>` tag in place of the third tag), sets see `setMembers` distinct members
// per context ("u<(r * 7919 + n) % setMembers>"), and samples carry three decimals
// ("<x>.<yyy>"). Contexts = names; counter values and sums are as above.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace dynostatsd::bench {

struct LineSpec {
  std::uint64_t names = 100;
  int tags = 0;
  std::uint64_t tagValues = 1;
  std::string types = "c";  // comma-separated: c,g,ms,h,s,d
  std::string prefix = "bench.metric.";
  bool realistic = false;
  std::uint64_t setMembers = 5000;  // realistic only: distinct members per set context
};

// LineFactory: writes line `index` with memcpy from precomputed pieces (no formatting per line),
// so the generator is not the bottleneck of a full-speed run.
class LineFactory {
 public:
  static constexpr std::size_t kValueStrings = 1000;  // precomputed value spellings

  explicit LineFactory(const LineSpec& options) : realistic_(options.realistic) {
    for (std::uint64_t n = 0; n < options.names; ++n)
      names_.push_back(options.prefix + std::to_string(n) + ":");
    for (std::string_view rest = options.types; !rest.empty();) {
      auto comma = rest.find(',');
      std::string type(rest.substr(0, comma));
      types_.push_back("|" + type);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    if (realistic_) {
      setMembers_ = std::max<std::uint64_t>(1, options.setMembers);
      static constexpr const char* kStatus[] = {"200", "201", "404", "500"};
      for (std::uint64_t n = 0; n < options.names; ++n) {
        std::string tags;
        for (int k = 0; k < options.tags; ++k) {
          tags += (k == 0 ? "|#" : ",");
          if (k == 0) {
            tags += "route:/api/r" + std::to_string(n % 97);
          } else if (k == 1) {
            tags += std::string("status:") + kStatus[(n / 3) % 4];
          } else if (k == 2 && n % 10 == 0) {
            tags += "host:i-" + std::to_string(n % 7);
          } else {
            tags += "tag" + std::to_string(k) + ":v" + std::to_string(n % (13 + k));
          }
        }
        tagSets_.push_back(tags);
      }
    }
    for (std::uint64_t v = 0; !realistic_ && v < options.tagValues; ++v) {
      std::string tags;
      for (int k = 0; k < options.tags; ++k) {
        tags += (k == 0 ? "|#" : ",");
        tags += "tag" + std::to_string(k) + ":value" + std::to_string(v);
      }
      tagSets_.push_back(tags);
    }
    for (std::size_t v = 0; v < kValueStrings; ++v) {
      integers_.push_back(std::to_string(v));
      if (realistic_) {
        char text[24];
        std::snprintf(text, sizeof text, "%zu.%03zu", v % 250, (v * 37) % 1000);
        decimals_.push_back(text);
      } else {
        decimals_.push_back(std::to_string(v / 10) + "." + std::to_string(v % 10));
      }
      members_.push_back(std::string("u").append(std::to_string(v % 100)));
    }
  }

  bool valid(std::string& error) const {
    for (const auto& type : types_) {
      auto t = std::string_view(type).substr(1);
      if (t != "c" && t != "g" && t != "ms" && t != "h" && t != "s" && t != "d") {
        error = "unknown type '" + std::string(t) + "' (want c g ms h s d)";
        return false;
      }
    }
    return true;
  }

  // The longest line this factory can produce (bounds the datagram buffers).
  std::size_t maxLineLength() const {
    std::size_t longestName = 0, longestType = 0, longestTags = 0;
    for (const auto& s : names_) longestName = std::max(longestName, s.size());
    for (const auto& s : types_) longestType = std::max(longestType, s.size());
    for (const auto& s : tagSets_) longestTags = std::max(longestTags, s.size());
    return longestName + 22 + longestType + longestTags;  // a value or set member: at most 21 bytes
  }

  // Writes line `index` (without a trailing newline) at `out`; returns its length.
  std::size_t write(std::uint64_t index, char* out) const {
    std::uint64_t n = index % names_.size();
    std::uint64_t round = index / names_.size();
    const std::string& type = types_[n % types_.size()];
    const std::string& value = valueFor(index, round, type);
    const std::string& tags = tagSets_[(realistic_ ? n : round) % tagSets_.size()];
    char* p = out;
    p = put(p, names_[n]);
    if (realistic_ && type == "|s") {
      p = put(p, "u");
      p += std::snprintf(p, 21, "%llu", static_cast<unsigned long long>((round * 7919 + n) % setMembers_));
    } else {
      p = put(p, value);
    }
    p = put(p, type);
    p = put(p, tags);
    return static_cast<std::size_t>(p - out);
  }

  // Adds line `index` to the expected per-name counter sums (counters only).
  void account(std::uint64_t index, std::vector<std::uint64_t>& sums) const {
    std::uint64_t n = index % names_.size();
    if (types_[n % types_.size()] == "|c") sums[n] += 1 + (index / names_.size()) % 5;
  }

  std::string_view nameOf(std::uint64_t n) const {
    std::string_view name = names_[n];
    return name.substr(0, name.size() - 1);  // drop the ':'
  }
  bool isCounter(std::uint64_t n) const { return types_[n % types_.size()] == "|c"; }

 private:
  const std::string& valueFor(std::uint64_t index, std::uint64_t round, const std::string& type) const {
    if (type == "|c") return integers_[1 + round % 5];
    if (type == "|g") return integers_[index % kValueStrings];
    if (type == "|s") return members_[round % kValueStrings];
    return decimals_[index % kValueStrings];
  }
  static char* put(char* p, std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
  }

  bool realistic_ = false;
  std::uint64_t setMembers_ = 1;
  std::vector<std::string> names_, types_, tagSets_, integers_, decimals_, members_;
};

}  // namespace dynostatsd::bench
