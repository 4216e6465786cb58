#include "http/server.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <chrono>
#include <future>

#include "http/server_impl.h"
#include "sys/socket.h"

namespace cordon::http {
namespace {

// Accepts until the listener is closed. Out of file descriptors (EMFILE, ENFILE) the
// listener stays readable: a short pause, not a spin.
template <class Acceptor, class Serve>
asio::awaitable<void> accept_loop(Server::Impl* impl, Acceptor* acc, Serve serve) {
  for (;;) {
    boost::system::error_code ec;
    auto sock = co_await acc->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (impl->stopping || ec == asio::error::operation_aborted || !acc->is_open()) co_return;
    if (ec) {
      asio::steady_timer pause(impl->io, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    serve(std::move(sock));
  }
}

std::string unix_peer(int fd, Peer* peer) {
  auto uid = sys::peer_uid(fd);
  if (!uid.ok()) return "uid:?";
  peer->uid = *uid;
  return "uid:" + std::to_string(*uid);
}

}  // namespace

Server::Impl::Impl(ServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {
  pool.emplace(static_cast<size_t>(std::max(1, options.workers)));
  work.emplace(io.get_executor());
  io_thread = std::thread([this] {
    for (;;) {
      try {
        io.run();
        return;
      } catch (...) {
        // A connection's error never ends the server: that connection is gone; go on.
      }
    }
  });
}

bool Server::Impl::take_slot(const std::string& peer_key) {
  std::lock_guard lock(peers_mu);
  if (open >= options.max_connections) return false;
  int& n = per_peer[peer_key];
  if (n >= options.max_connections_per_peer) return false;
  ++n;
  ++open;
  return true;
}

void Server::Impl::give_slot(const std::string& peer_key) {
  std::lock_guard lock(peers_mu);
  --open;
  auto it = per_peer.find(peer_key);
  if (it != per_peer.end() && --it->second <= 0) per_peer.erase(it);
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_shared<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() {
  stop();
}

uint64_t Server::served() const {
  return impl_->served.load(std::memory_order_relaxed);
}

int Server::connections() const {
  std::lock_guard lock(impl_->peers_mu);
  return impl_->open;
}

Status Server::add_listener(UniqueFd listen_fd, bool unix_socket, std::shared_ptr<TlsContext> tls) {
  // The queue of connections not yet accepted: as long as the kernel allows, so that a
  // burst waits there rather than being refused (the caps decide who is served).
  TRY(sys::listen_backlog(listen_fd.get(), SOMAXCONN));
  Impl* impl = impl_.get();
  boost::system::error_code ec;
  if (unix_socket) {
    auto acc = std::make_unique<Local::acceptor>(impl->io);
    acc->assign(Local(), listen_fd.get(), ec);
    if (ec) return logic_error("listen", "", ec.message());
    listen_fd.release();
    auto* a = acc.get();
    asio::post(impl->io, [impl, a, acc = std::move(acc)]() mutable {
      impl->unix_listeners.push_back(std::move(acc));
      asio::co_spawn(impl->io,
                     accept_loop(impl, a,
                                 [impl](Local::socket s) {
                                   Peer peer;
                                   peer.unix_socket = true;
                                   std::string key = unix_peer(s.native_handle(), &peer);
                                   // Beyond a cap: closed at once (s goes out of scope).
                                   if (!impl->take_slot(key)) return;
                                   serve_unix(impl, std::move(s), std::move(key), peer);
                                 }),
                     asio::detached);
    });
    return {};
  }
  std::shared_ptr<asio::ssl::context> ssl;
  if (tls) {
    // asio's context takes a reference of its own on the OpenSSL context.
    SSL_CTX_up_ref(tls->native());
    ssl = std::make_shared<asio::ssl::context>(tls->native());
  }
  ASSIGN_OR_RETURN(int family, sys::socket_family(listen_fd.get()));
  auto acc = std::make_unique<Tcp::acceptor>(impl->io);
  acc->assign(family == AF_INET6 ? Tcp::v6() : Tcp::v4(), listen_fd.get(), ec);
  if (ec) return logic_error("listen", "", ec.message());
  listen_fd.release();
  auto* a = acc.get();
  asio::post(impl->io, [impl, a, ssl, acc = std::move(acc)]() mutable {
    impl->tcp_listeners.push_back(std::move(acc));
    asio::co_spawn(impl->io,
                   accept_loop(impl, a,
                               [impl, ssl](Tcp::socket s) {
                                 Peer peer;
                                 boost::system::error_code e;
                                 auto remote = s.remote_endpoint(e);
                                 if (e) return;  // already gone
                                 peer.address = remote.address().to_string();
                                 std::string key = "ip:" + peer.address;
                                 if (!impl->take_slot(key)) return;
                                 s.set_option(Tcp::no_delay(true), e);
                                 if (ssl) {
                                   serve_tls(impl, std::move(s), ssl, std::move(key), peer);
                                 } else {
                                   serve_tcp(impl, std::move(s), std::move(key), peer);
                                 }
                               }),
                   asio::detached);
  });
  return {};
}

namespace {

// Runs fn on the I/O thread and waits for it (at most a few seconds: a wedged I/O thread
// must not hold the daemon's stop forever).
void on_io_and_wait(Server::Impl* impl, std::function<void()> fn) {
  if (!impl->io_thread.joinable() || impl->io.stopped()) return;
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  asio::post(impl->io, [fn = std::move(fn), done] {
    fn();
    done->set_value();
  });
  f.wait_for(std::chrono::seconds(2));
}

}  // namespace

void Server::stop_accepting() {
  Impl* impl = impl_.get();
  on_io_and_wait(impl, [impl] {
    boost::system::error_code ec;
    for (auto& l : impl->tcp_listeners) l->close(ec);
    for (auto& l : impl->unix_listeners) l->close(ec);
  });
}

void Server::stop() {
  Impl* impl = impl_.get();
  if (impl->stopping.exchange(true)) return;
  stop_accepting();
  // Every connection closed: reads, writes and stream timers end with an error.
  on_io_and_wait(impl, [impl] {
    auto closers = impl->closers;  // a closer may erase its own entry
    for (auto& [id, close] : closers) close();
  });
  impl->work.reset();
  impl->io.stop();
  if (impl->io_thread.joinable()) impl->io_thread.join();
  // Handlers that run finish; those queued never start (their connections are closed).
  impl->pool->stop();
  impl->pool->join();
  impl->pool.reset();
}

}  // namespace cordon::http
