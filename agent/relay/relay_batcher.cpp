#include "relay/relay_batcher.h"

#include <zlib.h>

namespace dynostatsd {

std::uint32_t crc32Of(std::string_view bytes) {
  // zlib's length is a uInt; a line is at most 64 KiB, but loop anyway for the contract.
  uLong crc = ::crc32(0L, Z_NULL, 0);
  while (!bytes.empty()) {
    const auto chunk = static_cast<uInt>(std::min<std::size_t>(bytes.size(), 1u << 30));
    crc = ::crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), chunk);
    bytes.remove_prefix(chunk);
  }
  return static_cast<std::uint32_t>(crc);
}

std::size_t shardOf(std::string_view line, std::size_t upstreams) {
  if (upstreams <= 1) return 0;
  return crc32Of(line.substr(0, line.find(':'))) % upstreams;
}

RelayBatcher::RelayBatcher(RelayBatcherOptions options, Send send)
    : options_(std::move(options)),
      send_(std::move(send)),
      buffers_(std::max<std::size_t>(options_.upstreams, 1)) {
  for (auto& buffer : buffers_) buffer.reserve(options_.maxDatagram);
}

std::string_view RelayBatcher::rewrite(std::string_view message) {
  if (options_.prefix.empty() && options_.dynoTags.empty()) return message;
  line_.clear();
  if (!options_.prefix.empty()) {
    line_ += options_.prefix;
    line_ += '.';
  }
  if (options_.dynoTags.empty()) {
    line_ += message;
    return line_;
  }
  //   page.views:1|c|#env:prod|T1700000000
  //                  ^^^^^^^^^ the tag section ends at the next `|` (or the end of the line)
  const std::size_t tags = message.find("|#");
  if (tags == std::string_view::npos) {
    line_ += message;
    line_ += "|#";
    line_ += options_.dynoTags;
    return line_;
  }
  std::size_t end = message.find('|', tags + 2);
  if (end == std::string_view::npos) end = message.size();
  line_ += message.substr(0, end);
  if (end > tags + 2) line_ += ',';
  line_ += options_.dynoTags;
  line_ += message.substr(end);
  return line_;
}

bool RelayBatcher::add(std::string_view message, MessageKind kind) {
  const bool wasEmpty = empty();
  ++stats_.lines;
  if (kind != MessageKind::Metric) {
    append(0, message);
  } else {
    const std::size_t upstream = shardOf(message, buffers_.size());
    append(upstream, rewrite(message));
  }
  return wasEmpty && !empty();
}

void RelayBatcher::append(std::size_t upstream, std::string_view line) {
  std::string& buffer = buffers_[upstream];
  if (buffer.size() + line.size() + (buffer.empty() ? 0 : 1) > options_.maxDatagram) sendBuffer(upstream);
  if (line.size() > options_.maxDatagram) {
    ++stats_.oversizeLines;
    send_(upstream, line);
    return;
  }
  const std::size_t needed = line.size() + (buffer.empty() ? 0 : 1);
  if (!buffer.empty()) buffer.push_back('\n');
  buffer += line;
  queuedBytes_ += needed;
}

void RelayBatcher::sendBuffer(std::size_t upstream) {
  std::string& buffer = buffers_[upstream];
  if (buffer.empty()) return;
  send_(upstream, buffer);
  queuedBytes_ -= buffer.size();
  buffer.clear();
}

void RelayBatcher::flush() {
  for (std::size_t i = 0; i < buffers_.size(); ++i) sendBuffer(i);
}

}  // namespace dynostatsd
