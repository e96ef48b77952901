#pragma once
// TlsApi: the OpenSSL functions StreamClient uses, opened with dlopen("libssl.so.3") the first
// time a TLS connection is made, so an agent that never speaks TLS itself never maps libssl (as
// curl_driver.h does for libcurl). The types are OpenSSL's own, from its headers.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>

namespace dynostatsd {

struct TlsApi {
  decltype(&::TLS_client_method) clientMethod;
  decltype(&::SSL_CTX_new) ctxNew;
  decltype(&::SSL_CTX_free) ctxFree;
  decltype(&::SSL_CTX_set_default_verify_paths) ctxSetDefaultVerifyPaths;
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
// system store (OpenSSL's default paths; SSL_CERT_FILE / SSL_CERT_DIR override them). nullptr
// when it cannot be built (tlsLoadError() then says why).
SSL_CTX* tlsClientContext();

}  // namespace dynostatsd
