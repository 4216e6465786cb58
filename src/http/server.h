// The daemon's HTTP/1.1 server, on Boost.Beast and Asio: listeners on a Unix socket
// (callers identified by SO_PEERCRED) and on TCP, plain or TLS (asio::ssl on the OpenSSL
// context of http/tls.h).
//
// Asynchronous: one Asio I/O thread runs every socket, timer and TLS handshake; the
// handlers (which call the blocking service) run on a small fixed pool. A connection that
// is idle, or sends its request one byte at a time, costs a socket and a timer, no thread.
// A streamed response is pulled (response.h's Producer) on a timer, so a log follower
// also holds no thread.
//
// Every request runs against deadlines that count from the moment the server starts
// waiting for it (the connection's accept, or the end of the previous response) and that
// no byte resets: idle_timeout for its first byte, header_timeout for its head,
// request_timeout for the whole request. The head is checked and admitted (authenticated,
// routed, given its body limit) before a byte of the body is read. Writes that the client
// does not take within write_timeout end the connection. Connections are capped in all
// and per peer (a TCP remote address, a Unix socket UID): beyond a cap a connection is
// closed at once.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "http/request.h"
#include "http/response.h"
#include "http/tls.h"

namespace cordon::http {

struct Peer {
  bool unix_socket = false;
  uid_t uid = static_cast<uid_t>(-1);  // the caller's UID, on the Unix socket only
  std::string address;                 // the remote address, on TCP only
};

// What the server does with a request whose head it has: refuse it now (the body is never
// read), or read a body of at most body_limit bytes and call the handler.
struct Admission {
  std::optional<Response> refusal;
  size_t body_limit = 0;
};

using Handler = std::function<Response(const Request&, const Peer&)>;
using Admit = std::function<Admission(const Request& head, const Peer&)>;

struct ServerOptions {
  Limits limits;                    // limits.max_body bounds every admission's body_limit
  int workers = 4;                  // handler threads
  int idle_timeout_ms = 30000;      // the first byte of a request (after accept, keep-alive)
  int header_timeout_ms = 10000;    // the whole head
  int request_deadline_ms = 30000;  // the whole request, head and body
  int write_timeout_ms = 10000;     // one write that the client does not take
  int max_requests_per_connection = 100;
  int max_connections = 16384;         // all listeners together
  int max_connections_per_peer = 256;  // per TCP remote address, per Unix socket UID
  int stream_poll_ms = 250;            // a streamed response's producer, when it had nothing
  // Called once the head is parsed, on a handler thread. Unset: every request admitted
  // with limits.max_body.
  Admit admit;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves connections accepted on listen_fd (a listening stream socket) from now on, with
  // a backlog of SOMAXCONN; with tls, each connection first does a TLS handshake.
  Status add_listener(UniqueFd listen_fd, bool unix_socket,
                      std::shared_ptr<TlsContext> tls = nullptr);
  // Closes the listeners: no new connection from now on. Those open are served on.
  void stop_accepting();
  // Stops: closes every connection (a stream is cut), waits for the handlers that run (a
  // handler that is running finishes first), joins every thread.
  void stop();
  // Requests answered so far (the daemon returns free memory after activity).
  uint64_t served() const;
  // Connections open now.
  int connections() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace cordon::http
