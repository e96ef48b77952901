#pragma once
// ProtobufWriter: the few protobuf encodings the Datadog SketchPayload and the OTLP
// ExportMetricsServiceRequest need (varint, zigzag sint32, fixed64 and double, length-delimited
// strings/messages, packed repeated). Hand-written instead of pulling in libprotobuf. Appends to a
// caller-owned string.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace dynostatsd::serialize {

class ProtobufWriter {
 public:
  explicit ProtobufWriter(std::string& out) : out_(out) {}

  enum WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2 };

  void varint(std::uint64_t value) {
    if (value < 0x80) {
      out_.push_back(static_cast<char>(value));
      return;
    }
    char bytes[10];
    std::size_t n = 0;
    while (value >= 0x80) {
      bytes[n++] = static_cast<char>((value & 0x7F) | 0x80);
      value >>= 7;
    }
    bytes[n++] = static_cast<char>(value);
    out_.append(bytes, n);
  }
  void key(std::uint32_t field, WireType type) { varint((static_cast<std::uint64_t>(field) << 3) | type); }

  // int64 fields are varints of the two's complement value (negative numbers take 10 bytes).
  void int64Field(std::uint32_t field, std::int64_t value) {
    key(field, kVarint);
    varint(static_cast<std::uint64_t>(value));
  }
  void doubleField(std::uint32_t field, double value) {
    key(field, kFixed64);
    std::uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    littleEndian64(bits);
  }
  void fixed64Field(std::uint32_t field, std::uint64_t value) {
    key(field, kFixed64);
    littleEndian64(value);
  }
  void uint64Field(std::uint32_t field, std::uint64_t value) {
    key(field, kVarint);
    varint(value);
  }
  void sint32Field(std::uint32_t field, std::int32_t value) {
    key(field, kVarint);
    varint(zigzag32(value));
  }
  // The bytes a varint of `value` takes, to size an enclosing message before writing it.
  static std::size_t varintSize(std::uint64_t value) {
    std::size_t n = 1;
    while (value >= 0x80) {
      value >>= 7;
      ++n;
    }
    return n;
  }
  void bytesField(std::uint32_t field, std::string_view bytes) {
    key(field, kLengthDelimited);
    varint(bytes.size());
    out_.append(bytes);
  }

  static std::uint32_t zigzag32(std::int32_t value) {
    return (static_cast<std::uint32_t>(value) << 1) ^ static_cast<std::uint32_t>(value >> 31);
  }

 private:
  void littleEndian64(std::uint64_t value) {
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
    out_.append(bytes, 8);
  }

  std::string& out_;
};

}  // namespace dynostatsd::serialize
