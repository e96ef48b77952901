#include "sink/datadog/endpoints.h"

namespace dynostatsd::datadog {
namespace {

// Limits: v1/v2 from the OpenAPI descriptions, and the Agent's 10 000 points per series payload
// (`serializer_max_series_points_per_payload`; our series carry one point per bucket, so items
// bound points except around a late flush); sketches and check_run from the Agent's serializer
// (2.5 MB compressed / 4 MB uncompressed). Events are one object each; 1 MB is far above a
// 4000-character text.
constexpr EndpointInfo kEndpoints[kEndpointCount] = {
    {"series_v2", "/api/v2/series", "application/json", {512000, 5242880, 10000}, true, true, true, "zstd1"},
    {"series_v1", "/api/v1/series", "application/json", {3200000, 62914560, 10000}, false, true, true, ""},
    {"sketches",
     "/api/beta/sketches",
     "application/x-protobuf",
     {2500000, 4000000, 0},
     false,
     false,
     true,
     ""},
    {"check_run", "/api/v1/check_run", "application/json", {2500000, 4000000, 0}, false, false, true, ""},
    {"events", "/api/v1/events", "application/json", {1000000, 1000000, 1}, false, false, false, ""},
};

}  // namespace

const EndpointInfo& endpointInfo(Endpoint endpoint) {
  return kEndpoints[static_cast<std::size_t>(endpoint)];
}

serialize::Framing framingFor(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::SeriesV2:
    case Endpoint::SeriesV1: return {R"({"series":[)", ",", "]}"};
    case Endpoint::CheckRun: return {"[", ",", "]"};
    case Endpoint::Events: return {"", "", ""};    // one object per request (maxItems 1)
    case Endpoint::Sketches: return {"", "", ""};  // repeated field 1 records concatenate
  }
  return {"", "", ""};
}

Compression compressionFor(Endpoint endpoint, Compression wanted) {
  const EndpointInfo& info = endpointInfo(endpoint);
  switch (wanted) {
    case Compression::None: return Compression::None;
    case Compression::Zstd:
      if (info.acceptsZstd) return Compression::Zstd;
      break;
    case Compression::Gzip:
      if (info.acceptsGzip) return Compression::Gzip;
      break;
    case Compression::Deflate: break;
  }
  return info.acceptsDeflate ? Compression::Deflate : Compression::None;
}

std::string_view contentEncoding(Endpoint endpoint, Compression method) {
  switch (method) {
    case Compression::None: return "";
    case Compression::Deflate: return "deflate";
    case Compression::Gzip: return "gzip";
    case Compression::Zstd: return endpointInfo(endpoint).zstdToken;
  }
  return "";
}

}  // namespace dynostatsd::datadog
