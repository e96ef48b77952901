#include "scripted_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

namespace dynostatsd::test {

// One accepted connection: plain or TLS reads and writes with a stop check every 100 ms.
struct ScriptedServer::Peer {
  int fd = -1;
  SSL* ssl = nullptr;
  const std::atomic<bool>* stop = nullptr;

  // > 0 bytes read, 0 at the end of the stream or on an error or stop.
  int read(char* buffer, int size) {
    for (;;) {
      if (*stop) return 0;
      pollfd p{fd, POLLIN, 0};
      if (ssl == nullptr || SSL_pending(ssl) == 0) {
        if (::poll(&p, 1, 100) == 0) continue;
      }
      if (ssl == nullptr) return static_cast<int>(std::max<ssize_t>(0, ::recv(fd, buffer, size, 0)));
      const int n = SSL_read(ssl, buffer, size);
      if (n > 0) return n;
      if (SSL_get_error(ssl, n) != SSL_ERROR_WANT_READ) return 0;
    }
  }

  bool write(const std::string& bytes) {
    if (ssl != nullptr)
      return bytes.empty() || SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size())) > 0;
    std::size_t at = 0;
    while (at < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return false;
      at += static_cast<std::size_t>(n);
    }
    return true;
  }
};

ScriptedServer::ScriptedServer(std::deque<Step> script, const Tls* tls) : script_(std::move(script)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener_, 16) == 0);
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  if (tls != nullptr) {
    tls_ = SSL_CTX_new(TLS_server_method());
    REQUIRE(SSL_CTX_use_certificate_chain_file(tls_, tls->certFile.c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(tls_, tls->keyFile.c_str(), SSL_FILETYPE_PEM) == 1);
  }
  thread_ = std::thread([this] { serve(); });
}

ScriptedServer::~ScriptedServer() {
  stop_ = true;
  thread_.join();
  ::close(listener_);
  if (tls_ != nullptr) SSL_CTX_free(tls_);
}

std::vector<std::string> ScriptedServer::requests() {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

void ScriptedServer::serve() {
  while (!stop_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    Peer peer;
    peer.fd = ::accept(listener_, nullptr, nullptr);
    peer.stop = &stop_;
    if (peer.fd < 0) continue;
    ++accepted_;
    if (tls_ != nullptr) {
      peer.ssl = SSL_new(tls_);
      SSL_set_fd(peer.ssl, peer.fd);
      if (SSL_accept(peer.ssl) != 1) {  // e.g. the client refused the certificate
        SSL_free(peer.ssl);
        ::close(peer.fd);
        continue;
      }
    }
    serveConnection(peer);
    if (peer.ssl != nullptr) SSL_free(peer.ssl);
    ::close(peer.fd);
  }
}

void ScriptedServer::serveConnection(Peer& peer) {
  std::string buffer;
  char chunk[65536];
  for (;;) {
    std::size_t headEnd;
    while ((headEnd = buffer.find("\r\n\r\n")) == std::string::npos) {
      const int n = peer.read(chunk, sizeof chunk);
      if (n == 0) return;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    std::size_t length = 0;
    if (const std::size_t at = buffer.find("Content-Length: "); at != std::string::npos && at < headEnd)
      length = std::stoul(buffer.substr(at + 16));
    while (buffer.size() < headEnd + 4 + length) {
      const int n = peer.read(chunk, sizeof chunk);
      if (n == 0) return;
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
    Step step{httpResponse(202, "{}"), After::Keep};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(buffer.substr(0, headEnd + 4 + length));
      if (!script_.empty()) {
        step = std::move(script_.front());
        script_.pop_front();
      }
    }
    buffer.erase(0, headEnd + 4 + length);
    if (!peer.write(step.response)) return;
    if (step.after == After::Close) return;
    if (step.after == After::Hang) {
      while (peer.read(chunk, sizeof chunk) > 0) {
      }
      return;
    }
  }
}

std::string httpResponse(int status, const std::string& body, const std::string& headers) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\n" + headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

namespace {

void openssl(const std::string& dir, const std::string& args) {
  const std::string command = "cd '" + dir + "' && openssl " + args + " >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
}

TestCertificates makeCertificates() {
  char pattern[] = "/tmp/native_http_test.XXXXXX";
  const std::string dir = ::mkdtemp(pattern);
  openssl(dir,
          "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=test CA' "
          "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");
  openssl(dir, "req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj /CN=localhost");
  std::ofstream(dir + "/leaf.ext") << "subjectAltName=DNS:localhost\n";
  openssl(dir,
          "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 2 "
          "-extfile leaf.ext");
  openssl(dir,
          "req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 2 -subj /CN=localhost "
          "-addext subjectAltName=DNS:localhost");
  TestCertificates out;
  out.caFile = dir + "/ca.pem";
  out.trusted = {dir + "/leaf.pem", dir + "/leaf.key"};
  out.untrusted = {dir + "/self.pem", dir + "/self.key"};
  ::setenv("SSL_CERT_FILE", out.caFile.c_str(), 1);
  return out;
}

}  // namespace

const TestCertificates& testCertificates() {
  static const TestCertificates certificates = makeCertificates();
  return certificates;
}

}  // namespace dynostatsd::test
