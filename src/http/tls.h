// TLS contexts (OpenSSL) for the daemon's TCP listeners: one per certificate, shared by
// every connection made with it. TLS 1.2 is the minimum. (Clients use libcurl's TLS.)
#pragma once

#include <memory>
#include <string>

#include "base/result.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX, kept out of this header

namespace cordon::http {

class TlsContext {
 public:
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  ssl_ctx_st* native() const { return ctx_; }
  bool server() const { return server_; }

 private:
  friend Result<std::shared_ptr<TlsContext>> tls_server_context(const std::string&,
                                                                const std::string&);
  TlsContext(ssl_ctx_st* ctx, bool server) : ctx_(ctx), server_(server) {}

  ssl_ctx_st* ctx_;
  bool server_;
};

// Server side: PEM certificate chain and private key; TLS 1.2 minimum.
Result<std::shared_ptr<TlsContext>> tls_server_context(const std::string& cert_file,
                                                       const std::string& key_file);

// The oldest error on this thread's OpenSSL error queue, as text (the queue is emptied),
// or fallback when there is none.
std::string tls_error_text(const std::string& fallback);

}  // namespace cordon::http
