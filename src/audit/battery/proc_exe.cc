// proc-exe: overwrite a binary of the host through /proc/PID/exe (CVE-2019-5736: a
// container rewrote the host's runc through /proc/self/exe while runc entered it). The
// battery's own binary is a read-only bind; PID 1 is cordon's init, not dumpable, so its
// exe cannot even be resolved. Files are opened for writing and closed: never written,
// never truncated.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "battery.h"

namespace audit {
namespace {

Outcome open_write(const std::string& path, const std::string& what) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    std::string why = e == ETXTBSY  ? " (a running binary)"
                      : e == EROFS  ? " (a read-only mount)"
                      : e == EACCES ? " (no write permission)"
                                    : "";
    return stopped(err_name(e) + why);
  }
  ::close(fd);
  return escaped(what + " opened for writing (nothing written)");
}

Outcome self_exe_write(const Context& c) {
  return open_write("/proc/self/exe", "/proc/self/exe -> " + c.self_exe);
}

// The runc exploit's second step: an O_PATH fd on the binary, reopened for writing
// through /proc/self/fd/N once the binary stopped running.
Outcome self_exe_reopen(const Context& c) {
  int fd = ::open("/proc/self/exe", O_PATH | O_CLOEXEC);
  if (fd < 0) return stopped("O_PATH open: " + err_name(errno));
  Outcome o = open_write("/proc/self/fd/" + std::to_string(fd), c.self_exe + " reopened by fd");
  ::close(fd);
  return o;
}

Outcome proc1_exe_link(const Context&) {
  int err = 0;
  std::string t = read_link("/proc/1/exe", &err);
  if (t.empty()) return stopped(err_name(err));
  return escaped("/proc/1/exe -> " + t);
}

Outcome proc1_exe_read(const Context&) {
  int e = try_open("/proc/1/exe", O_RDONLY);
  if (e != 0) return stopped(err_name(e));
  return escaped("/proc/1/exe opened read-only (nothing read)");
}

Outcome proc1_exe_write(const Context&) {
  return open_write("/proc/1/exe", "/proc/1/exe");
}

// The parent of the battery inside (cordon's init in a sandbox): same as PID 1 there.
Outcome parent_exe_write(const Context&) {
  pid_t pp = ::getppid();
  if (pp <= 1) return skipped("the parent is PID 1 (see proc1-exe-write)");
  return open_write("/proc/" + std::to_string(pp) + "/exe", "the parent's exe");
}

}  // namespace

const Category& proc_exe_category() {
  static const Category c = {
      "proc-exe",
      false,
      {
          {"self-exe-write", "open /proc/self/exe for writing (CVE-2019-5736)", self_exe_write},
          {"self-exe-reopen", "reopen an O_PATH fd of /proc/self/exe for writing", self_exe_reopen},
          {"proc1-exe-link", "readlink /proc/1/exe (cordon's init)", proc1_exe_link},
          {"proc1-exe-read", "open /proc/1/exe read-only", proc1_exe_read},
          {"proc1-exe-write", "open /proc/1/exe for writing", proc1_exe_write},
          {"parent-exe-write", "open /proc/<ppid>/exe for writing", parent_exe_write},
      },
  };
  return c;
}

}  // namespace audit
