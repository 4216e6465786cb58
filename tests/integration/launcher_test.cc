// cordon launcher: sandboxes started through a long-lived launcher are the same
// sandboxes as `cordon run`'s, and nothing a caller or a supervisor does to itself takes
// the launcher down.
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "harness.h"

namespace cordon::testing {
namespace {

// A connection to the launcher's socket, or -1 (not listening yet).
int connect_to(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

class Launcher : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root and user namespaces (run as root)";
    socket_ = dir_.path() + "/launcher.sock";
    std::vector<std::string> args = {"launcher", "--socket", socket_, "--warm",
                                     std::to_string(warm_)};
    pid_ = spawn_cordon(args);
    // Listening, not merely bound: the socket is bound with no access for anyone and
    // opened up to its mode before the launcher listens.
    ASSERT_TRUE(wait_until(60000, [&] {
      int fd = connect_to(socket_);
      if (fd >= 0) ::close(fd);  // a probe: the launcher takes an empty connection as one
      return fd >= 0;
    })) << "the launcher did not listen";
    struct stat st;
    ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  void TearDown() override {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    EXPECT_EQ(wait_exit(pid_), 0) << "the launcher did not stop cleanly on SIGTERM";
    struct stat st;
    EXPECT_NE(::stat(socket_.c_str(), &st), 0) << "the socket was left behind";
  }
  RunOut run(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "--launcher", socket_});
    return run_cordon(args);
  }
  // Supervisors are the launcher's children; their child is the sandbox's PID 1.
  std::vector<pid_t> sandbox_inits() {
    std::vector<pid_t> out;
    for (pid_t sup : children_of(pid_))
      for (pid_t init : children_of(sup)) out.push_back(init);
    return out;
  }

  TempDir dir_;
  std::string socket_;
  pid_t pid_ = -1;
  int warm_ = 0;  // the tests of the warm pool set their own
};

TEST_F(Launcher, RunsTheSameSandboxAsCordonRun) {
  RunOut r = run({"--json", "--env", "FROM_CALLER=yes", "--", "sh", "-c",
                  "cat /proc/self/uid_map; echo \"$FROM_CALLER\"; exit 7"});
  EXPECT_EQ(r.status, 7) << r.err;
  auto base = map_base(r.out);
  ASSERT_TRUE(base.has_value()) << r.out;
  EXPECT_EQ(r.result["id_slot"]["uid_base"], *base);
  EXPECT_NE(r.out.find("\nyes\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.result["reason"], "exited");
  EXPECT_EQ(r.result["seccomp"]["loaded"], true);
  // Errors reach the caller's stderr with cordon run's statuses.
  RunOut missing = run({"--", "no-such-command"});
  EXPECT_EQ(missing.status, 127);
  EXPECT_NE(missing.err.find("no-such-command"), std::string::npos) << missing.err;
  EXPECT_EQ(run({"--memory", "lots", "--", "true"}).status, 64);
}

TEST_F(Launcher, StdinAndRelativePathsAreTheCallers) {
  TempDir data;
  ASSERT_EQ(::chmod(data.path().c_str(), 0755), 0);
  FILE* f = std::fopen((data.path() + "/in.txt").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("from the caller's cwd\n", f);
  std::fclose(f);
  // The launcher's cwd is not the caller's: a relative --bind is the caller's.
  RunOut r = run_program({cordon_binary(), "run", "--launcher", socket_, "--bind",
                          "in.txt:/data/in.txt", "--", "cat", "/data/in.txt"},
                         -1, -1, -1, data.path());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "from the caller's cwd\n");
}

TEST_F(Launcher, KilledSupervisorTakesOnlyItsSandbox) {
  pid_t client = spawn_cordon({"run", "--launcher", socket_, "--", "sleep", "1000"});
  std::vector<pid_t> inits;
  ASSERT_TRUE(wait_until(60000, [&] { return (inits = sandbox_inits()).size() == 1; }));
  std::vector<pid_t> sups = children_of(pid_);
  ASSERT_EQ(sups.size(), 1u);
  ASSERT_EQ(::kill(sups[0], SIGKILL), 0);
  EXPECT_EQ(wait_exit(client), 125) << "the caller must learn its supervisor died";
  EXPECT_TRUE(wait_until(60000, [&] { return !process_exists(inits[0]); }))
      << "the sandbox outlived its supervisor";
  EXPECT_TRUE(process_exists(pid_)) << "the launcher died with a supervisor";
  EXPECT_EQ(run({"--", "true"}).status, 0) << "the launcher stopped serving";
}

TEST_F(Launcher, CallerHangingUpEndsItsSandbox) {
  pid_t client = spawn_cordon({"run", "--launcher", socket_, "--", "sleep", "1000"});
  std::vector<pid_t> inits;
  ASSERT_TRUE(wait_until(60000, [&] { return (inits = sandbox_inits()).size() == 1; }));
  ASSERT_EQ(::kill(client, SIGKILL), 0);
  wait_exit(client);
  EXPECT_TRUE(wait_until(60000, [&] { return sandbox_inits().empty(); }))
      << "a sandbox ran on after its caller went away";
  EXPECT_TRUE(wait_until(60000, [&] { return children_of(pid_).empty(); }))
      << "its supervisor was not reaped";
}

// A request that is not one, or whose spec does not validate, is answered with the
// usage status and why, in the place of a result; the launcher serves on.
TEST_F(Launcher, MalformedRequestsAreRefusedAndServingGoesOn) {
  auto ask = [&](const std::string& bytes) {
    int fd = connect_to(socket_);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
    std::string reply(4096, '\0');
    ssize_t n = ::recv(fd, reply.data(), reply.size(), 0);
    ::close(fd);
    reply.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return reply;
  };
  auto le32 = [](uint32_t v) {
    std::string s;
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return s;
  };
  auto status_of = [](const std::string& reply) {
    int32_t status = -1;
    if (reply.size() >= 12) std::memcpy(&status, reply.data() + 8, 4);
    return status;
  };
  std::string garbage = ask("CDL2\xff\xff\xff\xff");
  ASSERT_GE(garbage.size(), 12u);
  EXPECT_EQ(garbage.substr(0, 4), "CDR2");
  EXPECT_EQ(status_of(garbage), 64);
  EXPECT_NE(garbage.find("\"error\""), std::string::npos) << garbage;

  std::string body = R"({"spec":{"argv":["true"],"limits":{"memory_bytes":1024}}})";
  std::string invalid = ask("CDL2" + le32(8 + body.size()) + body);
  EXPECT_EQ(status_of(invalid), 64);
  EXPECT_NE(invalid.find("memory"), std::string::npos) << invalid;
  EXPECT_TRUE(sandbox_inits().empty());
  EXPECT_EQ(run({"--", "true"}).status, 0);
}

TEST_F(Launcher, StopEndsRunningSandboxes) {
  pid_t client = spawn_cordon({"run", "--launcher", socket_, "--", "sleep", "1000"});
  std::vector<pid_t> inits;
  ASSERT_TRUE(wait_until(60000, [&] { return (inits = sandbox_inits()).size() == 1; }));
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  EXPECT_EQ(wait_exit(pid_), 0);
  pid_ = -1;
  EXPECT_EQ(wait_exit(client), 128 + SIGTERM) << "the sandbox's command gets the SIGTERM";
  EXPECT_FALSE(process_exists(inits[0]));
}

// The launcher's pool: each sandbox gets a network namespace made for it alone, never
// the host's and never another sandbox's, with a working loopback.
TEST_F(Launcher, PooledNetworkNamespacesAreFreshAndNeverShared) {
  char buf[64] = {};
  ASSERT_GT(::readlink("/proc/self/ns/net", buf, sizeof(buf) - 1), 0);
  std::set<std::string> seen;
  int pooled = 0;
  for (int i = 0; i < 6; ++i) {
    RunOut r = run({"--json", "--", "readlink", "/proc/self/ns/net"});
    ASSERT_EQ(r.status, 0) << r.err;
    std::string ns = r.out.substr(0, r.out.find('\n'));
    EXPECT_NE(ns, buf) << "a sandbox in the host's network namespace";
    EXPECT_TRUE(seen.insert(ns).second) << ns << " handed out twice";
    pooled += r.result["isolation"]["network_namespace"] == "pooled" ? 1 : 0;
  }
  EXPECT_GE(pooled, 3) << "the pool was not used";
  // Loopback is up in a pooled namespace.
  RunOut lo = run({"--", "python3", "-c",
                   "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen();"
                   "c = socket.create_connection(s.getsockname()); print('ok')"});
  EXPECT_EQ(lo.status, 0) << lo.err;
  EXPECT_EQ(lo.out, "ok\n");
  // One sandbox's listener is out of the next one's reach.
  pid_t a = spawn_cordon({"run", "--launcher", socket_, "--", "python3", "-c",
                          "import socket, time; s = socket.socket();"
                          "s.bind(('127.0.0.1', 47123)); s.listen(); time.sleep(1000)"});
  ASSERT_TRUE(wait_until(60000, [&] { return sandbox_inits().size() == 1; }));
  ::usleep(300 * 1000);  // python's start
  RunOut b = run({"--", "python3", "-c",
                  "import socket\ntry:\n socket.create_connection(('127.0.0.1', 47123), 1)\n"
                  " print('reached')\nexcept OSError as e:\n print('refused', e.errno)"});
  EXPECT_EQ(b.out, "refused 111\n") << b.err;
  ::kill(a, SIGTERM);
  wait_exit(a);
}

TEST_F(Launcher, HoldsNoFdOfFinishedSandboxes) {
  ASSERT_EQ(run({"--", "true"}).status, 0);
  auto count = [&] {
    int n = 0;
    std::string dir = "/proc/" + std::to_string(pid_) + "/fd";
    for (int fd = 0; fd < 4096; ++fd)
      n += ::access((dir + "/" + std::to_string(fd)).c_str(), F_OK) == 0 ? 1 : 0;
    return n;
  };
  ::usleep(200 * 1000);  // the pool refilled
  int before = count();
  for (int i = 0; i < 10; ++i) ASSERT_EQ(run({"--", "true"}).status, 0);
  ::usleep(200 * 1000);
  EXPECT_LE(count(), before) << "the launcher keeps fds of finished sandboxes";
}

// The warm pool: sandboxes of the default profile started ahead, each serving one request.
class Warm : public Launcher {
 protected:
  void SetUp() override {
    warm_ = 2;
    Launcher::SetUp();
    // Waiting means set up: its ID maps written (a just-cloned sandbox has none yet). A
    // busy machine takes its time; the wait ends as soon as both are there.
    if (pid_ > 0) {
      ASSERT_TRUE(wait_until(60000, [&] { return warm_bases().size() == 2; }))
          << "the warm sandboxes did not start";
    }
  }
  // The host UID base of each waiting warm sandbox.
  std::set<uint64_t> warm_bases() {
    std::set<uint64_t> out;
    for (pid_t init : sandbox_inits()) {
      auto b = map_base(read_file("/proc/" + std::to_string(init) + "/uid_map"));
      if (b) out.insert(*b);
    }
    return out;
  }
};

TEST_F(Warm, RequestsRunInPrestartedSandboxesThatServeOnce) {
  std::set<uint64_t> waiting = warm_bases();
  ASSERT_EQ(waiting.size(), 2u);
  TempDir data;
  std::string input = data.path() + "/in";
  FILE* f = std::fopen(input.c_str(), "w");
  std::fputs("from stdin\n", f);
  std::fclose(f);
  int in = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
  RunOut a = run_program({cordon_binary(), "run", "--launcher", socket_, "--json", "--env",
                          "WHO=a", "--", "sh", "-c", "cat; echo $WHO; echo left > /tmp/mark"},
                         in);
  ::close(in);
  ASSERT_EQ(a.status, 0) << a.err;
  // The result is the last line; the command's output comes before it.
  size_t json_at = a.out.rfind('\n', a.out.size() - 2) + 1;
  nlohmann::json ra = nlohmann::json::parse(a.out.substr(json_at));
  EXPECT_EQ(ra["prestarted"], true);
  EXPECT_EQ(a.out.substr(0, json_at), "from stdin\na\n");
  EXPECT_EQ(ra["command"][2], "cat; echo $WHO; echo left > /tmp/mark");
  uint64_t base_a = ra["id_slot"]["uid_base"].get<uint64_t>();
  EXPECT_TRUE(waiting.count(base_a)) << "not one of the waiting sandboxes";
  // The next request gets another sandbox, which sees nothing of the first.
  RunOut b = run({"--json", "--", "sh", "-c", "ls -A /tmp; echo $WHO"});
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(b.result["prestarted"], true);
  EXPECT_NE(b.result["id_slot"]["uid_base"].get<uint64_t>(), base_a);
  EXPECT_EQ(b.out.substr(0, b.out.rfind('\n', b.out.size() - 2) + 1), "\n");
  // The one that served is gone; the pool is refilled with fresh ones.
  EXPECT_TRUE(wait_until(60000, [&] {
    std::set<uint64_t> now = warm_bases();
    return now.size() == 2 && !now.count(base_a);
  }));
}

TEST_F(Warm, RequestsThatDoNotFitRunCold) {
  RunOut r = run({"--json", "--memory", "64M", "--", "true"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.result["prestarted"], false);
  EXPECT_EQ(r.result["limits"]["memory_bytes"], 64 << 20);
  EXPECT_EQ(sandbox_inits().size(), 2u) << "a warm sandbox was used for another profile";
  RunOut bad = run({"--bogus", "--", "true"});
  EXPECT_EQ(bad.status, 64);
}

TEST_F(Warm, AKilledWarmSupervisorTakesItsSandboxAndIsReplaced) {
  std::vector<pid_t> sups = children_of(pid_);
  ASSERT_EQ(sups.size(), 2u);
  std::vector<pid_t> inits = children_of(sups[0]);
  ASSERT_EQ(inits.size(), 1u);
  ASSERT_EQ(::kill(sups[0], SIGKILL), 0);
  EXPECT_TRUE(wait_until(60000, [&] { return !process_exists(inits[0]); }));
  EXPECT_TRUE(wait_until(60000, [&] { return sandbox_inits().size() == 2; }));
  EXPECT_EQ(run({"--", "true"}).status, 0);
}

TEST_F(Warm, StopEndsTheWaitingSandboxesAndFreesTheirSlots) {
  std::set<uint64_t> bases = warm_bases();
  ASSERT_EQ(bases.size(), 2u);
  ASSERT_EQ(::kill(pid_, SIGTERM), 0);
  EXPECT_EQ(wait_exit(pid_), 0);
  pid_ = -1;
  for (uint64_t b : bases) {
    std::string path = "/run/cordon/slots/slot-" + std::to_string(b);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {  // removed at its release; a file still there must not be held
      EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0) << "slot " << b << " still held";
      ::close(fd);
    } else {
      EXPECT_EQ(errno, ENOENT) << path;
    }
    for (const char* c : {"pids", "memory", "freezer"}) {
      std::string out = run_program({"/usr/bin/find", std::string("/sys/fs/cgroup/") + c,
                                     "-name", "cordon-" + std::to_string(b)})
                            .out;
      EXPECT_EQ(out, "") << "cgroup left: " << out;
    }
  }
}

// A signal that reached a waiting warm supervisor was meant for no command: the command
// that later runs in its sandbox must not receive it (the bench once saw exit 129).
TEST_F(Warm, SignalsBeforeTheCommandAreNotForwardedToIt) {
  for (pid_t sup : children_of(pid_)) ASSERT_EQ(::kill(sup, SIGHUP), 0);
  ::usleep(100 * 1000);
  for (int i = 0; i < 2; ++i) {
    RunOut r = run({"--json", "--", "sleep", "0.1"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.result["prestarted"], true);
  }
}

}  // namespace
}  // namespace cordon::testing
