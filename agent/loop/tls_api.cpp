#include "loop/tls_api.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
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

const char* nonEmptyEnv(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' ? value : nullptr;
}

// True when `dir` holds at least one OpenSSL hash link ("5ad8a5d6.0"): then X509_LOOKUP_hash_dir
// finds a root by its subject when a handshake needs it.
bool hasHashedCertificates(const char* dir) {
  DIR* listing = ::opendir(dir);
  if (listing == nullptr) return false;
  bool found = false;
  while (const dirent* entry = ::readdir(listing)) {
    const char* name = entry->d_name;
    if (std::strlen(name) == 10 && name[8] == '.' && name[9] >= '0' && name[9] <= '9' &&
        std::strspn(name, "0123456789abcdef") == 8) {
      found = true;
      break;
    }
  }
  ::closedir(listing);
  return found;
}

// The store of the table in tls_api.h. Failures to read a location are ignored, as
// SSL_CTX_set_default_verify_paths does: a missing root then fails the handshake, which says so.
bool loadTrustStore(const TlsApi& a, SSL_CTX* context) {
  const char* file = nonEmptyEnv(a.defaultCertFileEnv());
  const char* dir = nonEmptyEnv(a.defaultCertDirEnv());
  const bool lazy = file == nullptr && dir == nullptr && hasHashedCertificates(a.defaultCertDir());
  if (file == nullptr && !lazy) file = a.defaultCertFile();
  if (dir == nullptr) dir = a.defaultCertDir();
  if (file != nullptr) a.ctxLoadVerifyLocations(context, file, nullptr);
  const bool ok = a.ctxLoadVerifyLocations(context, nullptr, dir) == 1;
  a.errClearError();
  return ok;
}

void openTls() {
  TlsLoad& load = state();
  // Never closed: OpenSSL keeps process-wide state once initialised.
  void* library = openLibrary(kTlsLibrary, load.error);
  if (library == nullptr) {
    return;
  }
  TlsApi& a = load.api;
  std::string& e = load.error;
  // dlsym on the libssl handle also searches its dependency libcrypto (BIO_*, X509_*, ERR_*).
  load.ok =
      resolveSymbol(library, "SSL_CTX_load_verify_locations", a.ctxLoadVerifyLocations, e) &&
      resolveSymbol(library, "X509_get_default_cert_file", a.defaultCertFile, e) &&
      resolveSymbol(library, "X509_get_default_cert_file_env", a.defaultCertFileEnv, e) &&
      resolveSymbol(library, "X509_get_default_cert_dir", a.defaultCertDir, e) &&
      resolveSymbol(library, "X509_get_default_cert_dir_env", a.defaultCertDirEnv, e) &&
      resolveSymbol(library, "TLS_client_method", a.clientMethod, e) &&
      resolveSymbol(library, "SSL_CTX_new", a.ctxNew, e) &&
      resolveSymbol(library, "SSL_CTX_free", a.ctxFree, e) &&
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
  a.ctxCtrl(context, SSL_CTRL_MODE, SSL_MODE_RELEASE_BUFFERS, nullptr);  // ~34 kB per idle connection
  a.ctxSetVerify(context, SSL_VERIFY_PEER, nullptr);
  if (!loadTrustStore(a, context)) {
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

bool tlsExpectPeer(const TlsApi& api, SSL* ssl, const std::string& host) {
  unsigned char address[16];
  const bool literal =
      ::inet_pton(AF_INET, host.c_str(), address) == 1 || ::inet_pton(AF_INET6, host.c_str(), address) == 1;
  if (!literal)
    api.ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
  return api.set1Host(ssl, host.c_str()) == 1;  // OpenSSL 3 takes an IP literal as an address
}

}  // namespace dynostatsd
