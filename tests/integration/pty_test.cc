// cordon run -t: the command's terminal. The test is the caller's terminal: cordon runs
// in a session of its own whose controlling terminal is the slave of a pseudo-terminal
// the test made, and the test types into and reads from its master, as a terminal
// emulator would.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "harness.h"

namespace cordon::testing {
namespace {

// Guards against a hang only (a test that never sees what it waits for fails after it);
// every wait below is for a state, never for a time.
constexpr int kHangGuardMs = 60'000;

class Terminal {
 public:
  Terminal(unsigned short rows, unsigned short cols) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    slave_path_ = ::ptsname(master_);
    resize(rows, cols);
  }
  ~Terminal() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  bool ok() const { return master_ >= 0 && !slave_path_.empty(); }

  void resize(unsigned short rows, unsigned short cols) {
    struct winsize ws = {};
    ws.ws_row = rows;
    ws.ws_col = cols;
    ::ioctl(master_, TIOCSWINSZ, &ws);
  }

  // The slave's settings, as every process on the terminal sees them.
  struct termios attrs() const {
    struct termios t = {};
    ::tcgetattr(master_, &t);
    return t;
  }

  // `cordon ARGS...` in a new session whose controlling terminal is this one.
  void start(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {cordon_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> v;
    for (auto& a : argv) v.push_back(a.data());
    v.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      int fd = ::open(slave_path_.c_str(), O_RDWR);  // a session leader's first terminal
      if (fd < 0) ::_exit(250);
      for (int i = 0; i < 3; ++i) ::dup2(fd, i);
      ::close_range(3, ~0U, 0);
      ::execv(v[0], v.data());
      ::_exit(250);
    }
  }

  void type(const std::string& s) {
    ASSERT_EQ(::write(master_, s.data(), s.size()), (ssize_t)s.size());
  }

  // Reads until text appears in what came after `from` (returns its end), or the
  // terminal has no writer left (npos).
  size_t wait_for(const std::string& text, size_t from = 0) {
    for (;;) {
      size_t at = output_.find(text, from);
      if (at != std::string::npos) return at + text.size();
      if (!read_some()) return std::string::npos;
    }
  }

  // Reads to the end (every writer gone), then reaps cordon: its exit status.
  int finish() {
    while (read_some()) {
    }
    int ws = 0;
    if (::waitpid(pid_, &ws, 0) != pid_) return -1;
    pid_ = -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  }

  const std::string& output() const { return output_; }

 private:
  bool read_some() {
    struct pollfd p = {master_, POLLIN, 0};
    if (::poll(&p, 1, kHangGuardMs) <= 0) return false;
    char buf[4096];
    ssize_t n = ::read(master_, buf, sizeof(buf));
    if (n <= 0) return false;  // EIO: no slave open any more
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int master_ = -1;
  std::string slave_path_;
  pid_t pid_ = -1;
  std::string output_;
};

bool same_attrs(const struct termios& a, const struct termios& b) {
  return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag &&
         a.c_lflag == b.c_lflag && std::memcmp(a.c_cc, b.c_cc, sizeof(a.c_cc)) == 0;
}

TEST(Pty, CommandHasTheSandboxTerminalAsStdio) {
  REQUIRE_ROOT();
  Terminal t(24, 80);
  ASSERT_TRUE(t.ok());
  t.start({"run", "-t", "--", "sh", "-c",
           "tty; test -t 0 -a -t 1 -a -t 2 && echo all-three-ttys; "
           "echo pts: $(ls /dev/pts)"});
  int status = t.finish();
  EXPECT_EQ(status, 0) << t.output();
  EXPECT_NE(t.output().find("/dev/pts/0\r\n"), std::string::npos) << t.output();
  EXPECT_NE(t.output().find("all-three-ttys"), std::string::npos) << t.output();
  // The sandbox's own devpts instance: its one terminal and ptmx, none of the host's.
  EXPECT_NE(t.output().find("pts: 0 ptmx\r\n"), std::string::npos) << t.output();
}

// An image's /dev is the sandbox's too: its terminal is /dev/pts/0 of its own devpts.
TEST(Pty, ImageGetsTheSandboxTerminalToo) {
  REQUIRE_ROOT();
  std::string busybox = find_busybox();
  if (busybox.empty()) GTEST_SKIP() << "needs busybox-static (scripts/setup.sh installs it)";
  TempDir dir;
  make_image(dir.path() + "/image", busybox);
  Terminal t(24, 80);
  ASSERT_TRUE(t.ok());
  t.start({"run", "-t", "--rootfs", dir.path() + "/image", "--", "/bin/busybox", "sh", "-c",
           "/bin/busybox tty; echo pts: $(/bin/busybox ls /dev/pts)"});
  EXPECT_EQ(t.finish(), 0) << t.output();
  EXPECT_NE(t.output().find("/dev/pts/0\r\n"), std::string::npos) << t.output();
  EXPECT_NE(t.output().find("pts: 0 ptmx\r\n"), std::string::npos) << t.output();
}

TEST(Pty, CommandLeadsASessionOnItsTerminal) {
  REQUIRE_ROOT();
  Terminal t(24, 80);
  ASSERT_TRUE(t.ok());
  // Field 6 of stat is the session, 8 the terminal's foreground group: the shell is the
  // session's leader and its group the foreground one.
  t.start({"run", "-t", "--", "sh", "-c",
           "set -- $(cat /proc/$$/stat); echo pid=$1 sid=$6 fg=$8 pgrp=$5"});
  ASSERT_EQ(t.finish(), 0) << t.output();
  size_t at = t.output().find("pid=");
  ASSERT_NE(at, std::string::npos) << t.output();
  std::string line = t.output().substr(at, t.output().find('\r', at) - at);
  int pid = 0, sid = 0, fg = 0, pgrp = 0;
  ASSERT_EQ(std::sscanf(line.c_str(), "pid=%d sid=%d fg=%d pgrp=%d", &pid, &sid, &fg, &pgrp), 4)
      << line;
  EXPECT_EQ(sid, pid) << line;
  EXPECT_EQ(fg, pgrp) << line;
  EXPECT_NE(pid, 1) << line;  // not PID 1: it stays out of the terminal's signals
}

TEST(Pty, WindowSizeIsTheCallersAndFollowsIt) {
  REQUIRE_ROOT();
  Terminal t(33, 101);
  ASSERT_TRUE(t.ok());
  t.start({"run", "-t", "--", "sh", "-c",
           "stty size; echo resize-now; read line; stty size; echo done"});
  size_t first = t.wait_for("resize-now");
  ASSERT_NE(first, std::string::npos) << t.output();
  EXPECT_NE(t.output().find("33 101\r\n"), std::string::npos) << t.output();
  // The resize is done (SIGWINCH queued to cordon) before the line is typed: cordon has
  // copied the size by the time the shell reads the line.
  t.resize(40, 132);
  t.type("\r");
  ASSERT_NE(t.wait_for("done", first), std::string::npos) << t.output();
  EXPECT_NE(t.output().find("40 132\r\n", first), std::string::npos) << t.output();
  EXPECT_EQ(t.finish(), 0) << t.output();
}

TEST(Pty, CtrlCReachesTheCommandNotCordon) {
  REQUIRE_ROOT();
  Terminal t(24, 80);
  ASSERT_TRUE(t.ok());
  t.start({"run", "-t", "--", "sh", "-c",
           "trap 'echo got-INT; exit 7' INT; echo ready; while :; do sleep 1; done"});
  size_t ready = t.wait_for("ready");
  ASSERT_NE(ready, std::string::npos) << t.output();
  t.type("\x03");
  EXPECT_NE(t.wait_for("got-INT", ready), std::string::npos) << t.output();
  EXPECT_EQ(t.finish(), 7) << t.output();
  // The sandbox's terminal signalled its foreground group; cordon got no SIGINT (it
  // would say that it forwarded one).
  EXPECT_EQ(t.output().find("forwarding"), std::string::npos) << t.output();
}

TEST(Pty, CallersTerminalIsRawDuringTheRunAndRestoredAfter) {
  REQUIRE_ROOT();
  Terminal t(24, 80);
  ASSERT_TRUE(t.ok());
  struct termios before = t.attrs();
  ASSERT_TRUE(before.c_lflag & ICANON);
  t.start({"run", "-t", "--", "sh", "-c", "echo ready; read line; echo bye"});
  ASSERT_NE(t.wait_for("ready"), std::string::npos) << t.output();
  struct termios during = t.attrs();
  EXPECT_FALSE(during.c_lflag & (ICANON | ECHO | ISIG)) << "the caller's terminal is not raw";
  t.type("\r");
  EXPECT_EQ(t.finish(), 0) << t.output();
  EXPECT_TRUE(same_attrs(before, t.attrs()));
}

TEST(Pty, CallersTerminalIsRestoredAfterAWallTimeKill) {
  REQUIRE_ROOT();
  Terminal t(24, 80);
  ASSERT_TRUE(t.ok());
  struct termios before = t.attrs();
  t.start({"run", "-t", "--time", "1s", "--", "sh", "-c", "echo ready; sleep 600"});
  ASSERT_NE(t.wait_for("ready"), std::string::npos) << t.output();
  EXPECT_FALSE(t.attrs().c_lflag & ICANON);
  EXPECT_EQ(t.finish(), 124) << t.output();
  EXPECT_TRUE(same_attrs(before, t.attrs()));
}

// The terminal's output is the command's stdout under --output-limit: past it the sandbox
// is killed, and the caller's terminal is restored all the same.
TEST(Pty, OutputLimitCountsTheTerminalsOutput) {
  REQUIRE_ROOT();
  Terminal t(24, 80);
  ASSERT_TRUE(t.ok());
  struct termios before = t.attrs();
  t.start({"run", "-t", "--output-limit", "1K", "--", "yes"});
  EXPECT_EQ(t.finish(), 122) << t.output();
  // At most the limit of "y\r\n", then cordon's own line saying which limit it was.
  size_t ys = t.output().find("cordon: stopped at the output limit");
  ASSERT_NE(ys, std::string::npos) << t.output();
  EXPECT_LE(ys, 1024u + 2);  // the line may start with the newline cordon adds
  EXPECT_GE(ys, 1000u);
  EXPECT_TRUE(same_attrs(before, t.attrs()));
}

// -t with a stdin that is no terminal (a script's): the command still gets a terminal of
// its own, sized 80x24, and the end of stdin reaches it as the terminal's end of file.
TEST(Pty, StdinThatIsNoTerminalIsRelayed) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string in = dir.path() + "/in";
  {
    FILE* f = std::fopen(in.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("from-stdin\n", f);
    std::fclose(f);
  }
  int fd = ::open(in.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  RunOut r = run_program({cordon_binary(), "run", "-t", "--json", "--", "sh", "-c",
                          "stty size; test -t 0 && echo stdin-tty; while read l; do echo got-$l; "
                          "done; echo eof"},
                         fd);
  ::close(fd);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("24 80\r\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stdin-tty\r\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("got-from-stdin\r\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("eof\r\n"), std::string::npos) << r.out;
  // The result is the last line (run_program does not parse it).
  size_t last = r.out.rfind('\n', r.out.size() - 2);
  auto result = nlohmann::json::parse(r.out.substr(last + 1), nullptr, false);
  ASSERT_TRUE(result.is_object()) << r.out;
  EXPECT_EQ(result["tty"], true);
  EXPECT_EQ(result["spec"]["tty"], true);
}

// Without -t nothing changes: stdout and stderr are the supervisor's pipes, and no
// terminal is made in the sandbox's devpts.
TEST(Pty, WithoutTtyOutputStaysPipes) {
  REQUIRE_ROOT();
  Terminal t(24, 80);
  ASSERT_TRUE(t.ok());
  t.start({"run", "--", "sh", "-c",
           "test -t 1 || echo stdout-pipe; test -t 2 || echo stderr-pipe; "
           "echo pts: $(ls /dev/pts)"});
  EXPECT_EQ(t.finish(), 0) << t.output();
  EXPECT_NE(t.output().find("stdout-pipe"), std::string::npos) << t.output();
  EXPECT_NE(t.output().find("stderr-pipe"), std::string::npos) << t.output();
  EXPECT_NE(t.output().find("pts: ptmx"), std::string::npos) << t.output();
  RunOut r = run_cordon({"run", "--json", "--", "true"});
  ASSERT_TRUE(r.result.is_object()) << r.out;
  EXPECT_EQ(r.result["tty"], false);
}

TEST(Pty, TtyWithLauncherIsAUsageError) {
  RunOut r = run_cordon({"run", "-t", "--launcher", "/nonexistent.sock", "--", "true"});
  EXPECT_EQ(r.status, 64);
  EXPECT_NE(r.err.find("--tty"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--launcher"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cordon::testing
