// sysctl.*: kernel interfaces that unprivileged processes reach. cordon's seccomp filter
// already closes most of them inside sandboxes (docs/seccomp.md); the sysctls close them
// for the rest of the host, and for sandboxes run with --seccomp unconfined.
#include <charconv>

#include "diag/rules.h"

namespace cordon::diag::rules {
namespace {

struct SysctlRule {
  const char* name;  // dotted: "kernel.kptr_restrict"
  const char* id;
  bool (*good)(long);
  const char* fix_value;
  const char* why;
  const char* absent;  // what a missing file means
};

const SysctlRule kRules[] = {
    {"kernel.unprivileged_bpf_disabled", "sysctl.unprivileged_bpf_disabled",
     [](long v) { return v >= 1; }, "1",
     "bpf(2) open to unprivileged users reaches the verifier and the JIT, a frequent source "
     "of kernel privilege escalations. cordon's filter denies bpf in sandboxes; 1 denies it "
     "to every unprivileged process and locks the setting until reboot (2 denies it too, "
     "without the lock)",
     "not available on this kernel (built without bpf(2))"},
    {"kernel.io_uring_disabled", "sysctl.io_uring_disabled", [](long v) { return v >= 1; }, "2",
     "io_uring is a second system-call interface that seccomp cannot see into, and a "
     "frequent source of privilege escalations. cordon's filter denies io_uring_setup in "
     "sandboxes; 2 turns io_uring off for everyone, 1 leaves it to CAP_SYS_ADMIN and "
     "kernel.io_uring_group",
     "not available on this kernel (before Linux 6.6, or built without io_uring): io_uring "
     "cannot be switched off by sysctl here; cordon's seccomp filter still denies it in "
     "sandboxes"},
    {"dev.tty.legacy_tiocsti", "sysctl.legacy_tiocsti", [](long v) { return v == 0; }, "0",
     "TIOCSTI pushes characters into a terminal's input queue: a process sharing a terminal "
     "with a shell can type commands into it. cordon starts every sandbox in a new session "
     "and its filter denies TIOCSTI; 0 removes the ioctl for everything else",
     "not available on this kernel (before Linux 6.2): TIOCSTI cannot be switched off here; "
     "cordon still denies it in sandboxes"},
    {"dev.tty.ldisc_autoload", "sysctl.ldisc_autoload", [](long v) { return v == 0; }, "0",
     "1 lets any process that can open a terminal load a line discipline's kernel module "
     "(n_hdlc, slip, 6pack, ...) by asking for it with TIOCSETD: rarely used drivers with a "
     "history of privilege escalations (CVE-2017-2636). cordon's filter denies TIOCSETD in "
     "sandboxes; 0 leaves loading them to CAP_SYS_MODULE on the rest of the host",
     "not available on this kernel (before Linux 5.1): line disciplines load on demand; "
     "cordon still denies TIOCSETD in sandboxes"},
    {"vm.unprivileged_userfaultfd", "sysctl.unprivileged_userfaultfd",
     [](long v) { return v == 0; }, "0",
     "userfaultfd lets a process stall the kernel at a page fault of its choosing, which "
     "turns kernel races into reliable exploits. cordon's filter denies it in sandboxes; 0 "
     "keeps it from unprivileged processes elsewhere",
     "not available on this kernel (before Linux 5.2, or built without userfaultfd)"},
    {"kernel.perf_event_paranoid", "sysctl.perf_event_paranoid", [](long v) { return v >= 2; }, "2",
     "performance events observe the CPU's activity, the kernel's and other tenants' "
     "included, and have had many kernel bugs. cordon's filter denies perf_event_open in "
     "sandboxes; 2 limits unprivileged users to their own user-space events (3, on Debian "
     "and Ubuntu kernels, denies them all)",
     "not available on this kernel (built without perf events)"},
    {"kernel.kptr_restrict", "sysctl.kptr_restrict", [](long v) { return v >= 1; }, "1",
     "kernel addresses in /proc (kallsyms, modules, ...) undo KASLR, the first step of most "
     "kernel exploits. cordon masks /proc/kallsyms in sandboxes; 1 hides the addresses from "
     "every process without CAP_SYSLOG",
     "not available on this kernel"},
    {"kernel.dmesg_restrict", "sysctl.dmesg_restrict", [](long v) { return v >= 1; }, "1",
     "the kernel log holds kernel addresses and other tenants' traces (OOM kills and "
     "crashes with command names). cordon denies syslog(2) and gives no /dev/kmsg in "
     "sandboxes; 1 keeps the log from every process without CAP_SYSLOG",
     "not available on this kernel"},
    {"kernel.yama.ptrace_scope", "sysctl.ptrace_scope", [](long v) { return v >= 1; }, "1",
     "0 lets a process trace every other process of its UID. Sandboxes are apart anyway "
     "(an ID slot and a PID namespace each); 1 limits ptrace to descendants on the rest of "
     "the host, so one compromised service cannot read another's memory (3 also stops "
     "debuggers inside sandboxes)",
     "Yama is not in this kernel (CONFIG_SECURITY_YAMA): ptrace is limited by the classic "
     "checks only"},
};

bool parse_long(const std::string& s, long* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

void sysctl(const HostFacts& f, Findings* out) {
  for (const auto& r : kRules) {
    auto it = f.sysctls.find(r.name);
    Probe p = it == f.sysctls.end() ? Probe::absent() : it->second;
    std::string file = "/proc/sys/" + std::string(r.name);
    for (char& c : file)
      if (c == '.') c = '/';
    if (p.state == Probe::State::kAbsent) {
      out->push_back(make(r.id, Status::kInfo, r.absent, r.why));
      continue;
    }
    long v = 0;
    if (!p.ok() || !parse_long(p.text, &v)) {
      out->push_back(
          make(r.id, Status::kWarn,
               p.ok() ? file + " holds \"" + p.text + "\", not a number" : unreadable(file, p),
               r.why, sysctl_fix(r.name, r.fix_value)));
      continue;
    }
    std::string seen = std::string(r.name) + " = " + p.text;
    if (r.good(v)) {
      out->push_back(make(r.id, Status::kOk, seen));
    } else {
      out->push_back(make(r.id, Status::kWarn, seen, r.why, sysctl_fix(r.name, r.fix_value)));
    }
  }
}

}  // namespace cordon::diag::rules

namespace cordon::diag {

const std::vector<std::string>& sysctl_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& r : rules::kRules) v.push_back(r.name);
    v.push_back("user.max_user_namespaces");  // judged by features.user_namespaces
    return v;
  }();
  return names;
}

}  // namespace cordon::diag
