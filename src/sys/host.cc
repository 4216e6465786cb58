#include "sys/host.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace cordon::sys {
namespace {

// From <linux/landlock.h>, which older userspace headers do not have.
constexpr unsigned kLandlockCreateRulesetVersion = 1u << 0;
#ifndef SYS_landlock_create_ruleset
constexpr long kSysLandlockCreateRuleset = 444;  // x86_64, the only architecture built
#else
constexpr long kSysLandlockCreateRuleset = SYS_landlock_create_ruleset;
#endif

}  // namespace

Result<long> fs_type(const std::string& path) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) return sys_error("statfs", path);
  return static_cast<long>(fs.f_type);
}

Result<std::vector<std::string>> list_dir(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return sys_error("opendir", path);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    struct dirent* e = ::readdir(dir);
    if (e == nullptr) break;
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  int err = errno;  // readdir's, before closedir can change it
  ::closedir(dir);
  if (err != 0) return errno_error(err, "readdir", path);
  return names;
}

Result<mode_t> file_mode(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return sys_error("lstat", path);
  return st.st_mode;
}

Result<int> landlock_abi_version() {
  long v = ::syscall(kSysLandlockCreateRuleset, nullptr, 0, kLandlockCreateRulesetVersion);
  if (v < 0) return sys_error("landlock_create_ruleset");
  return static_cast<int>(v);
}

}  // namespace cordon::sys
