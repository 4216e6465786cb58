// The sys/ wrappers that took over the raw calls of isolate/, launcher/, audit/ and
// plan/: each against the kernel, on pipes, memfds, /proc/self and forked children
// only (no root, nothing outside /tmp). What they must keep: the errno of a failure,
// the exact counts, and the child-side calls' behaviour across fork and vfork.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <string>

#include "sys/clock.h"
#include "sys/creds.h"
#include "sys/fd.h"
#include "sys/fs.h"
#include "sys/process.h"
#include "sys/random.h"
#include "sys/signals.h"
#include "sys/socket.h"

namespace cordon::sys {
namespace {

// Runs body in a forked child; returns its wait status.
template <typename Body>
int in_child(Body body) {
  auto pid = fork_process();
  EXPECT_TRUE(pid.ok());
  if (*pid == 0) exit_now(body());
  int status = -1;
  auto r = wait_child(*pid, &status, 0);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(*r, *pid);
  return status;
}

TEST(SysFd, PipeCarriesBytesAndEofAndPollSeesThem) {
  auto p = make_pipe();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(fcntl(p->first.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  auto w = write_fd(p->second.get(), "abc", 3);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, 3u);
  struct pollfd pf = {p->first.get(), POLLIN, 0};
  auto n = poll_fds(&pf, 1, 0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  char buf[8];
  auto r = read_fd(p->first.get(), buf, sizeof(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, *r), "abc");
  pf.revents = 0;
  n = poll_fds(&pf, 1, 0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  p->second.reset();
  r = read_fd(p->first.get(), buf, sizeof(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);  // EOF
}

TEST(SysFd, NonblockingReadOfAnEmptyPipeIsEagain) {
  auto p = make_pipe();
  ASSERT_TRUE(p.ok());
  auto before = fd_status_flags(p->first.get());
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before & O_NONBLOCK, 0);
  ASSERT_TRUE(set_nonblocking(p->first.get()).ok());
  auto after = fd_status_flags(p->first.get());
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*after & O_NONBLOCK, 0);
  char c;
  auto r = read_fd(p->first.get(), &c, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err, EAGAIN);
}

TEST(SysFd, ErrorsCarryTheErrno) {
  char c;
  EXPECT_EQ(read_fd(-1, &c, 1).error().err, EBADF);
  EXPECT_EQ(write_fd(-1, &c, 1).error().err, EBADF);
  EXPECT_EQ(fd_status_flags(-1).error().err, EBADF);
  Status d = dup_onto(-1, 100, "stdout");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().err, EBADF);
  EXPECT_EQ(d.error().step, "dup2");
  EXPECT_EQ(d.error().path, "stdout");
}

TEST(SysFd, DupOntoMakesTheTargetNameTheSameFile) {
  auto p = make_pipe();
  ASSERT_TRUE(p.ok());
  int status = in_child([&] {
    if (!dup_onto(p->second.get(), 1, "stdout").ok()) return 1;
    auto w = write_fd(1, "x", 1);
    return w.ok() && *w == 1 ? 0 : 2;
  });
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  char c = 0;
  auto r = read_fd(p->first.get(), &c, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(c, 'x');
}

TEST(SysFd, MemoryFileHoldsWhatIsWritten) {
  auto fd = memory_file("cordon-test");
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(write_all(fd->get(), "0123456789", "memfd").ok());
  auto st = stat_fd(fd->get());
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->size, 10u);
  EXPECT_TRUE(S_ISREG(st->mode));
  char buf[4];
  auto n = read_at(fd->get(), buf, sizeof(buf), 6);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "6789");
  EXPECT_FALSE(is_terminal(fd->get()));
  EXPECT_FALSE(is_pty_master(fd->get()));
}

TEST(SysProcess, ForkedChildsExitStatusAndIdentity) {
  pid_t parent = self_pid();
  int status = in_child([&] { return parent_pid() == parent && self_pid() != parent ? 42 : 1; });
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 42);
}

TEST(SysProcess, WaitChildWithNohangSeesNoneReady) {
  auto p = make_pipe();
  ASSERT_TRUE(p.ok());
  auto pid = fork_process();
  ASSERT_TRUE(pid.ok());
  if (*pid == 0) {
    p->second.reset();  // the parent's copy is the only writer
    char c;
    (void)read_fd(p->first.get(), &c, 1);  // until the parent closes its end
    exit_now(0);
  }
  int status = 0;
  auto r = wait_child(*pid, &status, WNOHANG);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0);
  p->second.reset();
  reap(*pid);
  r = wait_child(*pid, &status, WNOHANG);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err, ECHILD);
}

struct VforkArgs {
  int code;
};
void vfork_child(void* p) noexcept {
  exit_now(static_cast<VforkArgs*>(p)->code);
}
void vfork_returns(void*) noexcept {}

TEST(SysProcess, VforkRunRunsTheChildInTheBorrowedFrame) {
  VforkArgs a{7};
  auto pid = vfork_run(vfork_child, &a);
  ASSERT_TRUE(pid.ok());
  int status = 0;
  ASSERT_TRUE(wait_child(*pid, &status, 0).ok());
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  // A child that returns is ended with 127, never returned into the caller's frame.
  pid = vfork_run(vfork_returns, nullptr);
  ASSERT_TRUE(pid.ok());
  ASSERT_TRUE(wait_child(*pid, &status, 0).ok());
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 127);
}

TEST(SysProcess, ExecReturnsItsErrno) {
  char* argv[] = {const_cast<char*>("/nonexistent/cordon-test"), nullptr};
  char* envp[] = {nullptr};
  EXPECT_EQ(exec(argv[0], argv, envp), ENOENT);
}

TEST(SysProcess, NewSessionInAChild) {
  int status = in_child([] { return new_session().ok() && own_process_group().ok() ? 1 : 0; });
  // setsid makes the child a group leader, so the setpgid after it fails (EPERM).
  EXPECT_EQ(WEXITSTATUS(status), 0);
  status = in_child([] { return new_session().ok() ? 0 : 1; });
  EXPECT_EQ(WEXITSTATUS(status), 0);
  status = in_child([] { return own_process_group().ok() ? 0 : 1; });
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SysProcess, SpawnQuietCapturesStdout) {
  auto p = make_pipe();
  ASSERT_TRUE(p.ok());
  auto pid = spawn_quiet({"/bin/sh", "-c", "echo out; echo err >&2"}, p->second.get());
  ASSERT_TRUE(pid.ok());
  p->second.reset();
  std::string out;
  char buf[64];
  for (;;) {
    auto n = read_fd(p->first.get(), buf, sizeof(buf));
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    out.append(buf, *n);
  }
  reap(*pid);
  EXPECT_EQ(out, "out\n");
  auto missing = spawn_quiet({"/nonexistent/cordon-test"}, -1);
  if (missing.ok()) {
    int status = 0;
    ASSERT_TRUE(wait_child(*missing, &status, 0).ok());
    EXPECT_EQ(WEXITSTATUS(status), 127);  // glibc reports a failed exec as the child's 127
  } else {
    EXPECT_EQ(missing.error().err, ENOENT);
  }
}

TEST(SysSignals, BlockedSignalArrivesOnASignalfd) {
  int status = in_child([] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigset_t old;
    if (!set_signal_mask(SIG_BLOCK, set, &old).ok()) return 1;
    auto fd = signal_fd(set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (!fd.ok()) return 2;
    signalfd_siginfo si;
    if (read_signal(fd->get(), &si)) return 3;  // none pending yet
    if (wait_signal(set, 0) != 0) return 4;
    if (!send_signal(self_pid(), SIGUSR1)) return 5;
    if (!read_signal(fd->get(), &si) || si.ssi_signo != SIGUSR1) return 6;
    if (!send_signal(self_pid(), SIGUSR1)) return 7;
    if (wait_signal(set, 1000) != SIGUSR1) return 8;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SysSignals, ActionsAreSetRestoredAndDefaulted) {
  int status = in_child([] {
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction old = {};
    if (!set_signal_action(SIGUSR2, ignore, &old).ok()) return 1;
    if (!send_signal(self_pid(), SIGUSR2)) return 2;  // ignored: we live on
    set_default_action(SIGUSR2);
    (void)send_signal(self_pid(), SIGUSR2);  // the default: terminated
    return 3;
  });
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGUSR2);
  EXPECT_FALSE(send_signal(-1 - (1 << 30), 0));
  EXPECT_FALSE(set_signal_action(SIGKILL, {}).ok());
}

TEST(SysFs, PathsStatusLinksAndModes) {
  auto dir = make_temp_dir("/tmp/cordon-sys-test-XXXXXX");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->rfind("/tmp/cordon-sys-test-", 0), 0u);
  EXPECT_NE(*dir, "/tmp/cordon-sys-test-XXXXXX");
  ASSERT_TRUE(chmod_path(*dir, 0755).ok());
  auto st = path_status(*dir, /*follow=*/true);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(S_ISDIR(st->st_mode));
  EXPECT_EQ(st->st_mode & 07777, 0755u);
  EXPECT_TRUE(access_path(*dir, R_OK | X_OK).ok());
  std::string link = *dir + "/link";
  ASSERT_TRUE(symlink("target", link).ok());
  auto text = read_link_at(AT_FDCWD, link);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "target");
  auto l = path_status(link, /*follow=*/false);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(S_ISLNK(l->st_mode));
  auto followed = path_status(link, /*follow=*/true);
  ASSERT_FALSE(followed.ok());
  EXPECT_EQ(followed.error().err, ENOENT);
  EXPECT_EQ(read_link_at(AT_FDCWD, *dir).error().err, EINVAL);  // not a symlink
  auto real = real_path(*dir + "/./");
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(*real, *dir);
  EXPECT_EQ(real_path(link).error().err, ENOENT);  // a dangling link
  int status = in_child([&] {
    if (!change_dir(*dir).ok()) return 1;
    auto here = real_path(".");
    auto cwd = current_dir();
    return here.ok() && *here == *dir && cwd.ok() && *cwd == *dir ? 0 : 2;
  });
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(change_dir(*dir + "/missing").error().err, ENOENT);
  ASSERT_TRUE(unlink_path(link).ok());
  ASSERT_TRUE(remove_dir(*dir).ok());
}

TEST(SysFs, UmaskReturnsThePrevious) {
  mode_t before = set_umask(077);
  EXPECT_EQ(set_umask(before), 077u);
}

TEST(SysFs, StatusOfAnFd) {
  auto fd = open_path("/proc/self/exe", O_RDONLY);
  ASSERT_TRUE(fd.ok());
  auto st = fd_status(fd->get());
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(S_ISREG(st->st_mode));
  EXPECT_EQ(fd_status(-1).error().err, EBADF);
  auto exe = read_link_at(AT_FDCWD, "/proc/self/exe");
  ASSERT_TRUE(exe.ok());
  EXPECT_EQ(exe->front(), '/');
}

TEST(SysSocket, AbstractListenerAndNonblockingSend) {
  std::string name = "cordon-sys-test-" + std::to_string(self_pid());
  auto l = listen_abstract(name);
  ASSERT_TRUE(l.ok());
  auto again = listen_abstract(name);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().err, EADDRINUSE);
  auto pair = seqpacket_pair();
  ASSERT_TRUE(pair.ok());
  auto n = send_nowait(pair->first.get(), "hi", 2);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  char buf[4];
  auto got = recv_some(pair->second.get(), buf, sizeof(buf));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(buf, *got), "hi");
  auto sent = send_some(pair->second.get(), "yo", 2);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(*sent, 2u);
  (void)send_nowait(pair->first.get(), "hi", 2);
  pair->second.reset();
  // The peer gone (with "hi" unread: ECONNRESET; else EPIPE), and no SIGPIPE kills us.
  auto gone = send_nowait(pair->first.get(), "hi", 2);
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(gone.error().err == EPIPE || gone.error().err == ECONNRESET) << gone.error().err;
}

TEST(SysClock, MonotonicAdvancesAcrossASleep) {
  uint64_t a = monotonic_ns();
  sleep_ns(2'000'000);
  uint64_t b = monotonic_ns();
  EXPECT_GE(b - a, 2'000'000u);
  EXPECT_GT(realtime_ns(), 1'600'000'000ull * 1'000'000'000ull);
}

TEST(SysRandom, FillsTheBuffer) {
  uint64_t a = 0, b = 0;
  ASSERT_TRUE(random_fill_nonblocking(&a, sizeof(a)));
  ASSERT_TRUE(random_fill_nonblocking(&b, sizeof(b)));
  EXPECT_NE(a, b);
  auto bytes = random_bytes(16);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), 16u);
}

TEST(SysCreds, EffectiveUidIsTheProcesss) {
  EXPECT_EQ(effective_uid(), geteuid());
}

}  // namespace
}  // namespace cordon::sys
