#pragma once
// ScriptedServer: an HTTP/1.1 server for the native client's tests, on 127.0.0.1 port 0 in its
// own thread (blocking sockets, one connection at a time; TLS through OpenSSL when given a
// certificate). It reads each request whole (head + Content-Length body), records it, then does
// what the next Step says; past the script it answers 202 and keeps the connection.
#include <openssl/ssl.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dynostatsd::test {

class ScriptedServer {
 public:
  enum class After : std::uint8_t { Keep, Close, Hang };
  struct Step {
    std::string response;  // raw bytes; "" with After::Close = close without answering
    After after = After::Keep;
  };
  struct Tls {
    std::string certFile;
    std::string keyFile;
  };

  explicit ScriptedServer(std::deque<Step> script, const Tls* tls = nullptr);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  int port() const { return port_; }
  int accepted() const { return accepted_; }
  std::vector<std::string> requests();  // head + body of each request, in order

 private:
  struct Peer;
  void serve();
  void serveConnection(Peer& peer);

  int listener_ = -1;
  int port_ = 0;
  SSL_CTX* tls_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::deque<Step> script_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

// A response with a Content-Length body.
std::string httpResponse(int status, const std::string& body, const std::string& headers = "");

// A throwaway CA, a certificate for localhost it signs, and a self-signed one for localhost,
// made once per process with the openssl CLI; SSL_CERT_FILE points at the CA before the agent's
// TLS context is built (it is built once per process).
struct TestCertificates {
  std::string caFile;
  ScriptedServer::Tls trusted;    // CA-signed, DNS:localhost
  ScriptedServer::Tls untrusted;  // self-signed, DNS:localhost
};
const TestCertificates& testCertificates();

}  // namespace dynostatsd::test
