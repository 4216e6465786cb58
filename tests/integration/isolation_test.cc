// DESIGN.md section 4, items 1 to 4, checked from the host against real sandboxes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "harness.h"

namespace cordon::testing {
namespace {

// Invariant 1: concurrent sandboxes hold disjoint host ID ranges.
TEST(Isolation, ConcurrentSandboxesGetDisjointSlots) {
  REQUIRE_ROOT();
  TempDir d;
  ::chmod(d.path().c_str(), 0777);
  constexpr int kN = 4;
  std::vector<pid_t> pids;
  for (int i = 0; i < kN; ++i) {
    std::string out = d.path() + "/map" + std::to_string(i);
    pids.push_back(
        spawn_cordon({"run", "--bind", d.path() + ":/out:rw", "--", "sh", "-c",
                      "cat /proc/self/uid_map > /out/map" + std::to_string(i) + "; sleep 1"}));
  }
  std::set<uint64_t> bases;
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(wait_exit(pids[i]), 0);
    auto b = map_base(read_file(d.path() + "/map" + std::to_string(i)));
    ASSERT_TRUE(b.has_value()) << "sandbox " << i;
    for (uint64_t other : bases) EXPECT_GE(*b > other ? *b - other : other - *b, 65536u);
    bases.insert(*b);
  }
  EXPECT_EQ(bases.size(), static_cast<size_t>(kN));
}

// Invariant 1: root inside writes files owned by the unprivileged slot base on the host.
TEST(Isolation, RootInsideIsUnprivilegedOutside) {
  REQUIRE_ROOT();
  TempDir d;
  ::chmod(d.path().c_str(), 0777);
  RunOut r = run_cordon({"run", "--json", "--bind", d.path() + ":/out:rw", "--", "sh", "-c",
                         "touch /out/made-by-root && cat /proc/self/uid_map"});
  ASSERT_EQ(r.status, 0) << r.err;
  struct stat st;
  ASSERT_EQ(::stat((d.path() + "/made-by-root").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, r.result["id_slot"]["uid_base"].get<uint64_t>());
  EXPECT_NE(st.st_uid, 0u);
}

// The sets of /proc/self/status inside, by name ("CapEff" -> "00000000000024fb").
std::map<std::string, std::string> cap_sets(const std::string& status) {
  std::map<std::string, std::string> out;
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Cap", 0) == 0 || line.rfind("NoNewPrivs", 0) == 0) {
      size_t colon = line.find(':');
      out[line.substr(0, colon)] = line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return out;
}

// Invariant 2, --caps none: no capability in any set, no_new_privs, for root and for
// another uid.
TEST(Isolation, CapsNoneEmptiesEverySetAndNoNewPrivsIsSet) {
  REQUIRE_ROOT();
  for (const char* uid : {"0", "1000"}) {
    RunOut r =
        run_cordon({"run", "--caps", "none", "--uid", uid, "--", "cat", "/proc/self/status"});
    ASSERT_EQ(r.status, 0) << r.err;
    auto s = cap_sets(r.out);
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
      EXPECT_EQ(s[set], "0000000000000000") << "uid " << uid << ": " << set;
    EXPECT_EQ(s["NoNewPrivs"], "1");
  }
}

// Invariant 2, by default: root inside holds exactly the capabilities over its own IDs
// and namespaces (CAP_CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6,
// SETUID 7, SETPCAP 8, NET_BIND_SERVICE 10, SETFCAP 31), never CAP_SYS_ADMIN (21),
// CAP_NET_ADMIN (12), CAP_NET_RAW (13) or the like; another uid holds none; an exec cannot
// add any (bounding set, no ambient, no_new_privs).
TEST(Isolation, RootInsideHoldsOnlyTheNamespacedCapabilities) {
  REQUIRE_ROOT();
  const std::string granted = "00000000800005fb";
  RunOut r = run_cordon({"run", "--json", "--", "cat", "/proc/self/status"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto s = cap_sets(r.out);
  EXPECT_EQ(s["CapEff"], granted);
  EXPECT_EQ(s["CapPrm"], granted);
  EXPECT_EQ(s["CapBnd"], granted);
  EXPECT_EQ(s["CapInh"], "0000000000000000");
  EXPECT_EQ(s["CapAmb"], "0000000000000000");
  EXPECT_EQ(s["NoNewPrivs"], "1");
  const auto& caps = r.result["isolation"]["capabilities"];
  EXPECT_EQ(caps["choice"], "default");
  EXPECT_EQ(caps["effective"].size(), 10u) << caps;
  RunOut other = run_cordon({"run", "--uid", "1000", "--", "cat", "/proc/self/status"});
  ASSERT_EQ(other.status, 0) << other.err;
  s = cap_sets(other.out);
  EXPECT_EQ(s["CapEff"], "0000000000000000");
  EXPECT_EQ(s["CapPrm"], "0000000000000000");
  EXPECT_EQ(s["CapBnd"], granted);
}

// What those capabilities reach, seen from the host: root inside owns its own IDs (chown
// to another ID of its slot, write past a file's mode), and nothing of the host's, even a
// host file in a writable bind.
TEST(Isolation, RootInsideIsRootOverItsOwnIdsOnly) {
  REQUIRE_ROOT();
  TempDir d;
  ::chmod(d.path().c_str(), 0777);
  std::string host_file = d.path() + "/host-owned";
  { std::ofstream(host_file) << "host\n"; }
  ::chmod(host_file.c_str(), 0644);
  RunOut r = run_cordon(
      {"run", "--json", "--bind", d.path() + ":/shared:rw", "--", "sh", "-c",
       "cd /shared && touch made && chown 1000:1000 made && chmod 000 made && echo in >> made "
       "&& echo own=ok; echo x >> host-owned && echo host-write=ok; chown 0 host-owned && "
       "echo host-chown=ok; chmod 666 host-owned && echo host-chmod=ok; true"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string printed = r.out.substr(0, r.out.rfind('\n', r.out.size() - 2) + 1);  // not the result
  EXPECT_NE(printed.find("own=ok"), std::string::npos) << printed << r.err;
  for (const char* got : {"host-write=ok", "host-chown=ok", "host-chmod=ok"})
    EXPECT_EQ(printed.find(got), std::string::npos) << got;
  uint64_t base = r.result["id_slot"]["uid_base"].get<uint64_t>();
  struct stat st;
  ASSERT_EQ(::stat((d.path() + "/made").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, base + 1000);
  EXPECT_EQ(st.st_gid, base + 1000);
  EXPECT_EQ(read_file(d.path() + "/made"), "in\n");
  ASSERT_EQ(::stat(host_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(read_file(host_file), "host\n");
}

// Invariant 4: host processes are neither visible nor signalable.
TEST(Isolation, HostProcessesAreInvisibleAndUnsignalable) {
  REQUIRE_ROOT();
  pid_t victim = ::fork();
  if (victim == 0) {
    ::execl("/bin/sleep", "sleep", "30", nullptr);
    ::_exit(1);
  }
  std::string v = std::to_string(victim);
  RunOut r = run_cordon({"run", "--", "sh", "-c",
                         "ls /proc | grep -c '^[0-9]'; kill -9 " + v +
                             " 2>/dev/null; echo kill=$?; "
                             "kill -9 1 2>/dev/null; echo still-here"});
  EXPECT_EQ(r.status, 0) << r.err;
  std::istringstream in(r.out);
  int visible = 0;
  in >> visible;
  // sh, ls, grep and PID 1: nothing of the host.
  EXPECT_LE(visible, 5) << r.out;
  EXPECT_NE(r.out.find("kill=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("still-here"), std::string::npos) << r.out;
  EXPECT_TRUE(process_exists(victim));
  ::kill(victim, SIGKILL);
  ::waitpid(victim, nullptr, 0);
}

// Invariant 3: host files are read-only, and the host's /tmp is not the sandbox's.
TEST(Isolation, HostFilesAreUnwritableAndHostTmpIsHidden) {
  REQUIRE_ROOT();
  TempDir d;
  ::chmod(d.path().c_str(), 0755);  // the sandbox's root is "other" to the host's files
  std::string secret = d.path() + "/secret";
  { std::ofstream(secret) << "host-secret"; }
  std::string passwd_before = read_file("/etc/passwd");
  RunOut r = run_cordon({"run", "--bind", d.path() + ":/ro", "--", "sh", "-c",
                         "touch /usr/cordon-escape; echo x >> /etc/passwd; echo x > /ro/secret; "
                         "touch /ro/new; cat " +
                             secret + "; cat /ro/secret"});
  // Each write was refused (by the read-only mount, or first by the file's mode), not lost.
  EXPECT_NE(r.err.find("/usr/cordon-escape': Read-only file system"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cannot create /etc/passwd"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/ro/secret: Read-only file system"), std::string::npos) << r.err;
  EXPECT_EQ(::access("/usr/cordon-escape", F_OK), -1);
  EXPECT_EQ(read_file("/etc/passwd"), passwd_before);
  EXPECT_EQ(read_file(secret), "host-secret");
  EXPECT_EQ(::access((d.path() + "/new").c_str(), F_OK), -1);
  // The read-only bind is readable; the same file by its host path is not there at all.
  EXPECT_EQ(r.out, "host-secret");
  EXPECT_NE(r.err.find(secret + ": No such file"), std::string::npos) << r.err;
}

// Invariant 3: a descriptor the caller left open does not reach the sandbox, and the
// command's cwd is inside its root.
TEST(Isolation, InheritedDescriptorIsClosedInside) {
  REQUIRE_ROOT();
  TempDir d;
  int fd = ::open(d.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, 42), 42);
  RunOut r = run_cordon({"run", "--", "sh", "-c",
                         "ls /proc/self/fd | sort -n | tr '\\n' ' '; "
                         "ls /proc/self/fd/42 2>/dev/null && echo LEAKED; readlink /proc/self/cwd"},
                        42);
  ::close(42);
  ::close(fd);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("LEAKED"), std::string::npos) << r.out;
  // sh's 0-2, and ls's own directory fd.
  EXPECT_EQ(r.out, "0 1 2 3 /root\n");
}

// Invariant 3, from the host: the sandbox's processes hold no descriptor of the caller's.
TEST(Isolation, SandboxProcessesHoldNoCallerDescriptor) {
  REQUIRE_ROOT();
  TempDir d;
  int fd = ::open(d.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, 43), 43);
  ::fcntl(43, F_SETFD, 0);
  pid_t sup = spawn_cordon({"run", "--", "sleep", "5"});
  ::close(43);
  ::close(fd);
  std::vector<pid_t> init, cmd;
  ASSERT_TRUE(wait_until(60000, [&] {
    init = children_of(sup);
    if (init.size() != 1) return false;
    cmd = children_of(init[0]);
    return cmd.size() == 1 && read_file("/proc/" + std::to_string(cmd[0]) + "/comm") == "sleep\n";
  }));
  for (pid_t p : {init[0], cmd[0]}) {
    std::string fds = "/proc/" + std::to_string(p) + "/fd";
    EXPECT_EQ(::access((fds + "/43").c_str(), F_OK), -1) << p;
    for (int i = 3; i < 64; ++i) {
      char target[512] = {};
      std::string link = fds + "/" + std::to_string(i);
      if (::readlink(link.c_str(), target, sizeof(target) - 1) > 0) {
        EXPECT_EQ(std::string(target).find(d.path()), std::string::npos) << link;
      }
    }
  }
  // The command has exactly 0, 1 and 2.
  std::string cmd_fds = "/proc/" + std::to_string(cmd[0]) + "/fd/3";
  EXPECT_EQ(::access(cmd_fds.c_str(), F_OK), -1);
  // A new session: the caller's terminal is out of reach (TIOCSTI).
  std::string stat = read_file("/proc/" + std::to_string(cmd[0]) + "/stat");
  std::istringstream f(stat.substr(stat.rfind(')') + 2));
  char state;
  pid_t ppid, pgrp, session;
  f >> state >> ppid >> pgrp >> session;
  EXPECT_NE(session, ::getsid(0));
  ::kill(sup, SIGTERM);
  wait_exit(sup);
}

// /proc masked and read-only where it matters, no /sys, a minimal /dev, loopback only.
TEST(Isolation, ProcSysDevAndNetworkAreMinimal) {
  REQUIRE_ROOT();
  RunOut r =
      run_cordon({"run", "--", "sh", "-c",
                  "wc -c < /proc/kallsyms; echo 1 > /proc/sys/kernel/ns_last_pid || echo ro; "
                  "ls /sys 2>/dev/null || echo nosys; ls /dev | tr '\\n' ' '; echo; "
                  "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "0\nro\nnosys\nfd full mqueue null ptmx pts random shm stderr stdin stdout tty "
            "urandom zero \nlo\n")
      << r.err;
}

// Invariant 7 (default): a service on the host's loopback is out of reach.
TEST(Isolation, HostLoopbackIsUnreachable) {
  REQUIRE_ROOT();
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/python3";
  // Listen on the host's loopback; the sandbox's 127.0.0.1 is its own.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(s, 4), 0);
  socklen_t len = sizeof(a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  std::string port = std::to_string(ntohs(a.sin_port));
  RunOut r = run_cordon({"run", "--", "/usr/bin/python3", "-c",
                         "import socket\ntry:\n socket.create_connection(('127.0.0.1'," + port +
                             "),2)\n print('connected')\nexcept OSError as e:\n print('refused')"});
  ::close(s);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "refused\n");
}

}  // namespace
}  // namespace cordon::testing

namespace cordon::testing {
namespace {

// No nested user namespace, even without the seccomp filter: the sandbox's own user
// namespace allows none (user.max_user_namespaces is 0 inside), and the host's limit is
// untouched.
TEST(Isolation, NoNestedUserNamespaceEvenUnconfined) {
  REQUIRE_ROOT();
  std::string host_limit = read_file("/proc/sys/user/max_user_namespaces");
  RunOut r = run_cordon({"run", "--seccomp", "unconfined", "--", "sh", "-c",
                         "cat /proc/sys/user/max_user_namespaces; unshare -U true; echo rc=$?"});
  EXPECT_EQ(r.out, "0\nrc=1\n") << r.err;
  EXPECT_EQ(read_file("/proc/sys/user/max_user_namespaces"), host_limit);
}

}  // namespace
}  // namespace cordon::testing
