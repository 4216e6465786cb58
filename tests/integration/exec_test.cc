// cordon exec: a command entering a running sandbox (cordon run --name). Each test starts
// a real named sandbox and checks from the host what the entered process is: the
// sandbox's namespaces, cgroup, credentials and filter, its files, its terminal, and its
// end with the sandbox.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace cordon::testing {
namespace {

// Guards against a hang only: every wait below is for a state, never for a time.
constexpr int kHangGuardMs = 60'000;
constexpr const char* kStateDir = "/run/cordon/sandboxes";

std::string unique_name(const std::string& what) {
  return "cordon-t-" + what + "-" + std::to_string(::getpid());
}

// Reads fd until text has come (true) or it ends (false).
bool read_until(int fd, const std::string& text, std::string* got) {
  while (got->find(text) == std::string::npos) {
    struct pollfd p = {fd, POLLIN, 0};
    if (::poll(&p, 1, kHangGuardMs) <= 0) return false;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) return false;
    got->append(buf, static_cast<size_t>(n));
  }
  return true;
}

std::string first_line(const std::string& path) {
  std::string s = read_file(path);
  return s.substr(0, s.find('\n'));
}

// The value of a "Key:\tvalue" line of /proc/PID/status.
std::string status_field(pid_t pid, const std::string& key) {
  std::string s = read_file("/proc/" + std::to_string(pid) + "/status");
  size_t at = s.find("\n" + key + ":");
  if (at == std::string::npos) return "";
  size_t from = s.find_first_not_of(" \t", at + key.size() + 2);
  return s.substr(from, s.find('\n', from) - from);
}

std::string ns_link(pid_t pid, const std::string& ns) {
  char buf[256];
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + ns;
  ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// A named sandbox whose command wrote /tmp/x and then sleeps; ended (SIGTERM to its
// supervisor, which forwards it) and reaped at destruction.
class NamedSandbox {
 public:
  explicit NamedSandbox(const std::string& name, const std::vector<std::string>& options = {})
      : name_(name) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return;
    std::vector<std::string> argv = {cordon_binary(), "run", "--name", name};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {"--", "sh", "-c", "echo up > /tmp/x; echo ready; exec sleep 600"});
    pid_ = spawn_program(argv, -1, p[1]);
    ::close(p[1]);
    out_ = p[0];
    std::string got;
    ready_ = read_until(out_, "ready\n", &got);
    if (!ready_) return;
    auto j = nlohmann::json::parse(read_file(std::string(kStateDir) + "/" + name + ".json"),
                                   nullptr, false);
    if (j.is_object()) {
      pid1_ = j.value("pid1", 0);
      uid_base_ = j.value("uid_base", uint64_t{0});
    }
  }
  ~NamedSandbox() { end(); }

  // Ends the sandbox and returns the status of its `cordon run`.
  int end() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int st = wait_exit(pid_);
    pid_ = -1;
    if (out_ >= 0) ::close(out_);
    out_ = -1;
    return st;
  }

  bool ready() const { return ready_ && pid1_ > 0; }
  pid_t pid1() const { return pid1_; }
  uint64_t uid_base() const { return uid_base_; }
  // The sandbox's own command (sleep), PID 1's child.
  pid_t command() const {
    auto c = children_of(pid1_);
    return c.empty() ? -1 : c[0];
  }

 private:
  std::string name_;
  pid_t pid_ = -1;
  int out_ = -1;
  bool ready_ = false;
  pid_t pid1_ = 0;
  uint64_t uid_base_ = 0;
};

// `cordon exec ARGS...` running, its stdout on a pipe.
struct RunningExec {
  pid_t pid = -1;
  int out = -1;
  std::string got;
  explicit RunningExec(const std::vector<std::string>& args) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return;
    std::vector<std::string> argv = {cordon_binary(), "exec"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid = spawn_program(argv, -1, p[1]);
    ::close(p[1]);
    out = p[0];
  }
  ~RunningExec() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (out >= 0) ::close(out);
  }
  int wait() {
    int st = wait_exit(pid);
    pid = -1;
    return st;
  }
  // The process named comm among cordon exec's descendants.
  pid_t find(const std::string& comm) const {
    for (pid_t d : descendants_of(pid)) {
      if (first_line("/proc/" + std::to_string(d) + "/comm") == comm) return d;
    }
    return -1;
  }
  // `cordon exec NAME -- sleep 600` through a shell that says ready first: the host PID of
  // its sleep, once it is sleep; -1 if it never was.
  static pid_t sleep_in(const std::string& name, std::unique_ptr<RunningExec>* ex) {
    *ex = std::make_unique<RunningExec>(
        std::vector<std::string>{name, "--", "sh", "-c", "echo ready; exec sleep 600"});
    if (!read_until((*ex)->out, "ready\n", &(*ex)->got)) return -1;
    pid_t inside = -1;
    // "ready" comes just before the exec of sleep: wait for it to be sleep.
    wait_until(kHangGuardMs, [&] { return (inside = (*ex)->find("sleep")) > 0; });
    return inside;
  }
};

// A registry entry as a supervisor killed with SIGKILL would have left it.
void write_state(const std::string& path, const nlohmann::json& j) {
  ::mkdir("/run/cordon", 0755);
  ::mkdir(kStateDir, 0700);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  std::string text = j.dump();
  ASSERT_EQ(::write(fd, text.data(), text.size()), (ssize_t)text.size());
  ::close(fd);
}

TEST(Exec, SeesTheSandboxsFiles) {
  REQUIRE_ROOT();
  std::string name = unique_name("files");
  NamedSandbox sb(name);
  ASSERT_TRUE(sb.ready());
  RunOut r = run_cordon({"exec", name, "--", "cat", "/tmp/x"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "up\n");
  // What it writes, the sandbox's command sees: the same mount namespace and tmpfs.
  r = run_cordon({"exec", "--user", "1000:1000", "--workdir", "/tmp", name, "--", "sh", "-c",
                  "id -u; id -g; pwd; echo from-exec > /tmp/y"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1000\n1000\n/tmp\n");
  r = run_cordon({"exec", name, "--", "stat", "-c", "%u", "/tmp/y"});
  EXPECT_EQ(r.out, "1000\n") << r.err;
  sb.end();
}

TEST(Exec, JoinsEveryNamespaceTheCgroupAndTheConfinement) {
  REQUIRE_ROOT();
  std::string name = unique_name("ns");
  NamedSandbox sb(name);
  ASSERT_TRUE(sb.ready());
  std::unique_ptr<RunningExec> exec;
  pid_t inside = RunningExec::sleep_in(name, &exec);
  ASSERT_GT(inside, 0);
  for (const char* ns : {"user", "mnt", "pid", "ipc", "uts", "net", "cgroup", "time"}) {
    std::string want = ns_link(sb.pid1(), ns);
    ASSERT_FALSE(want.empty()) << ns;
    EXPECT_EQ(ns_link(inside, ns), want) << ns;
    EXPECT_NE(ns_link(::getpid(), ns), want) << ns;
  }
  EXPECT_EQ(read_file("/proc/" + std::to_string(inside) + "/cgroup"),
            read_file("/proc/" + std::to_string(sb.pid1()) + "/cgroup"));
  EXPECT_EQ(read_file("/proc/" + std::to_string(inside) + "/uid_map"),
            read_file("/proc/" + std::to_string(sb.pid1()) + "/uid_map"));
  EXPECT_EQ(status_field(inside, "Seccomp"), "2");
  EXPECT_EQ(status_field(inside, "NoNewPrivs"), "1");
  pid_t command = sb.command();
  ASSERT_GT(command, 0);
  for (const char* set : {"CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"})
    EXPECT_EQ(status_field(inside, set), status_field(command, set)) << set;
  // Root inside: the slot's base UID on the host, as the sandbox's command.
  EXPECT_EQ(status_field(inside, "Uid"), status_field(command, "Uid"));
  EXPECT_EQ(status_field(inside, "Uid").substr(0, status_field(inside, "Uid").find('\t')),
            std::to_string(sb.uid_base()));
  sb.end();
}

TEST(Exec, TheEnteringProcessIsOutsideThePidNamespace) {
  REQUIRE_ROOT();
  std::string name = unique_name("dump");
  NamedSandbox sb(name);
  ASSERT_TRUE(sb.ready());
  std::unique_ptr<RunningExec> exec;
  pid_t inside = RunningExec::sleep_in(name, &exec);
  ASSERT_GT(inside, 0);
  RunningExec& ex = *exec;
  // The entering process: the command's parent, a child of cordon exec.
  pid_t entering = std::stoi(status_field(inside, "PPid"));
  ASSERT_NE(entering, ex.pid);
  // Still the host's root (it never changed its IDs: the command's process did), in the
  // sandbox's user namespace with its ID maps.
  EXPECT_EQ(status_field(entering, "Uid"), "0\t0\t0\t0");
  EXPECT_EQ(read_file("/proc/" + std::to_string(entering) + "/uid_map"),
            read_file("/proc/" + std::to_string(sb.pid1()) + "/uid_map"));
  // In the sandbox's user namespace, but not in its PID namespace (only its children are):
  // no process inside can see it, let alone ptrace it.
  EXPECT_EQ(ns_link(entering, "user"), ns_link(sb.pid1(), "user"));
  EXPECT_NE(ns_link(entering, "pid"), ns_link(sb.pid1(), "pid"));
  EXPECT_EQ(ns_link(entering, "pid_for_children"), ns_link(sb.pid1(), "pid"));
  // It has no PID inside (NSpid: the host's only); the command's process has one.
  EXPECT_EQ(status_field(entering, "NSpid"), std::to_string(entering));
  std::string nspid = status_field(inside, "NSpid");
  EXPECT_EQ(nspid.substr(0, nspid.find('\t')), std::to_string(inside));
  EXPECT_NE(nspid.find('\t'), std::string::npos) << nspid;
  sb.end();
}

TEST(Exec, UnknownOrEndedNamesExit66) {
  REQUIRE_ROOT();
  std::string name = unique_name("none");
  RunOut r = run_cordon({"exec", name, "--", "true"});
  EXPECT_EQ(r.status, 66);
  EXPECT_NE(r.err.find(name), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no running sandbox"), std::string::npos) << r.err;
  // A sandbox that has ended left no entry.
  std::string ended = unique_name("ended");
  r = run_cordon({"run", "--name", ended, "--", "true"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cordon({"exec", ended, "--", "true"});
  EXPECT_EQ(r.status, 66) << r.err;
  // A stale entry (its supervisor is not the process alive under that PID) is swept.
  std::string stale = unique_name("stale");
  std::string path = std::string(kStateDir) + "/" + stale + ".json";
  nlohmann::json j = {{"name", stale},
                      {"supervisor_pid", 1},
                      {"supervisor_start", uint64_t{1} << 62},
                      {"pid1", 1},
                      {"pid1_start", uint64_t{1} << 62},
                      {"uid_base", 0},
                      {"gid_base", 0},
                      {"cgroup_version", 0},
                      {"cgroup_paths", nlohmann::json::array()},
                      {"spec", nullptr},
                      {"seccomp", nullptr}};
  write_state(path, j);
  r = run_cordon({"exec", stale, "--", "true"});
  EXPECT_EQ(r.status, 66) << r.err;
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
  // And the next run of any name sweeps every stale entry.
  write_state(path, j);
  ASSERT_EQ(::access(path.c_str(), F_OK), 0);
  r = run_cordon({"run", "--name", ended, "--", "true"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

TEST(Exec, NamesAreCheckedAndALiveOneIsRefused) {
  REQUIRE_ROOT();
  RunOut r = run_cordon({"run", "--name", "Bad/Name", "--", "true"});
  EXPECT_EQ(r.status, 64);
  EXPECT_NE(r.err.find("--name"), std::string::npos) << r.err;
  r = run_cordon({"exec", "Bad/Name", "--", "true"});
  EXPECT_EQ(r.status, 64);
  std::string name = unique_name("taken");
  NamedSandbox sb(name);
  ASSERT_TRUE(sb.ready());
  r = run_cordon({"run", "--name", name, "--", "echo", "never"});
  EXPECT_EQ(r.status, 73);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("a running sandbox has this name"), std::string::npos) << r.err;
  sb.end();
}

TEST(Exec, StatusesAreTheCommands) {
  REQUIRE_ROOT();
  std::string name = unique_name("status");
  NamedSandbox sb(name);
  ASSERT_TRUE(sb.ready());
  EXPECT_EQ(run_cordon({"exec", name, "--", "sh", "-c", "exit 7"}).status, 7);
  EXPECT_EQ(run_cordon({"exec", name, "--", "sh", "-c", "kill -9 $$"}).status, 137);
  EXPECT_EQ(run_cordon({"exec", name, "--", "no-such-command"}).status, 127);
  EXPECT_EQ(run_cordon({"exec", name, "--", "/tmp/x"}).status, 126);
  EXPECT_EQ(run_cordon({"exec", "--workdir", "/no/such/dir", name, "--", "true"}).status, 125);
  sb.end();
}

// As docker exec: the exec ends with its command, not with what the command left running
// (which holds the output pipes for as long as the sandbox lives).
TEST(Exec, EndsWithTheCommandNotWithWhatItLeftBehind) {
  REQUIRE_ROOT();
  std::string name = unique_name("left");
  NamedSandbox sb(name);
  ASSERT_TRUE(sb.ready());
  RunOut r = run_cordon({"exec", name, "--", "sh", "-c", "sleep 600 & echo spawned; exit 3"});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, "spawned\n");
  // What it left behind is still the sandbox's, and ends with it.
  r = run_cordon({"exec", name, "--", "sh", "-c", "ps -o comm | grep -c sleep"});
  EXPECT_EQ(r.out, "2\n") << r.err;
  sb.end();
}

// The entered processes count against the sandbox's pids limit (8): PID 1 and its
// command, two sleeps an exec leaves behind, and the next exec's entering process and
// shell leave that shell 2 children, not 8.
TEST(Exec, EnteredProcessesCountAgainstTheSandboxsLimits) {
  REQUIRE_ROOT();
  std::string name = unique_name("pids");
  NamedSandbox sb(name, {"--pids", "8"});
  ASSERT_TRUE(sb.ready());
  RunOut r = run_cordon({"exec", name, "--", "sh", "-c", "sleep 600 & sleep 600 & echo two"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "two\n");
  r = run_cordon({"exec", name, "--", "sh", "-c",
                  "i=0; while [ $i -lt 8 ]; do sleep 600 & i=$((i+1)); done; echo all"});
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("fork"), std::string::npos) << r.err;
  sb.end();
}

TEST(Exec, TheSandboxsEndKillsTheEnteredCommand) {
  REQUIRE_ROOT();
  std::string name = unique_name("end");
  NamedSandbox sb(name);
  ASSERT_TRUE(sb.ready());
  std::unique_ptr<RunningExec> exec;
  pid_t inside = RunningExec::sleep_in(name, &exec);
  ASSERT_GT(inside, 0);
  RunningExec& ex = *exec;
  sb.end();
  EXPECT_EQ(ex.wait(), 128 + SIGKILL);
  EXPECT_FALSE(process_exists(inside));
  EXPECT_EQ(run_cordon({"exec", name, "--", "true"}).status, 66);
}

// The caller's terminal: cordon exec -t in a session of its own on a pseudo-terminal of
// the test's; the command's terminal is one of the sandbox's devpts.
TEST(Exec, TtyIsATerminalOfTheSandboxsDevpts) {
  REQUIRE_ROOT();
  std::string name = unique_name("tty");
  NamedSandbox sb(name);
  ASSERT_TRUE(sb.ready());
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  std::string slave = ::ptsname(master);
  std::string cordon = cordon_binary();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    int fd = ::open(slave.c_str(), O_RDWR);
    if (fd < 0) ::_exit(250);
    for (int i = 0; i < 3; ++i) ::dup2(fd, i);
    ::close_range(3, ~0U, 0);
    ::execl(cordon.c_str(), cordon.c_str(), "exec", "-t", name.c_str(), "--", "sh", "-c",
            "tty; echo /dev/pts/*; echo done", static_cast<char*>(nullptr));
    ::_exit(250);
  }
  std::string got;
  bool done = read_until(master, "done", &got);
  int ws = 0;
  ASSERT_EQ(::waitpid(pid, &ws, 0), pid);
  ::close(master);
  ASSERT_TRUE(done) << got;
  EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << ws;
  // The sandbox's own devpts: its first terminal, and nothing of the host's.
  EXPECT_NE(got.find("/dev/pts/0\r\n/dev/pts/0 /dev/pts/ptmx\r\n"), std::string::npos) << got;
  sb.end();
}

}  // namespace
}  // namespace cordon::testing
