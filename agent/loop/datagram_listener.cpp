#include "loop/datagram_listener.h"

#include "loop/uv_check.h"

#include <arpa/inet.h>
#include <linux/sock_diag.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "telemetry/log.h"

namespace dynostatsd {

struct DatagramListener::Block {
  uv_poll_t handle{};
  int fd = -1;
  std::string unlinkPath;  // Unix socket file to remove at close
  DatagramSink* sink = nullptr;
  std::size_t bufferSize = 0;
  // kBatch slots of bufferSize bytes (iovecs[i] points at slot i, see startBlock); left
  // uninitialised so only pages the kernel writes into become resident.
  std::unique_ptr<char[]> buffer;
  mmsghdr messages[kBatch]{};
  iovec iovecs[kBatch]{};
  ListenerStats stats;
  log::Throttle errorThrottle{10000};
  // Wake-up coalescing (see onReadable): the pause timer, and what picks its length.
  uv_timer_t pauseTimer{};
  std::uint64_t lastDrainNanos = 0;  // when the socket was last read empty
  double arrivalsPerMilli = 0;       // smoothed arrival rate
  int rcvbufBytes = 0;
  int pendingCloses = 0;  // close callbacks still to come; the last one frees the block
  bool closing = false;   // close() was called (possibly by the sink, mid-batch)
};

namespace {

// Datagrams read per wake-up before yielding to timers and signals (16 x 32 = 512).
constexpr unsigned kMaxRoundsPerWakeup = 16;
// Wake-up coalescing. One wake-up per datagram costs ~6 us of kernel time (epoll sleep/wake,
// context switch) against ~0.1 us to handle the datagram, so while traffic flows the listener
// reads on a short timer instead of on every readiness event:
//
//   Ready    uv_poll armed. A readable event drains the socket, then, if a pause is safe,
//            stops the poll and arms a one-shot pause timer -> Pausing.
//   Pausing  the timer drains the socket. kBusyDatagrams..kBatch-1 read -> pause again; fewer
//            (traffic stopped) or a full batch or more (fast sender: wake-ups already amortised,
//            keep the socket empty) -> Ready.
//
// A pause must not overflow the socket's receive buffer nor idle a saturated agent: it is
// kPauseMillis (or 1 ms) only while the arrival rate (smoothed over drains) is at most
// kMaxPausedPerMilli and the datagrams expected meanwhile fill at most a quarter of the buffer
// (counting kDatagramTruesize bytes of kernel memory per datagram); else no pause.
constexpr std::uint64_t kPauseMillis = 2;
constexpr std::uint64_t kBusyDatagrams = 2;
constexpr double kMaxPausedPerMilli = 100;  // 100k datagrams/s
constexpr double kDatagramTruesize = 2048;

std::int64_t nowMillis() {
  return static_cast<std::int64_t>(uv_hrtime() / 1000000);
}

struct DrainResult {
  std::uint64_t datagrams = 0;  // read, complete or truncated
  bool budgetSpent = false;     // stopped at maxRounds with the socket possibly not empty
};

// The socket's running count of datagrams the kernel dropped because the receive buffer was full
// (sk_drops, from SO_MEMINFO). Read when the stats are, not per datagram: SO_RXQ_OVFL would have
// the kernel build a control message for every datagram (measured: 2-4 % of the agent's CPU at
// 50k datagrams/s). Left unchanged when the kernel does not answer (before Linux 4.12).
void refreshKernelDrops(DatagramListener::Block* block) {
  std::uint32_t meminfo[SK_MEMINFO_VARS] = {};
  socklen_t length = sizeof meminfo;
  if (::getsockopt(block->fd, SOL_SOCKET, SO_MEMINFO, meminfo, &length) != 0) return;
  if (length < (SK_MEMINFO_DROPS + 1) * sizeof(std::uint32_t)) return;
  block->stats.kernelDrops = std::max<std::uint64_t>(block->stats.kernelDrops, meminfo[SK_MEMINFO_DROPS]);
}

// Reads until the socket is empty or `maxRounds` recvmmsg calls were made.
DrainResult readAvailable(DatagramListener::Block* block, unsigned maxRounds) {
  DrainResult result;
  for (unsigned round = 0; round < maxRounds; ++round) {
    for (unsigned i = 0; i < DatagramListener::kBatch; ++i) block->messages[i].msg_hdr.msg_flags = 0;
    int n = ::recvmmsg(block->fd, block->messages, DatagramListener::kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ++block->stats.errors;
        if (block->errorThrottle.allow(nowMillis())) {
          log::write(log::Level::Warn, "ingest",
                     "msg=\"recvmmsg failed\" error=" + log::quote(std::strerror(errno)) +
                         " suppressed=" + std::to_string(block->errorThrottle.takeSuppressed()));
        }
      }
      return result;
    }
    ++block->stats.syscalls;
    result.datagrams += static_cast<std::uint64_t>(n);
    // Exactly the n datagrams this call returned; the other slots hold stale bytes.
    std::string_view complete[DatagramListener::kBatch];
    std::size_t count = 0;
    for (int i = 0; i < n; ++i) {
      const mmsghdr& message = block->messages[i];
      const char* data = static_cast<const char*>(block->iovecs[i].iov_base);
      if ((message.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        ++block->stats.truncated;
        block->sink->onTruncated(message.msg_len);
        continue;
      }
      ++block->stats.datagrams;
      block->stats.bytes += message.msg_len;
      complete[count++] = std::string_view(data, message.msg_len);
    }
    if (count > 0) block->sink->onDatagrams(complete, count);
    if (block->closing) return result;  // the sink closed the listener: stop here
    if (static_cast<unsigned>(n) < DatagramListener::kBatch) return result;  // socket drained
  }
  result.budgetSpent = true;
  return result;
}

// Drains the socket; returns how long to pause before the next read (0: back to readiness).
std::uint64_t drainAndPlan(DatagramListener::Block* block) {
  ++block->stats.wakeups;
  DrainResult drained = readAvailable(block, kMaxRoundsPerWakeup);
  // Everything read arrived since the previous drain emptied the socket.
  const std::uint64_t now = uv_hrtime();
  const double elapsedMillis = std::max(0.01, static_cast<double>(now - block->lastDrainNanos) / 1e6);
  block->lastDrainNanos = now;
  block->arrivalsPerMilli =
      0.5 * block->arrivalsPerMilli + 0.5 * (static_cast<double>(drained.datagrams) / elapsedMillis);
  // A full recvmmsg batch already spreads the wake-up over kBatch datagrams; pausing then would only
  // let a fast sender fill the socket.
  if (drained.budgetSpent || drained.datagrams >= DatagramListener::kBatch) return 0;
  if (block->arrivalsPerMilli > kMaxPausedPerMilli) return 0;
  const double headroom = static_cast<double>(block->rcvbufBytes) / kDatagramTruesize / 4;
  for (std::uint64_t pause = kPauseMillis; pause > 0; --pause) {
    if (block->arrivalsPerMilli * static_cast<double>(pause) <= headroom) return pause;
  }
  return 0;
}

void onPauseOver(uv_timer_t* timer);

void onReadable(uv_poll_t* handle, int status, int events) {
  auto* block = static_cast<DatagramListener::Block*>(handle->data);
  if (status < 0 || (events & UV_READABLE) == 0) {
    ++block->stats.errors;
    if (block->errorThrottle.allow(nowMillis())) {
      log::write(log::Level::Warn, "ingest",
                 "msg=\"poll failed\" error=" + log::quote(uv_strerror(status)) +
                     " suppressed=" + std::to_string(block->errorThrottle.takeSuppressed()));
    }
    return;
  }
  std::uint64_t pause = drainAndPlan(block);
  if (pause > 0 && !block->closing) {
    uvOk(uv_poll_stop(&block->handle), "uv_poll_stop");
    // If the pause timer cannot start, keep polling instead: never stop reading for good.
    if (!uvOk(uv_timer_start(&block->pauseTimer, &onPauseOver, pause, 0), "uv_timer_start")) {
      ++block->stats.errors;
      uvOk(uv_poll_start(&block->handle, UV_READABLE, &onReadable), "uv_poll_start");
    }
  }
}

void onPauseOver(uv_timer_t* timer) {
  auto* block = static_cast<DatagramListener::Block*>(timer->data);
  const std::uint64_t before = block->stats.datagrams + block->stats.truncated;
  std::uint64_t pause = drainAndPlan(block);
  const std::uint64_t read = block->stats.datagrams + block->stats.truncated - before;
  if (block->closing) return;
  if (pause > 0 && read >= kBusyDatagrams &&
      uvOk(uv_timer_start(&block->pauseTimer, &onPauseOver, pause, 0), "uv_timer_start")) {
    return;
  }
  if (!uvOk(uv_poll_start(&block->handle, UV_READABLE, &onReadable), "uv_poll_start")) ++block->stats.errors;
}

// Closes both handles; the fd is closed only after libuv let go of it, and the block freed after
// both close callbacks ran.
void closeHandles(DatagramListener::Block* block) {
  block->closing = true;
  auto onClosed = [](uv_handle_t* handle) {
    auto* closing = static_cast<DatagramListener::Block*>(handle->data);
    if (--closing->pendingCloses > 0) return;
    ::close(closing->fd);
    delete closing;
  };
  block->pendingCloses = 2;
  uv_close(reinterpret_cast<uv_handle_t*>(&block->handle), onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&block->pauseTimer), onClosed);
}

void setReceiveBuffer(int fd, int requested, int& effective) {
  if (requested > 0) {
    // SO_RCVBUFFORCE ignores rmem_max but needs CAP_NET_ADMIN; fall back to the capped request.
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &requested, sizeof requested) != 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &requested, sizeof requested);
    }
  }
  socklen_t len = sizeof effective;
  ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &effective, &len);
}

std::string errnoText(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

}  // namespace

DatagramListener::DatagramListener(Block* block, std::string address, int localPort, int rcvbuf)
    : block_(block), address_(std::move(address)), localPort_(localPort), effectiveRcvbuf_(rcvbuf) {}

DatagramListener::~DatagramListener() {
  close();
}

const ListenerStats& DatagramListener::stats() const {
  if (block_ == nullptr) return finalStats_;
  refreshKernelDrops(block_);
  return block_->stats;
}

namespace {

// Shared tail of openUdp/openUnix: buffers, uv_poll, start reading.
DatagramListener::Block* startBlock(uv_loop_t* loop, int fd, const ListenerOptions& options,
                                    DatagramSink& sink, std::string& error) {
  auto* block = new DatagramListener::Block;
  block->fd = fd;
  block->sink = &sink;
  block->bufferSize = options.bufferSize == 0 ? 1 : options.bufferSize;
  // Slots one cache line apart modulo 4 KiB: with a power-of-two stride (the default 8 KiB) the
  // start of every slot falls in the same L1 cache sets, and a batch of short datagrams evicts
  // itself before it is parsed.
  std::size_t stride = (block->bufferSize + 63) / 64 * 64;
  if (stride % 4096 == 0) stride += 64;
  block->buffer.reset(new char[stride * DatagramListener::kBatch]);
  for (unsigned i = 0; i < DatagramListener::kBatch; ++i) {
    block->iovecs[i].iov_base = block->buffer.get() + static_cast<std::size_t>(i) * stride;
    block->iovecs[i].iov_len = block->bufferSize;
    block->messages[i].msg_hdr.msg_iov = &block->iovecs[i];
    block->messages[i].msg_hdr.msg_iovlen = 1;
  }
  int rc = uv_poll_init(loop, &block->handle, fd);
  if (rc != 0) {
    error = std::string("uv_poll_init: ") + uv_strerror(rc);
    ::close(fd);
    delete block;
    return nullptr;
  }
  block->handle.data = block;
  rc = uv_timer_init(loop, &block->pauseTimer);
  if (rc != 0) {
    error = std::string("uv_timer_init: ") + uv_strerror(rc);
    // Only the poll handle exists: close it through the loop, then the fd and the block.
    block->closing = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&block->handle), [](uv_handle_t* handle) {
      auto* closing = static_cast<DatagramListener::Block*>(handle->data);
      ::close(closing->fd);
      delete closing;
    });
    return nullptr;
  }
  block->pauseTimer.data = block;
  block->lastDrainNanos = uv_hrtime();
  rc = uv_poll_start(&block->handle, UV_READABLE, &onReadable);
  if (rc != 0) {
    error = std::string("uv_poll_start: ") + uv_strerror(rc);
    closeHandles(block);
    return nullptr;
  }
  return block;
}

}  // namespace

std::unique_ptr<DatagramListener> DatagramListener::openUdp(uv_loop_t* loop, const std::string& host,
                                                            int port, const ListenerOptions& options,
                                                            DatagramSink& sink, std::string& error) {
  // A numeric host (the default 127.0.0.1) is read by libuv, not getaddrinfo(): glibc's resolver
  // code is then never run, nor made resident (64 KiB windows of libc), in an agent that needs no DNS.
  sockaddr_storage numeric{};
  const bool isNumeric = uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&numeric)) == 0 ||
                         uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&numeric)) == 0;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (!isNumeric) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
      error = "cannot resolve bind host " + host + ": " + gai_strerror(rc);
      return nullptr;
    }
  }
  const auto* bindAddress = isNumeric ? reinterpret_cast<const sockaddr*>(&numeric) : found->ai_addr;
  const socklen_t bindLength =
      isNumeric ? (numeric.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in))
                : found->ai_addrlen;
  auto release = [&found] {
    if (found != nullptr) ::freeaddrinfo(found);
    found = nullptr;
  };
  int fd = ::socket(bindAddress->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errnoText("socket");
    release();
    return nullptr;
  }
  int rcvbuf = 0;
  setReceiveBuffer(fd, options.soRcvbuf, rcvbuf);
  if (::bind(fd, bindAddress, bindLength) != 0) {
    error = errnoText("bind " + host + ":" + service);
    ::close(fd);
    release();
    return nullptr;
  }
  release();
  sockaddr_storage bound{};
  socklen_t boundLen = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &boundLen);
  char text[INET6_ADDRSTRLEN] = "?";
  int localPort = 0;
  std::string address;
  // No uv_ip*_name nor inet_ntop for the usual IPv4 address: both format with (s|sn)printf, whose
  // code is two fault-around windows of libc that the agent otherwise never makes resident.
  if (bound.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&bound);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    localPort = ntohs(in6->sin6_port);
    address = "[" + std::string(text) + "]:" + std::to_string(localPort);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&bound);
    const auto* octets = reinterpret_cast<const unsigned char*>(&in4->sin_addr);
    localPort = ntohs(in4->sin_port);
    address = std::to_string(octets[0]) + "." + std::to_string(octets[1]) + "." + std::to_string(octets[2]) +
              "." + std::to_string(octets[3]) + ":" + std::to_string(localPort);
  }
  Block* block = startBlock(loop, fd, options, sink, error);
  if (block == nullptr) return nullptr;
  block->rcvbufBytes = rcvbuf;
  return std::unique_ptr<DatagramListener>(new DatagramListener(block, address, localPort, rcvbuf));
}

std::unique_ptr<DatagramListener> DatagramListener::openUnix(uv_loop_t* loop, const std::string& path,
                                                             const ListenerOptions& options,
                                                             DatagramSink& sink, std::string& error) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    error = "socket path must be 1.." + std::to_string(sizeof addr.sun_path - 1) + " bytes";
    return nullptr;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      error = "refusing to replace " + path + ": it exists and is not a socket";
      return nullptr;
    }
    ::unlink(path.c_str());  // stale socket from an earlier run
  }
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errnoText("socket");
    return nullptr;
  }
  int rcvbuf = 0;
  setReceiveBuffer(fd, options.soRcvbuf, rcvbuf);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  // The socket file is created by bind() with the umask applied: narrow the umask around it (the
  // listeners open before any other thread exists), then set the exact mode.
  const auto mode = static_cast<mode_t>(options.socketMode & 0777);
  const mode_t oldMask = ::umask(static_cast<mode_t>(0777 & ~mode));
  const int bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(oldMask);
  if (bound != 0) {
    error = errnoText("bind " + path);
    ::close(fd);
    return nullptr;
  }
  if (::chmod(path.c_str(), mode) != 0) {
    error = errnoText("chmod " + path);
    ::close(fd);
    ::unlink(path.c_str());
    return nullptr;
  }
  Block* block = startBlock(loop, fd, options, sink, error);
  if (block == nullptr) {
    ::unlink(path.c_str());
    return nullptr;
  }
  block->unlinkPath = path;
  block->rcvbufBytes = rcvbuf;
  return std::unique_ptr<DatagramListener>(new DatagramListener(block, "unix:" + path, 0, rcvbuf));
}

void DatagramListener::drain() {
  // Bounded so a sender flooding the socket cannot hold shutdown forever (~320k datagrams).
  if (block_ != nullptr) readAvailable(block_, 10000);
}

void DatagramListener::close() {
  if (block_ == nullptr) return;
  block_->closing = true;
  refreshKernelDrops(block_);
  finalStats_ = block_->stats;
  uvOk(uv_poll_stop(&block_->handle), "uv_poll_stop");
  uvOk(uv_timer_stop(&block_->pauseTimer), "uv_timer_stop");
  if (!block_->unlinkPath.empty()) ::unlink(block_->unlinkPath.c_str());
  closeHandles(block_);
  block_ = nullptr;
}

}  // namespace dynostatsd
