#include "sys/process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "sys/fs.h"

extern char** environ;

namespace cordon::sys {

Result<CloneResult> clone3_fork(uint64_t flags, int cgroup_fd) {
  int pidfd = -1;
  struct clone_args args;
  std::memset(&args, 0, sizeof(args));
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  long r = ::syscall(SYS_clone3, &args, sizeof(args));
  if (r < 0) return sys_error("clone3");
  CloneResult out;
  out.pid = static_cast<pid_t>(r);
  if (r > 0) out.pidfd = UniqueFd(pidfd);
  return out;
}

Result<ExitInfo> wait_pidfd(int pidfd) {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  struct rusage ru;
  std::memset(&ru, 0, sizeof(ru));
  // The raw waitid takes a fifth argument, the rusage, which glibc's wrapper hides.
  for (;;) {
    if (::syscall(SYS_waitid, P_PIDFD, pidfd, &info, WEXITED, &ru) == 0) break;
    if (errno != EINTR) return sys_error("waitid");
  }
  auto ns = [](const struct timeval& tv) {
    return static_cast<uint64_t>(tv.tv_sec) * 1000000000ull +
           static_cast<uint64_t>(tv.tv_usec) * 1000ull;
  };
  ExitInfo e;
  e.signaled = info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED;
  e.code = info.si_status;
  e.user_ns = ns(ru.ru_utime);
  e.system_ns = ns(ru.ru_stime);
  return e;
}

Status pidfd_kill(int pidfd, int sig) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) != 0 && errno != ESRCH)
    return sys_error("pidfd_send_signal");
  return {};
}

Status kill_pid(pid_t pid, int sig) {
  // 0 and negative PIDs name process groups (0: the caller's own): never meant here.
  if (pid <= 0) return errno_error(EINVAL, "kill", std::to_string(pid));
  if (::kill(pid, sig) != 0 && errno != ESRCH) return sys_error("kill", std::to_string(pid));
  return {};
}

Status set_parent_death_signal(int sig) {
  if (::prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0) return sys_error("prctl PR_SET_PDEATHSIG");
  return {};
}

Status set_not_dumpable() {
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return sys_error("prctl PR_SET_DUMPABLE");
  return {};
}

Status set_no_new_privs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return sys_error("prctl PR_SET_NO_NEW_PRIVS");
  return {};
}

Status set_rlimit(int resource, uint64_t value) {
  struct rlimit r = {static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  if (::setrlimit(resource, &r) != 0)
    return sys_error("setrlimit", std::to_string(resource) + "=" + std::to_string(value));
  return {};
}

Result<Rlimit> get_rlimit(int resource) {
  struct rlimit r;
  if (::getrlimit(resource, &r) != 0) return sys_error("getrlimit", std::to_string(resource));
  return Rlimit{r.rlim_cur, r.rlim_max};
}

Status set_rlimit(int resource, const Rlimit& limit) {
  struct rlimit r = {static_cast<rlim_t>(limit.soft), static_cast<rlim_t>(limit.hard)};
  if (::setrlimit(resource, &r) != 0) return sys_error("setrlimit", std::to_string(resource));
  return {};
}

Result<bool> nproc_exceeded() {
  constexpr unsigned long kPfNprocExceeded = 0x00001000;  // include/linux/sched.h
  ASSIGN_OR_RETURN(std::string stat, read_small_file("/proc/thread-self/stat", 4096));
  // "pid (comm) state ppid pgrp session tty_nr tpgid flags ...": the comm may hold
  // spaces and parentheses, so count from the last ')'.
  size_t pos = stat.rfind(')');
  for (int field = 0; field < 7 && pos != std::string::npos; ++field) pos = stat.find(' ', pos + 1);
  if (pos == std::string::npos)
    return logic_error("read", "/proc/thread-self/stat", "no flags field");
  unsigned long flags = std::strtoul(stat.c_str() + pos + 1, nullptr, 10);
  return (flags & kPfNprocExceeded) != 0;
}

Status close_fds_except(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned int from = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(from)) continue;
    if (static_cast<unsigned>(fd) > from &&
        ::syscall(SYS_close_range, from, static_cast<unsigned>(fd) - 1, 0) != 0)
      return sys_error("close_range");
    from = static_cast<unsigned>(fd) + 1;
  }
  if (::syscall(SYS_close_range, from, UINT_MAX, 0) != 0) return sys_error("close_range");
  return {};
}

uint64_t process_start_time(pid_t pid) {
  auto stat = read_small_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat.ok()) return 0;
  // The command name (field 2) is in parentheses and may hold anything: count fields
  // from the last ')'.
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return 0;
  size_t pos = close + 1;
  for (int field = 3; field < 22; ++field) {
    pos = stat->find(' ', pos + 1);
    if (pos == std::string::npos) return 0;
  }
  return std::strtoull(stat->c_str() + pos + 1, nullptr, 10);
}

Result<UniqueFd> pidfd_open(pid_t pid) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!fd.valid()) return sys_error("pidfd_open", std::to_string(pid));
  return fd;
}

Result<pid_t> spawn(const std::vector<std::string>& argv, int parent_death_signal) {
  if (argv.empty()) return errno_error(EINVAL, "spawn");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork", argv[0]);
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::prctl(PR_SET_PDEATHSIG, parent_death_signal);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

std::vector<pid_t> child_pids(pid_t pid) {
  std::string p = std::to_string(pid);
  auto text = read_small_file("/proc/" + p + "/task/" + p + "/children", 1 << 16);
  std::vector<pid_t> out;
  if (!text.ok()) return out;
  const char* s = text->c_str();
  char* end = nullptr;
  for (long v = std::strtol(s, &end, 10); end != s; v = std::strtol(s, &end, 10)) {
    if (v > 0) out.push_back(static_cast<pid_t>(v));
    s = end;
  }
  return out;
}

pid_t self_pid() noexcept {
  return ::getpid();
}

pid_t parent_pid() noexcept {
  return ::getppid();
}

Result<pid_t> fork_process() {
  pid_t pid = ::fork();
  if (pid < 0) return sys_error("fork");
  return pid;
}

Result<pid_t> vfork_run(void (*child)(void*) noexcept, void* arg) noexcept {
  pid_t pid = ::vfork();
  if (pid < 0) return sys_error("vfork");
  if (pid == 0) {
    child(arg);
    ::_exit(127);
  }
  return pid;
}

int exec(const char* file, char* const argv[], char* const envp[]) noexcept {
  ::execve(file, argv, envp);
  return errno;
}

void exit_now(int status) noexcept {
  ::_exit(status);
}

Result<pid_t> spawn_quiet(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd) {
  if (argv.empty()) return errno_error(EINVAL, "spawn");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, stdout_fd, 1);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  }
  if (stderr_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, stderr_fd, 2);
  } else {
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  }
  std::vector<char*> av;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, av[0], &fa, nullptr, av.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return errno_error(rc, "spawn", argv[0]);
  return pid;
}

Result<pid_t> spawn_detached(const std::vector<std::string>& argv, int out_fd) {
  if (argv.empty()) return errno_error(EINVAL, "spawn");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> av;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, av[0], &fa, &attr, av.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return errno_error(rc, "spawn", argv[0]);
  return pid;
}

Result<pid_t> wait_child(pid_t pid, int* status, int options) noexcept {
  pid_t r = ::waitpid(pid, status, options);
  if (r < 0) return sys_error("waitpid");
  return r;
}

void reap(pid_t pid) noexcept {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

Status new_session() noexcept {
  if (::setsid() < 0) return sys_error("setsid");
  return {};
}

Status own_process_group() noexcept {
  if (::setpgid(0, 0) != 0) return sys_error("setpgid");
  return {};
}

}  // namespace cordon::sys
