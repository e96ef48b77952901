#pragma once
// Event and ServiceCheck: DogStatsD `_e{..}` and `_sc|` messages. Rare, so they own their strings.
// Input: parse/. Enriched in place by enrich/ (host precedence, static tags). Output: serialize/.
#include <cstdint>
#include <string>
#include <vector>

namespace dynostatsd {

struct Event {
  std::string title;
  std::string text;                 // `\n` sequences already turned into line feeds
  std::int64_t timestamp = 0;       // d:, 0 when absent (enrich sets "now")
  std::string host;                 // h:
  std::string aggregationKey;       // k:
  std::string priority = "normal";  // p: normal|low
  std::string sourceType;           // s:
  std::string alertType = "info";   // t: error|warning|info|success
  std::vector<std::string> tags;
};

struct ServiceCheck {
  std::string name;
  int status = 0;              // 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
  std::int64_t timestamp = 0;  // d:, 0 when absent (enrich sets "now")
  std::string host;            // h:
  std::string message;         // m:
  std::vector<std::string> tags;
};

}  // namespace dynostatsd
