// Edges of the boundary, each checked from the host: a terminal the sandbox stopped does
// not stop its time limit; a slot stays one sandbox's even for a cordon that sees another
// runtime directory; a symlink a sandbox planted does not redirect a later bind; a mount
// below the host's /etc does not stop the host view; line disciplines stay as they are.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "harness.h"

namespace cordon::testing {
namespace {

std::string probe_dir() {
  return std::filesystem::path(EXHAUST_PROBE).parent_path();
}

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// Runs a shell script in a private mount namespace of its own (unshare -m, propagation
// private: nothing it mounts reaches the host or the other tests).
RunOut in_private_mounts(const std::string& script) {
  return run_program(
      {"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script});
}

bool have_unshare() {
  return ::access("/usr/bin/unshare", X_OK) == 0;
}

// Waits for a child with a deadline that only a hang reaches; -1 if it did not end.
int wait_exit_within(pid_t pid, int seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    int ws = 0;
    pid_t r = ::waitpid(pid, &ws, WNOHANG);
    if (r == pid) return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

// The sandbox stops the output of the terminal it was given (tcflow TCOOFF on its stdin,
// the caller's terminal) and floods stdout: the supervisor's writes to that terminal
// cannot go on, and still --time ends the sandbox and cordon returns.
TEST(Boundary, StoppedTerminalDoesNotHoldTheTimeLimit) {
  REQUIRE_ROOT();
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  std::string slave_path = ::ptsname(master);
  int slave = ::open(slave_path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(slave, 0);
  TempDir d;
  std::string result = d.path() + "/result.json";
  std::vector<std::string> args = {cordon_binary(),
                                   "run",
                                   "--time",
                                   "3s",
                                   "--result-file",
                                   result,
                                   "--bind",
                                   probe_dir() + ":/probe",
                                   "--",
                                   "/probe/exhaust_probe",
                                   "tty-stop-flood"};
  int err = ::open((d.path() + "/stderr").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  pid_t pid = spawn_program(args, slave, slave, err, /*new_session=*/true);
  ::close(err);
  int status = wait_exit_within(pid, 90);
  if (status == -1) {  // hung: resume the terminal, then end it, by PID
    ::tcflow(slave, TCOON);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  ::close(slave);
  ::close(master);
  ASSERT_NE(status, -1) << "cordon still ran 90 s into a 3 s limit: "
                        << read_file(d.path() + "/stderr");
  EXPECT_EQ(status, 124) << read_file(d.path() + "/stderr");
  auto j = nlohmann::json::parse(read_file(result), nullptr, false);
  EXPECT_EQ(j["reason"], "wall-time") << read_file(result);
  EXPECT_GT(j["accounting"]["output_dropped_bytes"].get<uint64_t>(), 0u) << read_file(result);
}

// A reader that goes away ends the sandbox's writer as it would end a plain one
// (`yes | head -1`): by SIGPIPE, and cordon returns with the result, not killed itself.
TEST(Boundary, AReaderThatGoesAwayEndsTheWriterNotTheSupervisor) {
  REQUIRE_ROOT();
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  TempDir d;
  std::string result = d.path() + "/result.json";
  pid_t pid = spawn_program(
      {cordon_binary(), "run", "--time", "120s", "--result-file", result, "--", "yes"}, -1, p[1]);
  ::close(p[1]);
  char buf[16];
  ASSERT_GT(::read(p[0], buf, sizeof(buf)), 0);  // it runs
  ::close(p[0]);                                 // and its reader goes
  int status = wait_exit_within(pid, 90);
  if (status == -1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  ASSERT_NE(status, -1) << "the sandbox wrote on after its reader went";
  EXPECT_EQ(status, 128 + SIGPIPE);
  auto j = nlohmann::json::parse(read_file(result), nullptr, false);
  EXPECT_EQ(j["reason"], "signaled") << read_file(result);
  EXPECT_EQ(j["signal"], SIGPIPE) << read_file(result);
}

// A second cordon sees another runtime directory (an empty /run: a private mount
// namespace, or /run cleaned under a running sandbox) and, through its own subuid and
// subgid files, only the slot a first sandbox holds. It must not take that slot (nor
// kill the sandbox in it as a "crashed holder").
TEST(Boundary, ASlotInUseIsNotTakenByACordonThatMissesItsLock) {
  REQUIRE_ROOT();
  if (!have_unshare() || ::access("/etc/subuid", F_OK) != 0 || ::access("/etc/subgid", F_OK) != 0)
    GTEST_SKIP() << "needs unshare(1), /etc/subuid and /etc/subgid";
  pid_t a = spawn_cordon({"run", "--time", "120s", "--", "sleep", "100"});
  std::optional<uint64_t> base;
  ASSERT_TRUE(wait_until(60000, [&] {
    for (pid_t c : children_of(a)) {
      base = map_base(read_file("/proc/" + std::to_string(c) + "/uid_map"));
      if (base) return true;
    }
    return false;
  })) << "the first sandbox did not start";
  TempDir d;
  write_text(d.path() + "/subid", "cordon:" + std::to_string(*base) + ":65536\n");
  RunOut b = in_private_mounts("mount -t tmpfs cordon-test-run /run && mount --bind " +
                               quoted(d.path() + "/subid") + " /etc/subuid && mount --bind " +
                               quoted(d.path() + "/subid") + " /etc/subgid && exec " +
                               quoted(cordon_binary()) + " run --json -- true");
  bool a_alive = process_exists(a);
  ::kill(a, SIGTERM);  // forwarded to sleep
  int a_status = wait_exit(a);
  EXPECT_NE(b.status, 0) << "the second cordon ran in the slot in use: " << b.out;
  EXPECT_NE(b.err.find("slot"), std::string::npos) << b.err;
  EXPECT_TRUE(a_alive) << "the first sandbox was killed";
  EXPECT_EQ(a_status, 128 + SIGTERM) << "the first sandbox did not end by our SIGTERM";
}

// A slot is the same numbers as UIDs and GIDs: a cordon whose subgid names the GIDs of a
// slot in use (and whose subuid names other, free UIDs) does not pair those GIDs with
// other UIDs.
TEST(Boundary, GidsOfASlotAreNeverPairedWithOtherUids) {
  REQUIRE_ROOT();
  if (!have_unshare() || ::access("/etc/subuid", F_OK) != 0 || ::access("/etc/subgid", F_OK) != 0)
    GTEST_SKIP() << "needs unshare(1), /etc/subuid and /etc/subgid";
  RunOut a = run_cordon({"run", "--json", "--", "true"});
  ASSERT_EQ(a.status, 0) << a.err;
  uint64_t base = a.result["id_slot"]["gid_base"].get<uint64_t>();
  uint64_t other = base + 16 * 65536;
  TempDir d;
  write_text(d.path() + "/subuid", "cordon:" + std::to_string(other) + ":65536\n");
  write_text(d.path() + "/subgid", "cordon:" + std::to_string(base) + ":65536\n");
  RunOut b =
      in_private_mounts("mount --bind " + quoted(d.path() + "/subuid") +
                        " /etc/subuid && mount --bind " + quoted(d.path() + "/subgid") +
                        " /etc/subgid && exec " + quoted(cordon_binary()) + " run --json -- true");
  EXPECT_NE(b.status, 0) << "UIDs " << other << " ran with the GIDs of slot " << base << ": "
                         << b.out;
  EXPECT_NE(b.err.find("in common"), std::string::npos) << b.err;
}

// An earlier sandbox with a writable bind plants a symlink to the host's /etc; a later
// --bind of that path must not follow it. A symlink anywhere in a bind source is refused.
TEST(Boundary, BindSourcesNeverFollowASymlink) {
  REQUIRE_ROOT();
  TempDir d;
  ::chmod(d.path().c_str(), 0777);
  RunOut plant = run_cordon({"run", "--bind", d.path() + ":/shared:rw", "--", "sh", "-c",
                             "ln -s /etc /shared/data && mkdir /shared/dir && "
                             "ln -s /etc/hostname /shared/dir/file"});
  ASSERT_EQ(plant.status, 0) << plant.err;
  for (std::string source :
       {d.path() + "/data", d.path() + "/data/hostname", d.path() + "/dir/file"}) {
    RunOut r = run_cordon({"run", "--bind", source + ":/x", "--", "cat", "/x/hostname", "/x"});
    EXPECT_EQ(r.status, 66) << source << ": " << r.out;
    EXPECT_EQ(r.out, "") << source;
    EXPECT_NE(r.err.find("symlink"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("leads to /etc"), std::string::npos) << r.err;
  }
  // The same path without a symlink still binds.
  write_text(d.path() + "/dir/plain", "plain\n");
  RunOut ok = run_cordon({"run", "--bind", d.path() + "/dir/plain:/x", "--", "cat", "/x"});
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(ok.out, "plain\n");
}

// Docker and Kubernetes mount files over /etc/hosts and /etc/resolv.conf: the host view
// still builds (read-only), and shows those files as the host's processes see them.
TEST(Boundary, HostViewBuildsWithAMountBelowEtc) {
  REQUIRE_ROOT();
  if (!have_unshare()) GTEST_SKIP() << "needs unshare(1)";
  TempDir d;
  write_text(d.path() + "/hosts", "10.9.8.7 mounted-over-etc-hosts\n");
  RunOut r = in_private_mounts("mount --bind " + quoted(d.path() + "/hosts") +
                               " /etc/hosts && exec " + quoted(cordon_binary()) +
                               " run -- sh -c 'cat /etc/hosts; echo x >> /etc/hosts || echo ro'");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("mounted-over-etc-hosts"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("ro\n"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(d.path() + "/hosts"), "10.9.8.7 mounted-over-etc-hosts\n");
}

// TIOCSETD (which may load a line discipline's module) is denied, on a real terminal.
TEST(Boundary, LineDisciplineCannotBeSet) {
  REQUIRE_ROOT();
  RunOut r = run_cordon(
      {"run", "--bind", probe_dir() + ":/probe", "--", "/probe/exhaust_probe", "tiocsetd"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "tiocsetd 0 EPERM\n");
  // The probe can tell: without the filter the same call succeeds.
  RunOut u = run_cordon({"run", "--seccomp", "unconfined", "--bind", probe_dir() + ":/probe", "--",
                         "/probe/exhaust_probe", "tiocsetd"});
  EXPECT_EQ(u.out, "tiocsetd 1 ok\n") << u.err;
}

}  // namespace
}  // namespace cordon::testing
