// The daemon's HTTP server from outside (http/server.h on Boost.Beast): a real `cordon
// daemon`, raw sockets. Thousands of idle and dribbling connections from one peer do not
// keep a tenant's or the operator's request from being answered; a thousand log followers
// hold no thread each; deadlines cut dribblers; SIGTERM ends the daemon within its grace
// plus a second whatever the clients do; malformed heads get 400 before any body is read.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <regex>
#include <thread>

#include "base/unique_fd.h"
#include "daemon_harness.h"
#include "harness.h"
#include "client/transport.h"

namespace cordon::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// This process holds thousands of sockets: its soft limit up to the hard one.
rlim_t raise_fd_limit() {
  struct rlimit rl;
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  ::getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

int count_entries(const std::string& dir) {
  int n = 0;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  while (struct dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

int threads_of(pid_t pid) {
  return count_entries("/proc/" + std::to_string(pid) + "/task");
}

UniqueFd unix_conn(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof(a.sun_path), "%s", path.c_str());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return UniqueFd();
  return fd;
}

// A TCP connection to 127.0.0.1:port from the address `from` (another peer than the test's
// own requests, which come from 127.0.0.1).
UniqueFd tcp_conn(int port, const char* from = nullptr) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (from != nullptr) {
    sockaddr_in src = {};
    src.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &src.sin_addr);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) return UniqueFd();
  }
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return UniqueFd();
  return fd;
}

bool send_text(int fd, std::string_view text) {
  return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// Reads until the peer closes, `until` appears, or timeout_ms pass.
std::string read_until(int fd, const std::string& until, int timeout_ms) {
  std::string out;
  auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  while (Clock::now() < end) {
    if (!until.empty() && out.find(until) != std::string::npos) break;
    struct pollfd p = {fd, POLLIN, 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count());
    if (::poll(&p, 1, std::max(1, left)) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// The status of a raw exchange (-1 without an answer).
int status_of(const std::string& reply) {
  if (reply.rfind("HTTP/1.1 ", 0) != 0 || reply.size() < 12) return -1;
  return std::atoi(reply.c_str() + 9);
}

// The daemon's TCP port, from its log.
int tcp_port(Daemon& d) {
  std::smatch m;
  std::string log;
  if (!wait_until(5000, [&] {
        log = d.log();
        return std::regex_search(log, m, std::regex(R"(127\.0\.0\.1:(\d+) \(plain TCP\))"));
      }))
    return -1;
  return std::stoi(m[1]);
}

std::vector<std::string> plain_tcp_flags() {
  return {"--listen", "127.0.0.1:0", "--plain-tcp", "true"};
}

// Malformed heads are refused with 400 (411, 505) at once, before any body; a head's
// credentials and route are checked before a byte of its body is read.
TEST(DaemonHttp, MalformedHeadsAndRefusalsComeBeforeTheBody) {
  REQUIRE_ROOT();
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string t = d.tenant("alpha");
  auto ask = [&](const std::string& text) {
    UniqueFd fd = unix_conn(d.socket());
    EXPECT_TRUE(send_text(fd.get(), text));
    return read_until(fd.get(), "\r\n\r\n", 5000);
  };
  struct Case {
    const char* why;
    std::string text;
    int status;
  };
  const std::string bearer = "Authorization: Bearer " + t + "\r\n";
  for (const Case& c : std::vector<Case>{
           {"well formed", "GET /v1/jobs HTTP/1.1\r\n" + bearer + "\r\n", 200},
           {"two Authorization", "GET /v1/jobs HTTP/1.1\r\n" + bearer + bearer + "\r\n", 400},
           {"bare LF", "GET /v1/jobs HTTP/1.1\n" + bearer.substr(0, bearer.size() - 2) + "\n\n",
            400},
           {"one bare LF", "GET /v1/jobs HTTP/1.1\r\nHost: x\n" + bearer + "\r\n", 400},
           {"bad escape in path", "GET /v1/jobs/%zz HTTP/1.1\r\n" + bearer + "\r\n", 400},
           {"bad escape in query", "GET /v1/jobs?state=%g1 HTTP/1.1\r\n" + bearer + "\r\n", 400},
           {"NUL in path", "GET /v1/jobs/%00 HTTP/1.1\r\n" + bearer + "\r\n", 400},
           {"not a path", "GET http://x/v1/jobs HTTP/1.1\r\n" + bearer + "\r\n", 400},
           {"no version", "GET /v1/jobs\r\n\r\n", 400},
           {"HTTP/2.0", "GET /v1/jobs HTTP/2.0\r\n" + bearer + "\r\n", 505},
           {"two Content-Length",
            "POST /v1/jobs HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n" + bearer +
                "\r\n{}",
            400},
           {"chunked body",
            "POST /v1/jobs HTTP/1.1\r\nTransfer-Encoding: chunked\r\n" + bearer + "\r\n0\r\n\r\n",
            411},
           {"header too large",
            "GET /v1/jobs HTTP/1.1\r\nX: " + std::string(50000, 'x') + "\r\n\r\n", 431},
       }) {
    EXPECT_EQ(status_of(ask(c.text)), c.status) << c.why;
  }
  // The body is never sent: the answer comes from the head alone.
  auto t0 = Clock::now();
  EXPECT_EQ(status_of(ask("POST /v1/jobs HTTP/1.1\r\nContent-Length: 1000000\r\n"
                          "Authorization: Bearer not-a-token\r\n\r\n")),
            401);
  EXPECT_EQ(
      status_of(ask("POST /v1/jobs HTTP/1.1\r\nContent-Length: 2000000\r\n" + bearer + "\r\n")),
      413);
  EXPECT_EQ(
      status_of(ask("POST /v1/nothing HTTP/1.1\r\nContent-Length: 100\r\n" + bearer + "\r\n")),
      404);
  EXPECT_EQ(status_of(ask("PUT /v1/jobs HTTP/1.1\r\nContent-Length: 100\r\n" + bearer + "\r\n")),
            405);
  EXPECT_EQ(
      status_of(ask("POST /v1/tenants HTTP/1.1\r\nContent-Length: 100\r\n" + bearer + "\r\n")),
      404);  // the operator's route is no route for a tenant
  EXPECT_LT(seconds_since(t0), 5.0);
  // A tenant's upload may be large: admitted, it is told to go on.
  std::string cont =
      ask("POST /v1/uploads HTTP/1.1\r\nContent-Length: 3000000\r\n"
          "Expect: 100-continue\r\n" +
          bearer + "\r\n");
  EXPECT_EQ(cont.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << cont;
  EXPECT_EQ(d.call("GET", "/v1/jobs", "", t).status, 200);
}

// Deadlines count from a request's first byte and no later byte moves them: a client
// that sends its head, or its body, one byte at a time is cut off by the head's deadline,
// or the request's.
TEST(DaemonHttp, HeaderAndRequestDeadlinesCutADribbler) {
  REQUIRE_ROOT();
  Daemon d({"--header-timeout", "1s", "--request-timeout", "2s", "--idle-timeout", "1s",
            "--max-requests-per-connection", "3"});
  ASSERT_TRUE(d.start()) << d.log();
  std::string t = d.tenant("alpha");
  // Dribbles text one byte every 100 ms until the daemon answers or closes; the answer.
  auto dribble = [&](const std::string& text, double* took) {
    UniqueFd fd = unix_conn(d.socket());
    auto t0 = Clock::now();
    std::string reply;
    for (char c : text) {
      if (!send_text(fd.get(), std::string_view(&c, 1))) break;
      reply = read_until(fd.get(), "\r\n\r\n", 100);
      if (!reply.empty()) break;
    }
    if (reply.empty()) reply = read_until(fd.get(), "\r\n\r\n", 3000);
    *took = seconds_since(t0);
    return reply;
  };
  // 100 bytes of head: 10 s at this pace, were each byte to push the deadline back.
  double took = 0;
  std::string head = "GET /v1/jobs HTTP/1.1\r\nX-Pad: " + std::string(70, 'x') + "\r\n\r\n";
  std::string r = dribble(head, &took);
  std::printf("head dribbler: answered %d after %.2f s (header_timeout 1 s)\n", status_of(r), took);
  EXPECT_EQ(status_of(r), 408) << r;
  EXPECT_LT(took, 5.0);
  // A whole head at once, then a 100-byte body at the same pace: the request's deadline.
  std::string body = sh_job("true").dump();
  body += std::string(100 - std::min<size_t>(100, body.size()), ' ');
  UniqueFd fd = unix_conn(d.socket());
  ASSERT_TRUE(send_text(fd.get(), "POST /v1/jobs HTTP/1.1\r\nAuthorization: Bearer " + t +
                                      "\r\nContent-Length: 100\r\n\r\n"));
  auto t0 = Clock::now();
  for (char c : body) {
    if (!send_text(fd.get(), std::string_view(&c, 1))) break;
    r = read_until(fd.get(), "\r\n\r\n", 100);
    if (!r.empty()) break;
  }
  took = seconds_since(t0);
  std::printf("body dribbler: answered %d after %.2f s (request_timeout 2 s)\n", status_of(r),
              took);
  EXPECT_EQ(status_of(r), 408) << r;
  EXPECT_LT(took, 5.0);
  // A connection that sends nothing is closed after idle_timeout, silently.
  UniqueFd idle = unix_conn(d.socket());
  t0 = Clock::now();
  EXPECT_EQ(read_until(idle.get(), "", 5000), "");
  EXPECT_LT(seconds_since(t0), 4.0);
  // Keep-alive up to max_requests_per_connection: the third answer says close, and does.
  UniqueFd ka = unix_conn(d.socket());
  std::string get = "GET /v1/jobs HTTP/1.1\r\nAuthorization: Bearer " + t + "\r\n\r\n";
  ASSERT_TRUE(send_text(ka.get(), get + get + get + get));
  std::string all = read_until(ka.get(), "", 5000);
  size_t answers = 0;
  for (size_t at = all.find("HTTP/1.1 200"); at != std::string::npos;
       at = all.find("HTTP/1.1 200", at + 1))
    ++answers;
  EXPECT_EQ(answers, 3u) << all;
  EXPECT_NE(all.find("Connection: close"), std::string::npos);
}

// Ten thousand idle connections and two hundred dribbling ones from one peer (127.0.0.2),
// and meanwhile a tenant on TCP (127.0.0.1) and the operator on the Unix socket, whose
// requests must be answered, correctly. per_peer: the daemon's max_connections_per_peer
// (the default caps that peer; raised, the daemon holds every one of them).
void idle_and_dribbling_load(int per_peer) {
  rlim_t limit = raise_fd_limit();
  if (limit < 12000) GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << limit << " < 12000";
  auto flags = plain_tcp_flags();
  for (const char* f :
       {"--idle-timeout", "120s", "--header-timeout", "120s", "--request-timeout", "120s"})
    flags.emplace_back(f);
  flags.emplace_back("--max-connections-per-peer");
  flags.emplace_back(std::to_string(per_peer));
  Daemon d(flags);
  ASSERT_TRUE(d.start()) << d.log();
  int port = tcp_port(d);
  ASSERT_GT(port, 0) << d.log();
  std::string t = d.tenant("alpha");
  std::string job = d.submit(t, sh_job("echo under-load"));
  ASSERT_EQ(d.wait_ended(t, job)["state"], "succeeded");
  // The dribblers first (they take most of a capped peer's places), then the idle ones.
  std::vector<UniqueFd> dribblers, idle;
  for (int i = 0; i < 200; ++i) dribblers.push_back(tcp_conn(port, "127.0.0.2"));
  std::atomic<bool> stop{false};
  std::thread dribble([&] {
    const std::string head = "GET /v1/jobs HTTP/1.1\r\nX-Pad: " + std::string(4000, 'x');
    for (size_t at = 0; !stop && at < head.size(); ++at) {
      for (auto& fd : dribblers)
        if (fd.valid()) (void)send_text(fd.get(), head.substr(at, 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
  auto t0 = Clock::now();
  int failed = 0;
  for (int i = 0; i < 10000; ++i) {
    idle.push_back(tcp_conn(port, "127.0.0.2"));
    if (!idle.back().valid()) ++failed;
  }
  std::printf("[cap %d] 10,000 idle connections opened in %.2f s (%d connects failed)\n", per_peer,
              seconds_since(t0), failed);
  // While they are all there, for two seconds: the tenant over TCP and the operator.
  client::Endpoint ep;
  ep.host = "127.0.0.1";
  ep.port = port;
  double tenant_max = 0, operator_max = 0;
  for (int round = 0; round < 10; ++round) {
    t0 = Clock::now();
    auto c = client::Transport::create(ep, 10000);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    auto mine =
        c->request("GET", "/v1/jobs/" + job + "/logs", {{"Authorization", "Bearer " + t}}, "");
    tenant_max = std::max(tenant_max, seconds_since(t0));
    ASSERT_TRUE(mine.ok()) << mine.error().to_string();
    EXPECT_EQ(mine->status, 200);
    EXPECT_EQ(mine->body, "under-load\n");
    t0 = Clock::now();
    auto op = d.call("GET", "/v1/tenants");
    operator_max = std::max(operator_max, seconds_since(t0));
    EXPECT_EQ(op.status, 200) << op.body;
    EXPECT_EQ(op.json["tenants"][0]["name"], "alpha") << op.body;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::printf("[cap %d] under load, slowest of 10: tenant (TCP) %.1f ms, operator (Unix) %.1f ms\n",
              per_peer, tenant_max * 1000, operator_max * 1000);
  // Beyond the peer's cap, connections were closed at once.
  int expect_closed = std::max(0, 10200 - per_peer);
  int closed = 0;
  wait_until(20000, [&] {
    closed = 0;
    for (auto& fd : idle) {
      char b;
      if (fd.valid() && ::recv(fd.get(), &b, 1, MSG_DONTWAIT) == 0) ++closed;
    }
    return closed >= expect_closed;
  });
  int fds = count_entries("/proc/" + std::to_string(d.pid()) + "/fd");
  int threads = threads_of(d.pid());
  std::printf("[cap %d] daemon: %d fds, %d threads; %d idle connections closed by the cap\n",
              per_peer, fds, threads, closed);
  EXPECT_GE(closed, expect_closed);
  if (per_peer < 10200) {
    EXPECT_LT(fds, per_peer + 300);
  } else {
    EXPECT_EQ(closed, 0);
    EXPECT_GT(fds, 10200);  // every one held, on the same few threads
  }
  EXPECT_LT(threads, 32);
  stop = true;
  dribble.join();
}

TEST(DaemonHttp, TenThousandIdleAndDribblingConnectionsFromACappedPeer) {
  REQUIRE_ROOT();
  idle_and_dribbling_load(256);
}

TEST(DaemonHttp, TenThousandIdleAndDribblingConnectionsAllHeld) {
  REQUIRE_ROOT();
  idle_and_dribbling_load(20000);
}

// A thousand followers of a running job's log: sockets and timers, not threads.
TEST(DaemonHttp, AThousandLogFollowersHoldNoThreadEach) {
  REQUIRE_ROOT();
  raise_fd_limit();
  Daemon d({"--max-followers", "1000", "--max-followers-per-tenant", "1000",
            "--max-connections-per-peer", "2000"});
  ASSERT_TRUE(d.start()) << d.log();
  std::string t = d.tenant("alpha");
  std::string job = d.submit(t, sh_job("echo started; sleep 60"));
  ASSERT_TRUE(d.wait_state(t, job, "running"));
  int before = threads_of(d.pid());
  const std::string follow = "GET /v1/jobs/" + job +
                             "/logs?follow=1 HTTP/1.1\r\nAuthorization: "
                             "Bearer " +
                             t + "\r\n\r\n";
  std::vector<UniqueFd> followers;
  for (int i = 0; i < 1000; ++i) {
    followers.push_back(unix_conn(d.socket()));
    ASSERT_TRUE(followers.back().valid()) << i;
    ASSERT_TRUE(send_text(followers.back().get(), follow)) << i;
  }
  int following = 0;
  for (auto& fd : followers) {
    std::string r = read_until(fd.get(), "started\n", 20000);
    if (status_of(r) == 200 && r.find("started\n") != std::string::npos) ++following;
  }
  EXPECT_EQ(following, 1000);
  int during = threads_of(d.pid());
  // One more is over the cap.
  UniqueFd extra = unix_conn(d.socket());
  ASSERT_TRUE(send_text(extra.get(), follow));
  EXPECT_EQ(status_of(read_until(extra.get(), "\r\n\r\n", 5000)), 429);
  auto t0 = Clock::now();
  EXPECT_EQ(d.call("GET", "/v1/jobs/" + job, "", t).status, 200);
  std::printf(
      "1,000 followers: daemon threads %d before, %d while following; a request "
      "answered in %.1f ms\n",
      before, during, seconds_since(t0) * 1000);
  EXPECT_LT(during, 32);
  // The job ends: every stream ends with its last chunk.
  EXPECT_EQ(d.call("POST", "/v1/jobs/" + job + "/cancel", "", t).status, 202);
  int ended = 0;
  for (auto& fd : followers)
    if (read_until(fd.get(), "0\r\n\r\n", 20000).find("0\r\n\r\n") != std::string::npos) ++ended;
  EXPECT_EQ(ended, 1000);
}

// SIGTERM with idle, dribbling and following clients connected: the daemon is gone within
// stop_grace and a second.
TEST(DaemonHttp, SigtermEndsTheDaemonWithinItsGraceWhateverClientsDo) {
  REQUIRE_ROOT();
  raise_fd_limit();
  auto flags = plain_tcp_flags();
  for (const char* f : {"--stop-grace", "2s", "--idle-timeout", "120s", "--header-timeout", "120s",
                        "--request-timeout", "120s"})
    flags.emplace_back(f);
  Daemon d(flags);
  ASSERT_TRUE(d.start()) << d.log();
  int port = tcp_port(d);
  ASSERT_GT(port, 0);
  std::string t = d.tenant("alpha");
  std::string job = d.submit(t, sh_job("trap '' TERM; echo started; sleep 60"));
  ASSERT_TRUE(d.wait_state(t, job, "running"));
  std::vector<UniqueFd> idle, dribblers, followers;
  for (int i = 0; i < 100; ++i) idle.push_back(tcp_conn(port, "127.0.0.2"));
  for (int i = 0; i < 50; ++i) {
    dribblers.push_back(tcp_conn(port));
    send_text(dribblers.back().get(), "GET /v1/jobs HTTP/1.1\r\nX: ");
  }
  const std::string follow = "GET /v1/jobs/" + job +
                             "/logs?follow=1 HTTP/1.1\r\nAuthorization: "
                             "Bearer " +
                             t + "\r\n\r\n";
  for (int i = 0; i < 50; ++i) {
    followers.push_back(unix_conn(d.socket()));
    send_text(followers.back().get(), follow);
    ASSERT_NE(read_until(followers.back().get(), "started\n", 10000).find("started\n"),
              std::string::npos);
  }
  // A request stalled mid-body too.
  UniqueFd half = unix_conn(d.socket());
  send_text(half.get(), "POST /v1/jobs HTTP/1.1\r\nAuthorization: Bearer " + t +
                            "\r\nContent-Length: 100\r\n\r\n{\"comm");
  std::atomic<bool> stop{false};
  std::thread dribble([&] {
    while (!stop) {
      for (auto& fd : dribblers) (void)send_text(fd.get(), "x");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  auto t0 = Clock::now();
  int status = d.stop();
  double took = seconds_since(t0);
  stop = true;
  dribble.join();
  std::printf("SIGTERM to exit: %.2f s (stop_grace 2 s)\n", took);
  EXPECT_EQ(status, 0) << d.log();
  EXPECT_LT(took, 3.0) << d.log();
}

}  // namespace
}  // namespace cordon::testing
