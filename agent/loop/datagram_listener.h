#pragma once
// DatagramListener: receives DogStatsD datagrams on a UDP or Unix datagram socket.
// Input: the socket, read with recvmmsg(2) (up to kBatch datagrams per syscall) when uv_poll says
// it is readable, or, while traffic flows, every 1-2 ms from a timer (wake-up coalescing; see
// datagram_listener.cpp). Measured with bench/harness.py on this shared 2-core host (A/B against
// the same build without coalescing): 50k datagrams/s 14.3 % -> 4.3 % of a core, 10k/s 6.9 % ->
// 1.8 %, 1 M single-line burst 1.54 -> 0.53 CPU s, all without loss (SO_RCVBUF 4 MiB). Output:
// DatagramSink::onDatagrams() once per recvmmsg call, with exactly the complete datagrams it
// returned, in arrival order. A datagram longer than bufferSize arrives cut (MSG_TRUNC): it is
// counted in stats().truncated, reported by onTruncated() before the batch, and never parsed.
// Ownership: the bytes are valid only during the call. A sink that closes the listener from
// inside the call stops delivery after the current batch.
//
// Why not uv_udp_t with UV_UDP_RECVMMSG: measured on this machine (400k paced 36-byte datagrams,
// receiver thread CPU) both cost the same, 1.2-1.8 us per datagram, dominated by wake-ups. But
// libuv 1.44 reads at most 20 datagrams per call into fixed 64 KiB slots (1.25 MiB per socket),
// so a datagram longer than dogstatsd_buffer_size is not seen as truncated, and it cannot serve
// the Unix datagram socket. Owning the fd gives both transports one receive path with slots of
// exactly bufferSize and a real MSG_TRUNC.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace dynostatsd {

class DatagramSink {
 public:
  virtual ~DatagramSink() = default;
  virtual void onDatagram(std::string_view datagram) = 0;
  // The complete datagrams one receive call returned, in arrival order; every view stays valid
  // until the call returns, so a sink may work across datagrams (the Ingestor pipelines lines
  // over the whole batch). Default: onDatagram for each.
  virtual void onDatagrams(const std::string_view* datagrams, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) onDatagram(datagrams[i]);
  }
  // A datagram longer than the buffer; `received` is what fitted.
  virtual void onTruncated(std::size_t received) { (void)received; }
};

struct ListenerOptions {
  std::size_t bufferSize = 8192;  // bytes per datagram slot, 1..65535
  int soRcvbuf = 0;               // SO_RCVBUF request; 0 = OS default
  int socketMode = 0660;          // Unix socket file permissions, set exactly (the umask is ignored)
};

struct ListenerStats {
  std::uint64_t datagrams = 0;    // complete datagrams handed to the sink
  std::uint64_t bytes = 0;        // their bytes
  std::uint64_t truncated = 0;    // datagrams longer than the buffer (not parsed)
  std::uint64_t syscalls = 0;     // recvmmsg calls that returned datagrams
  std::uint64_t wakeups = 0;      // readiness events and pause timers that read the socket
  std::uint64_t errors = 0;       // recvmmsg failures other than EAGAIN
  std::uint64_t kernelDrops = 0;  // datagrams the kernel dropped, receive buffer full (SO_MEMINFO,
                                  // read by stats())
};

class DatagramListener {
 public:
  static constexpr unsigned kBatch = 32;  // datagrams per recvmmsg call

  // Binds `host:port` (port 0 picks a free port; see localPort()). nullptr and `error` set on
  // failure. The sink must outlive the listener.
  static std::unique_ptr<DatagramListener> openUdp(uv_loop_t* loop, const std::string& host, int port,
                                                   const ListenerOptions& options, DatagramSink& sink,
                                                   std::string& error);
  // Binds a Unix datagram socket at `path`, first removing a stale socket file there (but never
  // a file that is not a socket). The file is removed again by close().
  static std::unique_ptr<DatagramListener> openUnix(uv_loop_t* loop, const std::string& path,
                                                    const ListenerOptions& options, DatagramSink& sink,
                                                    std::string& error);
  ~DatagramListener();
  DatagramListener(const DatagramListener&) = delete;
  DatagramListener& operator=(const DatagramListener&) = delete;

  // "127.0.0.1:8125" or "unix:/tmp/dsd.socket".
  const std::string& address() const { return address_; }
  int localPort() const { return localPort_; }
  int effectiveRcvbuf() const { return effectiveRcvbuf_; }
  const ListenerStats& stats() const;
  // Reads every datagram already waiting in the socket now (at shutdown, before close()).
  void drain();
  // Stops receiving, closes the socket and removes a Unix socket file. Idempotent.
  void close();
  bool closed() const { return block_ == nullptr; }

  // The heap block holding the uv handle, fd and buffers; freed by the close callback.
  struct Block;

 private:
  DatagramListener(Block* block, std::string address, int localPort, int rcvbuf);

  Block* block_;
  ListenerStats finalStats_;  // stats at close(), so they stay readable afterwards
  std::string address_;
  int localPort_ = 0;
  int effectiveRcvbuf_ = 0;
};

}  // namespace dynostatsd
