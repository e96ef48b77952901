#include "loop/tls_api.h"

#include <dlfcn.h>

#include <mutex>

#include "loop/dl_symbol.h"

namespace dynostatsd {
namespace {

struct TlsLoad {
  TlsApi api{};
  bool ok = false;
  std::string error;
  SSL_CTX* context = nullptr;
};

TlsLoad& state() {
  static TlsLoad load;
  return load;
}

void openTls() {
  TlsLoad& load = state();
  // Never closed: OpenSSL keeps process-wide state once initialised.
  void* library = ::dlopen(kTlsLibrary, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* text = ::dlerror();
    load.error = text != nullptr ? text : std::string("cannot load ") + kTlsLibrary;
    return;
  }
  TlsApi& a = load.api;
  std::string& e = load.error;
  // dlsym on the libssl handle also searches its dependency libcrypto (BIO_*, X509_*, ERR_*).
  load.ok =
      resolveSymbol(library, "TLS_client_method", a.clientMethod, e) &&
      resolveSymbol(library, "SSL_CTX_new", a.ctxNew, e) &&
      resolveSymbol(library, "SSL_CTX_free", a.ctxFree, e) &&
      resolveSymbol(library, "SSL_CTX_set_default_verify_paths", a.ctxSetDefaultVerifyPaths, e) &&
      resolveSymbol(library, "SSL_CTX_set_verify", a.ctxSetVerify, e) &&
      resolveSymbol(library, "SSL_CTX_ctrl", a.ctxCtrl, e) &&
      resolveSymbol(library, "SSL_new", a.sslNew, e) && resolveSymbol(library, "SSL_free", a.sslFree, e) &&
      resolveSymbol(library, "SSL_set_bio", a.setBio, e) &&
      resolveSymbol(library, "SSL_set_connect_state", a.setConnectState, e) &&
      resolveSymbol(library, "SSL_do_handshake", a.doHandshake, e) &&
      resolveSymbol(library, "SSL_read", a.read, e) && resolveSymbol(library, "SSL_write", a.write, e) &&
      resolveSymbol(library, "SSL_get_error", a.getError, e) &&
      resolveSymbol(library, "SSL_shutdown", a.shutdown, e) &&
      resolveSymbol(library, "SSL_ctrl", a.ctrl, e) &&
      resolveSymbol(library, "SSL_set1_host", a.set1Host, e) &&
      resolveSymbol(library, "SSL_get_verify_result", a.getVerifyResult, e) &&
      resolveSymbol(library, "BIO_new", a.bioNew, e) && resolveSymbol(library, "BIO_s_mem", a.bioSMem, e) &&
      resolveSymbol(library, "BIO_read", a.bioRead, e) &&
      resolveSymbol(library, "BIO_write", a.bioWrite, e) &&
      resolveSymbol(library, "BIO_ctrl", a.bioCtrl, e) &&
      resolveSymbol(library, "X509_verify_cert_error_string", a.verifyErrorString, e) &&
      resolveSymbol(library, "ERR_get_error", a.errGetError, e) &&
      resolveSymbol(library, "ERR_error_string_n", a.errErrorStringN, e) &&
      resolveSymbol(library, "ERR_clear_error", a.errClearError, e);
  if (!load.ok) return;
  SSL_CTX* context = a.ctxNew(a.clientMethod());
  if (context == nullptr) {
    load.ok = false;
    load.error = "SSL_CTX_new failed";
    return;
  }
  a.ctxCtrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, nullptr);
  a.ctxSetVerify(context, SSL_VERIFY_PEER, nullptr);
  if (a.ctxSetDefaultVerifyPaths(context) != 1) {
    a.ctxFree(context);
    load.ok = false;
    load.error = "cannot load the system certificate store";
    return;
  }
  load.context = context;
}

std::once_flag loadOnce;

}  // namespace

const TlsApi* loadTls() {
  std::call_once(loadOnce, openTls);
  return state().ok ? &state().api : nullptr;
}

const std::string& tlsLoadError() {
  return state().error;
}

SSL_CTX* tlsClientContext() {
  return loadTls() != nullptr ? state().context : nullptr;
}

}  // namespace dynostatsd
