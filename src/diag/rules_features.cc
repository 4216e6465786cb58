// features.*: what a sandbox needs of the kernel. A missing feature either stops every
// start (fail) or one option (warn), or weakens a default (warn).
#include "diag/kernel_version.h"
#include "diag/rules.h"

namespace cordon::diag::rules {
namespace {

void version_gate(const std::optional<KernelVersion>& v, const std::string& id, int maj, int min,
                  Status missing, const std::string& what, const std::string& why, Findings* out) {
  std::string need = std::to_string(maj) + "." + std::to_string(min);
  if (!v) {
    out->push_back(make(id, Status::kWarn, "unknown: the kernel version could not be read", why,
                        "check uname -r: " + what + " needs Linux " + need + " or later"));
    return;
  }
  std::string have = std::to_string(v->major) + "." + std::to_string(v->minor);
  if (v->at_least(maj, min)) {
    out->push_back(make(id, Status::kOk, "Linux " + have + " (needs " + need + ")"));
    return;
  }
  out->push_back(make(id, missing, "Linux " + have + ": " + what + " needs " + need, why,
                      "upgrade the kernel to " + need + " or later"));
}

}  // namespace

void features(const HostFacts& f, Findings* out) {
  // User namespaces: every sandbox is one. The sysctl caps how many exist at once.
  const Probe& max_userns = f.sysctls.count("user.max_user_namespaces")
                                ? f.sysctls.at("user.max_user_namespaces")
                                : Probe{};
  std::string userns_why =
      "every sandbox is a user namespace: root inside is the unprivileged base of its ID "
      "slot outside";
  if (!f.user_ns) {
    out->push_back(make("features.user_namespaces", Status::kFail,
                        "/proc/self/ns/user is absent: no user namespaces", userns_why,
                        "a kernel built with CONFIG_USER_NS=y"));
  } else if (max_userns.ok() && max_userns.text == "0") {
    out->push_back(make("features.user_namespaces", Status::kFail,
                        "user.max_user_namespaces = 0: no user namespace can be made", userns_why,
                        sysctl_fix("user.max_user_namespaces", "65536")));
  } else {
    out->push_back(make("features.user_namespaces", Status::kOk,
                        max_userns.ok() ? "available; user.max_user_namespaces = " + max_userns.text
                                        : "available"));
  }

  // Time namespaces: without one, the sandbox's monotonic and boot clocks are the host's.
  if (f.time_ns) {
    out->push_back(make("features.time_namespaces", Status::kOk, "available"));
  } else {
    out->push_back(
        make("features.time_namespaces", Status::kWarn,
             "/proc/self/ns/time is absent: sandboxes get no time namespace",
             "without one, CLOCK_MONOTONIC and CLOCK_BOOTTIME inside are the host's: every "
             "sandbox learns the host's uptime, a value shared by all tenants",
             "Linux 5.6 or later built with CONFIG_TIME_NS=y"));
  }

  auto v = f.kernel_release.ok() ? parse_kernel_release(f.kernel_release.text) : std::nullopt;
  version_gate(v, "features.idmapped_mounts", 5, 12, Status::kFail, "mount_setattr",
               "cordon opens the host's trees, the image and --bind sources as detached mounts "
               "and sets their attributes (read-only, nosuid, nodev, and an ID mapping for "
               "--rootfs) with mount_setattr, new in 5.12: no sandbox can start without it",
               out);
  version_gate(v, "features.tmpfs_user_xattr", 6, 6, Status::kWarn, "--rootfs",
               "the writable layer of --rootfs is an overlay on tmpfs made inside the "
               "sandbox's user namespace; overlay keeps its metadata in user.* xattrs, which "
               "tmpfs has since 6.6. Without them --rootfs fails; the default host view works",
               out);
}

}  // namespace cordon::diag::rules
