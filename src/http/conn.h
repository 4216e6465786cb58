// One connection's byte stream, for the server and the client alike: a plain stream
// socket, or TLS over it. The socket is non-blocking and every wait is a poll with a
// timeout, so neither a peer that stops sending nor one that stops reading holds a thread;
// writes never raise SIGPIPE (MSG_NOSIGNAL, also under TLS).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"
#include "http/tls.h"

struct ssl_st;  // OpenSSL's SSL

namespace cordon::http {

class Conn {
 public:
  using Clock = std::chrono::steady_clock;

  Conn() = default;
  explicit Conn(UniqueFd fd);  // plain; makes fd non-blocking
  Conn(Conn&& o) noexcept;
  Conn& operator=(Conn&& o) noexcept;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn();

  // The server's side of a TLS handshake: at most io_timeout_ms between two steps and
  // nothing past deadline. On failure the connection is plain again (fit only for a
  // plain-text refusal, then closing); *plain_http tells that the peer spoke plain HTTP.
  Status accept_tls(const TlsContext& ctx, int io_timeout_ms, Clock::time_point deadline,
                    bool* plain_http);
  // The client's side: verifies the certificate against ctx's CAs and host (a name or an
  // IP literal).
  Status connect_tls(const TlsContext& ctx, const std::string& host, int io_timeout_ms);

  // Up to len bytes; 0 when the peer closed. ETIMEDOUT after timeout_ms without any byte.
  Result<size_t> read(char* buf, size_t len, int timeout_ms);
  // Every byte, or false: the peer is gone, or took none of them for timeout_ms.
  bool write_all(std::string_view data, int timeout_ms);
  // The peer hung up or shut down its side (POLLRDHUP, POLLHUP, POLLERR); does not wait.
  bool peer_gone() const;
  // Idle and yet readable: the peer closed (or sent something unasked); does not wait.
  bool idle_readable() const;
  // Sends TLS close_notify if it fits without waiting, then closes.
  void close();

  bool valid() const { return fd_.valid(); }
  bool tls() const { return ssl_ != nullptr; }
  int fd() const { return fd_.get(); }

 private:
  // Waits for events on the socket: 1 ready, 0 timed out, -1 error.
  int wait(short events, int timeout_ms) const;
  // Drives a TLS step that wants to read or write: waits for the socket; false on timeout
  // or when the step failed for good (*err set).
  bool tls_retry(int ret, int timeout_ms, Error* err, const char* step);
  void free_ssl();

  UniqueFd fd_;
  ssl_st* ssl_ = nullptr;
  bool failed_ = false;  // a fatal TLS error happened: no more I/O, no close_notify
};

}  // namespace cordon::http
