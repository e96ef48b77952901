#include "config/settings_table.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

#include "config/config_values.h"
#include "config/otel_values.h"
#include "telemetry/log.h"
#include "telemetry/secrets.h"

namespace dynostatsd::config {
namespace {

template <typename T>
using Field = T& (*)(Config&);

template <typename T>
const T& read(Field<T> field, const Config& config) {
  return field(const_cast<Config&>(config));
}

std::string joinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(',');
    out += item;
  }
  return out;
}

std::string showNumber(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// --- setting kinds

Setting text(SettingInfo info, Field<std::string> field) {
  return {info,
          [field](Config& c, std::string_view v, std::string&, std::vector<std::string>&) {
            field(c) = trim(v);
            return true;
          },
          [field](const Config& c) { return read(field, c); }};
}

Setting boolean(SettingInfo info, Field<bool> field) {
  return {info,
          [field](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
            return parseBool(v, field(c), e);
          },
          [field](const Config& c) { return std::string(read(field, c) ? "true" : "false"); }};
}

template <typename Int>
Setting integer(SettingInfo info, Field<Int> field, std::int64_t min, std::int64_t max) {
  return {info,
          [field, min, max](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
            std::int64_t value = 0;
            if (!parseInt(v, min, max, value, e)) return false;
            field(c) = static_cast<Int>(value);
            return true;
          },
          [field](const Config& c) { return std::to_string(read(field, c)); }};
}

Setting number(SettingInfo info, Field<double> field, double min, double max) {
  return {info,
          [field, min, max](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
            return parseDouble(v, min, max, field(c), e);
          },
          [field](const Config& c) { return showNumber(read(field, c)); }};
}

// One of a fixed set of names.
template <typename Enum>
Setting choice(SettingInfo info, Field<Enum> field, std::vector<std::pair<std::string, Enum>> names,
               std::string error) {
  return {info,
          [field, names, error](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
            const std::string value = trim(v);
            for (const auto& [name, item] : names) {
              if (name == value) {
                field(c) = item;
                return true;
              }
            }
            e = error;
            return false;
          },
          [field, names](const Config& c) {
            for (const auto& [name, item] : names) {
              if (item == read(field, c)) return name;
            }
            return std::string("?");
          }};
}

Setting byteSize(SettingInfo info, Field<std::size_t> field, std::size_t min, std::size_t max) {
  return {info,
          [field, min, max](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
            return parseByteSize(v, min, max, field(c), e);
          },
          [field](const Config& c) { return std::to_string(read(field, c)); }};
}

Setting fileMode(SettingInfo info, Field<int> field) {
  return {info,
          [field](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
            return parseFileMode(v, field(c), e);
          },
          [field](const Config& c) {
            char text[8];
            std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(read(field, c)));
            return std::string(text);
          }};
}

// A host name: letters, digits, '-' and '.' only (no '@', ':', '/', blanks or control characters,
// which would send the key somewhere else or inject headers).
std::string hostNameError(const std::string& v) {
  const bool valid = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
  return valid ? std::string() : std::string("must be a host name such as datadoghq.eu");
}

// A text setting with an extra check on the trimmed value (empty error = valid).
Setting checkedText(SettingInfo info, Field<std::string> field, std::string (*check)(const std::string&)) {
  Setting setting = text(info, field);
  setting.apply = [field, check](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
    field(c) = trim(v);
    e = check(field(c));
    return e.empty();
  };
  return setting;
}

std::string percentileText(const std::vector<int>& percentiles) {
  std::string out;
  for (int p : percentiles) {
    if (!out.empty()) out.push_back(',');
    char text[16];
    std::snprintf(text, sizeof text, "%d.%02d", p / 100, p % 100);
    out += text;
  }
  return out;
}

// --- otlp setting kinds

Setting otlpEndpoint(SettingInfo info, bool (*resolve)(std::string_view, std::string&, std::string&)) {
  return {info,
          [resolve](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
            return resolve(v, c.otlp.endpoint, e);
          },
          [](const Config& c) { return c.otlp.endpoint; }};
}

Setting otlpHeaders(SettingInfo info) {
  return {info,
          [](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
            return parseOtelHeaders(v, c.otlp.headers, e);
          },
          [](const Config& c) { return showHeaders(c.otlp.headers); }};
}

Setting otlpCompression(SettingInfo info) {
  return choice<bool>(
      info, [](Config& c) -> bool& { return c.otlp.gzip; }, {{"gzip", true}, {"none", false}},
      "must be gzip or none");
}

Setting otlpProtocol(SettingInfo info) {
  return {info,
          [](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
            const std::string value = trim(v);
            if (value == "http/protobuf") {
              c.otlp.protocol = OtlpProtocol::HttpProtobuf;
              return true;
            }
            if (value == "grpc") {
              e = "grpc is not supported: dynostatsd sends OTLP/HTTP; set http/protobuf and the endpoint's "
                  "HTTP port (4318, not 4317)";
            } else if (value == "http/json") {
              e = "http/json is not supported; set http/protobuf (every OTLP/HTTP receiver accepts it)";
            } else {
              e = "must be http/protobuf";
            }
            return false;
          },
          [](const Config&) { return std::string("http/protobuf"); }};
}

}  // namespace

const std::vector<Setting>& settingsTable() {
  static const std::vector<Setting> kTable = {
      // --- ingest
      checkedText(
          {"bind_host", "DD_BIND_HOST", "--bind-host",
           "address the UDP listener binds (loopback by default)"},
          [](Config& c) -> std::string& { return c.ingest.bindHost; },
          [](const std::string& v) { return v.empty() ? std::string("must not be empty") : std::string(); }),
      integer<int>(
          {"dogstatsd_port", "DD_DOGSTATSD_PORT", "--port", "UDP port; 0 disables UDP (needs a socket)"},
          [](Config& c) -> int& { return c.ingest.udpPort; }, 0, 65535),
      boolean({"dogstatsd_non_local_traffic", "DD_DOGSTATSD_NON_LOCAL_TRAFFIC", "--non-local-traffic",
               "listen on all interfaces (0.0.0.0) instead of bind_host"},
              [](Config& c) -> bool& { return c.ingest.nonLocalTraffic; }),
      checkedText(
          {"dogstatsd_socket", "DD_DOGSTATSD_SOCKET", "--socket", "Unix datagram socket path; empty = off"},
          [](Config& c) -> std::string& { return c.ingest.socketPath; },
          [](const std::string& v) {
            return v.size() > 107 ? std::string("must be at most 107 bytes (sun_path)") : std::string();
          }),
      fileMode({"socket_mode", "DYNOSTATSD_SOCKET_MODE", "--socket-mode",
                "permissions of the Unix socket, octal (the umask is ignored)"},
               [](Config& c) -> int& { return c.ingest.socketMode; }),
      integer<int>(
          {"dogstatsd_so_rcvbuf", "DD_DOGSTATSD_SO_RCVBUF", "--so-rcvbuf",
           "socket receive buffer bytes (default 4 MiB); 0 = OS default"},
          [](Config& c) -> int& { return c.ingest.soRcvbuf; }, 0, 1 << 30),
      integer<std::size_t>(
          {"dogstatsd_buffer_size", "DD_DOGSTATSD_BUFFER_SIZE", "--buffer-size",
           "largest datagram read in bytes; larger ones are counted as truncated"},
          [](Config& c) -> std::size_t& { return c.ingest.bufferSize; }, 1, 65535),
      // --- enrich
      text({"dyno", "DYNO", "--dyno", "dyno name (web.1); tags dyno: and dynotype:"},
           [](Config& c) -> std::string& { return c.enrich.dyno; }),
      text({"app_name", "HEROKU_APP_NAME", "--app-name", "Heroku app name; tags appname:"},
           [](Config& c) -> std::string& { return c.enrich.appName; }),
      text({"release_version", "HEROKU_RELEASE_VERSION", "", "Heroku release (v42); tags release:"},
           [](Config& c) -> std::string& { return c.enrich.releaseVersion; }),
      {{"tags", "DD_TAGS", "--tags", "extra tags on every series, comma or space separated"},
       [](Config& c, std::string_view v, std::string&, std::vector<std::string>&) {
         c.enrich.tags = splitList(v);
         return true;
       },
       [](const Config& c) { return joinList(c.enrich.tags); }},
      {{"dogstatsd_tags", "DD_DOGSTATSD_TAGS", "", "more tags, appended to tags"},
       [](Config& c, std::string_view v, std::string&, std::vector<std::string>&) {
         for (auto& tag : splitList(v)) c.enrich.tags.push_back(std::move(tag));
         return true;
       },
       [](const Config&) { return std::string("(appended to tags)"); }},
      text({"env", "DD_ENV", "--env", "adds the tag env:<value>"},
           [](Config& c) -> std::string& { return c.enrich.env; }),
      text({"service", "DD_SERVICE", "--service", "adds the tag service:<value>"},
           [](Config& c) -> std::string& { return c.enrich.service; }),
      text({"version", "DD_VERSION", "--version-tag", "adds the tag version:<value>"},
           [](Config& c) -> std::string& { return c.enrich.version; }),
      text({"hostname", "DD_HOSTNAME", "--hostname",
            "host of every series; default: none (dyno tags identify it)"},
           [](Config& c) -> std::string& { return c.enrich.hostname; }),
      boolean({"dyno_host", "DD_DYNO_HOST", "--dyno-host",
               "host = <appname>.<dyno> (like the Datadog buildpack)"},
              [](Config& c) -> bool& { return c.enrich.dynoHost; }),
      // --- aggregate
      integer<int>(
          {"flush_interval", "DYNOSTATSD_FLUSH_INTERVAL", "--flush-interval",
           "bucket width and flush period, seconds"},
          [](Config& c) -> int& { return c.aggregate.flushIntervalSeconds; }, 1, 3600),
      {{"histogram_aggregates", "DD_HISTOGRAM_AGGREGATES", "--histogram-aggregates",
        "histogram statistics: max median avg count min sum"},
       [](Config& c, std::string_view v, std::string&, std::vector<std::string>& w) {
         c.aggregate.histogramAggregates = parseAggregates(v, w);
         return true;
       },
       [](const Config& c) { return joinList(c.aggregate.histogramAggregates); }},
      {{"histogram_percentiles", "DD_HISTOGRAM_PERCENTILES", "--histogram-percentiles",
        "histogram percentiles as fractions, e.g. \"0.95 0.99\""},
       [](Config& c, std::string_view v, std::string&, std::vector<std::string>& w) {
         c.aggregate.histogramPercentiles = parsePercentiles(v, w);
         return true;
       },
       [](const Config& c) { return percentileText(c.aggregate.histogramPercentiles); }},
      integer<int>(
          {"dogstatsd_expiry_seconds", "DD_DOGSTATSD_EXPIRY_SECONDS", "",
           "idle counters are sent as 0 for this long, seconds"},
          [](Config& c) -> int& { return c.aggregate.counterExpirySeconds; }, 0, 86400),
      integer<int>(
          {"dogstatsd_context_expiry_seconds", "DD_DOGSTATSD_CONTEXT_EXPIRY_SECONDS", "",
           "idle contexts are forgotten after this long, seconds"},
          [](Config& c) -> int& { return c.aggregate.contextExpirySeconds; }, 0, 86400),
      integer<std::size_t>(
          {"max_contexts", "DYNOSTATSD_MAX_CONTEXTS", "--max-contexts",
           "live contexts bound; samples of new contexts beyond it are dropped and counted"},
          [](Config& c) -> std::size_t& { return c.aggregate.maxContexts; }, 1, 100000000),
      // --- forward
      {{"api_key", "DD_API_KEY", "", "Datadog API key; empty = print metrics to the log only", true},
       [](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
         c.forward.apiKey = trim(v);
         secrets::add(c.forward.apiKey);  // before any message can quote it
         e = controlCharacterError(c.forward.apiKey, false);
         return e.empty();
       },
       [](const Config& c) {
         return c.forward.apiKey.empty() ? std::string() : log::maskSecret(c.forward.apiKey);
       }},
      checkedText(
          {"site", "DD_SITE", "--site", "Datadog site; the API is https://api.<site>"},
          [](Config& c) -> std::string& { return c.forward.site; }, hostNameError),
      checkedText(
          {"dd_url", "DD_DD_URL", "--dd-url", "API base URL, overrides site (http:// or https://)"},
          [](Config& c) -> std::string& { return c.forward.ddUrl; },
          [](const std::string& v) {
            secrets::addUrlCredentials(v);
            if (auto e = controlCharacterError(v, false); !e.empty()) return e;
            return v.empty() || v.starts_with("https://") || v.starts_with("http://")
                       ? std::string()
                       : std::string("must start with https:// or http://");
          }),
      choice<SeriesApi>(
          {"series_api", "DYNOSTATSD_SERIES_API", "--series-api",
           "v2 (/api/v2/series) or v1 (/api/v1/series)"},
          [](Config& c) -> SeriesApi& { return c.forward.seriesApi; },
          {{"v2", SeriesApi::V2}, {"v1", SeriesApi::V1}}, "must be v1 or v2"),
      choice<Compression>(
          {"compression", "DYNOSTATSD_COMPRESSION", "--compression",
           "payload compression: zstd deflate gzip none"},
          [](Config& c) -> Compression& { return c.forward.compression; },
          {{"zstd", Compression::Zstd},
           {"deflate", Compression::Deflate},
           {"gzip", Compression::Gzip},
           {"none", Compression::None}},
          "must be one of zstd, deflate, gzip, none"),
      integer<std::size_t>(
          {"forwarder_retry_queue_payloads_max_size", "DD_FORWARDER_RETRY_QUEUE_PAYLOADS_MAX_SIZE", "",
           "retry queue bound in bytes; the oldest payloads are dropped beyond it; 0 = no retries"},
          [](Config& c) -> std::size_t& { return c.forward.retryQueueBytes; }, 0, std::int64_t{1} << 32),
      integer<int>(
          {"forwarder_timeout", "DD_FORWARDER_TIMEOUT", "", "HTTP request timeout, seconds"},
          [](Config& c) -> int& { return c.forward.requestTimeoutSeconds; }, 1, 600),
      number(
          {"forwarder_backoff_base", "DD_FORWARDER_BACKOFF_BASE", "", "retry backoff base, seconds"},
          [](Config& c) -> double& { return c.forward.backoffBaseSeconds; }, 0.001, 3600),
      number(
          {"forwarder_backoff_max", "DD_FORWARDER_BACKOFF_MAX", "", "retry backoff ceiling, seconds"},
          [](Config& c) -> double& { return c.forward.backoffMaxSeconds; }, 0.001, 86400),
      integer<int>(
          {"shutdown_deadline", "DYNOSTATSD_SHUTDOWN_DEADLINE", "--shutdown-deadline",
           "at exit, keep sending queued payloads at most this long, seconds"},
          [](Config& c) -> int& { return c.forward.shutdownDeadlineSeconds; }, 0, 25),
      boolean({"validate_api_key", "DYNOSTATSD_VALIDATE_API_KEY", "--validate-api-key",
               "check the API key once at start (/api/v1/validate)"},
              [](Config& c) -> bool& { return c.forward.validateApiKey; }),
      choice<HttpClientSetting>(
          {"http_client", "DYNOSTATSD_HTTP_CLIENT", "",
           "native (built in; libcurl still when a proxy variable is set or libssl.so.3 is missing) or curl"},
          [](Config& c) -> HttpClientSetting& { return c.forward.httpClient; },
          {{"native", HttpClientSetting::Native}, {"curl", HttpClientSetting::Curl}},
          "must be native or curl"),
      // --- otlp
      // Each OTEL_EXPORTER_OTLP_X comes before OTEL_EXPORTER_OTLP_METRICS_X: the table is applied
      // in order, so the metrics-specific variable, when set, overwrites the generic one.
      {{"otlp_metrics_exporter", "OTEL_METRICS_EXPORTER", "",
        "otlp (the default endpoint unless one is set) or none (turns the OTLP sink off)"},
       [](Config& c, std::string_view v, std::string& e, std::vector<std::string>& w) {
         for (const auto& name : splitList(v)) {
           if (name == "none") {
             c.otlp.disabled = true;
           } else if (name == "otlp") {
             if (c.otlp.endpoint.empty()) c.otlp.endpoint = std::string(kOtlpDefaultEndpoint);
           } else {
             w.push_back("setting=otlp_metrics_exporter reason=\"unsupported exporter ignored\" exporter=" +
                         log::quote(name));
           }
         }
         e.clear();
         return true;
       },
       [](const Config& c) { return std::string(c.otlp.disabled ? "none" : "otlp"); }},
      otlpEndpoint({"otlp_endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT", "",
                    "OTLP/HTTP base URL (/v1/metrics is appended); turns the OTLP sink on"},
                   otlpEndpointFromBase),
      otlpEndpoint({"otlp_metrics_endpoint", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "",
                    "OTLP/HTTP metrics URL, used as is; turns the OTLP sink on"},
                   otlpEndpointAsIs),
      otlpHeaders({"otlp_headers", "OTEL_EXPORTER_OTLP_HEADERS", "",
                   "request headers k1=v1,k2=v2 (percent-encoded values), e.g. Authorization=Basic%20...",
                   true}),
      otlpHeaders({"otlp_metrics_headers", "OTEL_EXPORTER_OTLP_METRICS_HEADERS", "",
                   "request headers for metrics; replaces otlp_headers", true}),
      otlpCompression({"otlp_compression", "OTEL_EXPORTER_OTLP_COMPRESSION", "", "gzip (default) or none"}),
      otlpCompression({"otlp_metrics_compression", "OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "",
                       "gzip or none, for metrics"}),
      integer<int>(
          {"otlp_timeout", "OTEL_EXPORTER_OTLP_TIMEOUT", "", "OTLP request timeout, milliseconds"},
          [](Config& c) -> int& { return c.otlp.timeoutMillis; }, 1, 600000),
      integer<int>(
          {"otlp_metrics_timeout", "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "",
           "OTLP metrics request timeout, milliseconds"},
          [](Config& c) -> int& { return c.otlp.timeoutMillis; }, 1, 600000),
      otlpProtocol(
          {"otlp_protocol", "OTEL_EXPORTER_OTLP_PROTOCOL", "", "http/protobuf (the only one supported)"}),
      otlpProtocol({"otlp_metrics_protocol", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "",
                    "http/protobuf (the only one supported)"}),
      {{"otlp_temporality", "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "",
        "delta (default; cumulative for *.grafana.net), cumulative, or lowmemory (= delta here)"},
       [](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
         std::string value = trim(v);
         for (char& ch : value) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
         if (value == "delta" || value == "lowmemory") {
           c.otlp.temporality = OtlpTemporality::Delta;
         } else if (value == "cumulative") {
           c.otlp.temporality = OtlpTemporality::Cumulative;
         } else {
           e = "must be delta, cumulative or lowmemory";
           return false;
         }
         return true;
       },
       [](const Config& c) {
         const bool cumulative = effectiveTemporality(c.otlp) == OtlpTemporality::Cumulative;
         std::string out = cumulative ? "cumulative" : "delta";
         if (c.otlp.temporality == OtlpTemporality::Auto && cumulative) out += " (auto: grafana.net)";
         return out;
       }},
      text({"otlp_service_name", "OTEL_SERVICE_NAME", "",
            "OTLP resource service.name (default: HEROKU_APP_NAME)"},
           [](Config& c) -> std::string& { return c.otlp.serviceName; }),
      {{"otlp_resource_attributes", "OTEL_RESOURCE_ATTRIBUTES", "",
        "extra OTLP resource attributes k1=v1,k2=v2 (percent-encoded)"},
       [](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
         return parseOtelPairs(v, c.otlp.resourceAttributes, e);
       },
       [](const Config& c) {
         std::string out;
         for (const auto& [key, value] : c.otlp.resourceAttributes) {
           if (!out.empty()) out.push_back(',');
           out += key + "=" + value;
         }
         return out;
       }},
      text({"dyno_id", "HEROKU_DYNO_ID", "", "dyno id (dyno metadata); OTLP service.instance.id"},
           [](Config& c) -> std::string& { return c.otlp.dynoId; }),
      text({"app_id", "HEROKU_APP_ID", "", "app id (dyno metadata); OTLP heroku.app.id"},
           [](Config& c) -> std::string& { return c.otlp.appId; }),
      text({"slug_commit", "HEROKU_SLUG_COMMIT", "",
            "release commit (dyno metadata); OTLP heroku.release.commit"},
           [](Config& c) -> std::string& { return c.otlp.slugCommit; }),
      text({"release_created_at", "HEROKU_RELEASE_CREATED_AT", "",
            "release time (dyno metadata); OTLP heroku.release.creation_timestamp"},
           [](Config& c) -> std::string& { return c.otlp.releaseCreatedAt; }),
      integer<std::size_t>(
          {"otlp_cumulative_state_bytes", "DYNOSTATSD_OTLP_CUMULATIVE_STATE_BYTES", "",
           "cumulative temporality: bytes of running totals kept; new series beyond it are dropped"},
          [](Config& c) -> std::size_t& { return c.otlp.cumulativeStateBytes; }, 4096, std::int64_t{1} << 32),
      // --- graphite
      checkedText(
          {"graphite_url", "DYNOSTATSD_GRAPHITE_URL", "--graphite-url",
           "carbon plaintext endpoint: tcp://host:2003 or tls://host:port; empty = off"},
          [](Config& c) -> std::string& { return c.graphite.url; },
          [](const std::string& v) {
            GraphiteEndpoint endpoint;
            std::string e;
            return v.empty() || parseGraphiteUrl(v, endpoint, e) ? std::string() : e;
          }),
      checkedText(
          {"graphite_prefix", "DYNOSTATSD_GRAPHITE_PREFIX", "",
           "replaces the leading `stats` of every Graphite path (may be empty)"},
          [](Config& c) -> std::string& { return c.graphite.prefix; },
          [](const std::string& v) {
            return v.find_first_of(" \t;") == std::string::npos ? std::string()
                                                                : std::string("must not contain blanks or ;");
          }),
      {{"graphite_percentiles", "DYNOSTATSD_GRAPHITE_PERCENTILES", "",
        "timer percentiles as Etsy statsd's percentThreshold, e.g. \"90 99.9\""},
       [](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
         return parseGraphitePercentiles(v, c.graphite.percentiles, e);
       },
       [](const Config& c) {
         std::string out;
         for (double p : c.graphite.percentiles) out += (out.empty() ? "" : ",") + showNumber(p);
         return out;
       }},
      choice<GraphiteTags>(
          {"graphite_tags", "DYNOSTATSD_GRAPHITE_TAGS", "",
           "tagged (Graphite 1.1 `path;k=v`) or path (only the dyno, in the path)"},
          [](Config& c) -> GraphiteTags& { return c.graphite.tags; },
          {{"tagged", GraphiteTags::Tagged}, {"path", GraphiteTags::Path}}, "must be tagged or path"),
      {{"hostedgraphite_apikey", "HOSTEDGRAPHITE_APIKEY", "",
        "Hosted Graphite add-on key: sends to its TLS endpoint with the key as path prefix", true},
       [](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
         c.graphite.hostedGraphiteApiKey = trim(v);
         if (c.graphite.hostedGraphiteApiKey.find_first_of(" \t;.") == std::string::npos) return true;
         e = "must not contain blanks, dots or ;";
         return false;
       },
       [](const Config& c) {
         return c.graphite.hostedGraphiteApiKey.empty() ? std::string()
                                                        : log::maskSecret(c.graphite.hostedGraphiteApiKey);
       }},
      integer<std::size_t>(
          {"graphite_buffer", "DYNOSTATSD_GRAPHITE_BUFFER", "",
           "unsent Graphite lines bound in bytes; the oldest are dropped beyond it"},
          [](Config& c) -> std::size_t& { return c.graphite.bufferBytes; }, 4096, std::int64_t{1} << 32),
      // --- statsd relay
      {{"statsd_relay", "DYNOSTATSD_STATSD_RELAY", "--statsd-relay",
        "also forward every accepted line to host:port[,host:port...] (UDP), sharded by CRC32 of the name"},
       [](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
         c.relay.upstreams.clear();
         for (const std::string& entry : splitList(v)) {
           std::string host;
           int port = 0;
           if (!parseHostPort(entry, 0, host, port, e)) {
             e = "\"" + entry + "\": " + e;
             return false;
           }
           c.relay.upstreams.push_back(entry);
         }
         return true;
       },
       [](const Config& c) { return joinList(c.relay.upstreams); }},
      {{"statsd_relay_prefix", "DYNOSTATSD_STATSD_RELAY_PREFIX", "",
        "prepended as `prefix.` to every relayed name (after sharding); may be an API key", true},
       [](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
         c.relay.prefix = trim(v);
         if (c.relay.prefix.find_first_of(" \t:|\n") == std::string::npos) return true;
         e = "must not contain blanks, : or |";
         return false;
       },
       [](const Config& c) {
         return c.relay.prefix.empty() ? std::string() : log::maskSecret(c.relay.prefix);
       }},
      {{"statsd_relay_tags", "DYNOSTATSD_STATSD_RELAY_TAGS", "",
        "dyno: append dyno:/dynotype: tags to relayed lines; empty = lines unchanged"},
       [](Config& c, std::string_view v, std::string& e, std::vector<std::string>&) {
         const std::string value = trim(v);
         if (value.empty() || value == "none") {
           c.relay.dynoTags = false;
           return true;
         }
         if (value == "dyno") {
           c.relay.dynoTags = true;
           return true;
         }
         e = "must be dyno or empty";
         return false;
       },
       [](const Config& c) { return std::string(c.relay.dynoTags ? "dyno" : ""); }},
      integer<std::size_t>(
          {"statsd_relay_max_datagram", "DYNOSTATSD_STATSD_RELAY_MAX_DATAGRAM", "",
           "relayed lines are packed into datagrams of at most this many bytes"},
          [](Config& c) -> std::size_t& { return c.relay.maxDatagram; }, 64, 65507),
      // --- dyno metrics
      boolean({"dyno_metrics", "DYNOSTATSD_DYNO_METRICS", "--dyno-metrics",
               "send heroku.dyno.* memory, CPU and process series from the dyno's cgroup every flush"},
              [](Config& c) -> bool& { return c.dynoMetrics.enabled; }),
      number(
          {"memory_warn_pct", "DYNOSTATSD_MEMORY_WARN_PCT", "--memory-warn-pct",
           "log a warning and send an event when dyno memory crosses this % of the quota (and 100)"},
          [](Config& c) -> double& { return c.dynoMetrics.memoryWarnPct; }, 1, 100),
      // --- drain
      {{"drain_credentials", "DYNOSTATSD_DRAIN_CREDENTIALS", "",
        "drain mode: user:pass every app's drain URL must carry (per app: "
        "DYNOSTATSD_DRAIN_CREDENTIALS_<APP>)",
        true},
       [](Config& c, std::string_view v, std::string&, std::vector<std::string>&) {
         c.drain.credentials = trim(v);
         return true;
       },
       [](const Config& c) { return c.drain.credentials.empty() ? std::string() : std::string("***"); }},
      integer<int>(
          {"drain_port", "PORT", "--drain-port", "drain mode: HTTP port (Heroku sets PORT)"},
          [](Config& c) -> int& { return c.drain.port; }, 0, 65535),
      text({"drain_bind_host", "DYNOSTATSD_DRAIN_BIND_HOST", "", "drain mode: address to listen on"},
           [](Config& c) -> std::string& { return c.drain.bindHost; }),
      integer<std::size_t>(
          {"drain_max_body_bytes", "DYNOSTATSD_DRAIN_MAX_BODY_BYTES", "",
           "drain mode: largest request body, bytes (413 above)"},
          [](Config& c) -> std::size_t& { return c.drain.maxBodyBytes; }, 1024, 64 << 20),
      integer<std::size_t>(
          {"drain_max_connections", "DYNOSTATSD_DRAIN_MAX_CONNECTIONS", "",
           "drain mode: open connections bound (more are closed at once)"},
          [](Config& c) -> std::size_t& { return c.drain.maxConnections; }, 1, 100000),
      integer<std::size_t>(
          {"drain_max_in_flight", "DYNOSTATSD_DRAIN_MAX_IN_FLIGHT", "",
           "drain mode: requests being received at once (503 + Retry-After above)"},
          [](Config& c) -> std::size_t& { return c.drain.maxInFlight; }, 1, 100000),
      integer<std::size_t>(
          {"drain_max_in_flight_bytes", "DYNOSTATSD_DRAIN_MAX_IN_FLIGHT_BYTES", "",
           "drain mode: body bytes being received at once (503 + Retry-After above)"},
          [](Config& c) -> std::size_t& { return c.drain.maxInFlightBytes; }, 1024, std::int64_t{1} << 32),
      integer<int>(
          {"drain_request_timeout", "DYNOSTATSD_DRAIN_REQUEST_TIMEOUT", "",
           "drain mode: a request must arrive whole within this long of its first byte, seconds"},
          [](Config& c) -> int& { return c.drain.requestTimeoutSeconds; }, 1, 600),
      integer<int>(
          {"drain_idle_timeout", "DYNOSTATSD_DRAIN_IDLE_TIMEOUT", "",
           "drain mode: an idle keep-alive connection is closed after this long, seconds"},
          [](Config& c) -> int& { return c.drain.idleTimeoutSeconds; }, 1, 3600),
      integer<int>(
          {"drain_dedupe_window", "DYNOSTATSD_DRAIN_DEDUPE_WINDOW", "",
           "drain mode: a repeated Logplex-Frame-Id within this long is not counted again, seconds"},
          [](Config& c) -> int& { return c.drain.dedupeWindowSeconds; }, 0, 3600),
      // --- agent
      byteSize(
          {"memory_budget", "DYNOSTATSD_MEMORY_BUDGET", "--memory-budget",
           "bytes for everything the agent holds (64MB); beyond it new data is dropped and counted"},
          [](Config& c) -> std::size_t& { return c.memoryBudgetBytes; }, std::size_t{4} << 20,
          std::size_t{64} << 30),
      boolean({"log_metrics", "DYNOSTATSD_LOG_METRICS", "--log-metrics",
               "print every flush to stdout in l2met form (forced on without an API key)"},
              [](Config& c) -> bool& { return c.logMetrics; }),
      boolean({"self_metrics", "DYNOSTATSD_SELF_METRICS", "--self-metrics",
               "send dynostatsd.* self-metrics every flush"},
              [](Config& c) -> bool& { return c.selfMetrics; }),
      number(
          {"shutdown_grace", "DYNOSTATSD_SHUTDOWN_GRACE", "--shutdown-grace",
           "after SIGTERM keep receiving this long before the final flush, seconds"},
          [](Config& c) -> double& { return c.shutdownGraceSeconds; }, 0, 20),
      checkedText(
          {"log_level", "DD_LOG_LEVEL", "--log-level", "debug, info, warn or error"},
          [](Config& c) -> std::string& { return c.logLevel; },
          [](const std::string& v) {
            log::Level level;
            return log::parseLevel(v, level) ? std::string()
                                             : std::string("must be one of debug, info, warn, error");
          }),
  };
  return kTable;
}

const Setting* findSetting(std::string_view key) {
  for (const auto& setting : settingsTable()) {
    if (setting.info.key == key) return &setting;
  }
  return nullptr;
}

}  // namespace dynostatsd::config
