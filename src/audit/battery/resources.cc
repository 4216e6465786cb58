// resources: the sandbox's limits (pids, memory, disk, output, CPU and wall time, nothing
// left behind). These attempts load the machine on purpose, so they are opt-in (named
// with --category) and bounded, and they run only inside a user namespace other than the
// host's: unconfined, each is skipped without doing anything.
//
//   resources          fork bomb (at most 10000 processes or 5 s), memory bomb (a child
//                      touching up to 4 GiB), disk fill of /tmp (up to 4 GiB, removed)
//   resources-output   256 MiB to stdout
//   resources-cpu      a CPU spin of 30 s
//   resources-wall     a sleep of 60 s
//   resources-daemon   a double-forked sleeper left behind
//
// The last four are judged by the host: their line is printed first, then they run.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <new>

#include "battery.h"

namespace audit {
namespace {

constexpr int kForkCap = 10000;
constexpr int kForkSeconds = 5;
constexpr unsigned long kMiB = 1UL << 20;
constexpr unsigned long kBombMiB = 4096;
constexpr unsigned long kOutputBytes = 256 * kMiB;
constexpr int kSpinSeconds = 30;
constexpr int kSleepSeconds = 60;
constexpr int kDaemonSeconds = 3600;
const char kNotSandboxed[] =
    "not run: not in a sandbox (the host's uid_map); it would load the host";

double now_s() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// A counter shared with a child, readable after the child is killed.
struct Progress {
  std::atomic<unsigned long>* value = nullptr;
  Progress() {
    void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) value = new (p) std::atomic<unsigned long>(0);
  }
  ~Progress() {
    if (value != nullptr) ::munmap(value, 4096);
  }
  void add(unsigned long n) {
    if (value != nullptr) value->fetch_add(n);
  }
  unsigned long get() const { return value != nullptr ? value->load() : 0; }
};

// Forks processes that wait, until fork fails, kForkCap are alive or kForkSeconds pass;
// then kills them (its own children) and reaps them.
Outcome fork_bomb(const Context&) {
  if (!in_user_namespace()) return skipped(kNotSandboxed);
  return in_child(
      [] {
        pid_t master = ::getpid();
        std::vector<pid_t> kids;
        double start = now_s();
        int err = 0;
        while (static_cast<int>(kids.size()) < kForkCap && now_s() - start < kForkSeconds) {
          pid_t p = ::fork();
          if (p == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != master) _exit(0);
            for (;;) ::pause();
          }
          if (p < 0) {
            err = errno;
            break;
          }
          kids.push_back(p);
        }
        double took = now_s() - start;
        for (pid_t k : kids) ::kill(k, SIGKILL);
        for (pid_t k : kids) ::waitpid(k, nullptr, 0);
        std::string n = std::to_string(kids.size()) + " processes";
        if (err == EAGAIN) return stopped("fork EAGAIN after " + n + ": the pids limit held");
        if (err != 0) return stopped("fork " + err_name(err) + " after " + n);
        char t[32];
        snprintf(t, sizeof(t), "%.1f", took);
        return escaped(n + " in " + t + " s without a refusal");
      },
      [](int st) { return stopped("the fork bomb's master " + death_text(st)); }, 60000);
}

// A child maps and touches 16 MiB at a time, up to 4 GiB.
Outcome memory_bomb(const Context&) {
  if (!in_user_namespace()) return skipped(kNotSandboxed);
  Progress touched;
  return in_child(
      [&touched] {
        const unsigned long chunk = 16 * kMiB;
        for (unsigned long done = 0; done < kBombMiB * kMiB; done += chunk) {
          void* p =
              ::mmap(nullptr, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
          if (p == MAP_FAILED)
            return stopped("mmap " + err_name(errno) + " after " + std::to_string(touched.get()) +
                           " MiB");
          for (unsigned long off = 0; off < chunk; off += 4096) static_cast<char*>(p)[off] = 1;
          touched.add(chunk / kMiB);
        }
        return escaped("touched 4 GiB without being stopped");
      },
      [&touched](int st) {
        std::string after = " after " + std::to_string(touched.get()) + " MiB touched";
        if (st == -1) return skipped("timeout" + after);
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
          return stopped("killed:KILL" + after + ": the memory limit held");
        return stopped("child " + death_text(st) + after);
      },
      120000);
}

// Writes 1 MiB at a time to a file in /tmp, up to 4 GiB; the file is removed after.
Outcome disk_fill(const Context&) {
  if (!in_user_namespace()) return skipped(kNotSandboxed);
  std::string path = escape_name("/tmp", "disk-fill");
  Progress written;
  Outcome o = in_child(
      [&written, path] {
        ::signal(SIGXFSZ, SIG_IGN);  // the file size limit then fails the write with EFBIG
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) return stopped("open " + path + ": " + err_name(errno));
        std::string buf(kMiB, 'x');
        while (written.get() < kBombMiB) {
          ssize_t n = ::write(fd, buf.data(), buf.size());
          if (n < 0) {
            int e = errno;
            ::close(fd);
            return stopped(err_name(e) + " after " + std::to_string(written.get()) + " MiB");
          }
          if (static_cast<size_t>(n) == buf.size()) written.add(1);
        }
        ::close(fd);
        return escaped("wrote 4 GiB to " + path + " without a refusal");
      },
      [&written](int st) {
        std::string after = " after " + std::to_string(written.get()) + " MiB";
        if (st == -1) return skipped("timeout" + after);
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
          return stopped("killed:KILL" + after + " (the memory limit: tmpfs pages count)");
        return stopped("child " + death_text(st) + after);
      },
      120000);
  ::unlink(path.c_str());
  return o;
}

Outcome output_flood(const Context&) {
  if (!in_user_namespace()) return skipped(kNotSandboxed);
  return skipped("judged by the host: 256 MiB to stdout follow");
}

void output_flood_after(const Context&) {
  std::string line(4095, 'F');
  line += '\n';
  for (unsigned long done = 0; done < kOutputBytes; done += line.size()) {
    if (::write(STDOUT_FILENO, line.data(), line.size()) < 0) return;
  }
}

Outcome cpu_spin(const Context&) {
  if (!in_user_namespace()) return skipped(kNotSandboxed);
  return skipped("judged by the host: a CPU spin of 30 s follows");
}

void cpu_spin_after(const Context&) {
  double end = now_s() + kSpinSeconds;
  volatile unsigned long x = 0;
  while (now_s() < end) {
    for (int i = 0; i < 100000; ++i) x = x + 1;
  }
}

Outcome wall_sleep(const Context&) {
  if (!in_user_namespace()) return skipped(kNotSandboxed);
  return skipped("judged by the host: a sleep of 60 s follows");
}

void wall_sleep_after(const Context&) {
  struct timespec t = {kSleepSeconds, 0};
  while (::nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

// Double-forks a process that re-executes the battery as "cordon-audit-daemon
// --daemon-sleep 3600", in a session of its own, with /dev/null for 0, 1 and 2. The
// host checks after the sandbox ends that no such process is left.
Outcome daemon_left(const Context&) {
  if (!in_user_namespace()) return skipped(kNotSandboxed);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return skipped("pipe: " + err_name(errno));
  fflush(stdout);
  pid_t child = ::fork();
  if (child < 0) {
    int e = errno;
    ::close(p[0]);
    ::close(p[1]);
    return skipped("fork: " + err_name(e));
  }
  if (child == 0) {
    ::setsid();
    pid_t d = ::fork();
    if (d == 0) {
      int null = ::open("/dev/null", O_RDWR);
      for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
      for (int fd = 3; fd < 1024; ++fd) {
        if (fd != p[1]) ::close(fd);
      }
      const char* argv[] = {"cordon-audit-daemon", "--daemon-sleep", "3600", nullptr};
      ::execv("/proc/self/exe", const_cast<char**>(argv));  // p[1] closes on exec
      _exit(127);
    }
    ssize_t w = ::write(p[1], &d, sizeof(d));
    (void)w;
    _exit(d > 0 ? 0 : 1);
  }
  ::close(p[1]);
  pid_t d = -1;
  ssize_t r = ::read(p[0], &d, sizeof(d));
  ::close(p[0]);
  ::waitpid(child, nullptr, 0);
  if (r != sizeof(d) || d <= 0) return skipped("the double fork failed");
  return skipped("judged by the host after the sandbox ends: left PID " + std::to_string(d) +
                 " (inside), cmdline cordon-audit-daemon, comm cordon-audit-da");
}

}  // namespace

int daemon_main(int seconds) {
  ::prctl(PR_SET_NAME, "cordon-audit-daemon");  // the kernel keeps 15 bytes: cordon-audit-da
  if (seconds <= 0 || seconds > kDaemonSeconds) seconds = kDaemonSeconds;
  struct timespec t = {seconds, 0};
  while (::nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
  return 0;
}

std::vector<const Category*> resources_categories() {
  static const Category bounded = {
      "resources",
      true,
      {
          {"fork-bomb", "fork until refused (at most 10000 processes or 5 s)", fork_bomb},
          {"memory-bomb", "a child touches memory up to 4 GiB", memory_bomb},
          {"disk-fill", "write /tmp up to 4 GiB (removed after)", disk_fill},
      },
  };
  static const Category output = {
      "resources-output",
      true,
      {{"output-flood", "256 MiB to stdout (judged by the host)", output_flood,
        output_flood_after}},
  };
  static const Category cpu = {
      "resources-cpu",
      true,
      {{"cpu-spin", "spin 30 s of CPU (judged by the host)", cpu_spin, cpu_spin_after}},
  };
  static const Category wall = {
      "resources-wall",
      true,
      {{"wall-sleep", "sleep 60 s (judged by the host)", wall_sleep, wall_sleep_after}},
  };
  static const Category daemon = {
      "resources-daemon",
      true,
      {{"daemon", "leave a double-forked sleeper (judged by the host after the end)", daemon_left}},
  };
  return {&bounded, &output, &cpu, &wall, &daemon};
}

}  // namespace audit
