// The server's state shared by its listeners and connections (server.cc, session.cc).
// Internal to http/: nothing outside includes it.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "http/server.h"

namespace cordon::http {

namespace asio = boost::asio;
using Tcp = asio::ip::tcp;
using Local = asio::local::stream_protocol;

struct Server::Impl {
  explicit Impl(ServerOptions o, Handler h);

  ServerOptions options;
  Handler handler;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> served{0};

  // Connections by peer ("uid:N", "ip:ADDR") and in all; taken at accept, given back by
  // the connection's destructor.
  std::mutex peers_mu;
  std::unordered_map<std::string, int> per_peer;
  int open = 0;
  bool take_slot(const std::string& peer_key);
  void give_slot(const std::string& peer_key);

  // Every connection's way to be closed at stop, by id (I/O thread only).
  std::unordered_map<uint64_t, std::function<void()>> closers;
  uint64_t next_id = 0;

  asio::io_context io{1};
  std::vector<std::unique_ptr<Tcp::acceptor>> tcp_listeners;
  std::vector<std::unique_ptr<Local::acceptor>> unix_listeners;
  std::optional<asio::thread_pool> pool;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread io_thread;
};

// Serves one accepted connection until it ends (session.cc); its slot is taken.
void serve_tcp(Server::Impl* impl, Tcp::socket s, std::string peer_key, Peer peer);
void serve_tls(Server::Impl* impl, Tcp::socket s, std::shared_ptr<asio::ssl::context> tls,
               std::string peer_key, Peer peer);
void serve_unix(Server::Impl* impl, Local::socket s, std::string peer_key, Peer peer);

}  // namespace cordon::http
