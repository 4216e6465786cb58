// The boot profile (--boot): the default allowlist, opened for what an init does in its
// own namespaces. docs/seccomp.md and docs/threat-model.md argue each change.
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>
#include <string>

#include "plan/seccomp_policy.h"

namespace cordon::plan {

SeccompPolicy boot_policy() {
  SeccompPolicy p = default_policy();
  p.name = "boot";
  // Allowed in place of the default's rules: the mount family (systemd mounts its own
  // API filesystems and the services' private /tmp and read-only views, in the sandbox's
  // mount namespace: the kernel checks CAP_SYS_ADMIN against the namespace's owner, the
  // sandbox's user namespace), setns and unshare/clone into new namespaces but a user
  // namespace (PrivateNetwork=, ProtectHostname=, PrivateTmp=), chroot (RootDirectory=,
  // with CAP_SYS_CHROOT of the sandbox's namespace), sethostname (its UTS namespace).
  const std::set<std::string> opened = {"mount",         "umount2",       "fsopen",     "fsconfig",
                                        "fsmount",       "fspick",        "move_mount", "open_tree",
                                        "mount_setattr", "pivot_root",    "setns",      "chroot",
                                        "sethostname",   "setdomainname", "clone",      "unshare"};
  p.rules.erase(
      std::remove_if(p.rules.begin(), p.rules.end(),
                     [&](const SeccompPolicyRule& r) { return opened.count(r.name) > 0; }),
      p.rules.end());
  for (const char* name :
       {"mount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
        "mount_setattr", "pivot_root", "setns", "chroot", "sethostname", "setdomainname"})
    p.rules.push_back({name, {spec::SeccompActionKind::kAllow, 0}, {}, {}});
  // clone and unshare with any flag but CLONE_NEWUSER: no user namespace inside (the
  // child also set user.max_user_namespaces to 0 in the sandbox's own).
  const spec::SeccompArg no_userns{0, CLONE_NEWUSER, 0, spec::SeccompCmpOp::kMaskedEq};
  for (const char* name : {"clone", "unshare"})
    p.rules.push_back({name, {spec::SeccompActionKind::kAllow, 0}, {no_userns}, {}});
  // Netlink's kobject uevents (logind's and udev's device monitors): in a network
  // namespace not the host's, the kernel delivers only the uevents of that namespace's
  // own devices (loopback), and sending needs CAP_NET_ADMIN of the host's.
  p.rules.push_back({"socket",
                     {spec::SeccompActionKind::kAllow, 0},
                     {{0, AF_NETLINK, 0, spec::SeccompCmpOp::kEq},
                      {2, NETLINK_KOBJECT_UEVENT, 0, spec::SeccompCmpOp::kEq}},
                     {}});
  return p;
}

}  // namespace cordon::plan
