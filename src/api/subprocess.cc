#include "api/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>

#include "base/defer.h"
#include "sys/clock.h"
#include "sys/fs.h"
#include "sys/process.h"

namespace cordon::api {
namespace {

// Reads up to max bytes of fd from its start; *truncated when it holds more.
std::string read_bounded(int fd, size_t max, bool* truncated) {
  std::string out;
  auto st = sys::fd_status(fd);
  uint64_t size = st.ok() ? static_cast<uint64_t>(st->st_size) : 0;
  *truncated = size > max;
  out.resize(std::min<uint64_t>(size, max));
  size_t got = 0;
  while (got < out.size()) {
    auto n = sys::read_at(fd, out.data() + got, out.size() - got, got);
    if (!n.ok() || *n == 0) break;
    got += *n;
  }
  out.resize(got);
  return out;
}

}  // namespace

void remove_leftover_runs(const std::string& scratch) {
  auto runs = sys::list_dir(scratch);
  if (!runs.ok()) return;
  for (const auto& run : *runs) {
    if (run.rfind("run-", 0) != 0) continue;
    for (const char* f : {"/in", "/out", "/err"}) (void)sys::unlink_path(scratch + "/" + run + f);
    (void)sys::remove_dir(scratch + "/" + run);
  }
}

Result<SubprocessResult> run_subprocess(const std::string& scratch,
                                        const std::vector<std::string>& argv,
                                        const SubprocessLimits& limits) {
  if (argv.empty()) return errno_error(EINVAL, "run", "no command");
  TRY(sys::make_dirs(scratch, 0700));
  ASSIGN_OR_RETURN(std::string dir, sys::make_temp_dir(scratch + "/run-XXXXXX"));
  const std::string in = dir + "/in", out = dir + "/out", err = dir + "/err";
  auto cleanup = Defer([&] {
    for (const auto& f : {in, out, err}) (void)sys::unlink_path(f);
    (void)sys::remove_dir(dir);
  });
  TRY(sys::write_new_file(in, limits.stdin_data, 0600));
  ASSIGN_OR_RETURN(UniqueFd out_fd,
                   sys::open_path(out, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  ASSIGN_OR_RETURN(UniqueFd err_fd,
                   sys::open_path(err, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  // The shell only redirects and execs: the paths are its $0's, the command its "$@"
  // (never parsed as shell text).
  std::vector<std::string> full = {"/bin/sh", "-c", "exec \"$@\" <\"$0/in\" 2>>\"$0/err\"", dir};
  full.insert(full.end(), argv.begin(), argv.end());
  ASSIGN_OR_RETURN(pid_t pid, sys::spawn_detached(full, out_fd.get()));
  SubprocessResult r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.timeout_ms);
  bool killed = false;
  for (;;) {
    int status = 0;
    auto w = sys::wait_child(pid, &status, WNOHANG);
    if (w.ok() && *w == pid) {
      r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (!w.ok() && w.error().err != EINTR) return w.error();
    if (!killed) {
      auto o = sys::fd_status(out_fd.get());
      auto e = sys::fd_status(err_fd.get());
      bool flood = (o.ok() && static_cast<uint64_t>(o->st_size) > 2 * limits.max_stdout + 65536) ||
                   (e.ok() && static_cast<uint64_t>(e->st_size) > 2 * limits.max_stderr + 65536);
      bool late = std::chrono::steady_clock::now() >= deadline;
      if (flood || late) {
        r.timed_out = late && !flood;
        // Its command dies with it (an entered process has a parent-death SIGKILL).
        (void)sys::kill_pid(pid, SIGKILL);
        killed = true;
      }
    }
    sys::sleep_ns(10000000);
  }
  r.out = read_bounded(out_fd.get(), limits.max_stdout, &r.stdout_truncated);
  r.err = read_bounded(err_fd.get(), limits.max_stderr, &r.stderr_truncated);
  return r;
}

}  // namespace cordon::api
