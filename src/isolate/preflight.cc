#include "isolate/preflight.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>

#include "isolate/host_trees.h"
#include "sys/fs.h"
#include "sys/ns.h"
#include "sys/process.h"

namespace cordon::isolate {
namespace {

// A host path that cordon mounts into the sandbox, checked as the parent will open it
// (host_trees.cc): without following any symlink on the way. A symlink planted by an
// earlier sandbox in a writable bind (or by anyone who can write along the path) could
// otherwise redirect the mount to the host's /etc. The refusal names where the path leads,
// for a caller who meant it.
Status check_host_path(const std::string& path, const char* what, int access_mode, bool dir) {
  auto fd = sys::open_no_symlinks(path, O_PATH);
  if (!fd.ok()) {
    Error e = std::move(fd).error();
    e.step = what;
    if (e.err == ELOOP) {
      e.detail =
          "the path has a symlink in it, and cordon never follows one in a host path it "
          "mounts";
      if (auto real = sys::real_path(path); real.ok())
        e.detail += " (it leads to " + *real + ": give that path if it is meant)";
    }
    return e;
  }
  auto st = sys::fd_status(fd->get());
  if (!st.ok()) return errno_error(st.error().err, what, path);
  if (dir && !S_ISDIR(st->st_mode)) return errno_error(ENOTDIR, what, path);
  return sys::access_fd(fd->get(), access_mode, path);
}

// "." and ".." resolved by the text alone. With no symlink allowed on the way this names
// what the kernel's walk would, and the walk is then downward only: a rename in a
// directory someone else can write cannot turn a ".." elsewhere between the check and
// the open.
std::string lexically_normal(const std::string& path) {
  std::string n = std::filesystem::path(path).lexically_normal().string();
  if (n.size() > 1 && n.back() == '/') n.pop_back();
  return n;
}

}  // namespace

Status resolve_host_paths(spec::SandboxSpec* spec) {
  if (spec->rootfs) {
    spec->rootfs = lexically_normal(*spec->rootfs);
    TRY(check_host_path(*spec->rootfs, "rootfs", R_OK | X_OK, /*dir=*/true));
  }
  if (spec->persistent_upper) {
    TRY(check_host_path(*spec->persistent_upper + "/upper", "writable layer", R_OK | W_OK | X_OK,
                        /*dir=*/true));
    TRY(check_host_path(*spec->persistent_upper + "/work", "writable layer", R_OK | W_OK | X_OK,
                        /*dir=*/true));
  }
  if (spec->image)
    for (const auto& layer : spec->image->layers)
      TRY(check_host_path(layer, "image layer", R_OK | X_OK, /*dir=*/true));
  for (auto& b : spec->binds) {
    b.source = lexically_normal(b.source);
    TRY(check_host_path(b.source, "bind source", b.writable ? R_OK | W_OK : R_OK, false));
    TRY(decide_bind_mapping(&b, spec->seccomp.kind != spec::SeccompChoice::Kind::kUnconfined));
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
    auto profile = spec::parse_oci_profile(*text);
    if (!profile.ok()) {
      // Which file it was: "not valid JSON" alone does not say (--seccomp /etc/shadow).
      Error e = std::move(profile).error();
      e.detail = e.path.empty() ? e.detail : e.path + ": " + e.detail;
      e.step = "seccomp profile";
      e.path = spec->seccomp.path;
      return e;
    }
    spec->seccomp.profile = std::move(profile).value();
  }
  for (auto& io : spec->limits.io) {
    auto got = sys::path_status(io.device, /*follow=*/true);
    if (!got.ok()) return errno_error(got.error().err, "io device", io.device);
    const struct stat& st = *got;
    if (!S_ISBLK(st.st_mode)) return errno_error(ENOTBLK, "io device", io.device);
    io.major = major(st.st_rdev);
    io.minor = minor(st.st_rdev);
  }
  return {};
}

Status check_prepared_netns() {
  ASSIGN_OR_RETURN(uint64_t ours, sys::ns_id(sys::self_pid(), "net"));
  // The one who prepared it (the launcher) is our parent and stays in its own.
  ASSIGN_OR_RETURN(uint64_t parents, sys::ns_id(sys::parent_pid(), "net"));
  if (ours == parents)
    return logic_error("prepared network namespace", "/proc/self/ns/net", "is the launcher's own");
  return {};
}

}  // namespace cordon::isolate
