#include "relay/statsd_relay.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "config/config_values.h"
#include "enrich/enricher.h"

namespace dynostatsd {
namespace {

// A non-blocking UDP socket connect()ed to host:port, or -1 with `error` set. Runs once at start,
// before the loop: a literal resolves at once; a name is looked up (the configuration error the
// user sees when it does not resolve).
int openUpstream(const std::string& entry, std::string& error) {
  std::string host;
  int port = 0;
  if (!config::parseHostPort(entry, 0, host, port, error)) return -1;
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    error = "cannot resolve host \"" + host + "\": " + ::gai_strerror(rc);
    return -1;
  }
  // IPv4 addresses first: a name such as localhost often resolves to ::1 first, while StatsD
  // servers (Etsy's default is udp4) usually listen on IPv4 only.
  std::vector<addrinfo*> candidates;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) candidates.push_back(ai);
  }
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET) candidates.push_back(ai);
  }
  int fd = -1;
  for (addrinfo* ai : candidates) {
    if (fd >= 0) break;
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    // Room for a burst (~700 full datagrams) so a send rarely finds the buffer full; the kernel
    // holds the memory only while datagrams wait.
    const int sndbuf = 1 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      error = "cannot connect a UDP socket to " + entry + ": " + std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0 && error.empty()) error = "no usable address for " + entry;
  return fd;
}

std::uint64_t linesIn(std::string_view datagram) {
  return static_cast<std::uint64_t>(std::count(datagram.begin(), datagram.end(), '\n')) + 1;
}

}  // namespace

std::unique_ptr<StatsdRelay> StatsdRelay::open(uv_loop_t* loop, const RelayConfig& config,
                                               const std::string& dyno, std::string& error) {
  std::vector<int> sockets;
  for (const auto& entry : config.upstreams) {
    int fd = openUpstream(entry, error);
    if (fd < 0) {
      for (int open : sockets) ::close(open);
      return nullptr;
    }
    sockets.push_back(fd);
  }
  std::string dynoTags;
  if (config.dynoTags && !dyno.empty()) dynoTags = "dyno:" + dyno + ",dynotype:" + Enricher::dynoType(dyno);
  return std::unique_ptr<StatsdRelay>(new StatsdRelay(loop, config, std::move(dynoTags), std::move(sockets)));
}

StatsdRelay::StatsdRelay(uv_loop_t* loop, const RelayConfig& config, std::string dynoTags,
                         std::vector<int> sockets)
    : config_(config),
      sockets_(std::move(sockets)),
      batcher_({sockets_.size(), config.maxDatagram, config.prefix, std::move(dynoTags)},
               [this](std::size_t upstream, std::string_view datagram) { send(upstream, datagram); }),
      timer_(std::make_unique<Timer>(loop, [this] { batcher_.flush(); })) {
  for (const auto& entry : config.upstreams) upstreams_.push_back({entry});
}

StatsdRelay::~StatsdRelay() {
  close();
}

void StatsdRelay::onAccepted(std::string_view message, MessageKind kind) {
  if (sockets_.empty()) return;
  if (batcher_.add(message, kind)) timer_->start(kMaxDelayMillis);
}

void StatsdRelay::send(std::size_t upstream, std::string_view datagram) {
  RelayUpstreamStats& stats = upstreams_[upstream];
  const ssize_t sent =
      ::send(sockets_[upstream], datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent == static_cast<ssize_t>(datagram.size())) {
    ++stats.datagrams;
    stats.bytes += datagram.size();
    return;
  }
  const int err = sent < 0 ? errno : EMSGSIZE;
  ++stats.errors;
  stats.linesDropped += linesIn(datagram);
  const auto now = static_cast<std::int64_t>(uv_hrtime() / 1000000);
  if (errorLog_.allow(now)) {
    std::string fields = "reason=send_failed upstream=" + stats.address +
                         " error=" + log::quote(std::strerror(err)) +
                         " lines_dropped=" + std::to_string(stats.linesDropped);
    if (auto n = errorLog_.takeSuppressed(); n > 0) fields += " suppressed=" + std::to_string(n);
    log::write(log::Level::Warn, "relay", fields);
  }
}

void StatsdRelay::flush() {
  if (!sockets_.empty()) batcher_.flush();
}

void StatsdRelay::close() {
  if (sockets_.empty()) return;
  batcher_.flush();
  for (int fd : sockets_) ::close(fd);
  sockets_.clear();
  if (timer_) timer_->close();
}

std::string StatsdRelay::describe() const {
  std::string out;
  for (const auto& entry : config_.upstreams) out += (out.empty() ? "" : ",") + entry;
  return out;
}

void StatsdRelay::collectSelfMetrics(std::vector<SelfMetric>& out) const {
  out.push_back({"relay.lines", {}, static_cast<double>(batcher_.stats().lines), true});
  out.push_back({"relay.oversize_lines", {}, static_cast<double>(batcher_.stats().oversizeLines), true});
  for (const auto& u : upstreams_) {
    std::vector<std::string> tags{"upstream:" + u.address};
    out.push_back({"relay.datagrams_sent", tags, static_cast<double>(u.datagrams), true});
    out.push_back({"relay.bytes_sent", tags, static_cast<double>(u.bytes), true});
    out.push_back({"relay.send_errors", tags, static_cast<double>(u.errors), true});
    out.push_back({"relay.lines_dropped", tags, static_cast<double>(u.linesDropped), true});
  }
}

}  // namespace dynostatsd
