#include "loop/tls_api.h"

#include <dlfcn.h>

#include <mutex>

namespace dynostatsd {
namespace {

template <typename Function>
bool resolve(void* library, const char* name, Function& out, std::string& error) {
  void* symbol = ::dlsym(library, name);
  if (symbol == nullptr) {
    const char* text = ::dlerror();
    error = text != nullptr ? text : std::string(name) + ": not found";
    return false;
  }
  out = reinterpret_cast<Function>(symbol);
  return true;
}

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
  load.ok = resolve(library, "TLS_client_method", a.clientMethod, e) &&
            resolve(library, "SSL_CTX_new", a.ctxNew, e) && resolve(library, "SSL_CTX_free", a.ctxFree, e) &&
            resolve(library, "SSL_CTX_set_default_verify_paths", a.ctxSetDefaultVerifyPaths, e) &&
            resolve(library, "SSL_CTX_set_verify", a.ctxSetVerify, e) &&
            resolve(library, "SSL_CTX_ctrl", a.ctxCtrl, e) && resolve(library, "SSL_new", a.sslNew, e) &&
            resolve(library, "SSL_free", a.sslFree, e) && resolve(library, "SSL_set_bio", a.setBio, e) &&
            resolve(library, "SSL_set_connect_state", a.setConnectState, e) &&
            resolve(library, "SSL_do_handshake", a.doHandshake, e) &&
            resolve(library, "SSL_read", a.read, e) && resolve(library, "SSL_write", a.write, e) &&
            resolve(library, "SSL_get_error", a.getError, e) &&
            resolve(library, "SSL_shutdown", a.shutdown, e) && resolve(library, "SSL_ctrl", a.ctrl, e) &&
            resolve(library, "SSL_set1_host", a.set1Host, e) &&
            resolve(library, "SSL_get_verify_result", a.getVerifyResult, e) &&
            resolve(library, "BIO_new", a.bioNew, e) && resolve(library, "BIO_s_mem", a.bioSMem, e) &&
            resolve(library, "BIO_read", a.bioRead, e) && resolve(library, "BIO_write", a.bioWrite, e) &&
            resolve(library, "BIO_ctrl", a.bioCtrl, e) &&
            resolve(library, "X509_verify_cert_error_string", a.verifyErrorString, e) &&
            resolve(library, "ERR_get_error", a.errGetError, e) &&
            resolve(library, "ERR_error_string_n", a.errErrorStringN, e) &&
            resolve(library, "ERR_clear_error", a.errClearError, e);
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
