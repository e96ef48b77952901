#pragma once
// TlsApi: the OpenSSL functions StreamClient uses, opened with dlopen("libssl.so.3") the first
// time a TLS connection is made (or the native HTTP client is chosen), so an agent that never
// speaks TLS itself never maps libssl (as curl_driver.h does for libcurl). The types are
// OpenSSL 3's own, from its headers: libssl.so.1.1 is never tried (its ABI was not checked
// against this table), and the HTTP client falls back to libcurl where only 1.1 exists.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>

namespace dynostatsd {

struct TlsApi {
  decltype(&::SSL_CTX_load_verify_locations) ctxLoadVerifyLocations;
  decltype(&::X509_get_default_cert_file) defaultCertFile;
  decltype(&::X509_get_default_cert_file_env) defaultCertFileEnv;
  decltype(&::X509_get_default_cert_dir) defaultCertDir;
  decltype(&::X509_get_default_cert_dir_env) defaultCertDirEnv;
  decltype(&::TLS_client_method) clientMethod;
  decltype(&::SSL_CTX_new) ctxNew;
  decltype(&::SSL_CTX_free) ctxFree;
  decltype(&::SSL_CTX_set_verify) ctxSetVerify;
  decltype(&::SSL_CTX_ctrl) ctxCtrl;
  decltype(&::SSL_new) sslNew;
  decltype(&::SSL_free) sslFree;
  decltype(&::SSL_set_bio) setBio;
  decltype(&::SSL_set_connect_state) setConnectState;
  decltype(&::SSL_do_handshake) doHandshake;
  decltype(&::SSL_read) read;
  decltype(&::SSL_write) write;
  decltype(&::SSL_get_error) getError;
  decltype(&::SSL_shutdown) shutdown;
  decltype(&::SSL_ctrl) ctrl;
  decltype(&::SSL_set1_host) set1Host;
  decltype(&::SSL_get_verify_result) getVerifyResult;
  decltype(&::BIO_new) bioNew;
  decltype(&::BIO_s_mem) bioSMem;
  decltype(&::BIO_read) bioRead;
  decltype(&::BIO_write) bioWrite;
  decltype(&::BIO_ctrl) bioCtrl;
  decltype(&::X509_verify_cert_error_string) verifyErrorString;
  decltype(&::ERR_get_error) errGetError;
  decltype(&::ERR_error_string_n) errErrorStringN;
  decltype(&::ERR_clear_error) errClearError;
};

inline constexpr const char* kTlsLibrary = "libssl.so.3";

// Loads libssl once per process (thread-safe). nullptr when it or a function is missing; then
// tlsLoadError() says why.
const TlsApi* loadTls();
const std::string& tlsLoadError();

// One client context shared by every TLS connection: TLS >= 1.2, peer verification against the
// system store, buffers released while a connection is idle. nullptr when it cannot be built
// (tlsLoadError() then says why). The store is OpenSSL's default paths, with one saving:
//   SSL_CERT_FILE  SSL_CERT_DIR  trusted
//   unset          unset         the default directory alone when it holds hashed links (a
//                                root is read from disk when a handshake needs it), else the
//                                default bundle file and directory
//   set            any           that file (parsed at once) and the directory (as OpenSSL does)
//   unset          set           the default bundle file and that directory (as OpenSSL does)
// Debian's and Ubuntu's ca-certificates write the same roots to both default places.
SSL_CTX* tlsClientContext();

// Sets up `ssl` to expect `host`: SNI (not for an IP literal, RFC 6066 section 3) and the name
// (or address) the certificate must hold. False when OpenSSL refuses it.
bool tlsExpectPeer(const TlsApi& api, SSL* ssl, const std::string& host);

}  // namespace dynostatsd
