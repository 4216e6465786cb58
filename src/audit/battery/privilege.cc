// privilege: what the sandbox's root is worth. Root inside must be an unprivileged host
// ID; its capabilities at most those whose effect stays in its own user namespace and IDs
// (CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID, CAP_SETUID,
// CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SETFCAP: cordon's default; none with --caps none),
// nothing inheritable or ambient; no_new_privs set, seccomp on; and no way to gain another
// capability (setuid, a nested user namespace, capset, ambient capabilities). Everything
// that changes credentials runs in a child.
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "battery.h"

namespace audit {
namespace {

// A map file: escaped when a line maps onto host ID 0.
Outcome id_map(const char* file) {
  int err = 0;
  auto s = read_text(std::string("/proc/self/") + file, 4096, &err);
  if (!s) return stopped(std::string(file) + ": " + err_name(err));
  std::istringstream in(*s);
  unsigned long long inside, outside, count;
  std::string shown;
  bool host_root = false;
  unsigned long long lowest = ~0ULL;
  while (in >> inside >> outside >> count) {
    shown += (shown.empty() ? "" : "; ") + std::to_string(inside) + " " + std::to_string(outside) +
             " " + std::to_string(count);
    if (outside == 0) host_root = true;
    if (outside < lowest) lowest = outside;
  }
  if (shown.empty()) return stopped(std::string(file) + " is empty: no ID mapped");
  if (host_root) return escaped("host ID 0 is mapped: " + shown);
  return stopped("lowest host ID " + std::to_string(lowest) + ": " + shown);
}

// The capabilities whose effect stays inside the sandbox's own user namespace and IDs.
constexpr unsigned long long kNamespacedCaps =
    1ULL << CAP_CHOWN | 1ULL << CAP_DAC_OVERRIDE | 1ULL << CAP_FOWNER | 1ULL << CAP_FSETID |
    1ULL << CAP_KILL | 1ULL << CAP_SETGID | 1ULL << CAP_SETUID | 1ULL << CAP_SETPCAP |
    1ULL << CAP_NET_BIND_SERVICE | 1ULL << CAP_SETFCAP;

// A capability set of /proc/self/status: escaped when it holds anything beyond `allowed`.
Outcome cap_set(const char* field, unsigned long long allowed) {
  std::string v = status_field(field);
  if (v.empty()) return skipped(std::string(field) + " not in /proc/self/status");
  unsigned long long bits = std::strtoull(v.c_str(), nullptr, 16);
  if ((bits & ~allowed) == 0) return stopped(std::string(field) + " " + v);
  char extra[32];
  snprintf(extra, sizeof(extra), "%llx", bits & ~allowed);
  return escaped(std::string(field) + " " + v + ": holds 0x" + extra +
                 " beyond the namespaced set");
}

Outcome uid_map(const Context&) {
  return id_map("uid_map");
}
Outcome gid_map(const Context&) {
  return id_map("gid_map");
}
Outcome cap_eff(const Context&) {
  return cap_set("CapEff", kNamespacedCaps);
}
Outcome cap_prm(const Context&) {
  return cap_set("CapPrm", kNamespacedCaps);
}
Outcome cap_inh(const Context&) {
  return cap_set("CapInh", 0);
}
Outcome cap_bnd(const Context&) {
  return cap_set("CapBnd", kNamespacedCaps);
}
Outcome cap_amb(const Context&) {
  return cap_set("CapAmb", 0);
}

Outcome no_new_privs(const Context&) {
  std::string v = status_field("NoNewPrivs");
  if (v == "1") return stopped("NoNewPrivs 1");
  return escaped("NoNewPrivs " + (v.empty() ? "absent" : v));
}

Outcome seccomp_mode(const Context&) {
  std::string v = status_field("Seccomp");
  if (v == "2")
    return stopped("Seccomp 2 (filter), " + status_field("Seccomp_filters") + " filter(s)");
  return escaped("Seccomp " + (v.empty() ? "absent" : v) + ": no filter");
}

// No capability can be carried through an exec outside the bounding set: ambient raising
// locked off (cordon's default), or root's special treatment locked off altogether
// (--caps none).
Outcome securebits(const Context&) {
  long b = ::prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (b < 0) return stopped("PR_GET_SECUREBITS: " + err_name(errno));
  long no_ambient = SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  long no_root =
      SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED;
  char hex[32];
  snprintf(hex, sizeof(hex), "0x%lx", b);
  if ((b & no_root) == no_root)
    return stopped(std::string("securebits ") + hex + ": noroot locked");
  if ((b & no_ambient) == no_ambient)
    return stopped(std::string("securebits ") + hex + ": ambient raise locked off");
  return escaped(std::string("securebits ") + hex + ": ambient capabilities can be raised");
}

bool within_namespaced(const std::string& v) {
  return !v.empty() && v != "?" && (std::strtoull(v.c_str(), nullptr, 16) & ~kNamespacedCaps) == 0;
}

std::string cap_eff_now() {
  std::string v = status_field("CapEff");
  return v.empty() ? "?" : v;
}

bool all_zero(const std::string& v) {
  return !v.empty() && v != "?" && v.find_first_not_of('0') == std::string::npos;
}

// setuid(0) (root inside already) must give nothing beyond the namespaced set; a move to
// another ID of the slot (12345) is the sandbox's own business, but must leave no
// capability behind.
Outcome setuid_attempt(const Context&) {
  return in_child(
      [] {
        std::string ev;
        bool bad = false;
        if (::setuid(0) == 0) {
          std::string caps = cap_eff_now();
          ev = "setuid(0) ok, CapEff " + caps;
          bad = !within_namespaced(caps);
        } else {
          ev = "setuid(0) " + err_name(errno);
        }
        if (::setuid(12345) == 0) {
          std::string caps = cap_eff_now();
          ev += "; setuid(12345) ok, CapEff " + caps;
          bad = bad || !all_zero(caps);
        } else {
          ev += "; setuid(12345) " + err_name(errno);
        }
        return bad ? escaped(ev) : stopped(ev);
      },
      [](int st) { return stopped("child " + death_text(st)); });
}

// A nested user namespace would hold every capability over the namespaces it then makes
// (a new mount namespace to mount in, for a start).
Outcome nested_userns(const Context&) {
  return in_child(
      [] {
        if (::unshare(CLONE_NEWUSER) != 0)
          return stopped("unshare(CLONE_NEWUSER): " + err_name(errno));
        std::string caps = cap_eff_now();
        std::string ev = "unshare(CLONE_NEWUSER) ok, CapEff " + caps;
        if (::unshare(CLONE_NEWNS) == 0) ev += "; then unshare(CLONE_NEWNS) ok";
        return escaped(ev);
      },
      [](int st) { return stopped("child " + death_text(st)); });
}

struct Caps {
  __user_cap_header_struct hdr;
  __user_cap_data_struct data[2];
};

// capset: add CAP_SYS_ADMIN to the effective and permitted sets.
Outcome capset_raise(const Context&) {
  return in_child(
      [] {
        Caps c = {};
        c.hdr.version = _LINUX_CAPABILITY_VERSION_3;
        if (::syscall(SYS_capget, &c.hdr, c.data) != 0)
          return stopped("capget: " + err_name(errno));
        c.data[0].permitted |= 1U << CAP_SYS_ADMIN;
        c.data[0].effective |= 1U << CAP_SYS_ADMIN;
        if (::syscall(SYS_capset, &c.hdr, c.data) != 0)
          return stopped("capset: " + err_name(errno));
        return escaped("capset with CAP_SYS_ADMIN accepted, CapEff " + cap_eff_now());
      },
      [](int st) { return stopped("child " + death_text(st)); });
}

// Ambient capabilities survive exec: inheritable first (capset), then the ambient raise.
Outcome ambient_raise(const Context&) {
  return in_child(
      [] {
        Caps c = {};
        c.hdr.version = _LINUX_CAPABILITY_VERSION_3;
        std::string ev;
        if (::syscall(SYS_capget, &c.hdr, c.data) == 0) {
          c.data[0].inheritable |= 1U << CAP_SYS_ADMIN;
          ev = ::syscall(SYS_capset, &c.hdr, c.data) == 0 ? "inheritable raised; "
                                                          : "capset " + err_name(errno) + "; ";
        }
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0) != 0)
          return stopped(ev + "PR_CAP_AMBIENT_RAISE " + err_name(errno));
        return escaped(ev + "CAP_SYS_ADMIN raised into the ambient set");
      },
      [](int st) { return stopped("child " + death_text(st)); });
}

}  // namespace

const Category& privilege_category() {
  static const Category c = {
      "privilege",
      false,
      {
          {"uid-map", "uid_map maps no ID onto host UID 0", uid_map},
          {"gid-map", "gid_map maps no ID onto host GID 0", gid_map},
          {"cap-eff", "CapEff holds nothing beyond the namespaced set", cap_eff},
          {"cap-prm", "CapPrm holds nothing beyond the namespaced set", cap_prm},
          {"cap-inh", "CapInh is zero", cap_inh},
          {"cap-bnd", "CapBnd holds nothing beyond the namespaced set", cap_bnd},
          {"cap-amb", "CapAmb is zero", cap_amb},
          {"no-new-privs", "NoNewPrivs is 1", no_new_privs},
          {"seccomp-mode", "a seccomp filter is loaded", seccomp_mode},
          {"securebits", "ambient raise (or root's special treatment) locked off", securebits},
          {"setuid", "setuid(0) gives nothing beyond the namespaced set; setuid(12345) keeps none",
           setuid_attempt},
          {"nested-userns", "unshare(CLONE_NEWUSER) for capabilities over new namespaces",
           nested_userns},
          {"capset-raise", "capset adding CAP_SYS_ADMIN", capset_raise},
          {"ambient-raise", "PR_CAP_AMBIENT_RAISE of CAP_SYS_ADMIN", ambient_raise},
      },
  };
  return c;
}

}  // namespace audit
