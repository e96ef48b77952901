#pragma once
// Serializer: turns one flush into HTTP payloads for the Datadog intake. Pure: no I/O, no clock.
// Input: FlushBatch slices (read only). Output: Payloads appended to the caller's vector, each
// already compressed and within its endpoint's limits. append() keeps the items of a flush
// buffered per endpoint across slices and emits only full payloads; finish() packs the rest, so a
// flush cut into 1,000-series slices still fills payloads up to the intake's limits:
//   series      -> /api/v2/series JSON (default) or /api/v1/series JSON (SeriesApi::V1)
//   sketches    -> /api/beta/sketches, agent-payload SketchPayload protobuf
//   checks      -> /api/v1/check_run JSON array
//   events      -> /api/v1/events, one JSON object per request
// What cannot be sent (non-finite points, an item too big for an empty payload) is counted.
// Counters: a Rate series' points carry the interval's count (model/series.h); the value sent is
// count / interval, as the Agent sends it.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "config/config.h"
#include "model/series.h"
#include "serialize/payload.h"
#include "serialize/payload_packer.h"
#include "sink/datadog/endpoints.h"

namespace dynostatsd::datadog {

using serialize::ItemBuffer;
using serialize::Payload;
using serialize::PayloadPacker;

struct SerializeStats {
  std::uint64_t nonFinitePoints = 0;   // NaN/Inf points (or sketch summaries) skipped
  std::uint64_t emptySeries = 0;       // series/sketches left without any point, not sent
  std::uint64_t oversizedItems = 0;    // an item larger than an empty payload may be, dropped
  std::uint64_t compressFailures = 0;  // items dropped because their payload failed to compress
  std::uint64_t truncatedFields = 0;   // event text > 4000 or aggregation key > 100 characters, cut
};

// API limits on event fields, in characters (code points).
inline constexpr std::size_t kEventTextMaxChars = 4000;
inline constexpr std::size_t kEventAggregationKeyMaxChars = 100;

// Scratch memory kept between flushes; above this it is released after the flush.
inline constexpr std::size_t kKeepScratchBytes = 1024 * 1024;

class Serializer {
 public:
  Serializer(SeriesApi seriesApi, Compression compression);

  // One slice of a flush: its items are buffered; payloads that are full are appended to `out`.
  void append(const FlushBatch& slice, std::vector<Payload>& out);
  // The end of a flush: packs everything still buffered.
  void finish(std::vector<Payload>& out);
  // A whole flush at once: append() + finish(). serializeX: one kind only, packed at once.
  void serialize(const FlushBatch& batch, std::vector<Payload>& out);
  void serializeSeries(const std::vector<Series>& series, std::vector<Payload>& out);
  void serializeSketches(const std::vector<SketchSeries>& sketches, std::vector<Payload>& out);
  void serializeChecks(const std::vector<ServiceCheck>& checks, std::vector<Payload>& out);
  void serializeEvents(const std::vector<Event>& events, std::vector<Payload>& out);
  // Bytes buffered between append() and finish().
  std::size_t bufferedBytes() const;

  // Cuts a payload the intake answered 413 into two halves; nullopt for a single-item payload.
  std::optional<std::pair<Payload, Payload>> split(const Payload& payload);

  const SerializeStats& stats() const { return stats_; }
  Endpoint seriesEndpoint() const {
    return seriesApi_ == SeriesApi::V2 ? Endpoint::SeriesV2 : Endpoint::SeriesV1;
  }
  PayloadPacker& packerForTest(Endpoint endpoint) { return packers_[static_cast<std::size_t>(endpoint)]; }

 private:
  void appendSeries(const std::vector<Series>& series, std::vector<Payload>& out);
  void appendSketches(const std::vector<SketchSeries>& sketches, std::vector<Payload>& out);
  void appendChecks(const std::vector<ServiceCheck>& checks, std::vector<Payload>& out);
  void appendEvents(const std::vector<Event>& events, std::vector<Payload>& out);
  // Each write* appends one whole item to `items` (or, for a sketch without a finite point, none).
  void writeSeriesV2(const Series& series, ItemBuffer& items);
  void writeSeriesV1(const Series& series, ItemBuffer& items);
  void writeSketch(const SketchSeries& sketch, ItemBuffer& items);
  void writeCheck(const ServiceCheck& check, ItemBuffer& items);
  void writeEvent(const Event& event, ItemBuffer& items);
  // Writes each item with `write` (which ends the item, or leaves nothing for one it skips) into
  // the endpoint's buffer, packing full payloads as it goes.
  template <class Item, class Write>
  void appendAll(const std::vector<Item>& items, Endpoint endpoint, std::vector<Payload>& out, Write write);
  void pack(Endpoint endpoint, std::vector<Payload>& out);
  // Packs the full payloads already buffered, so the buffer stays near one payload's size.
  void packFull(Endpoint endpoint, std::vector<Payload>& out);
  ItemBuffer& items(Endpoint endpoint) { return items_[static_cast<std::size_t>(endpoint)]; }
  PayloadPacker& packer(Endpoint endpoint) { return packers_[static_cast<std::size_t>(endpoint)]; }

  SeriesApi seriesApi_;
  std::vector<PayloadPacker> packers_;  // indexed by Endpoint
  std::vector<ItemBuffer> items_;       // indexed by Endpoint; kept between append() and finish()
  std::string scratch_;                 // protobuf sub-messages
  std::string packed_;
  SerializeStats stats_;
};

}  // namespace dynostatsd::datadog
