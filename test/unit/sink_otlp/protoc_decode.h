#pragma once
// Decodes OTLP bodies with the official decoder, `protoc --decode` over the official .proto files
// in $DYNOSTATSD_SHARED_DIR/otlp-proto (never an inverse of our encoder), and reads protoc's text
// output into a small tree for assertions: `name { ... }` nodes and `name: value` leaves.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace otlptest {

struct TextNode {
  std::string name;
  std::string value;  // leaves: the text after ": " (strings keep their quotes)
  std::vector<TextNode> children;

  std::vector<const TextNode*> all(const std::string& childName) const {
    std::vector<const TextNode*> out;
    for (const auto& c : children)
      if (c.name == childName) out.push_back(&c);
    return out;
  }
  const TextNode& at(const std::string& childName, std::size_t index = 0) const {
    auto found = all(childName);
    if (index >= found.size()) FAIL("no " << childName << "[" << index << "] under " << name);
    return *found[index];
  }
  bool has(const std::string& childName) const { return !all(childName).empty(); }
  std::string leaf(const std::string& childName) const { return at(childName).value; }
  double number(const std::string& childName) const { return std::stod(leaf(childName)); }
  // `attributes { key: "k" value { string_value: "v" } }` children as k -> v (unquoted).
  std::vector<std::pair<std::string, std::string>> attributes(
      const std::string& childName = "attributes") const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const TextNode* kv : all(childName)) {
      std::string key = kv->leaf("key");
      std::string value = kv->at("value").leaf("string_value");
      out.emplace_back(key.substr(1, key.size() - 2), value.substr(1, value.size() - 2));
    }
    return out;
  }
};

inline std::string sharedDir() {
  const char* env = std::getenv("DYNOSTATSD_SHARED_DIR");
  return env != nullptr && *env != '\0' ? env : DYNOSTATSD_SHARED_DIR;
}

inline std::string runProtoc(const std::string& messageType, const std::string& bytes, int& status) {
  char path[] = "/tmp/otlp-body-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
  const std::string proto = sharedDir() + "/otlp-proto";
  const std::string command = "protoc --decode=" + messageType + " -I " + proto + " " + proto +
                              "/opentelemetry/proto/collector/metrics/v1/metrics_service.proto < " + path +
                              " 2>&1";
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  status = ::pclose(pipe);
  ::unlink(path);
  return out;
}

inline TextNode parseText(const std::string& text) {
  TextNode root;
  std::vector<TextNode*> stack{&root};
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    const std::size_t first = line.find_first_not_of(' ');
    if (first == std::string::npos) continue;
    line = line.substr(first);
    if (line == "}") {
      REQUIRE(stack.size() > 1);
      stack.pop_back();
    } else if (line.size() > 2 && line.compare(line.size() - 2, 2, " {") == 0) {
      stack.back()->children.push_back({line.substr(0, line.size() - 2), "", {}});
      stack.push_back(&stack.back()->children.back());
    } else {
      const std::size_t colon = line.find(": ");
      REQUIRE(colon != std::string::npos);
      stack.back()->children.push_back({line.substr(0, colon), line.substr(colon + 2), {}});
    }
  }
  REQUIRE(stack.size() == 1);
  return root;
}

// The ExportMetricsServiceRequest in `body` (uncompressed), decoded by protoc; fails the test when
// protoc rejects the bytes.
inline TextNode decodeRequest(const std::string& body) {
  int status = 0;
  const std::string text =
      runProtoc("opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest", body, status);
  INFO(text);
  REQUIRE(status == 0);
  return parseText(text);
}

}  // namespace otlptest

namespace otlptest {

// Decompresses with the system's gzip (not our compressor), to check the body is a real gzip stream.
inline std::string systemGunzip(const std::string& bytes) {
  char path[] = "/tmp/otlp-gz-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
  std::string out;
  FILE* pipe = ::popen((std::string("gzip -dc < ") + path).c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  REQUIRE(::pclose(pipe) == 0);
  ::unlink(path);
  return out;
}

}  // namespace otlptest

namespace otlptest {

// Encodes a text-format message with `protoc --encode` (the official encoder, for answers the
// tests feed the sink).
inline std::string encodeText(const std::string& messageType, const std::string& text) {
  char path[] = "/tmp/otlp-text-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
  const std::string proto = sharedDir() + "/otlp-proto";
  const std::string command = "protoc --encode=" + messageType + " -I " + proto + " " + proto +
                              "/opentelemetry/proto/collector/metrics/v1/metrics_service.proto < " + path;
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  REQUIRE(::pclose(pipe) == 0);
  ::unlink(path);
  return out;
}

}  // namespace otlptest
