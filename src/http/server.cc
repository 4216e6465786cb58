#include "http/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "sys/socket.h"

namespace cordon::http {
namespace {

using Clock = std::chrono::steady_clock;

bool send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

// Reads and drops what the client still sends, briefly: closing a socket with unread bytes
// resets the connection, and the reset can destroy the refusal just sent before the
// client reads it.
void drain(Conn& conn) {
  char buf[4096];
  for (int i = 0; i < 16; ++i) {
    auto n = conn.read(buf, sizeof(buf), 100);
    if (!n.ok() || *n == 0) return;
  }
}

// After an error answered early (413 before the body): what the client is still
// sending is read and dropped for a moment, so that it reads the answer instead of a
// reset. Bounded in bytes and time, so it holds the worker no longer than a slow client.
void drain_after_error(Conn& conn) {
  char buf[16384];
  auto end = Clock::now() + std::chrono::seconds(1);
  for (size_t taken = 0; taken < (8u << 20) && Clock::now() < end;) {
    auto n = conn.read(buf, sizeof(buf), 200);
    if (!n.ok() || *n == 0) return;
    taken += *n;
  }
}

}  // namespace

Server::Server(ServerOptions options, Handler handler)
    : options_(options), handler_(std::move(handler)) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) == 0) {
    wake_read_.reset(p[0]);
    wake_write_.reset(p[1]);
  }
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { worker(); });
}

Server::~Server() {
  stop();
}

void Server::add_listener(UniqueFd listen_fd, bool unix_socket, std::shared_ptr<TlsContext> tls) {
  int fd = listen_fd.get();
  listeners_.push_back(std::move(listen_fd));
  threads_.emplace_back(
      [this, fd, unix_socket, tls = std::move(tls)] { accept_loop(fd, unix_socket, tls); });
}

void Server::stop() {
  if (stopping_.exchange(true)) return;
  if (wake_write_.valid()) {
    ssize_t n = ::write(wake_write_.get(), "x", 1);
    (void)n;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  std::lock_guard<std::mutex> lock(mu_);
  queue_.clear();
}

void Server::accept_loop(int listen_fd, bool unix_socket, std::shared_ptr<TlsContext> tls) {
  while (!stopping_) {
    struct pollfd p[2] = {{listen_fd, POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) continue;
    if (stopping_ || (p[1].revents & POLLIN)) return;
    if (!(p[0].revents & POLLIN)) continue;
    auto conn = sys::accept_conn(listen_fd);
    if (!conn.ok()) {
      // Out of fds (EMFILE/ENFILE) the listener stays readable: back off, do not spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (queue_.size() >= options_.max_queued_connections) {
      lock.unlock();
      // A TLS client could not read a plain answer: it just sees the close.
      if (!tls) (void)send_all(conn->get(), serialize(error(503, "the server is busy"), false));
      continue;
    }
    queue_.push_back(Accepted{std::move(conn).value(), unix_socket, tls});
    lock.unlock();
    cv_.notify_one();
  }
}

void Server::worker() {
  for (;;) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    Accepted a = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    serve_connection(std::move(a));
  }
}

bool Server::send_response(Conn& conn, Response& resp, bool keep_alive) {
  const int timeout = options_.write_timeout_ms;
  if (resp.status == 204) resp.stream = nullptr;  // a 204 has no body to stream
  if (!resp.stream) return conn.write_all(serialize(resp, keep_alive), timeout);
  if (!conn.write_all(serialize(resp, keep_alive), timeout)) return false;
  bool alive = true;
  ChunkWriter write = [&](std::string_view data) {
    if (!alive) return false;
    // An empty chunk would end the body: nothing is sent, but whether the client is still
    // there is answered (a follower of a quiet log asks this way).
    if (data.empty()) return alive = !conn.peer_gone();
    // Checked first: the kernel would still take a chunk or two for a client that hung up.
    alive = !conn.peer_gone() && conn.write_all(encode_chunk(data), timeout);
    return alive;
  };
  try {
    resp.stream(write);
  } catch (...) {
    return false;  // cut off without the last chunk: the client knows the body is incomplete
  }
  return alive && conn.write_all(kLastChunk, timeout);
}

void Server::serve_connection(Accepted accepted) {
  Peer peer;
  peer.unix_socket = accepted.unix_socket;
  if (accepted.unix_socket) {
    auto uid = sys::peer_uid(accepted.fd.get());
    if (uid.ok()) peer.uid = *uid;
  }
  Conn conn(std::move(accepted.fd));
  if (accepted.tls) {
    // Bounded like a request: a client that stalls the handshake holds a worker no longer.
    auto deadline = Clock::now() + std::chrono::milliseconds(options_.request_deadline_ms);
    bool plain_http = false;
    if (!conn.accept_tls(*accepted.tls, options_.read_timeout_ms, deadline, &plain_http).ok()) {
      // A plain-HTTP client is told why, in its own protocol.
      if (plain_http) {
        (void)conn.write_all(serialize(error(400, "this port speaks TLS: use https"), false),
                             options_.write_timeout_ms);
        drain(conn);
      }
      return;
    }
  }
  std::string pending;
  for (int served = 0; served < options_.max_requests_per_connection && !stopping_; ++served) {
    RequestParser parser(options_.limits);
    if (options_.body_limit)
      parser.set_body_limit([&](const Request& r) { return options_.body_limit(r, peer); });
    auto deadline = Clock::now() + std::chrono::milliseconds(options_.request_deadline_ms);
    RequestParser::State st = RequestParser::State::kNeedMore;
    bool got_bytes = !pending.empty();
    char buf[16384];
    for (;;) {
      if (!pending.empty()) {
        size_t used = 0;
        st = parser.feed(pending, &used);
        pending.erase(0, used);
        if (st != RequestParser::State::kNeedMore) break;
      }
      int left = ms_until(deadline);
      auto n = left == 0 ? Result<size_t>(errno_error(ETIMEDOUT, "recv"))
                         : conn.read(buf, sizeof(buf), std::min(options_.read_timeout_ms, left));
      if (!n.ok()) {
        if (n.error().err != ETIMEDOUT) return;
        if (ms_until(deadline) == 0) {
          (void)conn.write_all(serialize(error(408, "the request took too long to arrive"), false),
                               options_.write_timeout_ms);
        } else if (served == 0 || got_bytes) {
          // An idle keep-alive connection just closes; a request cut off mid-way is told.
          (void)conn.write_all(serialize(error(408, "the client stopped sending"), false),
                               options_.write_timeout_ms);
        }
        return;
      }
      if (*n == 0) return;  // closed (between requests: normal)
      pending.append(buf, *n);
      got_bytes = true;
    }
    if (st == RequestParser::State::kError) {
      if (conn.write_all(serialize(error(parser.error_status(), parser.error_reason()), false),
                         options_.write_timeout_ms))
        drain_after_error(conn);
      return;
    }
    Response resp;
    try {
      resp = handler_(parser.request(), peer);
    } catch (const std::exception& e) {
      resp = error(500, "internal error");
    }
    bool keep = parser.request().keep_alive && served + 1 < options_.max_requests_per_connection &&
                !stopping_;
    bool sent = send_response(conn, resp, keep);
    resp = Response();  // its body freed before the count says it was answered
    served_.fetch_add(1, std::memory_order_relaxed);
    if (!sent || !keep) return;
  }
}

}  // namespace cordon::http
