// fds-cwd: a way out through a file descriptor or the working directory (CVE-2024-21626:
// runc leaked a host directory fd and let the cwd be /proc/self/fd/N, outside the root).
// cordon hands the command only fds 0, 1 and 2, and its cwd is inside the new root.
// Everything here is opened with O_PATH or read-only.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "battery.h"

namespace audit {
namespace {

const char kNoSecret[] = "no host_secret_path in the host facts";

std::string up(int levels) {
  std::string s;
  for (int i = 0; i < levels; ++i) s += "../";
  return s;
}

// The host secret by a path relative to dirfd, 40 levels up ("/.." is "/" at any root).
bool secret_from(int dirfd, const std::string& secret, int* err) {
  std::string rel = up(40) + secret.substr(1);
  int fd = ::openat(dirfd, rel.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  ::close(fd);
  return true;
}

Outcome inherited_fds(const Context& c) {
  if (c.inherited.empty()) return stopped("only fds 0, 1 and 2 at start");
  std::string list;
  for (const InheritedFd& f : c.inherited) list += " " + std::to_string(f.fd) + "->" + f.target;
  return escaped(std::to_string(c.inherited.size()) + " inherited fd(s):" + list);
}

// From each inherited fd: openat(fd, "../../..<secret>") and /proc/self/fd/N/../...
Outcome fd_dotdot_walk(const Context& c) {
  if (c.inherited.empty()) return stopped("no inherited fd to walk from");
  if (c.facts.host_secret_path.empty()) return skipped(kNoSecret);
  std::string errs;
  for (const InheritedFd& f : c.inherited) {
    int err = 0;
    if (secret_from(f.fd, c.facts.host_secret_path, &err))
      return escaped("host secret reached by openat(" + std::to_string(f.fd) + ", \"../..\") (" +
                     f.target + ")");
    std::string via =
        "/proc/self/fd/" + std::to_string(f.fd) + "/" + up(40) + c.facts.host_secret_path.substr(1);
    int e2 = try_open(via, O_RDONLY | O_NONBLOCK);
    if (e2 == 0)
      return escaped("host secret reached through /proc/self/fd/" + std::to_string(f.fd) +
                     "/../..");
    errs += " fd" + std::to_string(f.fd) + ":" + err_name(err) + "/" + err_name(e2);
  }
  return stopped("walks failed:" + errs);
}

// The cwd is inside the root: getcwd works (no "(unreachable)"), and the path it gives
// names the same directory.
Outcome cwd_inside(const Context&) {
  char buf[4096];
  if (::getcwd(buf, sizeof(buf)) == nullptr)
    return escaped("getcwd " + err_name(errno) + ": the cwd is outside the root");
  std::string cwd = buf;
  std::string link = read_link("/proc/self/cwd");
  if (cwd.rfind("(unreachable)", 0) == 0 || link.rfind("(unreachable)", 0) == 0)
    return escaped("cwd " + link + ": outside the root");
  struct stat a, b;
  if (::stat(".", &a) != 0 || ::stat(cwd.c_str(), &b) != 0)
    return escaped("stat of cwd " + cwd + ": " + err_name(errno));
  if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
    return escaped("cwd " + cwd + " is not the directory of that name");
  return stopped("cwd " + cwd + " (getcwd and /proc/self/cwd agree)");
}

Outcome cwd_dotdot_walk(const Context& c) {
  if (c.facts.host_secret_path.empty()) return skipped(kNoSecret);
  int err = 0;
  if (secret_from(AT_FDCWD, c.facts.host_secret_path, &err))
    return escaped("host secret reached from the cwd by ../..");
  return stopped(err_name(err));
}

// PID 1's fds, cwd and root: cordon's init is not dumpable, so none can be followed.
Outcome proc1_fds(const Context&) {
  DIR* d = ::opendir("/proc/1/fd");
  if (d == nullptr) return stopped("/proc/1/fd " + err_name(errno));
  std::string seen;
  int n = 0;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int err = 0;
    std::string t = read_link(std::string("/proc/1/fd/") + e->d_name, &err);
    if (!t.empty() && ++n <= 4) seen += std::string(" ") + e->d_name + "->" + t;
  }
  ::closedir(d);
  if (n == 0) return stopped("/proc/1/fd listed, no link readable");
  return escaped(std::to_string(n) + " fds of PID 1 readable:" + seen);
}

Outcome proc1_cwd_root(const Context&) {
  int e1 = 0, e2 = 0;
  std::string cwd = read_link("/proc/1/cwd", &e1);
  std::string root = read_link("/proc/1/root", &e2);
  if (cwd.empty() && root.empty())
    return stopped("/proc/1/cwd " + err_name(e1) + ", /proc/1/root " + err_name(e2));
  return escaped("PID 1's cwd " + (cwd.empty() ? err_name(e1) : cwd) + ", root " +
                 (root.empty() ? err_name(e2) : root));
}

}  // namespace

const Category& fds_cwd_category() {
  static const Category c = {
      "fds-cwd",
      false,
      {
          {"inherited-fds", "fds >= 3 open at start (CVE-2024-21626)", inherited_fds},
          {"fd-dotdot-walk", "host_secret_path through ../.. from each inherited fd",
           fd_dotdot_walk},
          {"cwd-inside", "the cwd is inside the root (getcwd, /proc/self/cwd)", cwd_inside},
          {"cwd-dotdot-walk", "host_secret_path through ../.. from the cwd", cwd_dotdot_walk},
          {"proc1-fds", "readlink /proc/1/fd/*", proc1_fds},
          {"proc1-cwd-root", "readlink /proc/1/cwd and /proc/1/root", proc1_cwd_root},
      },
  };
  return c;
}

}  // namespace audit
