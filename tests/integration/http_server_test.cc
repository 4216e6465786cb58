// The daemon's HTTP server on real sockets: a Unix socket that knows its caller's UID,
// TCP, keep-alive, refusals with JSON bodies, and a slow client cut off.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "harness.h"
#include "http/server.h"
#include "sys/socket.h"

namespace cordon::testing {
namespace {

int connect_unix_stream(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int connect_tcp(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends text, reads until the peer closes (or `responses` Content-Length bodies arrived).
std::string exchange(int fd, const std::string& text, bool close_after = true) {
  EXPECT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
  if (close_after) ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

class HttpServer : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions o;
    o.workers = 2;
    o.read_timeout_ms = 300;
    o.request_deadline_ms = 2000;
    o.limits.max_body = 1024;
    server_ = std::make_unique<http::Server>(o, [](const http::Request& r, const http::Peer& p) {
      http::Response resp;
      resp.body = nlohmann::json({{"path", r.path},
                                  {"method", r.method},
                                  {"body", r.body},
                                  {"unix", p.unix_socket},
                                  {"uid", p.unix_socket ? static_cast<int64_t>(p.uid) : -1}})
                      .dump();
      return resp;
    });
    path_ = dir_.path() + "/api.sock";
    auto u = sys::listen_unix(path_, 0600, SOCK_STREAM);
    ASSERT_TRUE(u.ok()) << u.error().to_string();
    server_->add_listener(std::move(u).value(), true);
    auto t = sys::listen_tcp("127.0.0.1", 0);
    ASSERT_TRUE(t.ok()) << t.error().to_string();
    auto port = sys::bound_port(t->get());
    ASSERT_TRUE(port.ok());
    port_ = *port;
    server_->add_listener(std::move(t).value(), false);
  }

  TempDir dir_;
  std::string path_;
  int port_ = 0;
  std::unique_ptr<http::Server> server_;
};

nlohmann::json body_of(const std::string& response) {
  size_t at = response.find("\r\n\r\n");
  return nlohmann::json::parse(response.substr(at + 4), nullptr, false);
}

TEST_F(HttpServer, ServesUnixWithTheCallersUidAndTcp) {
  std::string r = exchange(connect_unix_stream(path_),
                           "POST /v1/x HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
  ASSERT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  auto j = body_of(r);
  EXPECT_EQ(j["path"], "/v1/x");
  EXPECT_EQ(j["body"], "hi");
  EXPECT_EQ(j["unix"], true);
  EXPECT_EQ(j["uid"], static_cast<int64_t>(::getuid()));
  std::string t = exchange(connect_tcp(port_), "GET /a HTTP/1.1\r\n\r\n");
  EXPECT_EQ(body_of(t)["unix"], false);
}

TEST_F(HttpServer, KeepsTheConnectionAliveForSeveralRequests) {
  std::string r = exchange(connect_tcp(port_),
                           "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nConnection: close\r\n\r\n");
  size_t first = r.find("\"path\":\"/1\"");
  size_t second = r.find("\"path\":\"/2\"");
  EXPECT_NE(first, std::string::npos) << r;
  EXPECT_NE(second, std::string::npos) << r;
  EXPECT_LT(first, second);
}

TEST_F(HttpServer, RefusesWithJsonErrors) {
  std::string big = exchange(connect_tcp(port_), "POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
  ASSERT_EQ(big.rfind("HTTP/1.1 413 ", 0), 0u) << big;
  EXPECT_EQ(body_of(big)["error"]["status"], 413);
  std::string bad = exchange(connect_tcp(port_), "BROKEN\r\n\r\n");
  ASSERT_EQ(bad.rfind("HTTP/1.1 400 ", 0), 0u) << bad;
  EXPECT_TRUE(body_of(bad)["error"]["message"].is_string());
}

TEST_F(HttpServer, SlowClientIsCutOff) {
  int fd = connect_tcp(port_);
  ASSERT_GE(fd, 0);
  // Half a request, then silence: the worker must not wait for ever.
  std::string r = exchange(fd, "GET /slow HTTP/1.1\r\nHost:", false);
  EXPECT_EQ(r.rfind("HTTP/1.1 408 ", 0), 0u) << r;
  // Both workers are free again.
  EXPECT_EQ(exchange(connect_tcp(port_), "GET /b HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

}  // namespace
}  // namespace cordon::testing
