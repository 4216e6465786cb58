#include "isolate/preflight.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "sys/fs.h"
#include "sys/ns.h"

namespace cordon::isolate {
namespace {

Result<std::string> canonical(const std::string& path, const char* what) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return sys_error(what, path);
  return std::string(buf);
}

}  // namespace

Status resolve_host_paths(spec::SandboxSpec* spec) {
  if (spec->rootfs) {
    ASSIGN_OR_RETURN(std::string root, canonical(*spec->rootfs, "rootfs"));
    struct stat st;
    if (::stat(root.c_str(), &st) != 0) return sys_error("rootfs", *spec->rootfs);
    if (!S_ISDIR(st.st_mode)) return errno_error(ENOTDIR, "rootfs", *spec->rootfs);
    if (::access(root.c_str(), R_OK | X_OK) != 0) return sys_error("rootfs", *spec->rootfs);
    spec->rootfs = root;
  }
  for (auto& b : spec->binds) {
    ASSIGN_OR_RETURN(std::string src, canonical(b.source, "bind source"));
    if (::access(src.c_str(), R_OK) != 0) return sys_error("bind source", b.source);
    if (b.writable && ::access(src.c_str(), W_OK) != 0) return sys_error("bind source", b.source);
    b.source = src;
  }
  if (spec->seccomp.kind == spec::SeccompChoice::Kind::kFile) {
    // Read once, here: the profile that is compiled is the one that was checked.
    auto text = sys::read_small_file(spec->seccomp.path, spec::kMaxProfileBytes);
    if (!text.ok()) {
      Error e = std::move(text).error();
      e.step = "seccomp profile";
      if (e.err == 0) e.detail = "larger than 1 MiB";
      return e;
    }
    ASSIGN_OR_RETURN(spec->seccomp.profile, spec::parse_oci_profile(*text));
  }
  for (auto& io : spec->limits.io) {
    struct stat st;
    if (::stat(io.device.c_str(), &st) != 0) return sys_error("io device", io.device);
    if (!S_ISBLK(st.st_mode)) return errno_error(ENOTBLK, "io device", io.device);
    io.major = major(st.st_rdev);
    io.minor = minor(st.st_rdev);
  }
  return {};
}

Status check_prepared_netns() {
  ASSIGN_OR_RETURN(uint64_t ours, sys::ns_id(::getpid(), "net"));
  // The one who prepared it (the launcher) is our parent and stays in its own.
  ASSIGN_OR_RETURN(uint64_t parents, sys::ns_id(::getppid(), "net"));
  if (ours == parents)
    return logic_error("prepared network namespace", "/proc/self/ns/net",
                       "is the launcher's own");
  return {};
}

}  // namespace cordon::isolate
