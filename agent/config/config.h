#pragma once
// Config: every setting of the agent, with its default. Loaded by config/config_loader.* with the
// precedence command line > environment (DD_*, DYNOSTATSD_*) > YAML file > these defaults.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dynostatsd {

struct IngestConfig {
  std::string bindHost = "127.0.0.1";  // DD_BIND_HOST
  int udpPort = 8125;                  // DD_DOGSTATSD_PORT; 0 disables UDP
  bool nonLocalTraffic = false;        // DD_DOGSTATSD_NON_LOCAL_TRAFFIC: bind 0.0.0.0
  std::string socketPath;              // DD_DOGSTATSD_SOCKET: Unix datagram socket; empty = off
  // DD_DOGSTATSD_SO_RCVBUF; 0 = OS default (~208 KiB, which lost 17-21 % of 50k datagrams/s on a busy
  // host). The kernel caps a request at net.core.rmem_max; the memory is used only while datagrams queue.
  int soRcvbuf = 4 << 20;
  std::size_t bufferSize = 8192;  // DD_DOGSTATSD_BUFFER_SIZE; 1..65535
  int socketMode = 0660;          // DYNOSTATSD_SOCKET_MODE: the Unix socket's permissions (umask ignored)
};

struct EnrichConfig {
  std::string dyno;               // DYNO, e.g. web.1
  std::string appName;            // HEROKU_APP_NAME
  std::string releaseVersion;     // HEROKU_RELEASE_VERSION (dyno metadata), e.g. v42
  std::vector<std::string> tags;  // DD_TAGS (comma or space separated) + DD_DOGSTATSD_TAGS
  std::string env;                // DD_ENV -> env:
  std::string service;            // DD_SERVICE -> service:
  std::string version;            // DD_VERSION -> version:
  std::string hostname;           // DD_HOSTNAME
  bool dynoHost = false;          // DD_DYNO_HOST: host = <appname>.<dyno>
};

struct AggregateConfig {
  int flushIntervalSeconds = 10;  // DYNOSTATSD_FLUSH_INTERVAL: bucket width
  std::vector<std::string> histogramAggregates{"max", "median", "avg", "count"};  // DD_HISTOGRAM_AGGREGATES
  std::vector<int> histogramPercentiles{95};  // DD_HISTOGRAM_PERCENTILES ("0.95" -> 95)
  int counterExpirySeconds = 300;             // DD_DOGSTATSD_EXPIRY_SECONDS: counter zero-fill window
  int contextExpirySeconds = 20;              // DD_DOGSTATSD_CONTEXT_EXPIRY_SECONDS
  std::size_t maxContexts = 200000;           // DYNOSTATSD_MAX_CONTEXTS: live contexts bound
};

enum class SeriesApi : std::uint8_t { V2, V1 };
// DYNOSTATSD_HTTP_CLIENT: which HTTP client the HTTP sinks prefer (forward/http_client_factory.h
// has the rule that may still pick libcurl).
enum class HttpClientSetting : std::uint8_t { Native, Curl };
enum class Compression : std::uint8_t { Zstd, Deflate, Gzip, None };

struct ForwardConfig {
  std::string apiKey;                              // DD_API_KEY (secret: never logged)
  std::string site = "datadoghq.com";              // DD_SITE
  std::string ddUrl;                               // DD_DD_URL: overrides https://api.<site>
  SeriesApi seriesApi = SeriesApi::V2;             // DYNOSTATSD_SERIES_API=v1|v2
  Compression compression = Compression::Zstd;     // DYNOSTATSD_COMPRESSION=zstd|deflate|gzip|none
  std::size_t retryQueueBytes = 15 * 1024 * 1024;  // DD_FORWARDER_RETRY_QUEUE_PAYLOADS_MAX_SIZE
  int requestTimeoutSeconds = 20;                  // DD_FORWARDER_TIMEOUT
  double backoffBaseSeconds = 2;                   // DD_FORWARDER_BACKOFF_BASE
  double backoffMaxSeconds = 64;                   // DD_FORWARDER_BACKOFF_MAX
  int shutdownDeadlineSeconds = 20;                // DYNOSTATSD_SHUTDOWN_DEADLINE: drain the queue at exit
  bool validateApiKey = true;                      // DYNOSTATSD_VALIDATE_API_KEY
  HttpClientSetting httpClient = HttpClientSetting::Native;  // DYNOSTATSD_HTTP_CLIENT=native|curl
};

// One struct per output and source beyond Datadog, each filled by its own block of the settings
// table (config/settings_table.cpp) and read by its own folder under agent/sink/ or agent/.
enum class OtlpProtocol : std::uint8_t { HttpProtobuf };
enum class OtlpTemporality : std::uint8_t { Auto, Delta, Cumulative };  // Auto: see otel_values.h
struct OtlpHeader {
  std::string name;
  std::string value;  // secret: never logged, masked in check-config
};
struct OtlpConfig {  // OTEL_* (agent/sink/otlp/); metrics-specific variables win over generic ones
  // The full metrics URL: OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/metrics", or
  // OTEL_EXPORTER_OTLP_METRICS_ENDPOINT as is. Empty: the sink is off.
  std::string endpoint;
  bool disabled = false;                                // OTEL_METRICS_EXPORTER=none
  std::vector<OtlpHeader> headers;                      // OTEL_EXPORTER_OTLP_[METRICS_]HEADERS
  bool gzip = true;                                     // OTEL_EXPORTER_OTLP_[METRICS_]COMPRESSION=gzip|none
  int timeoutMillis = 10000;                            // OTEL_EXPORTER_OTLP_[METRICS_]TIMEOUT
  OtlpProtocol protocol = OtlpProtocol::HttpProtobuf;   // OTEL_EXPORTER_OTLP_[METRICS_]PROTOCOL
  OtlpTemporality temporality = OtlpTemporality::Auto;  // ..._METRICS_TEMPORALITY_PREFERENCE
  std::string serviceName;                              // OTEL_SERVICE_NAME
  std::vector<std::pair<std::string, std::string>> resourceAttributes;  // OTEL_RESOURCE_ATTRIBUTES
  std::string dynoId;            // HEROKU_DYNO_ID -> service.instance.id
  std::string appId;             // HEROKU_APP_ID -> heroku.app.id
  std::string slugCommit;        // HEROKU_SLUG_COMMIT -> heroku.release.commit
  std::string releaseCreatedAt;  // HEROKU_RELEASE_CREATED_AT -> heroku.release.creation_timestamp
  std::size_t cumulativeStateBytes = 16 * 1024 * 1024;  // DYNOSTATSD_OTLP_CUMULATIVE_STATE_BYTES
};
enum class GraphiteTags : std::uint8_t { Tagged, Path };

struct GraphiteConfig {          // DYNOSTATSD_GRAPHITE_* (agent/sink/graphite/)
  std::string url;               // DYNOSTATSD_GRAPHITE_URL: tcp://host:port or tls://host:port; "" = off
  std::string prefix = "stats";  // DYNOSTATSD_GRAPHITE_PREFIX: replaces Etsy's leading `stats`
  std::vector<double> percentiles{90};       // DYNOSTATSD_GRAPHITE_PERCENTILES: Etsy percentThreshold
  GraphiteTags tags = GraphiteTags::Tagged;  // DYNOSTATSD_GRAPHITE_TAGS=tagged|path
  std::string hostedGraphiteApiKey;  // HOSTEDGRAPHITE_APIKEY (secret: never logged); alone turns the sink on
  std::size_t bufferBytes = 8 * 1024 * 1024;  // DYNOSTATSD_GRAPHITE_BUFFER: unsent lines, oldest dropped
};
struct RelayConfig {                   // DYNOSTATSD_STATSD_RELAY* (agent/relay/, the ingest tee)
  std::vector<std::string> upstreams;  // DYNOSTATSD_STATSD_RELAY: host:port[,host:port...] (UDP)
  std::string prefix;                  // DYNOSTATSD_STATSD_RELAY_PREFIX: prepended as `prefix.`
  bool dynoTags = false;               // DYNOSTATSD_STATSD_RELAY_TAGS=dyno
  std::size_t maxDatagram = 1432;      // DYNOSTATSD_STATSD_RELAY_MAX_DATAGRAM, bytes
};
struct DynoMetricsConfig {  // DYNOSTATSD_DYNO_METRICS, DYNOSTATSD_MEMORY_WARN_PCT (agent/dyno/)
  // DYNOSTATSD_DYNO_METRICS: heroku.dyno.* series from the dyno's cgroup every flush.
  bool enabled = true;
  // DYNOSTATSD_MEMORY_WARN_PCT: the R14 early warning at this % of the memory quota (and at 100).
  double memoryWarnPct = 90;
};
struct DrainConfig {                        // DYNOSTATSD_DRAIN_* (agent/drain/)
  std::string credentials;                  // DYNOSTATSD_DRAIN_CREDENTIALS user:pass (secret)
  int port = 5000;                          // PORT (set by Heroku on web dynos)
  std::string bindHost = "0.0.0.0";         // DYNOSTATSD_DRAIN_BIND_HOST
  std::size_t maxBodyBytes = 1024 * 1024;   // DYNOSTATSD_DRAIN_MAX_BODY_BYTES: 413 above
  std::size_t maxConnections = 256;         // DYNOSTATSD_DRAIN_MAX_CONNECTIONS
  std::size_t maxInFlight = 64;             // DYNOSTATSD_DRAIN_MAX_IN_FLIGHT: 503 above
  std::size_t maxInFlightBytes = 16 << 20;  // DYNOSTATSD_DRAIN_MAX_IN_FLIGHT_BYTES: 503 above
  int requestTimeoutSeconds = 30;           // DYNOSTATSD_DRAIN_REQUEST_TIMEOUT
  int idleTimeoutSeconds = 60;              // DYNOSTATSD_DRAIN_IDLE_TIMEOUT (keep-alive)
  int dedupeWindowSeconds = 300;            // DYNOSTATSD_DRAIN_DEDUPE_WINDOW
};

struct Config {
  IngestConfig ingest;
  EnrichConfig enrich;
  AggregateConfig aggregate;
  ForwardConfig forward;
  OtlpConfig otlp;
  GraphiteConfig graphite;
  RelayConfig relay;
  DynoMetricsConfig dynoMetrics;
  DrainConfig drain;
  bool logMetrics = false;          // DYNOSTATSD_LOG_METRICS; forced on when there is no API key
  bool selfMetrics = true;          // DYNOSTATSD_SELF_METRICS: dynostatsd.* series every flush
  double shutdownGraceSeconds = 2;  // DYNOSTATSD_SHUTDOWN_GRACE: keep receiving after SIGTERM
  std::string logLevel = "info";    // DD_LOG_LEVEL: debug|info|warn|error
  std::string configFile;           // DYNOSTATSD_CONFIG or ./dynostatsd.yml
  // DYNOSTATSD_MEMORY_BUDGET: bytes for everything the agent holds (model/memory_budget.h).
  std::size_t memoryBudgetBytes = std::size_t{64} << 20;
};

}  // namespace dynostatsd
