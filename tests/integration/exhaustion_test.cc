// What the kernel counts per host user or host-wide, taken by a hostile sandbox: the host
// and the other sandboxes must still get theirs. Each test holds a sandbox at its
// exhaustion (exhaust_probe ... --hold) and checks from the host, meanwhile, that host
// root and a second sandbox can still take one of the same.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "harness.h"

namespace cordon::testing {
namespace {

std::string probe_dir() {
  return std::filesystem::path(EXHAUST_PROBE).parent_path();
}

// `cordon run ... -- /probe/exhaust_probe ARGS`.
std::vector<std::string> probe_run(std::vector<std::string> options,
                                   const std::vector<std::string>& probe_args) {
  std::vector<std::string> a = {"run", "--bind", probe_dir() + ":/probe"};
  a.insert(a.end(), options.begin(), options.end());
  a.insert(a.end(), {"--", "/probe/exhaust_probe"});
  a.insert(a.end(), probe_args.begin(), probe_args.end());
  return a;
}

struct ProbeLine {
  std::string name;
  uint64_t count = 0;
  std::string result;
};

ProbeLine parse_line(const std::string& line) {
  ProbeLine p;
  std::istringstream in(line);
  in >> p.name >> p.count >> p.result;
  return p;
}

// A sandbox running the probe with --hold: its line is read as soon as it is printed, and
// the sandbox keeps what it took until this object goes (SIGTERM to cordon, by PID, which
// forwards it; the run's own --time bounds it anyway).
class HeldSandbox {
 public:
  explicit HeldSandbox(std::vector<std::string> args) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    std::vector<std::string> full = {cordon_binary()};
    full.insert(full.end(), args.begin(), args.end());
    pid_ = spawn_program(full, -1, out[1]);
    ::close(out[1]);
    out_ = out[0];
  }
  ~HeldSandbox() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      wait_exit(pid_);
    }
    if (out_ >= 0) ::close(out_);
  }
  // The probe's line, waited for (a busy machine may take long to start a sandbox).
  ProbeLine line() {
    std::string got;
    while (got.find('\n') == std::string::npos) {
      struct pollfd p = {out_, POLLIN, 0};
      if (::poll(&p, 1, 120000) <= 0) break;
      char buf[256];
      ssize_t n = ::read(out_, buf, sizeof(buf));
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return parse_line(got.substr(0, got.find('\n')));
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

// Runs fn in a forked child of the test (host root, the host's IPC namespace) and
// returns the errno it reports, 0 for success. A child keeps the test's own process free
// of what fn takes (blocked signals, queues).
int host_errno(int (*fn)()) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(fn());
  int ws = 0;
  ::waitpid(pid, &ws, 0);
  return WIFEXITED(ws) ? WEXITSTATUS(ws) : 255;
}

class Exhaustion : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_root()) GTEST_SKIP() << "needs root and user namespaces";
  }
  // A sandbox takes all of `kind` it may have, until the kernel refuses with `refusal`
  // (a per-user cap, not one of its own limits), and holds it. Meanwhile host root
  // (host_take, in a forked child) and a second sandbox must each still get one.
  void expect_own_share(const std::string& kind, const std::string& refusal, int (*host_take)()) {
    HeldSandbox held(probe_run({"--time", "120s"}, {kind, "--hold"}));
    ProbeLine p = held.line();
    ASSERT_EQ(p.name, kind) << "the probe did not report";
    EXPECT_EQ(p.result, refusal);
    EXPECT_GT(p.count, 0u);
    EXPECT_EQ(host_errno(host_take), 0)
        << "host root could not take one " << kind << " while a sandbox held " << p.count;
    RunOut r = run_cordon(probe_run({}, {"one", kind}));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, kind + " 1 ok\n") << "a neighbour sandbox was starved of " << kind;
  }
};

// fs.inotify.max_user_instances.
TEST_F(Exhaustion, InotifyInstancesAreChargedToTheSandboxOwnSlot) {
  expect_own_share("inotify", "EMFILE", [] {
    int fd = inotify_init1(IN_CLOEXEC);
    return fd >= 0 ? 0 : errno;
  });
}

// RLIMIT_MSGQUEUE: a queue of 10 x 8 KiB, as the probe takes them.
TEST_F(Exhaustion, MessageQueueBytesAreChargedToTheSandboxOwnSlot) {
  expect_own_share("mqueue", "EMFILE", [] {
    struct mq_attr attr = {};
    attr.mq_maxmsg = 10;
    attr.mq_msgsize = 8192;
    std::string name = "/cordon-test-" + std::to_string(::getpid());
    mqd_t q = mq_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    if (q == static_cast<mqd_t>(-1)) return errno;
    mq_unlink(name.c_str());
    return 0;
  });
}

// RLIMIT_SIGPENDING: one real-time signal queued to itself.
TEST_F(Exhaustion, PendingSignalsAreChargedToTheSandboxOwnSlot) {
  expect_own_share("sigqueue", "EAGAIN", [] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    siginfo_t info = {};
    info.si_signo = SIGRTMIN;
    info.si_code = SI_QUEUE;
    info.si_pid = ::getpid();
    long r = ::syscall(SYS_rt_sigqueueinfo, ::getpid(), SIGRTMIN, &info);
    return r == 0 ? 0 : errno;
  });
}

// fs.aio-max-nr is one pool for the whole host, with no per-user share: io_setup is not
// the sandbox's to call.
TEST_F(Exhaustion, AioContextsAreNotAvailable) {
  auto aio_nr = [] { return std::stoull("0" + read_file("/proc/sys/fs/aio-nr")); };
  uint64_t before = aio_nr();
  HeldSandbox held(probe_run({"--time", "120s"}, {"aio", "--hold"}));
  ProbeLine p = held.line();
  ASSERT_EQ(p.name, "aio") << "the probe did not report";
  EXPECT_EQ(p.count, 0u) << "the sandbox set up AIO contexts";
  EXPECT_EQ(p.result, "ENOSYS");
  // One io_setup(4096) would have added 4096 (or more) to the host's count.
  EXPECT_LT(aio_nr(), before + 4096);
}

// Socket buffers are the sandbox's memory: 64 loopback TCP connections, each written
// into until it would block and never read, hold at most the memory limit, plus the
// minimum the kernel grants every socket whatever its group (one forced buffer each,
// 64 KiB here at most). cgroup v2 counts them in memory.max; v1 only with
// memory.kmem.tcp.limit_in_bytes set, without which they held 250 MB beside a 32 MB
// limit. (The v2 side runs in the QEMU guest: tests/vm/guest/cgroup_v2_hardening.sh.)
TEST_F(Exhaustion, TcpBuffersAreBoundedByTheMemoryLimit) {
  constexpr uint64_t kLimit = 32ull << 20, kPairs = 64;
  RunOut r =
      run_cordon(probe_run({"--memory", "32M", "--time", "120s"}, {"tcp", std::to_string(kPairs)}));
  ASSERT_EQ(r.status, 0) << r.err;
  ProbeLine p = parse_line(r.out);
  ASSERT_EQ(p.name, "tcp") << r.out;
  EXPECT_EQ(p.result, "ok");
  EXPECT_GT(p.count, 0u);
  EXPECT_LE(p.count, kLimit + kPairs * 2 * (64u << 10))
      << "bytes held in TCP buffers by a sandbox with --memory 32M";
}

}  // namespace
}  // namespace cordon::testing
