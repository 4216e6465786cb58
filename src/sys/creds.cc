#include "sys/creds.h"

#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "sys/fs.h"

namespace cordon::sys {

Status clear_groups() {
  if (::setgroups(0, nullptr) != 0) return sys_error("setgroups");
  return {};
}

Status set_ids(uid_t uid, gid_t gid) {
  if (::setresgid(gid, gid, gid) != 0) return sys_error("setresgid", std::to_string(gid));
  if (::setresuid(uid, uid, uid) != 0) return sys_error("setresuid", std::to_string(uid));
  return {};
}

Status lock_securebits() {
  unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                       SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                       SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (::prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) return sys_error("prctl PR_SET_SECUREBITS");
  return {};
}

Status drop_bounding_and_ambient(const std::vector<int>& keep) {
  // The running kernel may know more capabilities than our headers: ask it.
  int last = CAP_LAST_CAP;
  auto text = read_small_file("/proc/sys/kernel/cap_last_cap");
  if (text.ok()) last = std::atoi(text->c_str());
  for (int cap = 0; cap <= last; ++cap) {
    if (std::find(keep.begin(), keep.end(), cap) != keep.end()) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return sys_error("prctl PR_CAPBSET_DROP", std::to_string(cap));
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return sys_error("prctl PR_CAP_AMBIENT_CLEAR_ALL");
  return {};
}

Status set_capabilities(const std::vector<int>& caps) {
  struct __user_cap_header_struct hdr;
  struct __user_cap_data_struct data[2];
  std::memset(&hdr, 0, sizeof(hdr));
  std::memset(data, 0, sizeof(data));
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  for (int cap : caps) {
    if (cap < 0 || cap >= 64) return errno_error(EINVAL, "capset", std::to_string(cap));
    uint32_t bit = 1u << (cap % 32);
    data[cap / 32].permitted |= bit;
    data[cap / 32].effective |= bit;
  }
  if (::syscall(SYS_capset, &hdr, data) != 0) return sys_error("capset");
  return {};
}

Result<unsigned long> get_securebits() {
  int bits = ::prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (bits < 0) return sys_error("prctl PR_GET_SECUREBITS");
  return static_cast<unsigned long>(bits);
}

Status set_securebits(unsigned long bits) {
  if (::prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) return sys_error("prctl PR_SET_SECUREBITS");
  return {};
}

ThreadUids thread_uids() {
  ThreadUids u{0, 0, 0};
  (void)::syscall(SYS_getresuid, &u.real, &u.effective, &u.saved);  // cannot fail
  return u;
}

Status set_thread_uids(const ThreadUids& u) {
  if (::syscall(SYS_setresuid, u.real, u.effective, u.saved) != 0)
    return sys_error("setresuid", std::to_string(u.effective));
  return {};
}

Status write_id_map(pid_t pid, const char* which, const std::string& content) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + which;
  return write_file(path, content);
}

uid_t effective_uid() noexcept {
  return ::geteuid();
}

uid_t real_uid() noexcept {
  return ::getuid();
}

gid_t real_gid() noexcept {
  return ::getgid();
}

gid_t effective_gid() noexcept {
  return ::getegid();
}

Result<gid_t> group_id(const std::string& name) {
  ASSIGN_OR_RETURN(std::string text, read_small_file("/etc/group", 4 << 20));
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    // name:password:gid:members
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    size_t c = b == std::string::npos ? b : line.find(':', b + 1);
    if (c == std::string::npos || line.compare(0, a, name) != 0 || a != name.size()) continue;
    char* stop = nullptr;
    unsigned long gid = std::strtoul(line.c_str() + b + 1, &stop, 10);
    if (stop != line.c_str() + c) continue;
    return static_cast<gid_t>(gid);
  }
  return errno_error(ENOENT, "group", name);
}

}  // namespace cordon::sys
