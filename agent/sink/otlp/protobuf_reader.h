#pragma once
// ProtobufReader: walks the fields of one protobuf message, for the two places the OTLP sink reads
// protobuf: its own requests (cut in two on a 413) and the server's answers (partial_success,
// google.rpc.Status), which arrive cut at forward::kMaxResponseBody. Never reads past `data`.
#include <cstdint>
#include <string_view>

namespace dynostatsd::otlp {

class ProtobufReader {
 public:
  struct Field {
    std::uint32_t number = 0;
    int wire = 0;             // 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32
    std::uint64_t value = 0;  // varints
    std::string_view bytes;   // length-delimited fields
  };
  // Cut: a length-delimited field that runs past the end yields the bytes that arrived (for
  // answers cut at the response bound) instead of failing.
  enum class Truncated : std::uint8_t { Fail, Cut };

  explicit ProtobufReader(std::string_view data, Truncated truncated = Truncated::Fail)
      : data_(data), truncated_(truncated) {}

  // The next field; false at the end or on malformed input (ok() tells them apart).
  bool next(Field& field) {
    if (pos_ >= data_.size()) return false;
    std::uint64_t key = 0;
    if (!varint(key)) return fail();
    field.number = static_cast<std::uint32_t>(key >> 3);
    field.wire = static_cast<int>(key & 7);
    switch (field.wire) {
      case 0: return varint(field.value) || fail();
      case 1: return skip(8) || fail();
      case 5: return skip(4) || fail();
      case 2: {
        std::uint64_t length = 0;
        if (!varint(length)) return fail();
        const std::size_t left = data_.size() - pos_;
        if (length > left && truncated_ == Truncated::Fail) return fail();
        field.bytes = data_.substr(pos_, length > left ? left : static_cast<std::size_t>(length));
        pos_ += field.bytes.size();
        return true;
      }
      default: return fail();
    }
  }
  bool ok() const { return ok_; }

 private:
  bool varint(std::uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      out |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool skip(std::size_t n) {
    if (data_.size() - pos_ < n) return false;
    pos_ += n;
    return true;
  }
  bool fail() {
    ok_ = false;
    pos_ = data_.size();
    return false;
  }

  std::string_view data_;
  Truncated truncated_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace dynostatsd::otlp
