#include "diag/kernel_cves.h"

namespace cordon::diag {

const std::vector<KernelCve>& kernel_cves() {
  static const std::vector<KernelCve> table = {
      {"CVE-2021-22555",
       "netfilter x_tables heap out-of-bounds write (setsockopt IPT_SO_SET_REPLACE), used to "
       "escape a Kubernetes pod in Google's kCTF",
       "2.6.19",
       2,
       6,
       5,
       12,
       {{5, 10, 31}, {5, 4, 113}, {4, 19, 188}, {4, 14, 231}, {4, 9, 267}, {4, 4, 267}},
       true,
       "needs CAP_NET_ADMIN over a network namespace: a sandbox holds no capability and "
       "cannot make a user namespace (seccomp)"},
      {"CVE-2022-0185",
       "heap overflow in the legacy mount-option parser (fsconfig), reachable from an "
       "unprivileged user namespace",
       "5.1",
       5,
       1,
       5,
       17,
       {{5, 16, 2}},
       true,
       "needs CAP_SYS_ADMIN in a user namespace and fsopen/fsconfig: the default seccomp "
       "profile denies both the new namespace and the mount calls"},
      {"CVE-2022-0492",
       "cgroup v1 release_agent written without a capability check: a process that can "
       "mount cgroupfs runs a program as host root",
       "2.6.24",
       2,
       6,
       5,
       17,
       {},
       true,
       "needs a writable cgroup v1 mount: a sandbox has no /sys, cannot mount, and holds "
       "no capability"},
      {"CVE-2022-0847",
       "Dirty Pipe: splice() into a pipe lets any process overwrite the page cache of files "
       "it can only read",
       "5.8",
       5,
       8,
       5,
       17,
       {{5, 16, 11}, {5, 15, 25}, {5, 10, 102}},
       false,
       "pipe and splice are allowed by every profile and the host's /usr is readable in "
       "the default view: a sandbox could rewrite host binaries in memory"},
      {"CVE-2023-0386",
       "overlayfs copies a setuid or file-capability file up from a nosuid mount into the "
       "upper layer without checking the ID mapping",
       "5.11",
       5,
       11,
       6,
       2,
       {},
       true,
       "the known exploit mounts an overlay over a FUSE lower layer: a sandbox cannot mount "
       "(seccomp) and has no /dev/fuse; the --rootfs overlay cordon builds has an idmapped "
       "lower layer and a private tmpfs upper layer, and no_new_privs holds inside"},
      {"CVE-2024-1086",
       "nf_tables use-after-free (nft_verdict_init), a reliable local root exploit from an "
       "unprivileged user namespace",
       "3.15",
       3,
       15,
       6,
       8,
       {},
       true,
       "needs CAP_NET_ADMIN and a NETLINK_NETFILTER socket: the default seccomp profile "
       "allows only NETLINK_ROUTE and no new user namespace"},
  };
  return table;
}

CveVerdict judge_cve(const KernelVersion& v, const KernelCve& cve) {
  if (!v.at_least(cve.introduced_major, cve.introduced_minor) &&
      !(v.major == cve.introduced_major && v.minor == cve.introduced_minor))
    return CveVerdict::kNotAffected;
  if (v.at_least(cve.fixed_major, cve.fixed_minor)) return CveVerdict::kFixed;
  for (const auto& s : cve.stable) {
    if (s.major != v.major || s.minor != v.minor) continue;
    if (v.patch >= s.patch) return CveVerdict::kFixed;
    // Below the fix: certain only for an upstream build; a vendor may have backported it.
    return v.vendor() || v.rc ? CveVerdict::kUnknown : CveVerdict::kVulnerable;
  }
  return CveVerdict::kUnknown;
}

}  // namespace cordon::diag
