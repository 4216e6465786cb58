#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace cordon::http {

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

std::string tls_error_text(const std::string& fallback) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return fallback;
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

namespace {

// Settings both sides share: no protocol older than TLS 1.2, no renegotiation (a
// client-driven CPU sink on the server, and a complication nobody here needs).
Result<SSL_CTX*> new_context(const SSL_METHOD* method) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx == nullptr) return logic_error("create TLS context", "", tls_error_text("out of memory"));
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    SSL_CTX_free(ctx);
    return logic_error("set TLS minimum version", "", tls_error_text("refused"));
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  // The connection retries a write with the same bytes after waiting, but not always
  // from the same buffer address.
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

}  // namespace

Result<std::shared_ptr<TlsContext>> tls_server_context(const std::string& cert_file,
                                                       const std::string& key_file) {
  ASSIGN_OR_RETURN(SSL_CTX * ctx, new_context(TLS_server_method()));
  std::shared_ptr<TlsContext> owned(new TlsContext(ctx, true));
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
    return logic_error("load TLS certificate", cert_file, tls_error_text("unreadable"));
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return logic_error("load TLS private key", key_file, tls_error_text("unreadable"));
  if (SSL_CTX_check_private_key(ctx) != 1)
    return logic_error("check TLS private key", key_file,
                       tls_error_text("does not match the certificate " + cert_file));
  // Every request's body is delimited (Content-Length or chunked), so a client that
  // closes without close_notify cannot truncate anything the server relies on.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  return owned;
}

}  // namespace cordon::http
