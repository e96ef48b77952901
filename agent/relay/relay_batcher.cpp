#include "relay/relay_batcher.h"

#include <array>

namespace dynostatsd {
namespace {

// CRC-32/IEEE, reflected (polynomial 0xEDB88320), one table lookup per byte: a metric name is a few
// dozen bytes, so zlib's wider kernels would buy nothing, and the agent need not map libz for it.
constexpr std::array<std::uint32_t, 256> kCrc32Table = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}();

}  // namespace

std::uint32_t crc32Of(std::string_view bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const char byte : bytes)
    crc = kCrc32Table[(crc ^ static_cast<unsigned char>(byte)) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
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
