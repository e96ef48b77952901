#pragma once
// Serializer: turns one flush into HTTP payloads for the Datadog intake. Pure: no I/O, no clock.
// Input: a FlushBatch (read only). Output: Payloads appended to the caller's vector, each already
// compressed and within its endpoint's limits:
//   series      -> /api/v2/series JSON (default) or /api/v1/series JSON (SeriesApi::V1)
//   sketches    -> /api/beta/sketches, agent-payload SketchPayload protobuf
//   checks      -> /api/v1/check_run JSON array
//   events      -> /api/v1/events, one JSON object per request
// What cannot be sent (non-finite points, an item too big for an empty payload) is counted.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "config/config.h"
#include "model/series.h"
#include "serialize/payload.h"
#include "serialize/payload_packer.h"

namespace dynostatsd::serialize {

struct SerializeStats {
  std::uint64_t nonFinitePoints = 0;  // NaN/Inf points (or sketch summaries) skipped
  std::uint64_t emptySeries = 0;      // series/sketches left without any point, not sent
  std::uint64_t oversizedItems = 0;   // an item larger than an empty payload may be, dropped
  std::uint64_t truncatedFields = 0;  // event text > 4000 or aggregation key > 100 characters, cut
};

// API limits on event fields, in characters (code points).
inline constexpr std::size_t kEventTextMaxChars = 4000;
inline constexpr std::size_t kEventAggregationKeyMaxChars = 100;

// Scratch memory kept between flushes; above this it is released after the flush.
inline constexpr std::size_t kKeepScratchBytes = 1024 * 1024;

class Serializer {
 public:
  Serializer(SeriesApi seriesApi, Compression compression);

  void serialize(const FlushBatch& batch, std::vector<Payload>& out);
  void serializeSeries(const std::vector<Series>& series, std::vector<Payload>& out);
  void serializeSketches(const std::vector<SketchSeries>& sketches, std::vector<Payload>& out);
  void serializeChecks(const std::vector<ServiceCheck>& checks, std::vector<Payload>& out);
  void serializeEvents(const std::vector<Event>& events, std::vector<Payload>& out);

  // Cuts a payload the intake answered 413 into two halves; nullopt for a single-item payload.
  std::optional<std::pair<Payload, Payload>> split(const Payload& payload);

  const SerializeStats& stats() const { return stats_; }
  Endpoint seriesEndpoint() const {
    return seriesApi_ == SeriesApi::V2 ? Endpoint::SeriesV2 : Endpoint::SeriesV1;
  }
  PayloadPacker& packerForTest(Endpoint endpoint) { return packers_[static_cast<std::size_t>(endpoint)]; }

 private:
  // Each write* appends one whole item to items_ (or, for a sketch without a finite point, none).
  void writeSeriesV2(const Series& series);
  void writeSeriesV1(const Series& series);
  void writeSketch(const SketchSeries& sketch);
  void writeCheck(const ServiceCheck& check);
  void writeEvent(const Event& event);
  // Writes each item with `write` (which ends the item, or leaves nothing for one it skips), packing
  // full payloads as it goes, then packs the rest.
  template <class Item, class Write>
  void serializeAll(const std::vector<Item>& items, Endpoint endpoint, std::vector<Payload>& out,
                    Write write);
  void pack(Endpoint endpoint, std::vector<Payload>& out);
  // Packs the full payloads already buffered, so the buffer stays near one payload's size.
  void packFull(Endpoint endpoint, std::vector<Payload>& out);

  SeriesApi seriesApi_;
  std::vector<PayloadPacker> packers_;  // indexed by Endpoint
  ItemBuffer items_;                    // scratch, reused across flushes
  std::string scratch_;                 // protobuf sub-messages
  std::string packed_;
  SerializeStats stats_;
};

}  // namespace dynostatsd::serialize
