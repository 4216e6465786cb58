// client/transport (libcurl), from outside: endpoints as users write them, and requests
// against a tiny scripted HTTP/1.1 server on 127.0.0.1 in this process, which records what
// arrives and answers with the bytes a test gives. Keep-alive, reconnection, methods and
// bodies, streams and their stop, bounds, timeouts, refusals and proxies. (Over the Unix
// socket and over TLS: tests/integration/client_transport_test.cc, against the daemon.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/transport.h"

namespace cordon::client {
namespace {

// ---- endpoints ----

TEST(ClientEndpoint, ParsesWhatUsersWrite) {
  auto u = parse_endpoint("unix:/run/cordon/api.sock");
  ASSERT_TRUE(u.ok()) << u.error().to_string();
  EXPECT_EQ(u->unix_path, "/run/cordon/api.sock");
  EXPECT_EQ(endpoint_text(*u), "/run/cordon/api.sock");
  auto bare = parse_endpoint("/tmp/x.sock");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->unix_path, "/tmp/x.sock");

  auto h = parse_endpoint("http://127.0.0.1:8080");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->host, "127.0.0.1");
  EXPECT_EQ(h->port, 8080);
  EXPECT_FALSE(h->tls);
  EXPECT_TRUE(h->unix_path.empty());
  EXPECT_EQ(endpoint_text(*h), "http://127.0.0.1:8080");

  auto s = parse_endpoint("https://api.example.org:8443/");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->host, "api.example.org");
  EXPECT_EQ(s->port, 8443);
  EXPECT_TRUE(s->tls);

  auto v6 = parse_endpoint("https://[::1]:9000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9000);
  EXPECT_EQ(endpoint_text(*v6), "https://[::1]:9000");

  auto dflt = parse_endpoint("https://localhost");
  ASSERT_TRUE(dflt.ok());
  EXPECT_EQ(dflt->port, 443);
  EXPECT_EQ(parse_endpoint("http://localhost")->port, 80);
}

TEST(ClientEndpoint, RefusesAndNamesTheInput) {
  for (std::string bad : std::vector<std::string>{
           "",
           "localhost:80",
           "ftp://h:1",
           "unix:",
           "unix:relative/path",
           "http://",
           "http://:80",
           "http://h:",
           "http://h:0",
           "http://h:65536",
           "http://h:12a",
           "http://h:1/path",
           "http://bad host:1",
           "https://[::1",
           "https://[::1]x",
           "https://[zz]:1",
           "http://h:123456",
           "unix:/" + std::string(200, 'p'),
       }) {
    auto r = parse_endpoint(bad);
    ASSERT_FALSE(r.ok()) << "accepted '" << bad << "'";
    EXPECT_NE(r.error().to_string().find("'" + bad + "'"), std::string::npos)
        << r.error().to_string();
  }
}

// ---- a scripted server ----

// One answer: its pieces written with a pause between them; close: the connection is
// closed after it; hold: nothing is written, and the connection is held open until the
// server stops (a server that never answers).
struct Answer {
  std::vector<std::string> pieces;
  bool close = false;
  int pause_ms = 0;
  bool hold = false;
};

Answer answer(int status, const std::string& body, const std::string& extra_headers = "") {
  return {{"HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nContent-Type: application/json\r\n" + extra_headers + "\r\n" + body}};
}

std::string chunk(const std::string& s) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", s.size());
  return size + s + "\r\n";
}

class TinyServer {
 public:
  explicit TinyServer(std::vector<Answer> script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TinyServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  Endpoint endpoint() const { return parse_endpoint(url()).value(); }
  int port() const { return port_; }
  // Each request as it arrived: head and body.
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  int connections() const { return connections_; }

 private:
  // Waits for fd to be readable, giving up when the server stops.
  bool wait(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }

  void serve() {
    size_t next = 0;
    while (wait(fd_)) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++connections_;
      std::string in;
      for (bool open = true; open;) {
        size_t head_end;
        while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
          char buf[4096];
          ssize_t n = wait(c) ? ::read(c, buf, sizeof(buf)) : 0;
          if (n <= 0) {
            open = false;
            break;
          }
          in.append(buf, static_cast<size_t>(n));
        }
        if (!open) break;
        size_t length = 0;
        if (size_t at = in.find("Content-Length: "); at != std::string::npos && at < head_end)
          length = std::strtoul(in.c_str() + at + 16, nullptr, 10);
        while (in.size() < head_end + 4 + length) {
          char buf[4096];
          ssize_t n = wait(c) ? ::read(c, buf, sizeof(buf)) : 0;
          if (n <= 0) break;
          in.append(buf, static_cast<size_t>(n));
        }
        {
          std::lock_guard<std::mutex> l(mu_);
          requests_.push_back(in.substr(0, head_end + 4 + length));
        }
        in.erase(0, head_end + 4 + length);
        if (next >= script_.size()) break;
        const Answer& a = script_[next++];
        if (a.hold) {
          while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
          break;
        }
        for (size_t i = 0; i < a.pieces.size(); ++i) {
          if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(a.pause_ms));
          // The client may have gone (a stopped stream): that is not the server's failure.
          if (::send(c, a.pieces[i].data(), a.pieces[i].size(), MSG_NOSIGNAL) < 0) break;
        }
        if (a.close) break;
      }
      ::close(c);
    }
  }

  std::vector<Answer> script_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::string> requests_;
};

Transport transport(const Endpoint& ep, int timeout_ms = 5000) {
  auto t = Transport::create(ep, timeout_ms);
  EXPECT_TRUE(t.ok()) << t.error().to_string();
  return std::move(t).value();
}

bool has_line(const std::string& request, const std::string& line) {
  return request.find("\r\n" + line + "\r\n") != std::string::npos;
}

bool has_header(const std::string& request, const std::string& name) {
  size_t head = request.find("\r\n\r\n");
  std::string h = request.substr(0, head + 2);
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string n = name;
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h.find("\r\n" + n + ":") != std::string::npos;
}

// ---- requests ----

TEST(ClientTransport, GetSendsTheCallersHeadersAndReturnsStatusAndBody) {
  TinyServer s({answer(200, R"({"ok":true})")});
  Transport t = transport(s.endpoint());
  auto r = t.request("GET", "/v1/jobs?limit=2",
                     {{"Accept", "application/json"}, {"Authorization", "Bearer tok"}}, "");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->body, R"({"ok":true})");
  auto reqs = s.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].substr(0, reqs[0].find("\r\n")), "GET /v1/jobs?limit=2 HTTP/1.1");
  EXPECT_TRUE(has_line(reqs[0], "Host: 127.0.0.1:" + std::to_string(s.port()))) << reqs[0];
  EXPECT_TRUE(has_line(reqs[0], "Authorization: Bearer tok")) << reqs[0];
  EXPECT_TRUE(has_line(reqs[0], "Accept: application/json")) << reqs[0];
  // Nothing the caller did not ask for that the daemon would have to judge.
  EXPECT_FALSE(has_header(reqs[0], "Content-Length")) << reqs[0];
  EXPECT_FALSE(has_header(reqs[0], "Content-Type")) << reqs[0];
}

TEST(ClientTransport, RefusalsAreResponsesNotErrors) {
  TinyServer s({answer(404, R"({"error":{"status":404,"message":"no such job"}})")});
  Transport t = transport(s.endpoint());
  auto r = t.request("GET", "/v1/jobs/x", {}, "");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 404);
  EXPECT_FALSE(r->ok());
  EXPECT_NE(r->body.find("no such job"), std::string::npos);
}

TEST(ClientTransport, OneConnectionServesRequestAfterRequest) {
  TinyServer s({answer(200, "a"), answer(201, "bb"), answer(200, "ccc")});
  Transport t = transport(s.endpoint());
  EXPECT_EQ(t.request("GET", "/1", {}, "")->body, "a");
  EXPECT_EQ(t.request("POST", "/2", {{"Content-Type", "application/json"}}, "{}")->status, 201);
  EXPECT_EQ(t.request("DELETE", "/3", {}, "")->body, "ccc");
  EXPECT_EQ(s.connections(), 1);
  EXPECT_EQ(s.requests().size(), 3u);
}

TEST(ClientTransport, AConnectionTheServerClosedIsReplacedNotAnError) {
  Answer closing = answer(200, "first", "Connection: close\r\n");
  closing.close = true;
  Answer silent_close = answer(200, "second");
  silent_close.close = true;  // closed without saying so: found out at the next request
  TinyServer s({closing, silent_close, answer(200, "third")});
  Transport t = transport(s.endpoint());
  for (const char* want : {"first", "second", "third"}) {
    auto r = t.request("GET", "/", {}, "");
    ASSERT_TRUE(r.ok()) << want << ": " << r.error().to_string();
    EXPECT_EQ(r->body, want);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(s.connections(), 3);
}

TEST(ClientTransport, MethodsAndBodiesAsSent) {
  std::string big(3 << 20, 'u');  // past curl's threshold for "Expect: 100-continue"
  TinyServer s(
      {answer(200, ""), answer(200, ""), answer(200, ""), answer(200, ""), answer(200, "")});
  Transport t = transport(s.endpoint());
  ASSERT_TRUE(
      t.request("POST", "/v1/jobs", {{"Content-Type", "application/json"}}, "{\"a\":1}").ok());
  ASSERT_TRUE(t.request("POST", "/v1/jobs/j/cancel", {}, "").ok());
  ASSERT_TRUE(
      t.request("PATCH", "/v1/tenants/t", {{"Content-Type", "application/json"}}, "{}").ok());
  ASSERT_TRUE(t.request("POST", "/v1/uploads", {{"Content-Type", "application/x-tar"}}, big).ok());
  ASSERT_TRUE(t.request("DELETE", "/v1/jobs/j", {}, "").ok());
  auto reqs = s.requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[0].substr(0, 21), "POST /v1/jobs HTTP/1.");
  EXPECT_TRUE(has_line(reqs[0], "Content-Length: 7"));
  EXPECT_TRUE(has_line(reqs[0], "Content-Type: application/json"));
  EXPECT_EQ(reqs[0].substr(reqs[0].size() - 7), "{\"a\":1}");
  // A POST without a body still says so, and carries no form type of curl's.
  EXPECT_TRUE(has_line(reqs[1], "Content-Length: 0")) << reqs[1];
  EXPECT_FALSE(has_header(reqs[1], "Content-Type")) << reqs[1];
  EXPECT_EQ(reqs[2].substr(0, 6), "PATCH ");
  EXPECT_TRUE(has_line(reqs[2], "Content-Length: 2"));
  EXPECT_FALSE(has_header(reqs[3], "Expect")) << reqs[3].substr(0, 300);
  EXPECT_EQ(reqs[3].size() - reqs[3].find("\r\n\r\n") - 4, big.size());
  EXPECT_EQ(reqs[4].substr(0, reqs[4].find("\r\n")), "DELETE /v1/jobs/j HTTP/1.1");
  EXPECT_FALSE(has_header(reqs[4], "Content-Length")) << reqs[4];
}

TEST(ClientTransport, TargetsGoAsBuilt) {
  // A job's file "a/../b" is the daemon's to judge (and refuse), not curl's to squash.
  TinyServer s({answer(200, "")});
  Transport t = transport(s.endpoint());
  ASSERT_TRUE(t.request("GET", "/v1/jobs/j/files/a/../b%20c", {}, "").ok());
  EXPECT_EQ(s.requests()[0].substr(0, s.requests()[0].find("\r\n")),
            "GET /v1/jobs/j/files/a/../b%20c HTTP/1.1");
}

TEST(ClientTransport, InjectionIsRefusedBeforeAnythingIsSent) {
  TinyServer s({});
  Transport t = transport(s.endpoint());
  auto h = t.request("GET", "/", {{"Authorization", "Bearer x\r\nX-Admin: 1"}}, "");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().to_string().find("bad header"), std::string::npos);
  EXPECT_FALSE(t.request("GET", "/a b", {}, "").ok());
  EXPECT_FALSE(t.request("GET", "/a\r\nX: y", {}, "").ok());
  EXPECT_FALSE(t.request("GET", "noslash", {}, "").ok());
  EXPECT_FALSE(t.request("GE T", "/", {}, "").ok());
  EXPECT_FALSE(t.request("GET", "/", {{"Content-Length", "5"}}, "").ok());
  EXPECT_FALSE(t.request("GET", "/", {{"Host", "elsewhere"}}, "").ok());
  EXPECT_EQ(s.connections(), 0);
}

TEST(ClientTransport, BodiesBeyondTheBoundAreErrors) {
  TinyServer s({answer(200, std::string(5000, 'x')), answer(200, "fits")});
  Transport t = transport(s.endpoint());
  auto r = t.request("GET", "/", {}, "", nullptr, 4096);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().to_string().find("larger than 4096"), std::string::npos)
      << r.error().to_string();
  auto next = t.request("GET", "/", {}, "", nullptr, 4096);
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->body, "fits");
}

// ---- streams ----

TEST(ClientTransport, StreamPassesPiecesAsTheyArrive) {
  Answer a;
  a.pieces = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk("one\n"),
              chunk("two\n"), chunk("three\n") + "0\r\n\r\n"};
  a.pause_ms = 150;
  TinyServer s({a});
  Transport t = transport(s.endpoint());
  std::vector<std::string> pieces;
  std::string all;
  auto r = t.request("GET", "/logs?follow=1", {}, "", [&](std::string_view p) {
    pieces.emplace_back(p);
    all += p;
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "");  // passed on, not kept
  EXPECT_EQ(all, "one\ntwo\nthree\n");
  EXPECT_GE(pieces.size(), 3u);  // as they came, not at the end
}

TEST(ClientTransport, StreamStopsWhenTheReaderSaysSo) {
  Answer a;
  a.pieces = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk("first"),
              chunk("second"), "0\r\n\r\n"};
  a.pause_ms = 100;
  TinyServer s({a});
  Transport t = transport(s.endpoint());
  std::string got;
  auto r = t.request("GET", "/", {}, "", [&](std::string_view p) {
    got += p;
    return false;
  });
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(got, "first");
}

TEST(ClientTransport, AStreamsRefusalIsCollectedNotPassedOn) {
  TinyServer s({answer(410, R"({"error":{"status":410,"message":"logs removed"}})")});
  Transport t = transport(s.endpoint());
  std::string passed;
  auto r = t.request("GET", "/", {}, "", [&](std::string_view p) {
    passed += p;
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 410);
  EXPECT_EQ(passed, "");
  EXPECT_NE(r->body.find("logs removed"), std::string::npos);
}

// ---- failures ----

TEST(ClientTransport, NobodyListeningIsAConnectErrorWithTheSystemsReason) {
  int port;
  {
    TinyServer gone({});
    port = gone.port();
  }
  Transport t = transport(parse_endpoint("http://127.0.0.1:" + std::to_string(port)).value());
  auto r = t.request("GET", "/", {}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().step, "connect");
  EXPECT_EQ(r.error().err, ECONNREFUSED) << r.error().to_string();
  EXPECT_EQ(r.error().path, "http://127.0.0.1:" + std::to_string(port));
}

TEST(ClientTransport, ASilentServerTimesOut) {
  Answer hold;
  hold.hold = true;
  TinyServer s({hold});
  Transport t = transport(s.endpoint(), 1000);
  auto start = std::chrono::steady_clock::now();
  auto r = t.request("GET", "/", {}, "");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().to_string().find("no answer within 1 s"), std::string::npos)
      << r.error().to_string();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(ClientTransport, AResponseCutShortIsAnError) {
  Answer cut{{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"}, true};
  TinyServer s({cut});
  Transport t = transport(s.endpoint());
  auto r = t.request("GET", "/", {}, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().step, "read HTTP response") << r.error().to_string();
}

TEST(ClientTransport, ProxiesFromTheEnvironmentAreIgnored) {
  // The bearer token goes to the daemon named, never to a proxy a shell exported.
  TinyServer s({answer(200, "direct")});
  ::setenv("http_proxy", "http://127.0.0.1:1", 1);
  ::setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
  ::setenv("ALL_PROXY", "http://127.0.0.1:1", 1);
  Transport t = transport(s.endpoint());
  auto r = t.request("GET", "/", {}, "");
  ::unsetenv("http_proxy");
  ::unsetenv("HTTP_PROXY");
  ::unsetenv("ALL_PROXY");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->body, "direct");
}

TEST(ClientTransport, RedirectsAreNotFollowed) {
  TinyServer s({answer(302, "", "Location: http://127.0.0.1:1/elsewhere\r\n")});
  Transport t = transport(s.endpoint());
  auto r = t.request("GET", "/", {}, "");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 302);
}

}  // namespace
}  // namespace cordon::client
