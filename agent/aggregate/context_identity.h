#pragma once
// ContextIdentity: a context's name, host and sorted tags packed into ONE string (one heap block
// per context instead of one per piece). Layout: for name, host, then each tag, a 4-byte
// native-endian length followed by the bytes. Only ever read back by this process.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace dynostatsd {

class ContextIdentity {
 public:
  // The size encode() reserves for these parts (what a new context's identity costs).
  static std::size_t encodedSize(std::string_view name, std::string_view host,
                                 const std::vector<std::string_view>& sortedTags) {
    std::size_t size = 8 + name.size() + host.size();
    for (const auto tag : sortedTags) size += 4 + tag.size();
    return size;
  }

  static std::string encode(std::string_view name, std::string_view host,
                            const std::vector<std::string_view>& sortedTags) {
    std::string out;
    out.reserve(encodedSize(name, host, sortedTags));
    append(out, name);
    append(out, host);
    for (const auto tag : sortedTags) append(out, tag);
    return out;
  }

  explicit ContextIdentity(std::string_view encoded) : rest_(encoded) {
    name_ = next();
    host_ = next();
  }
  std::string_view name() const { return name_; }
  std::string_view host() const { return host_; }
  // Calls f(tag) for each tag in sorted order.
  template <typename F>
  void forEachTag(F&& f) const {
    ContextIdentity cursor = *this;
    while (!cursor.rest_.empty()) f(cursor.next());
  }

 private:
  static void append(std::string& out, std::string_view piece) {
    const auto length = static_cast<std::uint32_t>(piece.size());
    char bytes[4];
    std::memcpy(bytes, &length, 4);
    out.append(bytes, 4);
    out.append(piece);
  }
  std::string_view next() {
    std::uint32_t length;
    std::memcpy(&length, rest_.data(), 4);
    const std::string_view piece = rest_.substr(4, length);
    rest_.remove_prefix(4 + length);
    return piece;
  }

  std::string_view rest_;
  std::string_view name_;
  std::string_view host_;
};

}  // namespace dynostatsd
