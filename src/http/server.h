// A small threaded HTTP/1.1 server for the daemon's API: listeners on a Unix socket
// (callers identified by SO_PEERCRED) and on TCP, plain or TLS; a fixed pool of workers; a
// client that is slow to send its request (or to finish its TLS handshake) is cut off
// (read timeout, and a deadline for the whole request), and one that stops reading a
// response is dropped (write timeout), so it cannot hold a worker forever. Responses are
// whole or streamed in chunks. Keep-alive up to a request count.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "http/conn.h"
#include "http/request.h"
#include "http/response.h"
#include "http/tls.h"

namespace cordon::http {

struct Peer {
  bool unix_socket = false;
  uid_t uid = static_cast<uid_t>(-1);  // the caller's UID, on the Unix socket only
};

using Handler = std::function<Response(const Request&, const Peer&)>;

struct ServerOptions {
  Limits limits;
  int workers = 8;
  int read_timeout_ms = 10000;      // between two reads
  int request_deadline_ms = 30000;  // for one whole request (and for a TLS handshake)
  int write_timeout_ms = 10000;     // a client that takes no bytes for this long is gone
  int max_requests_per_connection = 100;
  size_t max_queued_connections = 256;  // beyond: answered 503 and closed
  // The largest body of one request, decided from its head and the caller (under
  // limits.max_body): so that only routes and callers that need large bodies may send
  // them. Unset: limits.max_body for every request.
  std::function<size_t(const Request&, const Peer&)> body_limit;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves connections accepted on listen_fd (a listening stream socket) from now on;
  // with tls, each connection first does a TLS handshake on a worker.
  void add_listener(UniqueFd listen_fd, bool unix_socket,
                    std::shared_ptr<TlsContext> tls = nullptr);
  // Stops accepting, lets the workers finish the requests they hold, joins every thread.
  // A streaming producer that never ends holds its worker, and so stop, until it does.
  void stop();
  // Requests answered so far (the daemon returns free memory after activity).
  uint64_t served() const { return served_.load(std::memory_order_relaxed); }

 private:
  struct Accepted {
    UniqueFd fd;
    bool unix_socket = false;
    std::shared_ptr<TlsContext> tls;
  };

  void accept_loop(int fd, bool unix_socket, std::shared_ptr<TlsContext> tls);
  void worker();
  void serve_connection(Accepted accepted);
  // Sends resp; false when the connection must end (the client is gone, or a stream was cut).
  bool send_response(Conn& conn, Response& resp, bool keep_alive);

  ServerOptions options_;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> served_{0};
  UniqueFd wake_read_, wake_write_;  // a pipe that wakes the accept loops at stop
  std::vector<UniqueFd> listeners_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Accepted> queue_;
};

}  // namespace cordon::http
