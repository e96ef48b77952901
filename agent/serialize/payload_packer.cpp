#include "serialize/payload_packer.h"

#include <algorithm>
#include <cstdint>

#include "serialize/compressor.h"

namespace dynostatsd::serialize {
namespace {

// Aim below the compressed limit when guessing from the last ratio, so a re-split is rare.
constexpr double kCompressedHeadroom = 0.9;

}  // namespace

PayloadPacker::PayloadPacker(std::uint8_t route, Framing framing, PayloadLimits limits, Compression method)
    : route_(route),
      method_(method),
      framing_(framing),
      maxCompressed_(limits.maxCompressedBytes),
      maxUncompressed_(limits.maxUncompressedBytes),
      maxItems_(limits.maxItems) {}

void PayloadPacker::setLimitsForTest(std::size_t maxCompressedBytes, std::size_t maxUncompressedBytes) {
  maxCompressed_ = maxCompressedBytes;
  maxUncompressed_ = maxUncompressedBytes;
}

std::size_t PayloadPacker::pack(const ItemBuffer& items, std::vector<Payload>& out) {
  std::size_t dropped = 0;
  packFrom(items, out, true, dropped);
  return dropped;
}

std::size_t PayloadPacker::packClosed(const ItemBuffer& items, std::vector<Payload>& out,
                                      std::size_t& dropped) {
  return packFrom(items, out, false, dropped);
}

std::size_t PayloadPacker::targetBytes() const {
  std::size_t target = std::min(maxUncompressed_, kMaxRawPayloadBytes);
  if (ratio_ > 0) {
    double guess = static_cast<double>(maxCompressed_) * ratio_ * kCompressedHeadroom;
    if (guess < static_cast<double>(target)) target = static_cast<std::size_t>(guess);
  }
  return target;
}

std::size_t PayloadPacker::packFrom(const ItemBuffer& items, std::vector<Payload>& out, bool final,
                                    std::size_t& dropped) {
  const std::size_t frame = framing_.header.size() + framing_.footer.size();
  const std::size_t separator = framing_.separator.size();
  const std::size_t maxItems = maxItems_ == 0 ? SIZE_MAX : maxItems_;
  std::size_t first = 0;
  while (first < items.count()) {
    if (frame + items.item(first).size() >= maxUncompressed_) {
      ++dropped;  // too big even alone
      ++first;
      continue;
    }
    std::size_t target = targetBytes();
    std::size_t size = frame + items.item(first).size();
    std::size_t last = first + 1;
    bool closed = false;
    while (!closed && last < items.count()) {
      if (last - first >= maxItems) {
        closed = true;
        break;
      }
      std::size_t next = size + separator + items.item(last).size();
      if (next >= target) {
        closed = true;
        break;
      }
      size = next;
      ++last;
    }
    if (!final && !closed) break;  // the next items may still fill this payload
    dropped += emit(items, first, last, out);
    first = last;
  }
  return first;
}

std::size_t PayloadPacker::emit(const ItemBuffer& items, std::size_t first, std::size_t last,
                                std::vector<Payload>& out) {
  std::optional<Payload> built = build(items, first, last);
  if (!built) return last - first;  // counted in compressFailures()
  Payload& payload = *built;
  if (payload.body.size() <= maxCompressed_ && payload.uncompressedBytes < maxUncompressed_) {
    out.push_back(std::move(payload));
    return 0;
  }
  if (last - first == 1) return 1;
  // Re-split in proportion to the overflow, so one more pass almost always fits.
  double share =
      static_cast<double>(maxCompressed_) / static_cast<double>(payload.body.size()) * kCompressedHeadroom;
  auto count = static_cast<std::size_t>(static_cast<double>(last - first) * std::min(share, 0.5));
  std::size_t middle = first + std::clamp<std::size_t>(count, 1, last - first - 1);
  return emit(items, first, middle, out) + emit(items, middle, last, out);
}

std::optional<Payload> PayloadPacker::build(const ItemBuffer& items, std::size_t first, std::size_t last) {
  Payload payload;
  payload.route = route_;
  payload.compression = method_;
  payload.items = last - first;
  payload.itemEnds.reserve(last - first);
  std::string raw;
  std::size_t begin = first == 0 ? 0 : items.ends[first - 1];
  raw.reserve(framing_.header.size() + (items.ends[last - 1] - begin) +
              (last - first) * framing_.separator.size() + framing_.footer.size());
  raw.append(framing_.header);
  for (std::size_t i = first; i < last; ++i) {
    if (i != first) raw.append(framing_.separator);
    raw.append(items.item(i));
    payload.itemEnds.push_back(static_cast<std::uint32_t>(raw.size()));
  }
  raw.append(framing_.footer);
  payload.uncompressedBytes = raw.size();
  if (method_ == Compression::None) {
    payload.body = std::move(raw);
  } else {
    std::optional<std::string> body = compress(method_, raw);
    if (!body) {
      compressFailures_ += last - first;  // never send an empty body in place of the data
      return std::nullopt;
    }
    payload.body = std::move(*body);
  }
  return payload;
}

std::optional<std::pair<Payload, Payload>> PayloadPacker::split(const Payload& payload) {
  if (payload.items < 2 || payload.itemEnds.size() != payload.items) return std::nullopt;
  auto raw = decompress(payload.compression, payload.body, maxUncompressed_ + framing_.footer.size() + 1);
  if (!raw) return std::nullopt;
  ItemBuffer items;
  items.text.reserve(raw->size());
  std::size_t begin = framing_.header.size();
  for (std::uint32_t end : payload.itemEnds) {
    if (end < begin || end > raw->size()) return std::nullopt;
    items.text.append(*raw, begin, end - begin);
    items.endItem();
    begin = end + framing_.separator.size();
  }
  std::size_t middle = payload.items / 2;
  std::optional<Payload> first = build(items, 0, middle);
  std::optional<Payload> second = build(items, middle, payload.items);
  if (!first || !second) return std::nullopt;
  return std::make_pair(std::move(*first), std::move(*second));
}

}  // namespace dynostatsd::serialize
