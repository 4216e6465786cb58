#include "sys/ns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

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
