// proc-sys: the host's kernel settings and triggers in /proc and /sys. The sandbox's
// /proc/sys is read-only, sysrq-trigger, kcore, kallsyms (and more) are masked by
// /dev/null, there is no /sys, and a cgroup filesystem cannot be mounted (CVE-2022-0492:
// release_agent). Nothing here is ever written: a file is opened for writing and closed,
// which proves the write would have been allowed.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <sstream>

#include "battery.h"

namespace audit {
namespace {

bool is_dev_null(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
         minor(st.st_rdev) == 3;
}

// Opens for writing and closes: nothing is written.
Outcome open_for_write(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return stopped(err_name(errno));
  bool masked = is_dev_null(fd);
  ::close(fd);
  if (masked) return stopped(path + " is masked by /dev/null");
  return escaped(path + " opened for writing (nothing written)");
}

Outcome open_for_read(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return stopped(err_name(errno));
  bool masked = is_dev_null(fd);
  ::close(fd);
  if (masked) return stopped(path + " is masked by /dev/null");
  return escaped(path + " opened read-only (nothing read)");
}

Outcome core_pattern(const Context&) {
  return open_for_write("/proc/sys/kernel/core_pattern");
}
Outcome modprobe_path(const Context&) {
  return open_for_write("/proc/sys/kernel/modprobe");
}
Outcome drop_caches(const Context&) {
  return open_for_write("/proc/sys/vm/drop_caches");
}
Outcome sysrq_trigger(const Context&) {
  return open_for_write("/proc/sysrq-trigger");
}
Outcome kcore(const Context&) {
  return open_for_read("/proc/kcore");
}

// Kernel addresses (a KASLR leak): masked, or shown as zeros.
Outcome kallsyms(const Context&) {
  int err = 0;
  auto s = read_text("/proc/kallsyms", 4096, &err);
  if (!s) return stopped(err_name(err));
  if (s->empty()) return stopped("empty (masked)");
  std::istringstream in(*s);
  std::string addr;
  in >> addr;
  if (addr.find_first_not_of('0') == std::string::npos) return stopped("addresses are zeros");
  return escaped("kernel addresses visible (first symbol at " + addr + ")");
}

// CVE-2022-0492: mount a cgroup v1 hierarchy and reach its release_agent (run by the
// kernel as host root). In a child, in a new private mount namespace when one can be
// made (as an unconfined root always can: a mount that works never shows outside), else
// in the current one, the sandbox's own. The mount point is a directory of ours in /tmp;
// release_agent is opened for writing and closed, then everything is unmounted and removed.
Outcome cgroup_mount(const Context&) {
  return in_child(
      [] {
        std::string ev;
        if (::unshare(CLONE_NEWNS) == 0) {
          if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            return skipped("new mount namespace, but making it private: " + err_name(errno) +
                           " (not mounting)");
          ev = "unshare(CLONE_NEWNS) ok";
        } else {
          ev = "unshare(CLONE_NEWNS) " + err_name(errno);
        }
        std::string dir = escape_name("/tmp", "cgroup");
        if (::mkdir(dir.c_str(), 0700) != 0)
          return stopped(ev + "; mkdir " + dir + ": " + err_name(errno));
        int e = 0;
        const char* mounted = nullptr;
        for (const char* opts : {"rdma", "none,name=cordon-audit"}) {
          if (::mount("cgroup", dir.c_str(), "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) ==
              0) {
            mounted = opts;
            break;
          }
          e = errno;
        }
        Outcome o;
        if (mounted == nullptr) {
          o = stopped(ev + "; mount cgroup " + err_name(e));
        } else {
          int w = try_open(dir + "/release_agent", O_WRONLY);
          o = escaped(ev + "; mounted cgroup v1 (" + mounted + "); release_agent " +
                      (w == 0 ? "opened for writing (nothing written)" : err_name(w)));
          ::umount2(dir.c_str(), MNT_DETACH);
        }
        ::rmdir(dir.c_str());
        return o;
      },
      [](int st) { return stopped("child " + death_text(st)); });
}

// Any release_agent visible under /sys/fs/cgroup.
Outcome release_agent(const Context&) {
  std::vector<std::string> paths = {"/sys/fs/cgroup/release_agent"};
  if (DIR* d = ::opendir("/sys/fs/cgroup")) {
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.')
        paths.push_back(std::string("/sys/fs/cgroup/") + e->d_name + "/release_agent");
    }
    ::closedir(d);
  }
  std::string seen;
  for (const std::string& p : paths) {
    int e = try_open(p, O_WRONLY);
    if (e == 0) return escaped(p + " opened for writing (nothing written)");
    if (e != ENOENT && e != ENOTDIR) seen += " " + p + ":" + err_name(e);
  }
  if (seen.empty()) return stopped("no release_agent visible (ENOENT)");
  return stopped("not writable:" + seen);
}

Outcome sys_visible(const Context&) {
  DIR* d = ::opendir("/sys");
  if (d == nullptr) return stopped("/sys: " + err_name(errno));
  int n = 0;
  std::string names;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (++n <= 6) names += std::string(" ") + e->d_name;
  }
  ::closedir(d);
  if (n == 0) return stopped("/sys is empty");
  return escaped("/sys lists " + std::to_string(n) + " entries:" + names);
}

// Writable kernel settings in /sys (opened for writing, closed).
Outcome sys_write(const Context&) {
  std::string seen;
  for (const char* p : {"/sys/kernel/uevent_helper", "/sys/kernel/mm/transparent_hugepage/enabled",
                        "/sys/power/state", "/sys/kernel/profiling", "/sys/class/net/lo/mtu"}) {
    int e = try_open(p, O_WRONLY | O_NONBLOCK);
    if (e == 0) return escaped(std::string(p) + " opened for writing (nothing written)");
    if (seen.find(err_name(e)) == std::string::npos) seen += " " + err_name(e);
  }
  return stopped("none opens for writing:" + seen);
}

}  // namespace

const Category& proc_sys_category() {
  static const Category c = {
      "proc-sys",
      false,
      {
          {"core-pattern", "open /proc/sys/kernel/core_pattern for writing", core_pattern},
          {"modprobe", "open /proc/sys/kernel/modprobe for writing", modprobe_path},
          {"drop-caches", "open /proc/sys/vm/drop_caches for writing", drop_caches},
          {"sysrq-trigger", "open /proc/sysrq-trigger for writing", sysrq_trigger},
          {"kcore", "open /proc/kcore", kcore},
          {"kallsyms", "kernel addresses in /proc/kallsyms", kallsyms},
          {"cgroup-mount", "mount cgroup v1 and reach release_agent (CVE-2022-0492)", cgroup_mount},
          {"release-agent", "open /sys/fs/cgroup/*/release_agent for writing", release_agent},
          {"sys-visible", "the host's /sys", sys_visible},
          {"sys-write", "open a /sys setting for writing", sys_write},
      },
  };
  return c;
}

}  // namespace audit
