// The daemon's HTTP server on real sockets: a Unix socket that knows its caller's UID,
// TCP, keep-alive, refusals with JSON bodies, a slow client cut off, streamed responses
// read by the client as they are written, and TLS (a certificate made at test time).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

#include "client/transport.h"
#include "harness.h"
#include "http/server.h"
#include "http/tls.h"
#include "sys/socket.h"
#include "test_certificate.h"

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
    o.idle_timeout_ms = 300;
    o.header_timeout_ms = 300;
    o.request_deadline_ms = 2000;
    o.limits.max_body = 1024;
    server_ =
        std::make_unique<http::Server>(o, [this](const http::Request& r, const http::Peer& p) {
          // A test's own route; set before the first request, so no worker reads it while set.
          if (route_ && r.path.rfind("/test/", 0) == 0) return route_(r);
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
    ASSERT_TRUE(server_->add_listener(std::move(u).value(), true).ok());
    auto t = sys::listen_tcp("127.0.0.1", 0);
    ASSERT_TRUE(t.ok()) << t.error().to_string();
    auto port = sys::bound_port(t->get());
    ASSERT_TRUE(port.ok());
    port_ = *port;
    ASSERT_TRUE(server_->add_listener(std::move(t).value(), false).ok());
  }

  TempDir dir_;
  std::string path_;
  int port_ = 0;
  std::function<http::Response(const http::Request&)> route_;
  std::unique_ptr<http::Server> server_;
};

nlohmann::json body_of(const std::string& response) {
  size_t at = response.find("\r\n\r\n");
  return nlohmann::json::parse(response.substr(at + 4), nullptr, false);
}

TEST_F(HttpServer, ServesUnixWithTheCallersUidAndTcp) {
  std::string r =
      exchange(connect_unix_stream(path_), "POST /v1/x HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
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

using namespace std::chrono_literals;

client::Endpoint unix_endpoint(const std::string& path) {
  client::Endpoint ep;
  ep.unix_path = path;
  return ep;
}

TEST_F(HttpServer, StreamsChunksThatTheClientReadsAsTheyAreWritten) {
  std::mutex mu;
  std::condition_variable cv;
  bool first_seen = false;
  std::atomic<bool> producer_saw_the_client{false};
  route_ = [&](const http::Request&) {
    http::Response resp;
    resp.content_type = "text/plain";
    auto step = std::make_shared<int>(0);
    resp.pull = [&, step](std::string* out) {
      switch ((*step)++) {
        case 0:
          *out = "first\n";
          return http::Pull::kMore;
        case 1: {
          // The rest waits until the client has the first chunk: it cannot have been
          // buffered into one response at the end.
          std::unique_lock<std::mutex> lock(mu);
          producer_saw_the_client = cv.wait_for(lock, 5s, [&] { return first_seen; });
          return http::Pull::kMore;  // nothing this time: no chunk, no failure
        }
        case 2:
          *out = "second\n";
          return http::Pull::kMore;
        default:
          *out = "third\n";
          return http::Pull::kEnd;
      }
    };
    return resp;
  };
  auto c = client::Transport::create(unix_endpoint(path_), 5000);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  std::vector<std::string> pieces;
  auto r = c->request("GET", "/test/stream", {}, "", [&](std::string_view piece) {
    pieces.emplace_back(piece);
    if (pieces.size() == 1) {
      std::lock_guard<std::mutex> lock(mu);
      first_seen = true;
      cv.notify_all();
    }
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("transfer-encoding"), "chunked");
  EXPECT_EQ(r->header("content-length"), "");
  EXPECT_EQ(r->header("connection"), "keep-alive");
  EXPECT_TRUE(r->body.empty()) << "streamed pieces are not kept";
  EXPECT_TRUE(producer_saw_the_client);
  ASSERT_FALSE(pieces.empty());
  EXPECT_EQ(pieces[0], "first\n");
  std::string all;
  for (const auto& p : pieces) all += p;
  EXPECT_EQ(all, "first\nsecond\nthird\n");

  // The connection goes on after a complete stream; without on_chunk the body is collected.
  auto again = c->request("POST", "/after", {{"X-Test", "1"}}, "body");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(nlohmann::json::parse(again->body)["body"], "body");
  auto whole = c->request("GET", "/test/stream", {}, "");
  ASSERT_TRUE(whole.ok()) << whole.error().to_string();
  EXPECT_EQ(whole->body, "first\nsecond\nthird\n");
  // And a body over the caller's bound is refused.
  auto small = c->request("GET", "/test/stream", {}, "", nullptr, 8);
  EXPECT_FALSE(small.ok());
}

TEST_F(HttpServer, AClientThatHangsUpMidStreamFreesTheWorker) {
  std::atomic<int> writes_failed{0};
  route_ = [&](const http::Request&) {
    http::Response resp;
    resp.content_type = "text/plain";
    // Endless but for the client: the server drops the producer (and so this token) when
    // a write says the client is gone.
    std::shared_ptr<void> token(nullptr, [&](void*) { ++writes_failed; });
    resp.pull = [token](std::string* out) {
      std::this_thread::sleep_for(2ms);
      *out = std::string(1000, 'x');
      return http::Pull::kMore;
    };
    return resp;
  };
  // As many streams as workers: were a gone client not noticed, none would be left.
  for (int i = 0; i < 2; ++i) {
    auto c = client::Transport::create(unix_endpoint(path_), 5000);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    size_t got = 0;
    auto r = c->request("GET", "/test/endless", {}, "", [&](std::string_view piece) {
      got += piece.size();
      return got < 5000;  // then hang up
    });
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->status, 200);
    EXPECT_GE(got, 5000u);
    // The client closed that connection; its next request goes on a new one.
    auto next = c->request("GET", "/next", {}, "");
    ASSERT_TRUE(next.ok()) << next.error().to_string();
    EXPECT_EQ(nlohmann::json::parse(next->body)["path"], "/next");
  }
  EXPECT_TRUE(wait_until(60000, [&] { return writes_failed == 2; })) << writes_failed;
  EXPECT_EQ(exchange(connect_tcp(port_), "GET /b HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

// A TLS listener on 127.0.0.1, with a certificate made for this test.
class HttpServerTls : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/openssl", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/openssl";
    TestCertificate made = make_test_certificate(dir_.path());
    ASSERT_TRUE(made.ok()) << made.error;
    cert_ = made.cert;
    key_ = made.key;
    auto ctx = http::tls_server_context(cert_, key_);
    ASSERT_TRUE(ctx.ok()) << ctx.error().to_string();
    http::ServerOptions o;
    o.workers = 2;
    o.header_timeout_ms = 300;  // what cuts a stalled handshake
    o.request_deadline_ms = 5000;
    server_ = std::make_unique<http::Server>(o, [](const http::Request& r, const http::Peer&) {
      http::Response resp;
      if (r.path == "/stream") {
        auto n = std::make_shared<int>(0);
        resp.pull = [n](std::string* out) {
          static const char* const kWords[] = {"one ", "two ", "three"};
          *out = kWords[(*n)++];
          return *n == 3 ? http::Pull::kEnd : http::Pull::kMore;
        };
        return resp;
      }
      resp.body = nlohmann::json({{"path", r.path}, {"host", r.header("host")}}).dump();
      return resp;
    });
    auto t = sys::listen_tcp("127.0.0.1", 0);
    ASSERT_TRUE(t.ok()) << t.error().to_string();
    auto port = sys::bound_port(t->get());
    ASSERT_TRUE(port.ok());
    port_ = *port;
    ASSERT_TRUE(server_->add_listener(std::move(t).value(), false, *ctx).ok());
  }

  client::Endpoint endpoint(const std::string& host) const {
    client::Endpoint ep;
    ep.host = host;
    ep.port = port_;
    ep.tls = true;
    ep.ca_file = cert_;
    return ep;
  }

  // A request over https that must succeed; returns the JSON body.
  nlohmann::json get(const std::string& host, const std::string& target) {
    auto c = client::Transport::create(endpoint(host), 5000);
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    if (!c.ok()) return {};
    auto r = c->request("GET", target, {}, "");
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    if (!r.ok()) return {};
    EXPECT_EQ(r->status, 200);
    return nlohmann::json::parse(r->body, nullptr, false);
  }

  TempDir dir_;
  std::string cert_, key_;
  int port_ = 0;
  std::unique_ptr<http::Server> server_;
};

TEST_F(HttpServerTls, ServesOverHttpsAndVerifiesTheServer) {
  // The certificate's IP address and its DNS name are both checked and both match.
  EXPECT_EQ(get("127.0.0.1", "/by-ip")["path"], "/by-ip");
  EXPECT_EQ(get("localhost", "/by-name")["path"], "/by-name");

  auto ep = client::parse_endpoint("https://127.0.0.1:" + std::to_string(port_));
  ASSERT_TRUE(ep.ok());
  ep->ca_file = cert_;
  auto c = client::Transport::create(*ep, 5000);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  // Keep-alive, a stream, and keep-alive after the stream, all on one TLS connection.
  for (int i = 0; i < 2; ++i) {
    auto r = c->request("GET", "/n" + std::to_string(i), {}, "");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(nlohmann::json::parse(r->body)["host"], "127.0.0.1:" + std::to_string(port_));
  }
  std::string streamed;
  auto s = c->request("GET", "/stream", {}, "", [&](std::string_view piece) {
    streamed += piece;
    return true;
  });
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->header("transfer-encoding"), "chunked");
  EXPECT_EQ(streamed, "one two three");
  auto after = c->request("GET", "/after", {}, "");
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(nlohmann::json::parse(after->body)["path"], "/after");

  // A client that trusts another CA refuses the server.
  TestCertificate other =
      make_test_certificate(dir_.path(), "localhost", "DNS:localhost,IP:127.0.0.1", "other-");
  ASSERT_TRUE(other.ok()) << other.error;
  const std::string& other_cert = other.cert;
  client::Endpoint wrong = endpoint("localhost");
  wrong.ca_file = other_cert;
  auto wrong_client = client::Transport::create(wrong, 5000);
  ASSERT_TRUE(wrong_client.ok()) << wrong_client.error().to_string();  // connects lazily
  auto refused = wrong_client->request("GET", "/refused", {}, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().to_string().find("certificate"), std::string::npos)
      << refused.error().to_string();
  // A listener whose certificate (trusted) is for another name: the name is checked.
  TestCertificate named =
      make_test_certificate(dir_.path(), "other", "DNS:other.example", "named-");
  ASSERT_TRUE(named.ok()) << named.error;
  const std::string& named_cert = named.cert;
  const std::string& named_key = named.key;
  auto named_ctx = http::tls_server_context(named_cert, named_key);
  ASSERT_TRUE(named_ctx.ok()) << named_ctx.error().to_string();
  auto t = sys::listen_tcp("127.0.0.1", 0);
  ASSERT_TRUE(t.ok());
  auto named_port = sys::bound_port(t->get());
  ASSERT_TRUE(named_port.ok());
  ASSERT_TRUE(server_->add_listener(std::move(t).value(), false, *named_ctx).ok());
  for (const char* host : {"localhost", "127.0.0.1"}) {
    client::Endpoint ep = endpoint(host);
    ep.port = *named_port;
    ep.ca_file = named_cert;
    auto named_client = client::Transport::create(ep, 5000);
    ASSERT_TRUE(named_client.ok()) << named_client.error().to_string();
    auto mismatch = named_client->request("GET", "/mismatch", {}, "");
    ASSERT_FALSE(mismatch.ok()) << host;
    EXPECT_NE(mismatch.error().to_string().find("match"), std::string::npos)
        << mismatch.error().to_string();
  }

  // Server contexts name the file they could not use.
  auto missing = http::tls_server_context(dir_.path() + "/none.pem", key_);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("none.pem"), std::string::npos);
}

TEST_F(HttpServerTls, PlainHttpOnTheTlsPortFailsCleanly) {
  client::Endpoint plain = endpoint("127.0.0.1");
  plain.tls = false;
  auto c = client::Transport::create(plain, 5000);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  auto r = c->request("GET", "/plain", {}, "");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("https"), std::string::npos) << r->body;
  // Garbage that is not HTTP either: the connection just closes.
  std::string junk = exchange(connect_tcp(port_), std::string(64, '\x01'));
  EXPECT_EQ(junk.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(get("localhost", "/still")["path"], "/still");
}

TEST_F(HttpServerTls, StalledHandshakeIsCutOff) {
  // Both workers held: one client sends nothing, one half a TLS record header.
  int silent = connect_tcp(port_);
  int partial = connect_tcp(port_);
  ASSERT_GE(silent, 0);
  ASSERT_GE(partial, 0);
  ASSERT_EQ(::send(partial, "\x16\x03\x01", 3, MSG_NOSIGNAL), 3);
  auto start = std::chrono::steady_clock::now();
  for (int fd : {silent, partial}) {
    char c;
    // The server closes: EOF (or a reset), not data and not our own 10 s timeout.
    timeval tv = {10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t n = ::recv(fd, &c, 1, 0);
    EXPECT_LE(n, 0);
    if (n < 0) {
      EXPECT_NE(errno, EAGAIN);
    }
    ::close(fd);
  }
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 3s) << "cut off by the 300 ms header timeout, well before the 5 s deadline";
  EXPECT_EQ(get("localhost", "/after-stall")["path"], "/after-stall");
}

}  // namespace
}  // namespace cordon::testing
