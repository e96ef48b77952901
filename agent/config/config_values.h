#pragma once
// Value parsers for settings, in the Datadog agent's formats. Each returns false and sets `error`
// (a short phrase without the setting name) when the text is invalid.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dynostatsd::config {

// true/false/1/0/yes/no/on/off, case-insensitive, surrounding blanks ignored.
bool parseBool(std::string_view text, bool& out, std::string& error);

// The two readings of a boolean environment switch, both through parseBool (the one true/false
// rule for settings, boot switches and the buildpack's build-time switches):
//   isTrue:    opt-in switches (DYNOSTATSD_ONE_OFF): on only for a true value; unset, empty,
//              false and unparsable values are off.
//   switchOn:  kill switches and debug flags (DYNOSTATSD_DISABLE, DYNOSTATSD_DEBUG): on when set to
//              anything but a false value, so a typo never silently re-enables what it disables.
bool isTrue(std::string_view text);
bool switchOn(std::string_view text);

// A base-10 integer in [min, max].
bool parseInt(std::string_view text, std::int64_t min, std::int64_t max, std::int64_t& out,
              std::string& error);

// A finite decimal number in [min, max].
bool parseDouble(std::string_view text, double min, double max, double& out, std::string& error);

// Splits on commas and blanks; empty entries are dropped ("a, b  c" -> a b c).
std::vector<std::string> splitList(std::string_view text);

// "0.95 0.99" -> 95 99 (int(p*100+0.5)); entries outside (0, 1] or unparsable are skipped and
// described in `warnings`.
std::vector<int> parsePercentiles(std::string_view text, std::vector<std::string>& warnings);

// "max median avg" -> the known aggregates (max min median avg sum count); unknown ones skipped
// with a warning, duplicates removed.
std::vector<std::string> parseAggregates(std::string_view text, std::vector<std::string>& warnings);

std::string trim(std::string_view text);

// A byte size: digits with an optional unit K, M, G (powers of 1024; KB/KiB/MB/MiB/GB/GiB and
// lower case accepted), in [min, max] bytes. "64MB" -> 67108864.
bool parseByteSize(std::string_view text, std::size_t min, std::size_t max, std::size_t& out,
                   std::string& error);

// An octal file mode in [0, 0777], e.g. "0660" or "660".
bool parseFileMode(std::string_view text, int& out, std::string& error);

// How an invalid value appears in an error message: secrets masked, long runs of letters and
// digits (a key pasted into the wrong setting) shown as "***" + their last 4, cut to 40 bytes.
std::string showInvalid(std::string_view value);

// A message when `text` holds a control character (CR/LF would inject HTTP headers) or a blank;
// empty when it holds none.
std::string controlCharacterError(std::string_view text, bool blanksAllowed);
// `host:port`, `[v6 literal]:port` or, when defaultPort > 0, a bare `host` / `[v6]`. The host is
// returned without brackets; the port must be 1..65535.
bool parseHostPort(std::string_view text, int defaultPort, std::string& host, int& port, std::string& error);

// DYNOSTATSD_GRAPHITE_URL: `tcp://host:port` (default port 2003) or `tls://host:port`.
struct GraphiteEndpoint {
  bool tls = false;
  std::string host;
  int port = 2003;
};
bool parseGraphiteUrl(std::string_view text, GraphiteEndpoint& out, std::string& error);

// DYNOSTATSD_GRAPHITE_PERCENTILES: "90 99.9" -> 90 99.9; each in [-100, 100] without 0 (a negative
// P selects the top values, as Etsy statsd's percentThreshold). Duplicates are removed.
bool parseGraphitePercentiles(std::string_view text, std::vector<double>& out, std::string& error);

}  // namespace dynostatsd::config
