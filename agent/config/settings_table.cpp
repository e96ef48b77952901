#include "config/settings_table.h"

#include <cstdio>
#include <sstream>

#include "config/config_values.h"
#include "telemetry/log.h"

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
       [](Config& c, std::string_view v, std::string&, std::vector<std::string>&) {
         c.forward.apiKey = trim(v);
         return true;
       },
       [](const Config& c) {
         return c.forward.apiKey.empty() ? std::string() : log::maskSecret(c.forward.apiKey);
       }},
      checkedText(
          {"site", "DD_SITE", "--site", "Datadog site; the API is https://api.<site>"},
          [](Config& c) -> std::string& { return c.forward.site; },
          [](const std::string& v) {
            return v.empty() || v.find_first_of("/: ") != std::string::npos
                       ? std::string("must be a host name such as datadoghq.eu")
                       : std::string();
          }),
      checkedText(
          {"dd_url", "DD_DD_URL", "--dd-url", "API base URL, overrides site (http:// or https://)"},
          [](Config& c) -> std::string& { return c.forward.ddUrl; },
          [](const std::string& v) {
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
           "retry queue bound in bytes; the oldest payloads are dropped beyond it"},
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
      // --- otlp
      // --- graphite
      // --- statsd relay
      // --- dyno metrics
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
