#include "sys/ns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/creds.h"
#include "sys/fd.h"
#include "sys/process.h"

namespace cordon::sys {

Status unshare(int flags) {
  if (::unshare(flags) != 0) return sys_error("unshare");
  return {};
}

Status set_hostname(const std::string& name) {
  if (::sethostname(name.data(), name.size()) != 0) return sys_error("sethostname", name);
  return {};
}

Result<UniqueFd> open_ns(pid_t pid, const char* name) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sys_error("open", path);
  return UniqueFd(fd);
}

namespace {

// The holder of a user namespace while its maps are written: killed and reaped when this
// goes, whatever happened meanwhile.
class NsHolder {
 public:
  explicit NsHolder(CloneResult c) : c_(std::move(c)) {}
  NsHolder(const NsHolder&) = delete;
  NsHolder& operator=(const NsHolder&) = delete;
  ~NsHolder() {
    (void)pidfd_kill(c_.pidfd.get(), SIGKILL);
    (void)wait_pidfd(c_.pidfd.get());
  }
  pid_t pid() const { return c_.pid; }

 private:
  CloneResult c_;
};

}  // namespace

Result<UniqueFd> make_user_ns(const std::string& uid_map, const std::string& gid_map) {
  // The child blocks on a pipe nobody writes to, until it is killed, or until the pipe's
  // only write end, ours, closes with us: it never outlives this process.
  ASSIGN_OR_RETURN(auto pipe, make_pipe());
  ASSIGN_OR_RETURN(CloneResult c, clone3_fork(CLONE_NEWUSER));
  if (c.pid == 0) {
    pipe.second.reset();
    char byte;
    while (::read(pipe.first.get(), &byte, 1) < 0 && errno == EINTR) {
    }
    exit_now(0);
  }
  NsHolder holder(std::move(c));
  TRY(write_id_map(holder.pid(), "uid_map", uid_map));
  TRY(write_id_map(holder.pid(), "gid_map", gid_map));
  return open_ns(holder.pid(), "user");
}

Status set_ns(int fd, int nstype) {
  if (::setns(fd, nstype) != 0) return sys_error("setns");
  return {};
}

Result<uint64_t> ns_id(pid_t pid, const char* name) {
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return sys_error("stat", path);
  return static_cast<uint64_t>(st.st_ino);
}

bool kernel_has_ns(const char* name) {
  std::string path = std::string("/proc/self/ns/") + name;
  return ::access(path.c_str(), F_OK) == 0;
}

}  // namespace cordon::sys
