// The escape and abuse battery (audit/battery, docs/audit.md) against real sandboxes.
// The battery runs inside `cordon run` with the defaults, where every attempt must be
// stopped, and as a plain child of this test, unconfined as root on the host, where the
// attempts of kMustEscape must say "escaped": the proof that each of them can fail. The
// host facts aim it at this test: its PID, a world-readable secret file, a TCP listener on
// 127.0.0.1, an abstract unix socket, and (in the last test) a victim in another sandbox.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

namespace cordon::testing {
namespace {

#ifndef AUDIT_BATTERY

TEST(AuditBattery, NotBuilt) {
  GTEST_SKIP() << "cordon-audit-battery is not built: add add_subdirectory(audit) to the root "
                  "CMakeLists.txt";
}

#else

struct Line {
  std::string category, id, verdict, evidence;
};

struct Report {
  int status = -1;
  std::string out, err;
  std::map<std::string, Line> lines;  // by "category/id"
  std::vector<std::string> order;
  std::string summary;
  bool malformed = false;

  const Line* find(const std::string& key) const {
    auto it = lines.find(key);
    return it == lines.end() ? nullptr : &it->second;
  }
  std::string verdict(const std::string& key) const {
    const Line* l = find(key);
    return l == nullptr ? "(missing)" : l->verdict;
  }
  std::string show(const std::string& key) const {
    const Line* l = find(key);
    return key + ": " + (l == nullptr ? "(missing)" : l->verdict + " " + l->evidence);
  }
};

Report parse(Report r) {
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream fs(line);
    std::string field;
    while (std::getline(fs, field, '\t')) f.push_back(field);
    if (!f.empty() && f[0] == "summary") {
      r.summary = line;
      continue;
    }
    if (f.size() != 4 || (f[2] != "stopped" && f[2] != "escaped" && f[2] != "skipped")) {
      r.malformed = true;
      continue;
    }
    std::string key = f[0] + "/" + f[1];
    r.order.push_back(key);
    r.lines[key] = {f[0], f[1], f[2], f[3]};
  }
  return r;
}

// Runs argv with stdin_fd as fd 0 and, when fd3 >= 0, that fd as fd 3; nothing else open.
Report run(const std::vector<std::string>& argv, int stdin_fd, int fd3 = -1) {
  RunOut o = run_program(argv, stdin_fd, fd3, 3);
  Report r;
  r.status = o.status;
  r.out = std::move(o.out);
  r.err = std::move(o.err);
  return parse(r);
}

std::string random_token() {
  std::random_device rd;
  char buf[33];
  snprintf(buf, sizeof(buf), "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
  return buf;
}

// What the battery aims at, and the facts file that says so.
class Targets {
 public:
  Targets() {
    ::chmod(secret_dir_.path().c_str(), 0755);
    ::chmod(facts_dir_.path().c_str(), 0755);
    secret_path_ = secret_dir_.path() + "/secret";
    write(secret_path_, "cordon-audit-host-secret-" + random_token() + "\n");
    tcp_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (::bind(tcp_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 && ::listen(tcp_, 64) == 0 &&
        ::getsockname(tcp_, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port_ = ntohs(a.sin_port);
    abstract_ = "cordon-audit-test-" + random_token();
    unix_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un u = {};
    u.sun_family = AF_UNIX;
    memcpy(u.sun_path + 1, abstract_.data(), abstract_.size());
    socklen_t ulen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + abstract_.size());
    abstract_ok_ =
        ::bind(unix_, reinterpret_cast<sockaddr*>(&u), ulen) == 0 && ::listen(unix_, 64) == 0;
  }
  ~Targets() {
    ::close(tcp_);
    ::close(unix_);
  }
  bool ready() const { return port_ > 0 && abstract_ok_; }

  // Writes the facts file; returns its host path.
  std::string facts(const std::string& victim_lines = "") {
    std::string path = facts_dir_.path() + "/facts";
    write(path, "# written by audit_battery_test\nhost_pid=" + std::to_string(::getpid()) +
                    "\nhost_secret_path=" + secret_path_ +
                    "\nhost_tcp_port=" + std::to_string(port_) +
                    "\nhost_abstract_socket=" + abstract_ + "\n" + victim_lines);
    return path;
  }
  const std::string& facts_dir() const { return facts_dir_.path(); }
  const std::string& secret_dir() const { return secret_dir_.path(); }

  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0644);
  }

 private:
  TempDir secret_dir_, facts_dir_;
  std::string secret_path_, abstract_;
  int tcp_ = -1, unix_ = -1, port_ = 0;
  bool abstract_ok_ = false;
};

// A pseudo-terminal: the battery's stdin, so that the TIOCSTI attempts aim at a real
// terminal (nobody's: nothing could be typed into a shell even if one worked).
class Pty {
 public:
  Pty() {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ >= 0 && ::grantpt(master_) == 0 && ::unlockpt(master_) == 0) {
      const char* name = ::ptsname(master_);
      if (name != nullptr) slave_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    }
  }
  ~Pty() {
    if (slave_ >= 0) ::close(slave_);
    if (master_ >= 0) ::close(master_);
  }
  int slave() const { return slave_; }

 private:
  int master_ = -1, slave_ = -1;
};

// Files the battery may create: none may be left behind.
std::set<std::string> escape_files(const std::vector<std::string>& dirs) {
  std::set<std::string> out;
  for (const auto& d : dirs) {
    DIR* dir = ::opendir(d.c_str());
    if (dir == nullptr) continue;
    while (struct dirent* e = ::readdir(dir)) {
      if (std::string(e->d_name).rfind("cordon-audit-escape-", 0) == 0)
        out.insert(d + "/" + e->d_name);
    }
    ::closedir(dir);
  }
  return out;
}

// Attempts that must say "escaped" when the battery runs unconfined as root on the host.
const char* const kMustEscape[] = {
    "host-fs/read-host-secret",
    "host-fs/write-etc",
    "host-fs/write-usr",
    "host-fs/proc-root-scan",
    "host-fs/chroot-dotdot",
    "host-fs/pivot-root",
    "host-fs/symlink-tmp",
    "processes/host-pid-visible",
    "processes/host-pid-signal",
    "processes/host-pid-ptrace",
    "processes/host-pid-environ",
    "privilege/uid-map",
    "privilege/cap-eff",
    "privilege/cap-bnd",
    "privilege/no-new-privs",
    "privilege/seccomp-mode",
    "privilege/setuid",
    "privilege/nested-userns",
    "privilege/capset-raise",
    "kernel/keyctl",
    "kernel/bpf",
    "kernel/unshare-newns",
    "kernel/clone-newuser",
    "kernel/mount",
    "kernel/setns",
    "kernel/reboot",
    "devices/mknod-char",
    "devices/host-inode-owner",
    "proc-sys/core-pattern",
    "proc-sys/cgroup-mount",
    "terminal/tiocsti-fd0",
    "fds-cwd/inherited-fds",
    "fds-cwd/fd-dotdot-walk",
    "fds-cwd/cwd-dotdot-walk",
    "network/host-tcp",
    "network/host-abstract",
    "network/packet-socket",
    "network/raw-socket",
};

// Attempts that need a fact the tests give: inside, they must run (stopped), not skip.
const char* const kAimed[] = {
    "host-fs/read-host-secret",  "host-fs/proc1-root",         "host-fs/proc-root-scan",
    "host-fs/symlink-tmp",       "processes/host-pid-visible", "processes/host-pid-signal",
    "processes/host-pid-ptrace", "processes/host-pid-environ", "fds-cwd/cwd-dotdot-walk",
    "network/host-tcp",          "network/host-abstract",
};

class AuditBattery : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_ROOT();
    ASSERT_TRUE(targets_.ready()) << "could not open the host listeners";
    ASSERT_GE(pty_.slave(), 0);
  }

  static std::string battery() { return AUDIT_BATTERY; }
  static std::string battery_dir() { return std::filesystem::path(battery()).parent_path(); }

  // cordon run [options] -- /audit/cordon-audit-battery --host-facts ... [args]
  Report in_sandbox(const std::vector<std::string>& options, const std::vector<std::string>& args,
                    int fd3 = -1) {
    std::vector<std::string> a = {cordon_binary(), "run",
                                  "--bind",        battery_dir() + ":/audit",
                                  "--bind",        targets_.facts_dir() + ":/audit-facts"};
    a.insert(a.end(), options.begin(), options.end());
    a.insert(a.end(), {"--", "/audit/cordon-audit-battery", "--host-facts", "/audit-facts/facts"});
    a.insert(a.end(), args.begin(), args.end());
    return run(a, pty_.slave(), fd3);
  }

  Report unconfined(const std::vector<std::string>& args, int fd3 = -1) {
    std::vector<std::string> a = {battery(), "--host-facts", targets_.facts_dir() + "/facts"};
    a.insert(a.end(), args.begin(), args.end());
    return run(a, pty_.slave(), fd3);
  }

  std::vector<std::string> escape_dirs() const {
    return {"/tmp", "/etc", "/usr", battery_dir(), targets_.secret_dir()};
  }

  // The ids --list gives for the default (not opt-in) categories.
  static std::vector<std::string> default_ids() {
    Report l = run({battery(), "--list"}, 0);
    std::vector<std::string> ids;
    std::istringstream in(l.out);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string cat, id, kind;
      std::getline(f, cat, '\t');
      std::getline(f, id, '\t');
      std::getline(f, kind, '\t');
      if (kind == "default") ids.push_back(cat + "/" + id);
    }
    return ids;
  }

  Targets targets_;
  Pty pty_;
};

// (a) Inside a default sandbox, every attempt is stopped. An fd of the host (the secret's
// directory) is left open in cordon, and the sandbox's stdin is a terminal.
TEST_F(AuditBattery, DefaultSandboxStopsEveryAttempt) {
  targets_.facts();
  int leak = ::open(targets_.secret_dir().c_str(), O_RDONLY | O_DIRECTORY);  // not CLOEXEC
  ASSERT_GE(leak, 0);
  auto before = escape_files(escape_dirs());
  Report r = in_sandbox({}, {}, leak);
  ::close(leak);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_FALSE(r.malformed) << r.out;
  EXPECT_NE(r.summary.find("escaped=0"), std::string::npos) << r.summary;
  for (const auto& key : r.order)
    EXPECT_NE(r.verdict(key), "escaped") << "ESCAPED inside the sandbox: " << r.show(key);
  // Every default attempt ran, and those aimed by the facts were not skipped.
  for (const std::string& id : default_ids())
    EXPECT_NE(r.find(id), nullptr) << id << " missing\n" << r.out;
  for (const char* key : kAimed) EXPECT_EQ(r.verdict(key), "stopped") << r.show(key);
  EXPECT_NE(r.find("terminal/tiocsti-fd0")->evidence.find("fd 0 is a terminal"), std::string::npos)
      << r.show("terminal/tiocsti-fd0");
  EXPECT_EQ(r.verdict("fds-cwd/inherited-fds"), "stopped") << r.show("fds-cwd/inherited-fds");
  EXPECT_EQ(escape_files(escape_dirs()), before);
}

// The bounded resource attempts, at explicit limits: the pids limit refuses the fork
// bomb, the memory limit kills the memory bomb, the disk limit fills up.
TEST_F(AuditBattery, ResourceLimitsHold) {
  targets_.facts();
  Report r =
      in_sandbox({"--pids", "64", "--memory", "64M", "--disk", "16M"}, {"--category", "resources"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  for (const char* key : {"resources/fork-bomb", "resources/memory-bomb", "resources/disk-fill"})
    EXPECT_EQ(r.verdict(key), "stopped") << r.show(key) << "\n" << r.out << r.err;
  EXPECT_NE(r.find("resources/fork-bomb")->evidence.find("EAGAIN"), std::string::npos);
  EXPECT_NE(r.find("resources/disk-fill")->evidence.find("ENOSPC"), std::string::npos);
}

// (b) Unconfined, as root on the host: the attempts can fail, and the battery leaves the
// host as it found it.
TEST_F(AuditBattery, UnconfinedTheAttemptsEscapeAndTheHostIsUnharmed) {
  targets_.facts();
  int dirfd = ::open(targets_.secret_dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dirfd, 0);
  auto files_before = escape_files(escape_dirs());
  std::string mounts_before = host_mountinfo_outside_tests();
  Report r = unconfined({}, dirfd);
  ::close(dirfd);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_FALSE(r.malformed) << r.out;
  for (const char* key : kMustEscape) EXPECT_EQ(r.verdict(key), "escaped") << r.show(key);
  // Unharmed: no file left, no mount changed, the listeners and this process still here.
  EXPECT_EQ(escape_files(escape_dirs()), files_before);
  EXPECT_EQ(host_mountinfo_outside_tests(), mounts_before);
  EXPECT_TRUE(targets_.ready());
}

// The resource attempts refuse to load the host: unconfined, each is skipped unrun.
TEST_F(AuditBattery, ResourceAttemptsDoNothingOnTheHost) {
  targets_.facts();
  Report r = unconfined(
      {"--category", "resources,resources-output,resources-cpu,resources-wall,resources-daemon"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.order.size(), 7u) << r.out;
  for (const auto& key : r.order) {
    EXPECT_EQ(r.verdict(key), "skipped") << r.show(key);
    EXPECT_NE(r.find(key)->evidence.find("not in a sandbox"), std::string::npos) << r.show(key);
  }
}

// A victim in another sandbox: invisible from a sandbox; visible, signalable, traceable
// and readable from the host, which shows the victim attempts can fail.
TEST_F(AuditBattery, VictimInAnotherSandbox) {
  TempDir vdir;
  ::chmod(vdir.path().c_str(), 0755);
  std::string secret = "cordon-audit-victim-secret-" + random_token();
  Targets::write(vdir.path() + "/secret", secret + "\n");
  pid_t cordon =
      spawn_cordon({"run", "--bind", vdir.path() + "/secret:/secret", "--", "sleep", "60"});
  pid_t victim = -1;
  ASSERT_TRUE(wait_until(60000, [&] {
    for (pid_t p : descendants_of(cordon)) {
      std::string comm = read_file("/proc/" + std::to_string(p) + "/comm");
      if (comm == "sleep\n") victim = p;
    }
    return victim > 0;
  }));
  targets_.facts("victim_pid_host=" + std::to_string(victim) +
                 "\nvictim_name=sleep\nvictim_secret=" + secret + "\n");
  const char* const keys[] = {"processes/victim-visible",   "processes/victim-signal",
                              "processes/victim-ptrace",    "processes/victim-environ",
                              "processes/victim-comm-scan", "processes/victim-root-secret"};

  Report in = in_sandbox({}, {"--category", "processes"});
  EXPECT_EQ(in.status, 0) << in.out << in.err;
  for (const char* key : keys) EXPECT_EQ(in.verdict(key), "stopped") << in.show(key);
  EXPECT_EQ(in.verdict("processes/own-root-secret"), "stopped")
      << in.show("processes/own-root-secret");

  Report out = unconfined({"--category", "processes"});
  EXPECT_EQ(out.status, 1) << out.out << out.err;
  for (const char* key : keys) EXPECT_EQ(out.verdict(key), "escaped") << out.show(key);

  EXPECT_TRUE(process_exists(victim)) << "SIGCONT and PTRACE_SEIZE must leave the victim running";
  ::kill(cordon, SIGTERM);
  EXPECT_NE(wait_exit(cordon), -1);
}

// CVE regressions, each the escape of its CVE tried against a default sandbox (stopped)
// and, where it is harmless, from the host (escaped: the attempt can succeed).

// runc CVE-2019-5736: overwrite the runtime's binary through /proc/self/exe (or PID 1's).
TEST_F(AuditBattery, CVE_2019_5736_ProcSelfExeOverwrite) {
  targets_.facts();
  Report in = in_sandbox({}, {"--category", "proc-exe"});
  for (const char* k : {"proc-exe/self-exe-write", "proc-exe/self-exe-reopen",
                        "proc-exe/proc1-exe-write", "proc-exe/proc1-exe-read"})
    EXPECT_EQ(in.verdict(k), "stopped") << in.show(k);
}

// runc CVE-2024-21626: a host directory fd leaked into the container, used as the cwd or
// walked with "..". The fd is left open in cordon on purpose.
TEST_F(AuditBattery, CVE_2024_21626_LeakedFdAndCwd) {
  targets_.facts();
  int fd = ::open(targets_.secret_dir().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  Report in = in_sandbox({}, {"--category", "fds-cwd"}, fd);
  Report out = unconfined({"--category", "fds-cwd"}, fd);
  ::close(fd);
  for (const char* k : {"fds-cwd/inherited-fds", "fds-cwd/fd-dotdot-walk", "fds-cwd/cwd-inside",
                        "fds-cwd/cwd-dotdot-walk"})
    EXPECT_EQ(in.verdict(k), "stopped") << in.show(k);
  EXPECT_EQ(out.verdict("fds-cwd/fd-dotdot-walk"), "escaped") << out.show("fds-cwd/fd-dotdot-walk");
}

// CVE-2022-0492: mount cgroup v1 in a new namespace and write release_agent.
TEST_F(AuditBattery, CVE_2022_0492_CgroupReleaseAgent) {
  targets_.facts();
  Report in = in_sandbox({}, {"--category", "proc-sys"});
  EXPECT_EQ(in.verdict("proc-sys/cgroup-mount"), "stopped") << in.show("proc-sys/cgroup-mount");
  EXPECT_EQ(in.verdict("proc-sys/release-agent"), "stopped") << in.show("proc-sys/release-agent");
  Report out = unconfined({"--category", "proc-sys"});
  EXPECT_EQ(out.verdict("proc-sys/cgroup-mount"), "escaped") << out.show("proc-sys/cgroup-mount");
}

// CVE-2017-5226 (bubblewrap): TIOCSTI pushes keystrokes into the caller's terminal. The
// sandbox's stdin here is a terminal.
TEST_F(AuditBattery, CVE_2017_5226_Tiocsti) {
  targets_.facts();
  Report in = in_sandbox({}, {"--category", "terminal"});
  for (const char* k : {"terminal/tiocsti-fd0", "terminal/tiocsti-high-bits"})
    EXPECT_EQ(in.verdict(k), "stopped") << in.show(k);
  Report out = unconfined({"--category", "terminal"});
  EXPECT_EQ(out.verdict("terminal/tiocsti-fd0"), "escaped") << out.show("terminal/tiocsti-fd0");
}

// Shocker (2014): open_by_handle_at with a forged handle reads any file of the host's fs.
TEST_F(AuditBattery, Shocker_OpenByHandleAt) {
  targets_.facts();
  Report in = in_sandbox({}, {"--category", "host-fs"});
  EXPECT_EQ(in.verdict("host-fs/open-by-handle"), "stopped") << in.show("host-fs/open-by-handle");
  Report out = unconfined({"--category", "host-fs"});
  EXPECT_EQ(out.verdict("host-fs/open-by-handle"), "escaped") << out.show("host-fs/open-by-handle");
}

#endif  // AUDIT_BATTERY

}  // namespace
}  // namespace cordon::testing
