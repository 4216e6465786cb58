#include "http/conn.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <utility>

namespace cordon::http {
namespace {

// OpenSSL's own socket BIO writes with write(2), which raises SIGPIPE when the peer is
// gone; this one sends with MSG_NOSIGNAL, so TLS writes fail like plain ones instead.
int fd_of(BIO* b) {
  return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b)));
}

int bio_write(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n = ::send(fd_of(b), data, static_cast<size_t>(len), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

int bio_read(BIO* b, char* data, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n = ::recv(fd_of(b), data, static_cast<size_t>(len), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(b);
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // nothing is buffered here
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "cordon socket");
    if (m == nullptr) return m;
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

Result<SSL*> new_ssl(const TlsContext& ctx, int fd, const char* step) {
  ERR_clear_error();
  const BIO_METHOD* method = socket_bio_method();
  if (method == nullptr) return logic_error(step, "", tls_error_text("no BIO method"));
  SSL* ssl = SSL_new(ctx.native());
  if (ssl == nullptr) return logic_error(step, "", tls_error_text("SSL_new failed"));
  BIO* bio = BIO_new(method);
  if (bio == nullptr) {
    SSL_free(ssl);
    return logic_error(step, "", tls_error_text("BIO_new failed"));
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  SSL_set_bio(ssl, bio, bio);  // the SSL owns the BIO from here
  return ssl;
}

int ms_until(Conn::Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Conn::Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

}  // namespace

Conn::Conn(UniqueFd fd) : fd_(std::move(fd)) {
  // Every wait below is a poll with a timeout; a blocking call would bypass it.
  int flags = ::fcntl(fd_.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
}

Conn::Conn(Conn&& o) noexcept
    : fd_(std::move(o.fd_)), ssl_(std::exchange(o.ssl_, nullptr)), failed_(o.failed_) {}

Conn& Conn::operator=(Conn&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::move(o.fd_);
    ssl_ = std::exchange(o.ssl_, nullptr);
    failed_ = o.failed_;
  }
  return *this;
}

Conn::~Conn() {
  close();
}

void Conn::free_ssl() {
  SSL_free(ssl_);
  ssl_ = nullptr;
  failed_ = false;
}

int Conn::wait(short events, int timeout_ms) const {
  struct pollfd p = {fd_.get(), events, 0};
  for (;;) {
    int n = ::poll(&p, 1, std::max(0, timeout_ms));
    if (n >= 0) return n > 0 ? 1 : 0;
    if (errno != EINTR) return -1;
  }
}

bool Conn::tls_retry(int ret, int timeout_ms, Error* err, const char* step) {
  int saved_errno = errno;
  int e = SSL_get_error(ssl_, ret);
  short events = 0;
  if (e == SSL_ERROR_WANT_READ) {
    events = POLLIN;
  } else if (e == SSL_ERROR_WANT_WRITE) {
    events = POLLOUT;
  } else {
    // A fatal error: OpenSSL forbids a close_notify after it.
    failed_ = true;
    if (e == SSL_ERROR_SYSCALL && saved_errno != 0 && ERR_peek_error() == 0) {
      *err = errno_error(saved_errno, step);
    } else {
      *err = logic_error(step, "", tls_error_text("the peer closed the connection"));
    }
    return false;
  }
  int w = wait(events, timeout_ms);
  if (w == 0) *err = errno_error(ETIMEDOUT, step);
  if (w < 0) *err = sys_error("poll", step);
  return w == 1;
}

Status Conn::accept_tls(const TlsContext& ctx, int io_timeout_ms, Clock::time_point deadline,
                        bool* plain_http) {
  *plain_http = false;
  ASSIGN_OR_RETURN(ssl_, new_ssl(ctx, fd_.get(), "TLS handshake"));
  SSL_set_accept_state(ssl_);
  for (;;) {
    ERR_clear_error();
    int ret = SSL_accept(ssl_);
    if (ret == 1) return {};
    unsigned long first = ERR_peek_error();
    if (ERR_GET_LIB(first) == ERR_LIB_SSL && ERR_GET_REASON(first) == SSL_R_HTTP_REQUEST)
      *plain_http = true;
    Error err;
    int left = ms_until(deadline);
    if (left == 0) {
      err = errno_error(ETIMEDOUT, "TLS handshake");
    } else if (tls_retry(ret, std::min(io_timeout_ms, left), &err, "TLS handshake")) {
      continue;
    }
    free_ssl();
    return err;
  }
}

Status Conn::connect_tls(const TlsContext& ctx, const std::string& host, int io_timeout_ms) {
  ASSIGN_OR_RETURN(ssl_, new_ssl(ctx, fd_.get(), "TLS handshake"));
  SSL_set_connect_state(ssl_);
  unsigned char addr[sizeof(in6_addr)];
  bool ip_literal = ::inet_pton(AF_INET, host.c_str(), addr) == 1 ||
                    ::inet_pton(AF_INET6, host.c_str(), addr) == 1;
  // An IP literal is checked against the certificate's IP addresses and is no SNI name.
  int ok = ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str())
                      : SSL_set_tlsext_host_name(ssl_, host.c_str()) == 1 &&
                            SSL_set1_host(ssl_, host.c_str()) == 1;
  if (ok != 1) {
    free_ssl();
    return logic_error("TLS host name", host, tls_error_text("refused"));
  }
  for (;;) {
    ERR_clear_error();
    int ret = SSL_connect(ssl_);
    if (ret == 1) return {};
    Error err;
    if (tls_retry(ret, io_timeout_ms, &err, "TLS handshake")) continue;
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      err = logic_error(
          "TLS handshake", host,
          std::string("certificate not trusted: ") + X509_verify_cert_error_string(verify));
    } else if (err.path.empty()) {
      err.path = host;
    }
    free_ssl();
    return err;
  }
}

Result<size_t> Conn::read(char* buf, size_t len, int timeout_ms) {
  if (ssl_ == nullptr) {
    for (;;) {
      ssize_t n = ::recv(fd_.get(), buf, len, 0);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return sys_error("recv");
      int w = wait(POLLIN, timeout_ms);
      if (w == 0) return errno_error(ETIMEDOUT, "recv");
      if (w < 0) return sys_error("poll", "recv");
    }
  }
  if (failed_) return errno_error(EPIPE, "TLS read");
  for (;;) {
    ERR_clear_error();
    size_t n = 0;
    int ret = SSL_read_ex(ssl_, buf, len, &n);
    if (ret == 1) return n;
    if (SSL_get_error(ssl_, ret) == SSL_ERROR_ZERO_RETURN) return size_t{0};
    Error err;
    if (!tls_retry(ret, timeout_ms, &err, "TLS read")) return err;
  }
}

bool Conn::write_all(std::string_view data, int timeout_ms) {
  if (ssl_ == nullptr) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (wait(POLLOUT, timeout_ms) != 1) return false;
      } else {
        return false;
      }
    }
    return true;
  }
  if (failed_) return false;
  while (!data.empty()) {
    ERR_clear_error();
    size_t n = 0;
    int ret = SSL_write_ex(ssl_, data.data(), data.size(), &n);
    if (ret == 1) {
      data.remove_prefix(n);
      continue;
    }
    Error err;
    if (!tls_retry(ret, timeout_ms, &err, "TLS write")) return false;
  }
  return true;
}

bool Conn::peer_gone() const {
  struct pollfd p = {fd_.get(), POLLRDHUP, 0};
  if (::poll(&p, 1, 0) < 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

bool Conn::idle_readable() const {
  struct pollfd p = {fd_.get(), POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) < 0) return true;
  return p.revents != 0;
}

void Conn::close() {
  if (ssl_ != nullptr) {
    // One try at close_notify, so that the peer can tell an end from a cut; not waited on.
    if (!failed_) {
      ERR_clear_error();
      (void)SSL_shutdown(ssl_);
    }
    free_ssl();
  }
  ERR_clear_error();
  fd_.reset();
}

}  // namespace cordon::http
