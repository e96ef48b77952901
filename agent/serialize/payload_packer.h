#pragma once
// PayloadPacker: cuts a run of serialized items into compressed payloads that respect an intake
// path's compressed, uncompressed and item-count limits, and cuts a payload in two again when the
// intake answers 413. Vendor-neutral: the sink gives the framing, limits and compression.
// Input: an ItemBuffer (items serialized back to back). Output: Payloads the caller owns.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "serialize/payload.h"

namespace dynostatsd::serialize {

// Items serialized back to back: item i is text[ends[i-1], ends[i]) (ends[-1] = 0).
struct ItemBuffer {
  std::string text;
  std::vector<std::size_t> ends;

  void endItem() { ends.push_back(text.size()); }
  // Forgets the first `count` items (already packed), keeping the rest.
  void dropFront(std::size_t count) {
    if (count == 0) return;
    std::size_t offset = ends[count - 1];
    text.erase(0, offset);
    ends.erase(ends.begin(), ends.begin() + static_cast<std::ptrdiff_t>(count));
    for (std::size_t& end : ends) end -= offset;
  }
  void dropOpenItem() { text.resize(ends.empty() ? 0 : ends.back()); }
  std::size_t count() const { return ends.size(); }
  std::string_view item(std::size_t i) const {
    std::size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(text).substr(begin, ends[i] - begin);
  }
  void clear() {
    text.clear();
    ends.clear();
  }
};

// How items are framed into one body: header, item, separator, item, ..., footer.
// (PayloadLimits::maxItems = 1 makes every item its own request, as Datadog events are.)
struct Framing {
  std::string_view header, separator, footer;
};

// A memory bound of ours: no payload is assembled from more than this many uncompressed bytes,
// even where the intake would take more (v1 series: 62 MB).
inline constexpr std::size_t kMaxRawPayloadBytes = 8 * 1024 * 1024;

class PayloadPacker {
 public:
  // `route`: stamped on every payload. `method`: the compression already chosen for the route.
  PayloadPacker(std::uint8_t route, Framing framing, PayloadLimits limits, Compression method);

  // Appends the payloads for every item to `out`; returns how many items were dropped because a
  // payload holding only that item would still exceed a limit.
  std::size_t pack(const ItemBuffer& items, std::vector<Payload>& out);

  // Like pack(), but only emits payloads that are full (the next item would not fit), so a
  // serializer can pack while it writes and keep its buffer near one payload. Returns how many
  // leading items were consumed (packed or dropped); `dropped` is increased as in pack().
  std::size_t packClosed(const ItemBuffer& items, std::vector<Payload>& out, std::size_t& dropped);

  // The uncompressed size a payload is filled up to: the route's limit, at most
  // kMaxRawPayloadBytes, lowered to what the last compression ratio suggests will fit compressed.
  std::size_t targetBytes() const;

  // Splits `payload` into two payloads holding the first and second half of its items; nullopt
  // when it holds a single item or its body cannot be decoded.
  std::optional<std::pair<Payload, Payload>> split(const Payload& payload);

  // Items dropped because their payload could not be compressed (also counted as dropped by
  // pack()); never sent as an empty body.
  std::size_t compressFailures() const { return compressFailures_; }

  // Smaller limits so tests can reach them with a few items.
  void setLimitsForTest(std::size_t maxCompressedBytes, std::size_t maxUncompressedBytes);

 private:
  std::size_t packFrom(const ItemBuffer& items, std::vector<Payload>& out, bool final, std::size_t& dropped);
  std::size_t emit(const ItemBuffer& items, std::size_t first, std::size_t last, std::vector<Payload>& out);
  // nullopt when compression failed (the items are counted in compressFailures_).
  std::optional<Payload> build(const ItemBuffer& items, std::size_t first, std::size_t last);

  std::uint8_t route_;
  Compression method_;
  Framing framing_;
  std::size_t maxCompressed_;
  std::size_t maxUncompressed_;
  std::size_t maxItems_;
  std::size_t compressFailures_ = 0;
  double ratio_ = 0;  // uncompressed / compressed bytes of the last payload; 0 until known
};

}  // namespace dynostatsd::serialize
