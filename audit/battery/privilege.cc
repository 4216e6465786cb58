// privilege: what the sandbox's root is worth. Root inside must be an unprivileged host
// ID, every capability set empty, no_new_privs set, seccomp on, root's special treatment
// locked off, and no way to gain a capability back (setuid, a nested user namespace,
// capset, ambient capabilities). Everything that changes credentials runs in a child.
#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

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

Outcome cap_set(const char* field) {
  std::string v = status_field(field);
  if (v.empty()) return skipped(std::string(field) + " not in /proc/self/status");
  if (v.find_first_not_of('0') == std::string::npos) return stopped(std::string(field) + " " + v);
  return escaped(std::string(field) + " " + v);
}

Outcome uid_map(const Context&) {
  return id_map("uid_map");
}
Outcome gid_map(const Context&) {
  return id_map("gid_map");
}
Outcome cap_eff(const Context&) {
  return cap_set("CapEff");
}
Outcome cap_prm(const Context&) {
  return cap_set("CapPrm");
}
Outcome cap_inh(const Context&) {
  return cap_set("CapInh");
}
Outcome cap_bnd(const Context&) {
  return cap_set("CapBnd");
}
Outcome cap_amb(const Context&) {
  return cap_set("CapAmb");
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

// SECBIT_NOROOT and SECBIT_NO_SETUID_FIXUP, locked: becoming UID 0 gives no capability.
Outcome securebits(const Context&) {
  long b = ::prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (b < 0) return stopped("PR_GET_SECUREBITS: " + err_name(errno));
  long want =
      SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED;
  char hex[32];
  snprintf(hex, sizeof(hex), "0x%lx", b);
  if ((b & want) == want) return stopped(std::string("securebits ") + hex + ": noroot locked");
  return escaped(std::string("securebits ") + hex + ": root still gets capabilities");
}

std::string cap_eff_now() {
  std::string v = status_field("CapEff");
  return v.empty() ? "?" : v;
}

bool all_zero(const std::string& v) {
  return !v.empty() && v != "?" && v.find_first_not_of('0') == std::string::npos;
}

// setuid(0) (root inside already) must give no capability; setuid(12345) needs
// CAP_SETUID, so it must fail for root inside.
Outcome setuid_attempt(const Context&) {
  return in_child(
      [] {
        std::string ev;
        bool bad = false;
        if (::setuid(0) == 0) {
          std::string caps = cap_eff_now();
          ev = "setuid(0) ok, CapEff " + caps;
          bad = !all_zero(caps);
        } else {
          ev = "setuid(0) " + err_name(errno);
        }
        if (::setuid(12345) == 0) {
          ev += "; setuid(12345) ok: CAP_SETUID held";
          bad = true;
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
          {"cap-eff", "CapEff is zero", cap_eff},
          {"cap-prm", "CapPrm is zero", cap_prm},
          {"cap-inh", "CapInh is zero", cap_inh},
          {"cap-bnd", "CapBnd is zero", cap_bnd},
          {"cap-amb", "CapAmb is zero", cap_amb},
          {"no-new-privs", "NoNewPrivs is 1", no_new_privs},
          {"seccomp-mode", "a seccomp filter is loaded", seccomp_mode},
          {"securebits", "SECBIT_NOROOT and NO_SETUID_FIXUP, locked", securebits},
          {"setuid", "setuid(0) gives no capability; setuid(12345) fails", setuid_attempt},
          {"nested-userns", "unshare(CLONE_NEWUSER) for capabilities over new namespaces",
           nested_userns},
          {"capset-raise", "capset adding CAP_SYS_ADMIN", capset_raise},
          {"ambient-raise", "PR_CAP_AMBIENT_RAISE of CAP_SYS_ADMIN", ambient_raise},
      },
  };
  return c;
}

}  // namespace audit
