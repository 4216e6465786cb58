#include "http/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "sys/socket.h"

namespace cordon::http {
namespace {

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

void Server::add_listener(UniqueFd listen_fd, bool unix_socket) {
  int fd = listen_fd.get();
  listeners_.push_back(std::move(listen_fd));
  threads_.emplace_back([this, fd, unix_socket] { accept_loop(fd, unix_socket); });
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
  for (auto& [fd, kind] : queue_) ::close(fd);
  queue_.clear();
}

void Server::accept_loop(int listen_fd, bool unix_socket) {
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
      (void)send_all(conn->get(), serialize(error(503, "the server is busy"), false));
      continue;
    }
    queue_.emplace_back(conn->release(), unix_socket);
    lock.unlock();
    cv_.notify_one();
  }
}

void Server::worker() {
  for (;;) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    auto [fd, unix_socket] = queue_.front();
    queue_.pop_front();
    lock.unlock();
    serve_connection(fd, unix_socket);
    ::close(fd);
  }
}

void Server::serve_connection(int fd, bool unix_socket) {
  Peer peer;
  peer.unix_socket = unix_socket;
  if (unix_socket) {
    auto uid = sys::peer_uid(fd);
    if (uid.ok()) peer.uid = *uid;
  }
  (void)sys::set_recv_timeout(fd, options_.read_timeout_ms);
  std::string pending;
  for (int served = 0; served < options_.max_requests_per_connection && !stopping_; ++served) {
    RequestParser parser(options_.limits);
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.request_deadline_ms);
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
      if (std::chrono::steady_clock::now() > deadline) {
        (void)send_all(fd, serialize(error(408, "the request took too long to arrive"), false));
        return;
      }
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // An idle keep-alive connection just closes; a request cut off mid-way is told.
        if (served == 0 || got_bytes)
          (void)send_all(fd, serialize(error(408, "the client stopped sending"), false));
        return;
      }
      if (n <= 0) return;  // closed (between requests: normal)
      pending.append(buf, static_cast<size_t>(n));
      got_bytes = true;
    }
    if (st == RequestParser::State::kError) {
      (void)send_all(fd, serialize(error(parser.error_status(), parser.error_reason()), false));
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
    if (!send_all(fd, serialize(resp, keep)) || !keep) return;
  }
}

}  // namespace cordon::http
