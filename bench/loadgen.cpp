// loadgen: the benchmark's load generator. Sends DogStatsD datagrams to <host>:<port> over UDP
// with sendmmsg(2), paced to a datagram rate or at full speed, and prints what it sent as one JSON
// line on stdout.
// Input: command-line options. Output: datagrams on the wire; a JSON summary; optionally (with
// --expected) the exact per-name counter sums of everything it sent, for a correctness check.
// The lines themselves come from LineFactory (line_factory.h): a pure function of the line index.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "line_factory.h"

namespace {

using dynostatsd::bench::LineFactory;
using dynostatsd::bench::LineSpec;

constexpr std::size_t kBatch = 64;           // datagrams per sendmmsg call
constexpr std::size_t kMaxDatagram = 65507;  // largest UDP/IPv4 payload
constexpr int kMaxSendRetries = 1000;        // per datagram, before giving up (counted)

struct Options {
  std::string host = "127.0.0.1";
  int port = 8125;
  std::uint64_t lines = 10000;
  std::uint64_t perDatagram = 1;  // lines per datagram (upper bound when packBytes is set)
  std::size_t packBytes = 0;      // 0: exactly perDatagram lines; else fill up to this many bytes
  LineSpec spec;
  double rate = 0;       // datagrams per second; 0 = full speed
  double duration = 0;   // seconds; with rate, sets lines = rate * duration * perDatagram
  int tickMicros = 100;  // pacing granularity
  std::string expectedPath;
  bool dryRun = false;
};

std::int64_t nowNanos() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string jsonEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

struct SendStats {
  std::uint64_t lines = 0, datagrams = 0, bytes = 0, retries = 0, failed = 0;
};

// Sender: packs lines into datagrams and sends them in sendmmsg batches on a connected socket.
class Sender {
 public:
  Sender(const Options& options, const LineFactory& factory, std::size_t datagramCapacity)
      : options_(options),
        factory_(factory),
        capacity_(datagramCapacity),
        buffer_(kBatch * datagramCapacity),
        lengths_(kBatch) {}

  bool open(std::string& error) {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd_ < 0) return fail(error, "socket");
    int sndbuf = 4 * 1024 * 1024;
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(options_.port));
    if (inet_pton(AF_INET, options_.host.c_str(), &addr.sin_addr) != 1) {
      error = "bad --host (IPv4 address expected): " + options_.host;
      return false;
    }
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return fail(error, "connect");
    return true;
  }
  ~Sender() {
    if (fd_ >= 0) close(fd_);
  }

  // Builds up to `maxDatagrams` datagrams from the next lines and sends them; returns how many.
  std::size_t sendBatch(std::size_t maxDatagrams, std::vector<std::uint64_t>* sums) {
    std::size_t count = 0;
    while (count < std::min(maxDatagrams, kBatch) && next_ < options_.lines) {
      char* base = &buffer_[count * capacity_];
      std::size_t used = 0;
      std::uint64_t inDatagram = 0;
      while (next_ < options_.lines && inDatagram < options_.perDatagram) {
        // Would this line overflow the packing bound? Then close the datagram (never empty).
        std::size_t length = factory_.write(next_, scratch());
        std::size_t needed = used + (inDatagram ? 1 : 0) + length;
        if (inDatagram && options_.packBytes && needed > options_.packBytes) break;
        if (inDatagram) base[used++] = '\n';
        std::memcpy(base + used, scratch(), length);
        used += length;
        if (sums) factory_.account(next_, *sums);
        ++next_;
        ++inDatagram;
      }
      lengths_[count] = used;
      stats_.lines += inDatagram;
      ++count;
    }
    transmit(count);
    return count;
  }

  bool done() const { return next_ >= options_.lines; }
  const SendStats& stats() const { return stats_; }

 private:
  char* scratch() { return scratch_; }

  void transmit(std::size_t count) {
    if (options_.dryRun) {  // generate exactly as a real run would, but skip the syscall
      for (std::size_t i = 0; i < count; ++i) stats_.bytes += lengths_[i];
      stats_.datagrams += count;
      return;
    }
    iovec iov[kBatch];
    mmsghdr msgs[kBatch];
    std::memset(msgs, 0, sizeof msgs);
    for (std::size_t i = 0; i < count; ++i) {
      iov[i] = {&buffer_[i * capacity_], lengths_[i]};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    std::size_t sent = 0;
    int retries = 0;
    while (sent < count) {
      int n = sendmmsg(fd_, msgs + sent, static_cast<unsigned>(count - sent), 0);
      if (n > 0) {
        for (int i = 0; i < n; ++i) stats_.bytes += lengths_[sent + i];
        sent += static_cast<std::size_t>(n);
        stats_.datagrams += static_cast<std::uint64_t>(n);
        retries = 0;
        continue;
      }
      // ECONNREFUSED reports an earlier datagram nobody received; ENOBUFS/EAGAIN are transient.
      ++stats_.retries;
      if (++retries > kMaxSendRetries) {
        stats_.failed += count - sent;
        return;
      }
    }
  }

  static bool fail(std::string& error, const char* what) {
    error = std::string(what) + ": " + std::strerror(errno);
    return false;
  }

  const Options& options_;
  const LineFactory& factory_;
  std::size_t capacity_;
  std::vector<char> buffer_;
  std::vector<std::size_t> lengths_;
  char scratch_[kMaxDatagram];
  std::uint64_t next_ = 0;
  int fd_ = -1;
  SendStats stats_;
};

void sleepUntil(std::int64_t deadlineNanos) {
  timespec ts{static_cast<time_t>(deadlineNanos / 1000000000), static_cast<long>(deadlineNanos % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

// {"lines":N,"counters":{"<name>":<sum>,...}}: every counter name's exact total.
std::string expectedJson(const LineFactory& factory, const std::vector<std::uint64_t>& sums,
                         const SendStats& stats) {
  std::string out = "{\"lines\":" + std::to_string(stats.lines) + ",\"counters\":{";
  bool first = true;
  for (std::uint64_t n = 0; n < sums.size(); ++n) {
    if (!factory.isCounter(n) || sums[n] == 0) continue;
    out += first ? "\"" : ",\"";
    out += jsonEscape(factory.nameOf(n)) + "\":" + std::to_string(sums[n]);
    first = false;
  }
  return out + "}}\n";
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"loadgen: send DogStatsD datagrams over UDP and report what was sent as JSON"};
  app.add_option("--host", options.host, "IPv4 destination")->capture_default_str();
  app.add_option("--port", options.port, "UDP destination port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--lines", options.lines, "total lines to send")->capture_default_str();
  auto* perDatagram =
      app.add_option("--per-datagram", options.perDatagram, "lines per datagram (max with --pack-bytes)")
          ->check(CLI::Range(1, 100000))
          ->capture_default_str();
  app.add_option("--pack-bytes", options.packBytes, "pack lines up to this many bytes per datagram (0: off)")
      ->check(CLI::Range(0, static_cast<int>(kMaxDatagram)));
  app.add_option("--names", options.spec.names, "distinct metric names")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  app.add_option("--tags", options.spec.tags, "tags per line")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  app.add_option("--tag-values", options.spec.tagValues,
                 "distinct values per tag (contexts = names x tag-values)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app.add_flag("--realistic", options.spec.realistic,
               "realistic mix: per-name tag values, host: tags, many set members, decimal timers");
  app.add_option("--set-members", options.spec.setMembers, "with --realistic: distinct members per set")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  app.add_option("--types", options.spec.types, "comma-separated type mix: c,g,ms,h,s,d")
      ->capture_default_str();
  app.add_option("--rate", options.rate, "datagrams per second; 0 = full speed")->check(CLI::Range(0.0, 1e8));
  app.add_option("--duration", options.duration, "seconds; with --rate, overrides --lines")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--tick-us", options.tickMicros, "pacing granularity in microseconds")
      ->check(CLI::Range(10, 1000000))
      ->capture_default_str();
  app.add_option("--prefix", options.spec.prefix, "metric name prefix")->capture_default_str();
  app.add_option("--expected", options.expectedPath,
                 "write the exact per-name counter sums (JSON) to this file; '-' prints them to stdout "
                 "as a second line after the summary");
  app.add_flag("--dry-run", options.dryRun, "generate (and --expected) without sending");
  CLI11_PARSE(app, argc, argv);

  if (options.packBytes && perDatagram->count() == 0) options.perDatagram = 100000;
  if (options.rate > 0 && options.duration > 0) {
    options.lines = static_cast<std::uint64_t>(options.rate * options.duration) * options.perDatagram;
  }
  LineFactory factory(options.spec);
  std::string error;
  if (!factory.valid(error)) {
    std::fprintf(stderr, "loadgen: %s\n", error.c_str());
    return 2;
  }
  std::size_t lineMax = factory.maxLineLength();
  std::size_t capacity =
      options.packBytes ? std::max(options.packBytes, lineMax) : options.perDatagram * (lineMax + 1);
  if (capacity > kMaxDatagram) {
    std::fprintf(stderr, "loadgen: %llu lines of up to %zu bytes exceed a UDP datagram; use --pack-bytes\n",
                 static_cast<unsigned long long>(options.perDatagram), lineMax);
    return 2;
  }

  Sender sender(options, factory, capacity);
  if (!options.dryRun && !sender.open(error)) {
    std::fprintf(stderr, "loadgen: %s\n", error.c_str());
    return 1;
  }
  prctl(PR_SET_TIMERSLACK, 1UL);  // precise pacing sleeps

  std::vector<std::uint64_t> sums;
  if (!options.expectedPath.empty()) sums.assign(options.spec.names, 0);
  std::vector<std::uint64_t>* sumsOut = options.expectedPath.empty() ? nullptr : &sums;

  std::int64_t start = nowNanos();
  std::uint64_t datagramsQueued = 0;
  std::int64_t tick = static_cast<std::int64_t>(options.tickMicros) * 1000;
  std::int64_t nextTick = start;
  while (!sender.done()) {
    std::size_t allowed = kBatch;
    if (options.rate > 0) {
      double elapsed = static_cast<double>(nowNanos() - start) / 1e9;
      auto due = static_cast<std::uint64_t>(elapsed * options.rate) + 1;
      if (due <= datagramsQueued) {
        nextTick += tick;
        sleepUntil(nextTick);
        continue;
      }
      allowed = static_cast<std::size_t>(std::min<std::uint64_t>(due - datagramsQueued, kBatch));
    }
    datagramsQueued += sender.sendBatch(allowed, sumsOut);
  }
  double seconds = static_cast<double>(nowNanos() - start) / 1e9;

  const SendStats& stats = sender.stats();
  std::string expected = sumsOut ? expectedJson(factory, sums, stats) : std::string();
  if (sumsOut && options.expectedPath != "-") {
    std::ofstream file(options.expectedPath);
    file << expected;
    if (!file) {
      std::fprintf(stderr, "loadgen: cannot write %s\n", options.expectedPath.c_str());
      return 1;
    }
  }
  std::printf(
      "{\"lines\":%llu,\"datagrams\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"datagrams_per_second\":%.1f,"
      "\"lines_per_second\":%.1f,\"rate_target\":%.1f,\"send_retries\":%llu,\"send_failed\":%llu,"
      "\"names\":%llu,\"contexts\":%llu,\"types\":\"%s\",\"tags\":%d}\n",
      static_cast<unsigned long long>(stats.lines), static_cast<unsigned long long>(stats.datagrams),
      static_cast<unsigned long long>(stats.bytes), seconds, seconds > 0 ? stats.datagrams / seconds : 0.0,
      seconds > 0 ? stats.lines / seconds : 0.0, options.rate, static_cast<unsigned long long>(stats.retries),
      static_cast<unsigned long long>(stats.failed), static_cast<unsigned long long>(options.spec.names),
      static_cast<unsigned long long>(
          std::min<std::uint64_t>(options.lines, options.spec.names * options.spec.tagValues)),
      jsonEscape(options.spec.types).c_str(), options.spec.tags);
  if (sumsOut && options.expectedPath == "-") std::fputs(expected.c_str(), stdout);
  return stats.failed ? 1 : 0;
}
